#include "switchboard/xds/cluster_builder.h"

#include "gtest/gtest.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/route_configuration_builder.h"

namespace switchboard::xds {
namespace {

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
  EXPECT_TRUE(cluster.lrs_server().has_self());
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

}  // namespace
}  // namespace switchboard::xds
