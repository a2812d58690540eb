// Logging for an ops engineer reading journald: under systemd each line goes to the journal
// with its priority (so `journalctl -p warning -u cartwatchd` works); in a terminal or a test
// it goes to stderr with a timestamp. Log lines carry reminder ids, Message-IDs and SMTP
// replies, never message bodies or passwords.
#pragma once

#include <string>

namespace cartwatch {

// Sets up the default spdlog logger; level is trace, debug, info, warn, error or critical.
void SetupLogging(const std::string& level);

// Changes the level after a configuration reload.
void SetLogLevel(const std::string& level);

} // namespace cartwatch
