#include "switchboard/xds/resource_builder.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gtest/gtest.h"
#include "switchboard/xds/client_capabilities.h"

namespace switchboard::xds {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

Instance Make(std::string address, uint32_t weight = 1, std::string zone = "", bool draining = false) {
  Instance i;
  i.service = "greeter";
  i.address = std::move(address);
  i.metadata.weight = weight;
  i.metadata.zone = std::move(zone);
  i.metadata.draining = draining;
  return i;
}

HttpConnectionManager ManagerOf(const Listener& listener) {
  HttpConnectionManager manager;
  EXPECT_TRUE(listener.api_listener().api_listener().UnpackTo(&manager));
  return manager;
}

TEST(ResourceNamesTest, ListenerIsTheServiceAndOthersDeriveFromIt) {
  EXPECT_EQ(ResourceName(ResourceKind::kListener, "greeter"), "greeter");
  std::set<std::string> names;
  for (ResourceKind kind : kAllResourceKinds) {
    std::string name = ResourceName(kind, "greeter");
    names.insert(name);
    EXPECT_EQ(ServiceOfResourceName(kind, name), "greeter") << name;
  }
  EXPECT_EQ(names.size(), 4u);  // distinct per kind
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kCluster, "greeter"), std::nullopt);
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kCluster, ".cluster"), std::nullopt);
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kListener, ""), std::nullopt);
}

