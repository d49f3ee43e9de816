#include "etcd/member_order.h"

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

TEST(MemberOrderTest, ConnectedMembersComeBeforeUnconnectedOnes) {
  std::vector<MemberHealth> members = {{.connected = false}, {.connected = false}, {.connected = true}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(2, 0, 1));
}

TEST(MemberOrderTest, RecentlyFailedMembersGoLastOldestFailureFirst) {
  std::vector<MemberHealth> members = {
      {.connected = true, .last_failure = kNow - absl::Seconds(1)},
      {.connected = true, .last_failure = kNow - absl::Seconds(3)},
      {.connected = false}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(2, 1, 0));
}

TEST(MemberOrderTest, AFailureOlderThanThePenaltyIsForgotten) {
  std::vector<MemberHealth> members = {
      {.connected = true, .last_failure = kNow - absl::Seconds(11)}, {.connected = true}};
  EXPECT_THAT(MemberOrder(0, members, kNow, kPenalty), ElementsAre(0, 1));
}

TEST(MemberOrderTest, EverySingleOrEmptyListIsTrivial) {
  EXPECT_THAT(MemberOrder(0, {}, kNow, kPenalty), ElementsAre());
  EXPECT_THAT(MemberOrder(5, {{.last_failure = kNow}}, kNow, kPenalty), ElementsAre(0));
}

}  // namespace
}  // namespace switchboard
