#include "switchboard/xds/listener_builder.h"

#include <string>

#include "envoy/config/listener/v3/api_listener.pb.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "switchboard/xds/proto_fields.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/route_configuration_builder.h"

namespace switchboard::xds {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

// gRPC requires the router filter, and requires it last.
void AddRouter(HttpConnectionManager& manager) {
  auto* router = manager.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
}

}  // namespace

Listener BuildListener(absl::string_view service, const ServicePolicy& policy,
                       const LiveSubsets& live) {
  HttpConnectionManager manager;
  manager.set_stat_prefix(std::string(service));
  if (policy.inline_route_config) {
    *manager.mutable_route_config() = BuildRouteConfiguration(service, policy, live);
  } else {
    auto* rds = manager.mutable_rds();
    rds->set_route_config_name(ResourceName(ResourceKind::kRouteConfiguration, service));
    SetAds(rds->mutable_config_source());
  }
  if (InjectsFaults(policy)) {
    // Empty: no fault unless a route's settings say one.
    auto* fault = manager.add_http_filters();
    fault->set_name(std::string(kFaultFilterName));
    fault->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::fault::v3::HTTPFault());
  }
  AddRouter(manager);

  Listener listener;
  listener.set_name(ResourceName(ResourceKind::kListener, service));
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
  return listener;
}

Listener BuildUnknownServiceListener(absl::string_view name) {
  HttpConnectionManager manager;
  manager.set_stat_prefix(std::string(name));
  manager.mutable_route_config()->set_name(
      ResourceName(ResourceKind::kRouteConfiguration, name));
  AddRouter(manager);
  Listener listener;
  listener.set_name(std::string(name));
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
  return listener;
}

}  // namespace switchboard::xds
