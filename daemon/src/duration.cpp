#include "duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace cartwatch {

std::optional<Milliseconds> ParseDuration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    double total_ms = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // A number: digits with at most one decimal point.
        const std::size_t start = pos;
        bool seen_point = false;
        while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) ||
                                     (text[pos] == '.' && !seen_point))) {
            seen_point = seen_point || text[pos] == '.';
            ++pos;
        }
        if (pos == start || text.substr(start, pos - start) == ".") {
            return std::nullopt;
        }
        const double number =
            std::strtod(std::string(text.substr(start, pos - start)).c_str(), nullptr);
        const std::size_t unit_start = pos;
        while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        const std::string_view unit = text.substr(unit_start, pos - unit_start);
        double scale = 0;
        if (unit == "ms") {
            scale = 1;
        } else if (unit == "s" || (unit.empty() && start == 0 && pos == text.size())) {
            scale = 1000;
        } else if (unit == "m" || unit == "min") {
            scale = 60'000;
        } else if (unit == "h") {
            scale = 3'600'000;
        } else if (unit == "d") {
            scale = 86'400'000;
        } else {
            return std::nullopt;
        }
        total_ms += number * scale;
    }
    // A year is far beyond any sensible timeout; the cap also keeps the cast below defined.
    if (!std::isfinite(total_ms) || total_ms > 365.0 * 86'400'000) {
        return std::nullopt;
    }
    return Milliseconds(static_cast<Milliseconds::rep>(std::llround(total_ms)));
}

std::string FormatDuration(Milliseconds duration) {
    auto ms = duration.count();
    if (ms == 0) {
        return "0s";
    }
    std::string out;
    if (ms < 0) {
        out += '-';
        ms = -ms;
    }
    const std::pair<long long, const char*> units[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
    for (const auto& [size, name] : units) {
        if (ms >= size) {
            out += std::to_string(ms / size) + name;
            ms %= size;
        }
    }
    return out;
}

} // namespace cartwatch
