// Builds a ClusterLoadAssignment (the endpoints of a cluster) from
// instances.
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
//   ClusterLoadAssignment cla = BuildClusterLoadAssignment("greeter", instances);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_CLUSTER_LOAD_ASSIGNMENT_BUILDER_H_
#define SWITCHBOARD_XDS_CLUSTER_LOAD_ASSIGNMENT_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "switchboard/core/instance.h"

namespace switchboard::xds {

using envoy::config::endpoint::v3::ClusterLoadAssignment;

// An instance address "host:port" / "[v6]:port" as an IP literal and a
// port; an error naming the address when it is not one (EDS carries IPs).
struct SocketAddress {
  std::string ip;
  uint32_t port = 0;
};
absl::StatusOr<SocketAddress> ParseEndpointAddress(absl::string_view address);

// Named ResourceName(kClusterLoadAssignment, service). `instances` are the
// service's (any order). Instances whose address is not an IP literal are
// left out and their addresses appended to `skipped` (when not null).
ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped = nullptr);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLUSTER_LOAD_ASSIGNMENT_BUILDER_H_
