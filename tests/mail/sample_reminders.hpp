// Reminders used by the golden files, the Python round-trip check and the
// unit tests: one realistic cart per language and a set of hostile ones.
#ifndef CARTWATCH_TESTS_SAMPLE_REMINDERS_HPP
#define CARTWATCH_TESTS_SAMPLE_REMINDERS_HPP

#include "mime.hpp"
#include "reminder_message.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch::samples {

struct Sample {
    std::string name; // file stem: "pl_first_reminder", "hostile_crlf_names", ...
    ReminderMessage message;
};

/// Lets GoogleTest name a parameterised case by the sample's name instead of
/// dumping its bytes.
inline void PrintTo(const Sample& sample, std::ostream* out) {
    *out << sample.name;
}

/// The checked-in templates.
std::filesystem::path TemplateRoot();
/// tests/golden in the source tree.
std::filesystem::path GoldenRoot();

/// A realistic cart for `language` ("en", "pl", "de", "fr"); the second step
/// carries a voucher.
ReminderMessage Typical(std::string_view language, ReminderStep step);

/// One sample per language and step, named "<language>_<step>_reminder".
std::vector<Sample> GoldenSamples();

/// Values meant to break things: CR/LF, markup, very long and non-Latin
/// text, invalid UTF-8, a thousand items, a guest, an unknown locale.
std::vector<Sample> HostileSamples();

/// Fixed date (Tue, 05 Nov 2024 14:03:07 +0100) and random tokens derived
/// from `seed`, so a sample renders to the same bytes every time.
MessageOptions FixedOptions(std::string_view seed);

/// Deterministic stand-in for SystemRandomTokens().
RandomTokenSource SeededTokens(std::string_view seed);

} // namespace cartwatch::samples

#endif
