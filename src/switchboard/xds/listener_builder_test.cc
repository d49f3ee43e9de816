#include "switchboard/xds/listener_builder.h"

#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gtest/gtest.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

HttpConnectionManager ManagerOf(const Listener& listener) {
  HttpConnectionManager manager;
  EXPECT_TRUE(listener.api_listener().api_listener().UnpackTo(&manager));
  return manager;
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

TEST(BuildListenerTest, TheFaultFilterComesOnlyWithFaultsAndBeforeTheRouter) {
  EXPECT_EQ(ManagerOf(BuildListener("greeter", ServicePolicy{})).http_filters_size(), 1);
  ServicePolicy policy;
  policy.fault = FaultPolicy{.abort_percent = 5};
  HttpConnectionManager manager = ManagerOf(BuildListener("greeter", policy));
  ASSERT_EQ(manager.http_filters_size(), 2);
  EXPECT_EQ(manager.http_filters(0).name(), kFaultFilterName);
  EXPECT_TRUE(manager.http_filters(0).typed_config().Is<envoy::extensions::filters::http::fault::v3::HTTPFault>());
  EXPECT_TRUE(manager.http_filters(1).typed_config().Is<envoy::extensions::filters::http::router::v3::Router>());

  // A fault on one header route is enough; one cleared on every route is not.
  ServicePolicy routed;
  routed.routing.subsets = SubsetPolicy{};
  routed.routing.routes.push_back({.match = HeaderMatch{.header = "x-chaos", .kind = HeaderMatch::Kind::kPresent},
                                   .split = {{"v1", 100}},
                                   .fault = std::optional<FaultPolicy>(FaultPolicy{.delay_percent = 1,
                                                                                   .delay = absl::Seconds(1)})});
  EXPECT_TRUE(InjectsFaults(routed));
  routed.routing.routes[0].fault = std::optional<FaultPolicy>();
  EXPECT_FALSE(InjectsFaults(routed));
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

}  // namespace
}  // namespace switchboard::xds
