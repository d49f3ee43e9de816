#include "switchboard/xds/cluster_load_assignment_builder.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "envoy/config/core/v3/address.pb.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/config/core/v3/health_check.pb.h"
#include "switchboard/common/host_port.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {
namespace {

uint32_t ClampWeight(uint32_t weight) {
  return std::clamp<uint32_t>(weight, 1, InstanceMetadata::kMaxWeight);
}

}  // namespace

absl::StatusOr<SocketAddress> ParseEndpointAddress(absl::string_view address) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("instance address \"", address, "\": ", parsed.status().message()));
  }
  if (!IsIpLiteral(parsed->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "instance address \"", address, "\" is not an IP literal (xDS endpoints carry IPs)"));
  }
  return SocketAddress{std::move(parsed->host), parsed->port};
}

ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped) {
  std::vector<const Instance*> sorted;
  sorted.reserve(instances.size());
  for (const Instance& instance : instances) sorted.push_back(&instance);
  // Same instances, same bytes, same version, whatever order they came in.
  std::sort(sorted.begin(), sorted.end(),
            [](const Instance* a, const Instance* b) { return a->address < b->address; });

  // Instances of one zone and one weight share a locality: within it the
  // client's round robin is strict, and the locality's weight (the sum of
  // its serving instances' weights) gives each instance its weight's share.
  struct LocalityGroup {
    std::vector<std::pair<const Instance*, SocketAddress>> members;
    uint64_t serving_weight = 0;
  };
  std::map<std::pair<std::string, uint32_t>, LocalityGroup> groups;
  for (const Instance* instance : sorted) {
    absl::StatusOr<SocketAddress> address = ParseEndpointAddress(instance->address);
    if (!address.ok()) {
      if (skipped != nullptr) skipped->push_back(instance->address);
      continue;
    }
    uint32_t weight = ClampWeight(instance->metadata.weight);
    LocalityGroup& group = groups[{instance->metadata.zone, weight}];
    group.members.emplace_back(instance, std::move(*address));
    // A draining instance takes no new calls, so it adds no share.
    if (!instance->metadata.draining) group.serving_weight += weight;
  }

  ClusterLoadAssignment assignment;
  assignment.set_cluster_name(ResourceName(ResourceKind::kClusterLoadAssignment, service));
  // Clients refuse locality weights that sum past 2^32 - 1.
  const uint64_t max_locality_weight =
      groups.empty() ? 1 : std::numeric_limits<uint32_t>::max() / groups.size();
  for (const auto& [key, group] : groups) {
    const auto& [zone, weight] = key;
    auto* locality_endpoints = assignment.add_endpoints();
    auto* locality = locality_endpoints->mutable_locality();
    locality->set_zone(zone);
    locality->set_sub_zone(absl::StrCat("weight-", weight));
    // At least 1: a locality without weight is dropped by clients.
    locality_endpoints->mutable_load_balancing_weight()->set_value(static_cast<uint32_t>(
        std::clamp<uint64_t>(group.serving_weight, 1, max_locality_weight)));
    locality_endpoints->set_priority(0);
    for (const auto& [instance, address] : group.members) {
      auto* lb_endpoint = locality_endpoints->add_lb_endpoints();
      auto* socket = lb_endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
      socket->set_address(address.ip);
      socket->set_port_value(address.port);
      lb_endpoint->set_health_status(instance->metadata.draining
                                         ? envoy::config::core::v3::DRAINING
                                         : envoy::config::core::v3::HEALTHY);
      // For clients that honour endpoint weights (ring hash, newer releases).
      lb_endpoint->mutable_load_balancing_weight()->set_value(weight);
    }
  }
  return assignment;
}

}  // namespace switchboard::xds
