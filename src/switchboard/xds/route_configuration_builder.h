// Builds a service's RouteConfiguration: one virtual host for the
// authority of `xds:///<service>`, with the policy's timeout, retries and
// (under ring hash) hash header.
//
// Without subsets it has one route, to the service's cluster. With subsets
// (ServicePolicy::routing) it has the header routes in order, then the
// default route, each to a subset's cluster or split between subsets'
// clusters by weight (RDS weighted_clusters).
//
// The fall-back rule (ResolveSplit): a subset with no serving instance (none
// registered, or every one draining) is left out of a split, and its weight
// goes to the split's other subsets in proportion to their weights; a
// route whose subsets all have none goes to the whole service's cluster.
// So a route naming a missing subset never fails a call.
//
// Faults (ServicePolicy::fault, RoutePolicy::fault) go in each route's
// typed_per_filter_config for the fault filter, which the service's
// listener then carries ahead of the router (listener_builder.h).
//
// Example:
//   ServicePolicy policy;
//   policy.routing.subsets = SubsetPolicy{.by = "version"};
//   policy.routing.split = {{"v1", 90}, {"v2", 10}};
//   RouteConfiguration route = BuildRouteConfiguration("greeter", policy, {"v1", "v2"});
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_
#define SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "envoy/config/route/v3/route.pb.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

using envoy::config::route::v3::RouteConfiguration;

// The subsets of a service that have at least one serving instance.
using LiveSubsets = std::set<std::string, std::less<>>;

// One cluster of a route and its share.
struct WeightedTarget {
  std::string cluster;
  uint32_t weight = 0;

  friend bool operator==(const WeightedTarget&, const WeightedTarget&) = default;
};

// The clusters `split` sends calls to, by the fall-back rule above: the
// live subsets' clusters with their weights (weight 0 left out); the
// service's own cluster (weight 100) when none is left or `split` is empty.
std::vector<WeightedTarget> ResolveSplit(absl::string_view service, const SubsetSplit& split,
                                         const LiveSubsets& live);

// One line per route naming a subset with no serving instance, saying
// where its weight goes ("service greeter: default route: subset v3 has no
// serving instance; its 10% goes to v1, v2"). Empty without subsets.
std::vector<std::string> RoutingProblems(absl::string_view service, const RoutingPolicy& routing,
                                         const LiveSubsets& live);

// Named ResourceName(kRouteConfiguration, service). Without subsets, one
// route to ResourceName(kCluster, service); with them, the routes of
// `policy.routing` resolved against `live`. `policy`'s timeouts are sent as
// they are: a client that needs them padded gets a policy with padded ones
// (client_class.h).
RouteConfiguration BuildRouteConfiguration(absl::string_view service, const ServicePolicy& policy,
                                           const LiveSubsets& live = {});

// The name of the fault filter in a listener, the key of its per-route
// settings.
inline constexpr absl::string_view kFaultFilterName = "envoy.filters.http.fault";

// True when some route of `policy` injects a fault: its listener needs the
// fault filter. Other listeners stay as they were.
bool InjectsFaults(const ServicePolicy& policy);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_ROUTE_CONFIGURATION_BUILDER_H_
