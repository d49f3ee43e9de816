#include "switchboard/xds/cluster_load_assignment_builder.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/resource_version.h"

namespace switchboard::xds {
namespace {

Instance Make(std::string address, uint32_t weight = 1, std::string zone = "", bool draining = false) {
  Instance i;
  i.service = "greeter";
  i.address = std::move(address);
  i.metadata.weight = weight;
  i.metadata.zone = std::move(zone);
  i.metadata.draining = draining;
  return i;
}

TEST(ParseEndpointAddressTest, AcceptsIpLiteralsOnly) {
  auto v4 = ParseEndpointAddress("127.0.0.1:50051");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->ip, "127.0.0.1");
  EXPECT_EQ(v4->port, 50051u);
  auto v6 = ParseEndpointAddress("[::1]:8080");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->ip, "::1");
  EXPECT_EQ(v6->port, 8080u);
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
                          "[::1]", "[::1]80", "1.2.3.4:x"}) {
    auto parsed = ParseEndpointAddress(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find(bad), std::string::npos) << parsed.status();
  }
}

// Weight of each locality, by sub_zone.
std::map<std::string, uint32_t> LocalityWeights(const ClusterLoadAssignment& cla) {
  std::map<std::string, uint32_t> weights;
  for (const auto& locality : cla.endpoints()) {
    EXPECT_TRUE(locality.has_load_balancing_weight()) << locality.locality().sub_zone();
    weights[locality.locality().sub_zone()] = locality.load_balancing_weight().value();
  }
  return weights;
}

TEST(BuildClusterLoadAssignmentTest, EveryLocalityHasAWeightOfAtLeastOne) {
  std::vector<Instance> instances = {Make("10.0.0.1:1", 0), Make("10.0.0.2:1", 1),
                                     Make("10.0.0.3:1", 7), Make("10.0.0.4:1", 99999)};
  ClusterLoadAssignment cla = BuildClusterLoadAssignment("greeter", instances);
  // Weight 0 is taken as 1, and 99999 as the maximum.
  EXPECT_EQ(LocalityWeights(cla),
            (std::map<std::string, uint32_t>{
                {"weight-1", 2},
                {"weight-7", 7},
                {absl::StrCat("weight-", InstanceMetadata::kMaxWeight), InstanceMetadata::kMaxWeight}}));
}

// Equal weights: one locality, so the client's round robin is strict.
TEST(BuildClusterLoadAssignmentTest, EqualWeightsShareOneLocality) {
  std::vector<Instance> instances = {Make("127.0.0.1:5003", 1, "zone-a"),
                                     Make("127.0.0.1:5001", 1, "zone-a"),
                                     Make("127.0.0.1:5002", 1, "zone-a")};
  ClusterLoadAssignment cla = BuildClusterLoadAssignment("greeter", instances);
  EXPECT_EQ(cla.cluster_name(), ResourceName(ResourceKind::kClusterLoadAssignment, "greeter"));
  ASSERT_EQ(cla.endpoints_size(), 1);
  const auto& locality = cla.endpoints(0);
  EXPECT_EQ(locality.locality().zone(), "zone-a");
  EXPECT_EQ(locality.load_balancing_weight().value(), 3u);
  EXPECT_EQ(locality.priority(), 0u);
  ASSERT_EQ(locality.lb_endpoints_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const auto& socket = locality.lb_endpoints(i).endpoint().address().socket_address();
    EXPECT_EQ(socket.address(), "127.0.0.1");
    EXPECT_EQ(socket.port_value(), 5001u + i) << "sorted by address";
    EXPECT_EQ(locality.lb_endpoints(i).health_status(), envoy::config::core::v3::HEALTHY);
  }
}

