#include "switchboard/xds/route_configuration_builder.h"

#include "gtest/gtest.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {
namespace {

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

}  // namespace
}  // namespace switchboard::xds
