#include "switchboard/proxy/runtime_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Instance At(const std::string& address, uint32_t weight = 1, bool draining = false) {
  return {.service = "greeter", .address = address,
          .metadata = {.weight = weight, .draining = draining}};
}

LiveServer Live(const std::string& address, uint32_t weight = 1) {
  return {.name = ServerName(address), .address = address, .weight = weight, .up = true};
}

LiveBackend Backend(std::vector<LiveServer> servers) {
  LiveBackend live;
  for (LiveServer& s : servers) live.emplace(s.name, s);
  return live;
}

const PlanOptions kNoCheck{.active_check = false};

TEST(NamesTest, BackendAndServerNamesCarryNoSeparators) {
  EXPECT_EQ(BackendName("greeter"), "be_greeter");
  EXPECT_EQ(BackendName("a.b-c"), "be_a.b-c");
  EXPECT_EQ(ServerName("127.0.0.1:50051"), "127.0.0.1_50051");
  EXPECT_EQ(ServerName("[::1]:50051"), "___1__50051");
}

TEST(WeightTest, SmallWeightsAreKeptLargeOnesScaled) {
  EXPECT_EQ(HaproxyWeight(1, 1), 1u);
  EXPECT_EQ(HaproxyWeight(3, 200), 3u);
  EXPECT_EQ(HaproxyWeight(256, 256), 256u);
  EXPECT_EQ(HaproxyWeight(10000, 10000), 256u);
  EXPECT_EQ(HaproxyWeight(5000, 10000), 128u);
  // Never 0: a tiny share stays a share.
  EXPECT_EQ(HaproxyWeight(1, 10000), 1u);
  EXPECT_EQ(HaproxyWeight(0, 1), 1u);
}

TEST(PlanTest, EqualSetsNeedNothing) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1"), At("127.0.0.1:2", 2)},
                          Backend({Live("127.0.0.1:1"), Live("127.0.0.1:2", 2)}), kNoCheck),
              IsEmpty());
}

TEST(PlanTest, NewInstanceIsAddedThenEnabled) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1", 4)}, {}, kNoCheck),
              ElementsAre("add server be_greeter/127.0.0.1_1 127.0.0.1:1 proto h2 weight 4",
                          "enable server be_greeter/127.0.0.1_1"));
}

TEST(PlanTest, NewInstanceWithChecksObservesCallsAndEnablesHealth) {
  std::vector<std::string> plan =
      PlanBackend("greeter", {At("127.0.0.1:1")}, {}, {.active_check = true, .error_limit = 5});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0],
            "add server be_greeter/127.0.0.1_1 127.0.0.1:1 proto h2 weight 1 check inter 1000 "
            "fastinter 250 fall 2 rise 1 observe layer7 error-limit 5 on-error mark-down");
  EXPECT_EQ(plan[1], "enable server be_greeter/127.0.0.1_1");
  EXPECT_EQ(plan[2], "enable health be_greeter/127.0.0.1_1");
}

TEST(PlanTest, NewDrainingInstanceEntersDrainBeforeItLeavesMaintenance) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1", 1, true)}, {}, kNoCheck),
              ElementsAre("add server be_greeter/127.0.0.1_1 127.0.0.1:1 proto h2 weight 1",
                          "set server be_greeter/127.0.0.1_1 state drain",
                          "enable server be_greeter/127.0.0.1_1"));
}

TEST(PlanTest, GoneInstanceIsPutInMaintenanceThenDeleted) {
  EXPECT_THAT(PlanBackend("greeter", {}, Backend({Live("127.0.0.1:1")}), kNoCheck),
              ElementsAre("set server be_greeter/127.0.0.1_1 state maint",
                          "del server be_greeter/127.0.0.1_1"));
}

TEST(PlanTest, RefusedDeleteIsTriedAgainWithoutASecondMaint) {
  LiveServer in_maintenance = Live("127.0.0.1:1");
  in_maintenance.maintenance = true;
  EXPECT_THAT(PlanBackend("greeter", {}, Backend({in_maintenance}), kNoCheck),
              ElementsAre("del server be_greeter/127.0.0.1_1"));
}

TEST(PlanTest, WeightChangeIsOneCommand) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1", 7)}, Backend({Live("127.0.0.1:1", 1)}),
                          kNoCheck),
              ElementsAre("set server be_greeter/127.0.0.1_1 weight 7"));
}

TEST(PlanTest, WeightsAreScaledOverTheWholeService) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1", 10000), At("127.0.0.1:2", 5000)},
                          Backend({Live("127.0.0.1:1", 256), Live("127.0.0.1:2", 1)}), kNoCheck),
              ElementsAre("set server be_greeter/127.0.0.1_2 weight 128"));
}

TEST(PlanTest, DrainBeginsAndEnds) {
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1", 1, true)}, Backend({Live("127.0.0.1:1")}),
                          kNoCheck),
              ElementsAre("set server be_greeter/127.0.0.1_1 state drain"));
  LiveServer draining = Live("127.0.0.1:1");
  draining.draining = true;
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1")}, Backend({draining}), kNoCheck),
              ElementsAre("set server be_greeter/127.0.0.1_1 state ready"));
}

TEST(PlanTest, WantedServerLeftInMaintenanceIsEnabled) {
  LiveServer in_maintenance = Live("127.0.0.1:1");
  in_maintenance.maintenance = true;
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1")}, Backend({in_maintenance}), kNoCheck),
              ElementsAre("enable server be_greeter/127.0.0.1_1"));
}

TEST(PlanTest, PassiveEjectionIsNotUndoneByThePlan) {
  LiveServer down = Live("127.0.0.1:1");
  down.up = false;  // marked down by its checks or by on-error
  EXPECT_THAT(PlanBackend("greeter", {At("127.0.0.1:1")}, Backend({down}), kNoCheck), IsEmpty());
}

// What HAProxy 2.6 prints for `show servers state be_greeter`.
constexpr char kTwoServers[] =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
    "5 be_greeter 1 127.0.0.1_50051 127.0.0.1 2 0 3 3 4 6 3 4 6 0 0 0 - 50051 - 0 0 - - 0\n"
    "5 be_greeter 2 127.0.0.1_50052 127.0.0.1 0 9 1 1 0 1 0 0 2 0 0 0 - 50052 - 0 0 - - 0\n"
    "\n";

TEST(ParseServersStateTest, ReadsAddressWeightAndStates) {
  absl::StatusOr<LiveBackend> live = ParseServersState(kTwoServers);
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->size(), 2u);
  const LiveServer& a = live->at("127.0.0.1_50051");
  EXPECT_EQ(a.address, "127.0.0.1:50051");
  EXPECT_EQ(a.weight, 3u);
  EXPECT_TRUE(a.up);
  EXPECT_FALSE(a.maintenance);
  EXPECT_FALSE(a.draining);
  const LiveServer& b = live->at("127.0.0.1_50052");
  EXPECT_FALSE(b.up);
  EXPECT_TRUE(b.maintenance);  // 0x01
  EXPECT_TRUE(b.draining);     // 0x08
}

TEST(ParseServersStateTest, EmptyBackendAndErrors) {
  absl::StatusOr<LiveBackend> empty = ParseServersState("1\n# be_id be_name\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(ParseServersState("Can't find backend.\n").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<LiveBackend> bad = ParseServersState("1\n# h\n5 be_greeter 1 x\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("line 3"));
}

}  // namespace
}  // namespace switchboard::proxy
