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
// Priorities (docs/zones.md): instances are put in tiers that clients
// prefer in order: SRV priorities (the kPriorityLabel label), lowest
// first; within one, for a client of zone Z (EndpointView::client_zone)
// that has instances there, zone Z first, then the other zones. A client
// with no zone, or of a zone without instances, has one tier per SRV
// priority: one EDS priority, as without zones. Each tier's healthy share
// is its non-draining instances over a reference: for zone Z, the number
// of instances (draining or not) of the largest zone of that SRV priority,
// since zones are meant to be sized alike and the registry forgets
// instances that died; for the other tiers, their own number of
// instances. TierLoads() (priority_failover.h) turns the shares into
// loads by Envoy's rule. Tiers with a load share EDS priority 0, their
// localities weighted so that each tier gets its load (split in it by
// weight); the other tiers follow, one EDS priority each, in order, for the
// client's own failover when none in priority 0 is ready. So with every
// preferred instance healthy, zone Z is priority 0 and the rest priority 1;
// short of healthy ones, both in priority 0 with the spill in the weights.
// Localities of SRV priority p > 0 are named sub_zone
// "srv-priority-<p>-weight-<w>", so that no locality is in two priorities.
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
#include "switchboard/xds/priority_failover.h"

namespace switchboard::xds {

using envoy::config::endpoint::v3::ClusterLoadAssignment;

// An instance address "host:port" / "[v6]:port" as an IP literal and a
// port; an error naming the address when it is not one (EDS carries IPs).
struct SocketAddress {
  std::string ip;
  uint32_t port = 0;
};
absl::StatusOr<SocketAddress> ParseEndpointAddress(absl::string_view address);

// Whom the endpoints are for, and the spill-over threshold.
struct EndpointView {
  // The client's zone (its node's locality); "" for clients that say none.
  std::string client_zone;
  // FailoverPolicy::min_healthy_percent.
  double min_healthy_percent = kDefaultMinHealthyPercent;
};

// Named ResourceName(kClusterLoadAssignment, service). `instances` are the
// service's (any order). Instances whose address is not an IP literal are
// left out and their addresses appended to `skipped` (when not null).
ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped = nullptr,
                                                 const EndpointView& view = {});

// The SRV priority of an instance: its kPriorityLabel label, 0 when absent
// or not a number in 0..65535.
uint32_t InstancePriority(const Instance& instance);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLUSTER_LOAD_ASSIGNMENT_BUILDER_H_
