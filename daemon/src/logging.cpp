#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cartwatch {
namespace {

// systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected to stderr; only if
// stderr is still that stream does the journal read what we write (systemd.exec(5)).
bool StderrIsJournal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat info {};
    if (!stream || fstat(fileno(stderr), &info) != 0) {
        return false;
    }
    const std::string expected = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
    return expected == stream;
}

} // namespace

void SetupLogging(const std::string& level) {
    std::shared_ptr<spdlog::logger> logger;
    if (StderrIsJournal()) {
        logger = std::make_shared<spdlog::logger>(
            "cartwatchd", std::make_shared<spdlog::sinks::systemd_sink_mt>("cartwatchd"));
    } else {
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
        logger = std::make_shared<spdlog::logger>("cartwatchd", sink);
    }
    spdlog::set_default_logger(logger);
    SetLogLevel(level);
    spdlog::flush_on(spdlog::level::info);
}

void SetLogLevel(const std::string& level) {
    spdlog::set_level(spdlog::level::from_str(level));
}

} // namespace cartwatch
