// The names of what the ADS server serves: the four resource kinds, their
// type URLs, and the names a service's resources get by convention. Every
// other file finds a resource by (kind, name) through these; only the
// builders and the catalog's Build() decide which names a service owns.
//
//   Listener "<service>"                         what `xds:///<service>` asks for
//     -> RouteConfiguration "<service>.route"    (RDS over ADS, or inline)
//       -> Cluster "<service>.cluster"           type EDS, endpoints over ADS
//         -> ClusterLoadAssignment "<service>.endpoints"
//
// A service may own more resources than these (a cluster and endpoint set
// per subset, say): the catalog indexes every name it is given, and the
// convention is only what Build() uses for a plain service. A subset "v2"
// of service "greeter" is named SubsetName() = "greeter/v2", and its
// resources take the same suffixes:
//       -> Cluster "greeter/v2.cluster"
//         -> ClusterLoadAssignment "greeter/v2.endpoints"
// ('/' cannot appear in a service name, so no service owns these names.)
//
// Example:
//   std::optional<ResourceKind> kind = KindOfTypeUrl(request.type_url());
//   std::string cluster = ResourceName(ResourceKind::kCluster, "greeter");  // "greeter.cluster"
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_RESOURCE_NAMES_H_
#define SWITCHBOARD_XDS_RESOURCE_NAMES_H_

#include <iterator>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace switchboard::xds {

// Type URLs of the resources served, as they appear in DiscoveryRequests.
inline constexpr absl::string_view kListenerType =
    "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr absl::string_view kRouteConfigurationType =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr absl::string_view kClusterType =
    "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr absl::string_view kClusterLoadAssignmentType =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// The kinds of resource served, in the order a client asks for them.
enum class ResourceKind { kListener, kRouteConfiguration, kCluster, kClusterLoadAssignment };
inline constexpr ResourceKind kAllResourceKinds[] = {
    ResourceKind::kListener, ResourceKind::kRouteConfiguration, ResourceKind::kCluster,
    ResourceKind::kClusterLoadAssignment};
inline constexpr size_t kResourceKindCount = std::size(kAllResourceKinds);

absl::string_view TypeUrl(ResourceKind kind);
// The kind a type URL names; nullopt for types this server does not serve.
std::optional<ResourceKind> KindOfTypeUrl(absl::string_view type_url);
// "LDS", "RDS", "CDS", "EDS": for logs.
absl::string_view ShortName(ResourceKind kind);

// The conventional name of a service's resource of `kind`. The listener is
// the service name itself (what a client asks for `xds:///greeter`); the
// others add a suffix.
std::string ResourceName(ResourceKind kind, absl::string_view service);
// "<service>/<subset>": the stem of a subset's cluster and endpoint names
// (ResourceName(kCluster, SubsetName("greeter", "v2")) == "greeter/v2.cluster").
std::string SubsetName(absl::string_view service, absl::string_view subset);

// The service a conventional resource name of `kind` belongs to; nullopt
// when the name does not have the shape ResourceName() gives. For hints in
// logs only: which service owns a name is the catalog's to say.
std::optional<std::string> ServiceOfResourceName(ResourceKind kind, absl::string_view name);
// The same as a view into `name`, "" when it does not have the shape: for
// the catalog's lookups, which run for every stream on every change.
absl::string_view ConventionalServiceOf(ResourceKind kind, absl::string_view name);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_RESOURCE_NAMES_H_
