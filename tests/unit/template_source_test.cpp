#include "template_source.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

bool IsLayoutWord(const std::string& name) {
    return name.rfind("layout:", 0) == 0;
}

// Each run as "F:<text>" (fixed) or "R:<text>" (per reminder), in order.
std::vector<std::string> Runs(const std::string& source) {
    std::vector<std::string> runs;
    std::size_t covered = 0;
    for (const LineRun& run : SplitIntoLineRuns(source, ScanTags(source, "test"), IsLayoutWord)) {
        EXPECT_EQ(covered, run.begin) << "runs must cover the source in order";
        covered = run.end;
        runs.push_back((run.fixed ? "F:" : "R:") + source.substr(run.begin, run.end - run.begin));
    }
    EXPECT_EQ(source.size(), covered);
    return runs;
}

TEST(SplitIntoLineRunsTest, KeepsLinesOfOneKindTogether) {
    EXPECT_EQ((std::vector<std::string>{"F:<p>\n{{layout:product}}\n", "R:{{shop_name}}\n",
                                        "F:{{! a note }}\n</p>"}),
              Runs("<p>\n{{layout:product}}\n{{shop_name}}\n{{! a note }}\n</p>"));
    EXPECT_EQ((std::vector<std::string>{"F:plain\n"}), Runs("plain\n"));
    EXPECT_TRUE(Runs("").empty());
}

TEST(SplitIntoLineRunsTest, ASectionAndItsLinesStayInOneRun) {
    EXPECT_EQ((std::vector<std::string>{"F:top\n", "R:{{#items}}\n{{layout:product}}\n{{/items}}\n",
                                        "F:end\n"}),
              Runs("top\n{{#items}}\n{{layout:product}}\n{{/items}}\nend\n"));
    // A section of fixed words is still a section: whether it shows depends on the reminder.
    EXPECT_EQ((std::vector<std::string>{"R:a {{^voucher}}{{layout:product}}{{/voucher}} b\n"}),
              Runs("a {{^voucher}}{{layout:product}}{{/voucher}} b\n"));
}

TEST(SplitIntoLineRunsTest, ALineFeedInsideATagDoesNotEndTheLine) {
    EXPECT_EQ((std::vector<std::string>{"F:x {{! two\nlines }} y\n", "R:{{total}}"}),
              Runs("x {{! two\nlines }} y\n{{total}}"));
}

} // namespace
} // namespace cartwatch
