#include "switchboard/xds/priority_failover.h"

#include "gtest/gtest.h"

namespace switchboard::xds {
namespace {

TEST(TierLoadsTest, AWholeFirstTierTakesEverything) {
  EXPECT_EQ(TierLoads({{3, 3}, {3, 3}}, kDefaultMinHealthyPercent),
            (std::vector<double>{1.0, 0.0}));
  // Above the threshold (3 of 4 = 75% > 71.43%) it is still whole.
  EXPECT_EQ(TierLoads({{3, 4}, {4, 4}}, kDefaultMinHealthyPercent),
            (std::vector<double>{1.0, 0.0}));
}

TEST(TierLoadsTest, SpillsWhatTheFirstTierLacksUnderTheThreshold) {
  // Envoy's rule with factor 1.4: 2/3 * 1.4 = 93.3% stays.
  std::vector<double> loads = TierLoads({{2, 3}, {3, 3}}, kDefaultMinHealthyPercent);
  EXPECT_NEAR(loads[0], 2.0 / 3 * 1.4, 1e-9);
  EXPECT_NEAR(loads[1], 1 - 2.0 / 3 * 1.4, 1e-9);
  loads = TierLoads({{1, 3}, {3, 3}}, kDefaultMinHealthyPercent);
  EXPECT_NEAR(loads[0], 1.0 / 3 * 1.4, 1e-9);
  EXPECT_NEAR(loads[1], 1 - 1.0 / 3 * 1.4, 1e-9);
}

TEST(TierLoadsTest, AnEmptyFirstTierSendsEverythingOn) {
  EXPECT_EQ(TierLoads({{0, 3}, {3, 3}}, kDefaultMinHealthyPercent),
            (std::vector<double>{0.0, 1.0}));
  // Through a dead middle tier to the third.
  EXPECT_EQ(TierLoads({{0, 2}, {0, 2}, {2, 2}}, kDefaultMinHealthyPercent),
            (std::vector<double>{0.0, 0.0, 1.0}));
}

TEST(TierLoadsTest, SpillsFurtherWhenTheSecondTierIsShortToo) {
  // 1/4 * 1.4 = 35% to the first, 50% * 1.4 = 70% would be the second's,
  // but together they make 105%: the second takes the remaining 65%.
  std::vector<double> loads = TierLoads({{1, 4}, {2, 4}, {4, 4}}, kDefaultMinHealthyPercent);
  EXPECT_NEAR(loads[0], 0.35, 1e-9);
  EXPECT_NEAR(loads[1], 0.65, 1e-9);
  EXPECT_NEAR(loads[2], 0.0, 1e-9);
}

TEST(TierLoadsTest, DegradedEverywhereIsNormalised) {
  // 1/4 * 1.4 = 35% each: 70% in all, shared in proportion.
  std::vector<double> loads = TierLoads({{1, 4}, {1, 4}}, kDefaultMinHealthyPercent);
  EXPECT_NEAR(loads[0], 0.5, 1e-9);
  EXPECT_NEAR(loads[1], 0.5, 1e-9);
}

TEST(TierLoadsTest, NothingHealthyAnywhereLeavesItAllToTheFirst) {
  EXPECT_EQ(TierLoads({{0, 2}, {0, 3}}, kDefaultMinHealthyPercent),
            (std::vector<double>{1.0, 0.0}));
  EXPECT_TRUE(TierLoads({}, kDefaultMinHealthyPercent).empty());
}

TEST(TierLoadsTest, TheThresholdSetsTheFactor) {
  // 100%: spill exactly what is missing.
  std::vector<double> loads = TierLoads({{2, 4}, {4, 4}}, 100);
  EXPECT_NEAR(loads[0], 0.5, 1e-9);
  // 0: never spill while one is healthy.
  EXPECT_EQ(TierLoads({{1, 10}, {4, 4}}, 0), (std::vector<double>{1.0, 0.0}));
  // 50%: factor 2, 2 of 4 is whole.
  EXPECT_EQ(TierLoads({{2, 4}, {4, 4}}, 50), (std::vector<double>{1.0, 0.0}));
}

TEST(TierLoadsTest, AReferenceBelowTheHealthyCountIsTheHealthyCount) {
  EXPECT_EQ(TierLoads({{3, 1}, {3, 3}}, kDefaultMinHealthyPercent),
            (std::vector<double>{1.0, 0.0}));
}

}  // namespace
}  // namespace switchboard::xds
