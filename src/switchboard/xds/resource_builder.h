// Pure functions that turn one service's instances and policy into the four
// xDS resources a gRPC client walks through for `xds:///<service>`:
//
//   Listener "<service>"                 api_listener + HttpConnectionManager
//     -> RouteConfiguration "<service>.route"   (RDS over ADS, or inline)
//       -> Cluster "<service>.cluster"           type EDS, endpoints over ADS
//         -> ClusterLoadAssignment "<service>.endpoints"
//
// Weights: gRPC clients of this generation ignore per-endpoint weights under
// round robin but honour locality weights, picking a locality at random by
// weight and then going round robin inside it. So the instances of one zone
// and one weight share a locality {zone, sub_zone: "weight-<w>"} whose
// weight is the sum of its serving instances' weights (always >= 1: a
// locality without weight is dropped by clients). Equal weights make one
// locality per zone and a strict round robin; weights 1 and 3 make two
// localities whose instances get 1/4 and 3/4. Draining instances are sent
// with health DRAINING, which clients read as "no new calls", and add no
// weight to their locality.
//
// Example:
//   std::vector<Instance> instances = snapshot->Instances("greeter");
//   ServicePolicy policy;
//   Listener listener = BuildListener("greeter", policy);
//   ClusterLoadAssignment cla = BuildClusterLoadAssignment("greeter", instances);
//   std::string version = ResourceVersion(cla);
//
// Everything here is pure and thread-safe: no I/O, no globals.
#ifndef SWITCHBOARD_XDS_RESOURCE_BUILDER_H_
#define SWITCHBOARD_XDS_RESOURCE_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "google/protobuf/message.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;

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

absl::string_view TypeUrl(ResourceKind kind);
// The kind a type URL names; nullopt for types this server does not serve.
std::optional<ResourceKind> KindOfTypeUrl(absl::string_view type_url);
// "LDS", "RDS", "CDS", "EDS": for logs.
absl::string_view ShortName(ResourceKind kind);

// Resource names. The listener is the service name itself (what a client
// asks for `xds:///greeter`); the others add a suffix.
std::string ResourceName(ResourceKind kind, absl::string_view service);
// The service a resource name of `kind` belongs to; nullopt when the name
// does not have the shape ResourceName() gives.
std::optional<std::string> ServiceOfResourceName(ResourceKind kind, absl::string_view name);

// An instance address "host:port" / "[v6]:port" as an IP literal and a
// port; an error naming the address when it is not one (EDS carries IPs).
struct SocketAddress {
  std::string ip;
  uint32_t port = 0;
};
absl::StatusOr<SocketAddress> ParseEndpointAddress(absl::string_view address);

// The builders. BuildCluster takes the load-balancing policy actually sent,
// which may differ from policy.lb_policy after tailoring to the client (see
// client_capabilities.h).
Listener BuildListener(absl::string_view service, const ServicePolicy& policy);
RouteConfiguration BuildRouteConfiguration(absl::string_view service, const ServicePolicy& policy);
Cluster BuildCluster(absl::string_view service, const ServicePolicy& policy, LbPolicy lb_policy);

// The listener sent for a name no source knows. gRPC clients of this
// generation wait 15 s before treating a never-seen listener as missing;
// this one arrives at once and routes nowhere (no virtual host), so calls
// fail fast with UNAVAILABLE "could not find VirtualHost for <name> ...",
// naming the service. When the service appears, the real listener replaces
// it and the channel recovers by itself.
Listener BuildUnknownServiceListener(absl::string_view name);

// `instances` are the service's (any order). Instances whose address is not
// an IP literal are left out and their addresses appended to `skipped`
// (when not null).
ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped = nullptr);

// A deterministic version for a resource: hex of a 64-bit FNV-1a hash of its
// deterministic serialization. Same content, same version, across restarts.
std::string ResourceVersion(const google::protobuf::Message& resource);
// 64-bit FNV-1a, exposed for combining versions.
uint64_t Fnv1a64(absl::string_view bytes, uint64_t seed = 14695981039346656037ull);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_RESOURCE_BUILDER_H_
