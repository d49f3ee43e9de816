#include "switchboard/xds/route_configuration_builder.h"

#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
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

TEST(BuildRouteConfigurationTest, FaultsGoInEachRoutesFilterSettingsAndRoutesInherit) {
  using envoy::extensions::filters::http::fault::v3::HTTPFault;
  ServicePolicy policy;
  policy.fault = FaultPolicy{.delay_percent = 10, .delay = absl::Milliseconds(200)};
  policy.routing.subsets = SubsetPolicy{};
  const HeaderMatch chaos{.header = "x-chaos", .kind = HeaderMatch::Kind::kPresent};
  policy.routing.routes = {
      {.match = chaos, .split = {{"v1", 100}},
       .fault = std::optional<FaultPolicy>(FaultPolicy{.abort_percent = 50, .abort_code = 7})},
      {.match = chaos, .split = {{"v1", 100}}, .fault = std::optional<FaultPolicy>()},
      {.match = chaos, .split = {{"v1", 100}}}};
  RouteConfiguration config = BuildRouteConfiguration("greeter", policy, {"v1"});
  const auto& routes = config.virtual_hosts(0).routes();
  ASSERT_EQ(routes.size(), 4);
  auto fault_of = [](const envoy::config::route::v3::Route& route) -> std::optional<HTTPFault> {
    auto it = route.typed_per_filter_config().find(std::string(kFaultFilterName));
    if (it == route.typed_per_filter_config().end()) return std::nullopt;
    HTTPFault fault;
    EXPECT_TRUE(it->second.UnpackTo(&fault));
    return fault;
  };
  std::optional<HTTPFault> aborting = fault_of(routes[0]);
  ASSERT_TRUE(aborting.has_value());
  EXPECT_EQ(aborting->abort().grpc_status(), 7u);
  EXPECT_EQ(aborting->abort().percentage().numerator(), 50u);
  EXPECT_EQ(aborting->abort().percentage().denominator(), envoy::type::v3::FractionalPercent::HUNDRED);
  EXPECT_FALSE(aborting->has_delay());
  EXPECT_FALSE(fault_of(routes[1]).has_value());  // cleared on this route
  for (int inherits : {2, 3}) {                   // the third route and the default one
    std::optional<HTTPFault> delayed = fault_of(routes[inherits]);
    ASSERT_TRUE(delayed.has_value()) << inherits;
    EXPECT_EQ(delayed->delay().fixed_delay().nanos(), 200000000);
    EXPECT_EQ(delayed->delay().percentage().numerator(), 10u);
    EXPECT_FALSE(delayed->has_abort());
  }
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
