// Builds a service's RouteConfiguration: one virtual host for the
// authority of `xds:///<service>`, one route to the service's cluster, with
// the policy's timeout, retries and (under ring hash) hash header.
//
// Example:
//   ServicePolicy policy;
//   policy.timeout = absl::Seconds(2);
//   RouteConfiguration route = BuildRouteConfiguration("greeter", policy);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_
#define SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_

#include "absl/strings/string_view.h"
#include "envoy/config/route/v3/route.pb.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

using envoy::config::route::v3::RouteConfiguration;

// Named ResourceName(kRouteConfiguration, service), routing to
// ResourceName(kCluster, service). `policy.timeout` is sent as it is: a
// client that needs it padded gets a policy with the padded one
// (client_class.h).
RouteConfiguration BuildRouteConfiguration(absl::string_view service, const ServicePolicy& policy);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_