TEST(ResourceNamesTest, TypeUrlsRoundTrip) {
  for (ResourceKind kind : kAllResourceKinds) EXPECT_EQ(KindOfTypeUrl(TypeUrl(kind)), kind);
  EXPECT_EQ(KindOfTypeUrl("type.googleapis.com/envoy.config.listener.v3.Nope"), std::nullopt);
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

TEST(BuildListenerTest, ApiListenerWithRdsOverAdsAndRouterLast) {
  Listener listener = BuildListener("greeter", ServicePolicy{});
  EXPECT_EQ(listener.name(), "greeter");
  HttpConnectionManager manager = ManagerOf(listener);
  ASSERT_TRUE(manager.has_rds());
  EXPECT_EQ(manager.rds().route_config_name(), ResourceName(ResourceKind::kRouteConfiguration, "greeter"));
  EXPECT_TRUE(manager.rds().config_source().has_ads());
  EXPECT_EQ(manager.rds().config_source().resource_api_version(), envoy::config::core::v3::V3);
  ASSERT_GE(manager.http_filters_size(), 1);
  const auto& last = manager.http_filters(manager.http_filters_size() - 1);
  EXPECT_TRUE(last.typed_config().Is<envoy::extensions::filters::http::router::v3::Router>());
}

TEST(BuildListenerTest, InlineRouteConfiguration) {
  ServicePolicy policy;
  policy.inline_route_config = true;
  HttpConnectionManager manager = ManagerOf(BuildListener("greeter", policy));
  ASSERT_TRUE(manager.has_route_config());
  EXPECT_FALSE(manager.has_rds());
  EXPECT_EQ(manager.route_config().virtual_hosts(0).routes(0).route().cluster(),
            ResourceName(ResourceKind::kCluster, "greeter"));
}

TEST(BuildListenerTest, UnknownServiceListenerRoutesNowhere) {
  Listener listener = BuildUnknownServiceListener("nope");
  EXPECT_EQ(listener.name(), "nope");
  HttpConnectionManager manager = ManagerOf(listener);
  ASSERT_TRUE(manager.has_route_config());
  EXPECT_EQ(manager.route_config().virtual_hosts_size(), 0);
  ASSERT_EQ(manager.http_filters_size(), 1);
}

TEST(BuildRouteConfigurationTest, VirtualHostTimeoutAndRetries) {
  ServicePolicy policy;
  policy.timeout = absl::Milliseconds(1500);
  policy.retry = RetryPolicy{.num_retries = 3,
                             .base_interval = absl::Milliseconds(10),
                             .max_interval = absl::Milliseconds(100)};
  RouteConfiguration config = BuildRouteConfiguration("greeter", policy);
  EXPECT_EQ(config.name(), ResourceName(ResourceKind::kRouteConfiguration, "greeter"));
  ASSERT_EQ(config.virtual_hosts_size(), 1);
  const auto& host = config.virtual_hosts(0);
  ASSERT_EQ(host.domains_size(), 1);
  EXPECT_EQ(host.domains(0), "greeter");
  ASSERT_EQ(host.routes_size(), 1);
  const auto& action = host.routes(0).route();
  EXPECT_EQ(action.cluster(), ResourceName(ResourceKind::kCluster, "greeter"));
  EXPECT_EQ(action.timeout().seconds(), 1);
  EXPECT_EQ(action.timeout().nanos(), 500000000);
  EXPECT_EQ(action.max_stream_duration().grpc_timeout_header_max().seconds(), 1);
  EXPECT_EQ(action.max_stream_duration().max_stream_duration().nanos(), 500000000);
  EXPECT_EQ(action.retry_policy().retry_on(), "unavailable");
  EXPECT_EQ(action.retry_policy().num_retries().value(), 3u);
  EXPECT_EQ(action.retry_policy().retry_back_off().base_interval().nanos(), 10000000);
  EXPECT_EQ(action.retry_policy().retry_back_off().max_interval().nanos(), 100000000);
  EXPECT_EQ(action.hash_policy_size(), 0);
}

TEST(BuildRouteConfigurationTest, NoTimeoutNoRetryWhenUnset) {
  ServicePolicy policy;
  policy.retry.reset();
  RouteConfiguration config = BuildRouteConfiguration("greeter", policy);
  const auto& action = config.virtual_hosts(0).routes(0).route();
  EXPECT_FALSE(action.has_timeout());
  EXPECT_FALSE(action.has_max_stream_duration());
  EXPECT_FALSE(action.has_retry_policy());
}

TEST(BuildClusterTest, EdsOverAdsRoundRobinWithOutlierDetectionAndCircuitBreaker) {
  ServicePolicy policy;
  policy.outlier_detection = OutlierDetectionPolicy{};
  policy.max_requests = 200;
  Cluster cluster = BuildCluster("greeter", policy, LbPolicy::kRoundRobin);
  EXPECT_EQ(cluster.name(), ResourceName(ResourceKind::kCluster, "greeter"));
  EXPECT_EQ(cluster.type(), Cluster::EDS);
  EXPECT_TRUE(cluster.eds_cluster_config().eds_config().has_ads());
  EXPECT_EQ(cluster.eds_cluster_config().service_name(),
            ResourceName(ResourceKind::kClusterLoadAssignment, "greeter"));
  EXPECT_EQ(cluster.lb_policy(), Cluster::ROUND_ROBIN);
  ASSERT_TRUE(cluster.has_outlier_detection());
  EXPECT_EQ(cluster.outlier_detection().enforcing_success_rate().value(), 0u);
  EXPECT_EQ(cluster.outlier_detection().enforcing_failure_percentage().value(), 100u);
  EXPECT_EQ(cluster.outlier_detection().failure_percentage_threshold().value(), 85u);
  EXPECT_EQ(cluster.outlier_detection().interval().seconds(), 10);
  ASSERT_EQ(cluster.circuit_breakers().thresholds_size(), 1);
  EXPECT_EQ(cluster.circuit_breakers().thresholds(0).max_requests().value(), 200u);
}

TEST(BuildClusterTest, PlainPolicyHasNoOptionalParts) {
  Cluster cluster = BuildCluster("greeter", ServicePolicy{}, LbPolicy::kRoundRobin);
  EXPECT_FALSE(cluster.has_outlier_detection());
  EXPECT_FALSE(cluster.has_circuit_breakers());
}

TEST(BuildClusterTest, RingHash) {
  ServicePolicy policy;
  policy.lb_policy = LbPolicy::kRingHash;
  EXPECT_EQ(BuildCluster("greeter", policy, LbPolicy::kRingHash).lb_policy(), Cluster::RING_HASH);
  // Tailored: the caller chose round robin for this client.
  EXPECT_EQ(BuildCluster("greeter", policy, LbPolicy::kRoundRobin).lb_policy(), Cluster::ROUND_ROBIN);
  RouteConfiguration config = BuildRouteConfiguration("greeter", policy);
  const auto& action = config.virtual_hosts(0).routes(0).route();
  ASSERT_EQ(action.hash_policy_size(), 1);
  EXPECT_EQ(action.hash_policy(0).header().header_name(), "x-switchboard-key");
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

envoy::config::core::v3::Node NodeWith(std::string name, std::string version) {
  envoy::config::core::v3::Node node;
  node.set_id("n");
  node.set_user_agent_name(std::move(name));
  node.set_user_agent_version(std::move(version));
  return node;
}

TEST(ClientCapabilitiesTest, OldCCoreGetsNoRingHash) {
  auto grpc151 = CapabilitiesOf(NodeWith("gRPC C-core linux", "C-core 29.0.0"));
  EXPECT_FALSE(grpc151.ring_hash);
  EXPECT_EQ(grpc151.Tailor(LbPolicy::kRingHash), LbPolicy::kRoundRobin);
  EXPECT_EQ(grpc151.Tailor(LbPolicy::kRoundRobin), LbPolicy::kRoundRobin);
  EXPECT_FALSE(CapabilitiesOf(NodeWith("gRPC C-core linux", "garbage")).ring_hash);
  EXPECT_TRUE(CapabilitiesOf(NodeWith("gRPC C-core linux", "C-core 30.1.0")).ring_hash);
  auto node = CapabilitiesOf(NodeWith("gRPC Node Pure JS", "1.14.1"));
  EXPECT_TRUE(node.ring_hash);
  EXPECT_EQ(node.Tailor(LbPolicy::kRingHash), LbPolicy::kRingHash);
  EXPECT_EQ(CoreMajorVersion(NodeWith("gRPC C-core linux", "C-core 29.0.0")), 29);
  EXPECT_EQ(CoreMajorVersion(NodeWith("envoy", "1.2")), -1);
}

TEST(ClientCapabilitiesTest, EveryCCoreGetsRouteTimeoutsPadded) {
  for (const char* version : {"C-core 29.0.0", "C-core 49.0.0"}) {
    auto core = CapabilitiesOf(NodeWith("gRPC C-core linux", version));
    EXPECT_FALSE(core.exact_route_timeout) << version;
    EXPECT_EQ(core.TailorTimeout(absl::Milliseconds(300)),
              absl::Milliseconds(300) + kCoreTimeoutPadding);
    EXPECT_EQ(core.TailorTimeout(std::nullopt), std::nullopt);
  }
  auto node = CapabilitiesOf(NodeWith("gRPC Node Pure JS", "1.14.1"));
  EXPECT_TRUE(node.exact_route_timeout);
  EXPECT_EQ(node.TailorTimeout(absl::Milliseconds(300)), absl::Milliseconds(300));
}

}  // namespace
}  // namespace switchboard::xds