// Each instance's share is its weight over the total: the locality of the
// weight-1 pair weighs 2, that of the weight-3 instance 3, so each gets
// 1/5, 1/5 and 3/5. Zones are kept apart.
TEST(BuildClusterLoadAssignmentTest, LocalitiesGroupInstancesByZoneAndWeight) {
  std::vector<Instance> instances = {Make("127.0.0.1:5001", 1, "zone-a"),
                                     Make("127.0.0.1:5002", 1, "zone-a"),
                                     Make("127.0.0.1:5003", 3, "zone-a"),
                                     Make("127.0.0.1:5004", 1, "zone-b")};
  ClusterLoadAssignment cla = BuildClusterLoadAssignment("greeter", instances);
  ASSERT_EQ(cla.endpoints_size(), 3);
  std::map<std::pair<std::string, std::string>, std::pair<uint32_t, int>> seen;
  for (const auto& locality : cla.endpoints()) {
    seen[{locality.locality().zone(), locality.locality().sub_zone()}] = {
        locality.load_balancing_weight().value(), locality.lb_endpoints_size()};
    for (const auto& endpoint : locality.lb_endpoints()) {
      EXPECT_EQ(absl::StrCat("weight-", endpoint.load_balancing_weight().value()),
                locality.locality().sub_zone());
    }
  }
  using Key = std::pair<std::string, std::string>;
  using Value = std::pair<uint32_t, int>;
  EXPECT_EQ(seen, (std::map<Key, Value>{{{"zone-a", "weight-1"}, {2, 2}},
                                        {{"zone-a", "weight-3"}, {3, 1}},
                                        {{"zone-b", "weight-1"}, {1, 1}}}));
}

TEST(BuildClusterLoadAssignmentTest, DrainingInstancesAreSentAsDrainingAndAddNoWeight) {
  ClusterLoadAssignment cla = BuildClusterLoadAssignment(
      "greeter", {Make("127.0.0.1:5001"), Make("127.0.0.1:5002", 1, "", /*draining=*/true)});
  ASSERT_EQ(cla.endpoints_size(), 1);
  ASSERT_EQ(cla.endpoints(0).lb_endpoints_size(), 2);
  EXPECT_EQ(cla.endpoints(0).lb_endpoints(0).health_status(), envoy::config::core::v3::HEALTHY);
  EXPECT_EQ(cla.endpoints(0).lb_endpoints(1).health_status(), envoy::config::core::v3::DRAINING);
  EXPECT_EQ(cla.endpoints(0).load_balancing_weight().value(), 1u);

  // All draining: the locality stays, weight 1, with nothing to pick.
  ClusterLoadAssignment drained = BuildClusterLoadAssignment(
      "greeter", {Make("127.0.0.1:5002", 4, "", /*draining=*/true)});
  ASSERT_EQ(drained.endpoints_size(), 1);
  EXPECT_EQ(drained.endpoints(0).load_balancing_weight().value(), 1u);
}

TEST(BuildClusterLoadAssignmentTest, HostNamesAreLeftOutAndReported) {
  std::vector<std::string> skipped;
  ClusterLoadAssignment cla = BuildClusterLoadAssignment(
      "greeter", {Make("db.example:5001"), Make("[::1]:5002")}, &skipped);
  ASSERT_EQ(cla.endpoints_size(), 1);
  EXPECT_EQ(cla.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().address(), "::1");
  EXPECT_EQ(skipped, std::vector<std::string>{"db.example:5001"});
}

TEST(BuildClusterLoadAssignmentTest, EmptyServiceHasNoEndpoints) {
  EXPECT_EQ(BuildClusterLoadAssignment("greeter", {}).endpoints_size(), 0);
}

// Per locality (zone, sub_zone): its EDS priority and weight.
using LocalityKey = std::pair<std::string, std::string>;
struct Placement {
  uint32_t priority;
  uint32_t weight;
  friend bool operator==(const Placement&, const Placement&) = default;
};
std::map<LocalityKey, Placement> Placements(const ClusterLoadAssignment& cla) {
  std::map<LocalityKey, Placement> out;
  for (const auto& l : cla.endpoints()) {
    out[{l.locality().zone(), l.locality().sub_zone()}] = {l.priority(),
                                                           l.load_balancing_weight().value()};
  }
  return out;
}

std::vector<Instance> TwoZones(int healthy_in_a, int draining_in_a = 0) {
  std::vector<Instance> instances;
  for (int i = 0; i < healthy_in_a; ++i) instances.push_back(Make(absl::StrCat("10.0.1.", i, ":1"), 1, "a"));
  for (int i = 0; i < draining_in_a; ++i) {
    instances.push_back(Make(absl::StrCat("10.0.1.", 100 + i, ":1"), 1, "a", /*draining=*/true));
  }
  for (int i = 0; i < 3; ++i) instances.push_back(Make(absl::StrCat("10.0.2.", i, ":1"), 1, "b"));
  return instances;
}

