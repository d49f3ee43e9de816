#include "demo/split_judgement.h"

#include <gtest/gtest.h>

namespace switchboard::demo {
namespace {

testing::CallCounts Counts(std::map<std::string, int64_t> replies) {
  testing::CallCounts c;
  c.replies_by_server = std::move(replies);
  return c;
}

TEST(SplitJudgementTest, EvenThreeWaySplitPasses) {
  SplitJudgement j = JudgeSplit(Counts({{"a", 1000}, {"b", 1010}, {"c", 990}}), {"a", "b", "c"},
                                {.tolerance = 0.05, .min_calls = 3000});
  EXPECT_TRUE(j.passed) << j.detail;
  EXPECT_EQ(j.detail, "a 33.3%, b 33.7%, c 33.0% of 3000 calls");
}

TEST(SplitJudgementTest, ShareOutsideToleranceFailsNamingTheServer) {
  SplitJudgement j = JudgeSplit(Counts({{"a", 1500}, {"b", 800}, {"c", 700}}), {"a", "b", "c"},
                                {.tolerance = 0.05, .min_calls = 3000});
  EXPECT_FALSE(j.passed);
  EXPECT_NE(j.detail.find("a got 50.0%, want 28.3%-38.3%"), std::string::npos) << j.detail;
}

TEST(SplitJudgementTest, TooFewCallsFails) {
  SplitJudgement j = JudgeSplit(Counts({{"a", 10}, {"b", 10}}), {"a", "b"},
                                {.tolerance = 0.05, .min_calls = 3000});
  EXPECT_FALSE(j.passed);
  EXPECT_NE(j.detail.find("only 20 replies"), std::string::npos) << j.detail;
}

TEST(SplitJudgementTest, UnexpectedServerFails) {
  SplitJudgement j = JudgeSplit(Counts({{"a", 1500}, {"b", 1500}, {"dead", 3}}), {"a", "b"},
                                {.tolerance = 0.05, .min_calls = 3000});
  EXPECT_FALSE(j.passed);
  EXPECT_NE(j.detail.find("dead should get no calls but got 3"), std::string::npos) << j.detail;
}

TEST(SplitJudgementTest, ExpectedServerWithNoCallsFails) {
  SplitJudgement j = JudgeSplit(Counts({{"a", 3000}}), {"a", "b"},
                                {.tolerance = 0.05, .min_calls = 3000});
  EXPECT_FALSE(j.passed);
  EXPECT_NE(j.detail.find("b got 0.0%"), std::string::npos) << j.detail;
}

TEST(SplitJudgementTest, Percent) {
  EXPECT_EQ(Percent(0.3333), "33.3%");
  EXPECT_EQ(Percent(1.0), "100.0%");
}

}  // namespace
}  // namespace switchboard::demo
