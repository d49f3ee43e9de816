#include "switchboard/etcd/member_order.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);
const absl::Duration kPenalty = absl::Seconds(10);

TEST(MemberOrderTest, HealthyMembersStartFromTheCurrentOneInRingOrder) {
  std::vector<MemberHealth> members(3);
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(0, 1, 2));
  EXPECT_THAT(MemberOrder(2, members, kNow, kPenalty), ElementsAre(2, 0, 1));
}

TEST(MemberOrderTest, ReachableMembersComeBeforeUnreachableOnes) {
  std::vector<MemberHealth> members = {{.reachable = false}, {.reachable = false}, {.reachable = true}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(2, 0, 1));
}

TEST(MemberOrderTest, RecentlyFailedMembersGoLastOldestFailureFirst) {
  std::vector<MemberHealth> members = {
      {.reachable = true, .last_failure = kNow - absl::Seconds(1)},
      {.reachable = true, .last_failure = kNow - absl::Seconds(3)},
      {.reachable = false}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(2, 1, 0));
}

TEST(MemberOrderTest, AFailureOlderThanThePenaltyIsForgotten) {
  std::vector<MemberHealth> members = {
      {.reachable = true, .last_failure = kNow - absl::Seconds(11)}, {.reachable = true}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(0, 1));
}

TEST(MemberOrderTest, EverySingleOrEmptyListIsTrivial) {
  EXPECT_THAT(MemberOrder(0, {}, kNow, kPenalty), ElementsAre());
  EXPECT_THAT(MemberOrder(5, {{.last_failure = kNow}}, kNow, kPenalty), ElementsAre(0));
}

}  // namespace
}  // namespace switchboard
