// Renders each language and step with a fixed date, Message-ID and boundary
// and compares the bytes with tests/golden/<language>_<step>.eml.
// Regenerate after an intended change with:
//   CARTWATCH_UPDATE_GOLDEN=1 ctest --test-dir build -R Golden
// (or `cmake --build build --target update-golden`), then read the diff.
#include "sample_reminders.hpp"
#include "template_renderer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cartwatch {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

class GoldenTest : public ::testing::TestWithParam<samples::Sample> {};

TEST_P(GoldenTest, MatchesCheckedInMessage) {
    const samples::Sample& sample = GetParam();
    const TemplateSet templates(samples::TemplateRoot());
    const auto built = BuildReminder(templates, sample.message, samples::FixedOptions(sample.name));
    ASSERT_TRUE(built.ok()) << built.error();
    const std::filesystem::path golden = samples::GoldenRoot() / (sample.name + ".eml");
    if (std::getenv("CARTWATCH_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(golden, std::ios::binary) << built->bytes;
        GTEST_SKIP() << "rewrote " << golden;
    }
    ASSERT_TRUE(std::filesystem::exists(golden))
        << golden << " is missing; run with CARTWATCH_UPDATE_GOLDEN=1 to create it";
    // EXPECT_EQ on two large strings prints an unreadable diff; compare by line.
    const std::string expected = ReadAll(golden);
    std::istringstream want(expected);
    std::istringstream got(built->bytes);
    std::string want_line;
    std::string got_line;
    for (int line = 1; std::getline(want, want_line); ++line) {
        ASSERT_TRUE(static_cast<bool>(std::getline(got, got_line)))
            << "output ends at line " << line;
        ASSERT_EQ(want_line, got_line) << golden.filename() << " differs at line " << line;
    }
    EXPECT_EQ(expected, built->bytes);
}

INSTANTIATE_TEST_SUITE_P(AllLanguages, GoldenTest, ::testing::ValuesIn(samples::GoldenSamples()),
                         [](const auto& info) { return info.param.name; });

} // namespace
} // namespace cartwatch