TEST(ZoneFailoverTest, AWholeZoneIsPriorityZeroAndTheOthersPriorityOne) {
  ClusterLoadAssignment cla =
      BuildClusterLoadAssignment("greeter", TwoZones(3), nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 3}},
                                                               {{"b", "weight-1"}, {1, 3}}}));
  // The other zone's clients see it the other way round.
  cla = BuildClusterLoadAssignment("greeter", TwoZones(3), nullptr, {.client_zone = "b"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {1, 3}},
                                                               {{"b", "weight-1"}, {0, 3}}}));
}

TEST(ZoneFailoverTest, ClientsWithNoZoneOrAnEmptyOneSeeOnePriority) {
  const std::map<LocalityKey, Placement> one_priority = {{{"a", "weight-1"}, {0, 3}},
                                                         {{"b", "weight-1"}, {0, 3}}};
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", TwoZones(3))), one_priority);
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", TwoZones(3), nullptr,
                                                  {.client_zone = "c"})),
            one_priority);
  // The client's zone emptied: the others are all there is, one priority.
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", TwoZones(0), nullptr,
                                                  {.client_zone = "a"})),
            (std::map<LocalityKey, Placement>{{{"b", "weight-1"}, {0, 3}}}));
}

// Zone a lost one of 3 (the registry forgot it): 2/3 healthy, under 71.43%,
// so it keeps 2/3 * 1.4 = 93.3% and b takes 6.7%, in one priority.
TEST(ZoneFailoverTest, UnderTheThresholdTheZoneSpillsByEnvoysRule) {
  ClusterLoadAssignment cla =
      BuildClusterLoadAssignment("greeter", TwoZones(2), nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 933333}},
                                                               {{"b", "weight-1"}, {0, 66667}}}));
  cla = BuildClusterLoadAssignment("greeter", TwoZones(1), nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 466667}},
                                                               {{"b", "weight-1"}, {0, 533333}}}));
  // Draining instances count in the zone's size but not as healthy.
  cla = BuildClusterLoadAssignment("greeter", TwoZones(2, 1), nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 933333}},
                                                               {{"b", "weight-1"}, {0, 66667}}}));
}

TEST(ZoneFailoverTest, TheThresholdComesFromTheView) {
  // 100%: only what is missing spills, 2/3 stays.
  ClusterLoadAssignment cla = BuildClusterLoadAssignment(
      "greeter", TwoZones(2), nullptr, {.client_zone = "a", .min_healthy_percent = 100});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 666667}},
                                                               {{"b", "weight-1"}, {0, 333333}}}));
  // 50%: 2 of 3 is whole.
  cla = BuildClusterLoadAssignment("greeter", TwoZones(2), nullptr,
                                   {.client_zone = "a", .min_healthy_percent = 50});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 2}},
                                                               {{"b", "weight-1"}, {1, 3}}}));
}

TEST(ZoneFailoverTest, AnAllDrainingZoneGoesLast) {
  ClusterLoadAssignment cla =
      BuildClusterLoadAssignment("greeter", TwoZones(0, 3), nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {1, 1}},
                                                               {{"b", "weight-1"}, {0, 3}}}));
}

// Merged, each tier's share is split among its localities by weight.
TEST(ZoneFailoverTest, ASpilledShareIsSplitByWeight) {
  std::vector<Instance> instances = {Make("10.0.1.1:1", 1, "a"), Make("10.0.2.1:1", 1, "b"),
                                     Make("10.0.2.2:1", 3, "b"), Make("10.0.3.1:1", 1, "c"),
                                     Make("10.0.3.2:1", 1, "c")};
  // a has 1 of 2 (the largest zone's size): 70% stays; the other 30% goes
  // to b's weights 1 and 3 and c's 2 in proportion: 1/6, 3/6, 2/6.
  ClusterLoadAssignment cla =
      BuildClusterLoadAssignment("greeter", instances, nullptr, {.client_zone = "a"});
  EXPECT_EQ(Placements(cla), (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 700000}},
                                                               {{"b", "weight-1"}, {0, 50000}},
                                                               {{"b", "weight-3"}, {0, 150000}},
                                                               {{"c", "weight-1"}, {0, 100000}}}));
}

