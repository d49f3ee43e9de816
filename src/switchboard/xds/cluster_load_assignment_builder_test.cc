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