Instance WithPriority(Instance instance, uint32_t priority) {
  instance.metadata.labels[std::string(kPriorityLabel)] = absl::StrCat(priority);
  return instance;
}

TEST(SrvPriorityTest, SrvPrioritiesAreEdsPrioritiesLowestFirst) {
  std::vector<Instance> instances = {WithPriority(Make("10.0.0.1:1"), 10),
                                     WithPriority(Make("10.0.0.2:1"), 0),
                                     WithPriority(Make("10.0.0.3:1", 5), 0)};
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", instances)),
            (std::map<LocalityKey, Placement>{{{"", "weight-1"}, {0, 1}},
                                              {{"", "weight-5"}, {0, 5}},
                                              {{"", "srv-priority-10-weight-1"}, {1, 1}}}));
  // Priority 0 gone: 10 is all there is.
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", {instances[0]})),
            (std::map<LocalityKey, Placement>{{{"", "srv-priority-10-weight-1"}, {0, 1}}}));
}

TEST(SrvPriorityTest, ADrainingLowPrioritySpillsToTheNext) {
  // Priority 0 has 1 of 2 serving: 50% * 1.4 = 70% stays.
  std::vector<Instance> instances = {WithPriority(Make("10.0.0.1:1"), 0),
                                     WithPriority(Make("10.0.0.2:1", 1, "", true), 0),
                                     WithPriority(Make("10.0.0.3:1"), 10)};
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", instances)),
            (std::map<LocalityKey, Placement>{{{"", "weight-1"}, {0, 700000}},
                                              {{"", "srv-priority-10-weight-1"}, {0, 300000}}}));
}

TEST(SrvPriorityTest, ZonesComeWithinEachSrvPriority) {
  std::vector<Instance> instances = {
      WithPriority(Make("10.0.0.1:1", 1, "a"), 0), WithPriority(Make("10.0.0.2:1", 1, "b"), 0),
      WithPriority(Make("10.0.0.3:1", 1, "a"), 7), WithPriority(Make("10.0.0.4:1", 1, "b"), 7)};
  EXPECT_EQ(Placements(BuildClusterLoadAssignment("greeter", instances, nullptr,
                                                  {.client_zone = "a"})),
            (std::map<LocalityKey, Placement>{{{"a", "weight-1"}, {0, 1}},
                                              {{"b", "weight-1"}, {1, 1}},
                                              {{"a", "srv-priority-7-weight-1"}, {2, 1}},
                                              {{"b", "srv-priority-7-weight-1"}, {3, 1}}}));
}

TEST(SrvPriorityTest, InstancePriorityReadsTheLabel) {
  EXPECT_EQ(InstancePriority(Make("10.0.0.1:1")), 0u);
  EXPECT_EQ(InstancePriority(WithPriority(Make("10.0.0.1:1"), 65535)), 65535u);
  for (const char* bad : {"-1", "65536", "high", ""}) {
    Instance i = Make("10.0.0.1:1");
    i.metadata.labels[std::string(kPriorityLabel)] = bad;
    EXPECT_EQ(InstancePriority(i), 0u) << bad;
  }
}

TEST(ResourceVersionTest, DependsOnContentNotOrder) {
  std::vector<Instance> a = {Make("127.0.0.1:1"), Make("127.0.0.1:2", 2)};
  std::vector<Instance> b = {a[1], a[0]};
  EXPECT_EQ(ResourceVersion(BuildClusterLoadAssignment("greeter", a)),
            ResourceVersion(BuildClusterLoadAssignment("greeter", b)));
  a[1].metadata.weight = 3;
  EXPECT_NE(ResourceVersion(BuildClusterLoadAssignment("greeter", a)),
            ResourceVersion(BuildClusterLoadAssignment("greeter", b)));
  EXPECT_EQ(ResourceVersion(BuildClusterLoadAssignment("greeter", a)).size(), 16u);
}

}  // namespace
}  // namespace switchboard::xds
