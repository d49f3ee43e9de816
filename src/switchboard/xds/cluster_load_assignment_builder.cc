#include "switchboard/xds/cluster_load_assignment_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
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

uint32_t InstancePriority(const Instance& instance) {
  auto it = instance.metadata.labels.find(std::string(kPriorityLabel));
  uint32_t priority = 0;
  if (it == instance.metadata.labels.end() || !absl::SimpleAtoi(it->second, &priority) ||
      priority > 65535) {
    return 0;
  }
  return priority;
}

ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped,
                                                 const EndpointView& view) {
  std::vector<const Instance*> sorted;
  sorted.reserve(instances.size());
  for (const Instance& instance : instances) sorted.push_back(&instance);
  // Same instances, same bytes, same version, whatever order they came in.
  std::sort(sorted.begin(), sorted.end(),
            [](const Instance* a, const Instance* b) { return a->address < b->address; });

  struct Placed {
    const Instance* instance;
    SocketAddress address;
    uint32_t priority;
  };
  std::vector<Placed> placed;
  placed.reserve(sorted.size());
  for (const Instance* instance : sorted) {
    absl::StatusOr<SocketAddress> address = ParseEndpointAddress(instance->address);
    if (!address.ok()) {
      if (skipped != nullptr) skipped->push_back(instance->address);
      continue;
    }
    placed.push_back({instance, std::move(*address), InstancePriority(*instance)});
  }

  // Per SRV priority, the instances of each zone, and whether the client's
  // zone has any: only then is it a tier of its own.
  std::map<uint32_t, std::map<std::string, uint32_t>> zone_sizes;
  for (const Placed& p : placed) ++zone_sizes[p.priority][p.instance->metadata.zone];
  auto own_tier = [&](uint32_t priority) {
    return !view.client_zone.empty() && zone_sizes[priority].count(view.client_zone) > 0;
  };
  // A tier: (SRV priority, 0 for the client's zone or everything, 1 for the
  // other zones), in the order clients prefer them.
  using TierKey = std::pair<uint32_t, int>;
  auto tier_of = [&](const Placed& p) -> TierKey {
    if (!own_tier(p.priority)) return {p.priority, 0};
    return {p.priority, p.instance->metadata.zone == view.client_zone ? 0 : 1};
  };

  // Instances of one tier, zone and weight share a locality: within it the
  // client's round robin is strict, and the locality's weight (the sum of
  // its serving instances' weights) gives each instance its weight's share.
  struct LocalityGroup {
    std::vector<const Placed*> members;
    uint64_t serving_weight = 0;
  };
  struct Tier {
    FailoverTier health;
    uint64_t serving_weight = 0;
  };
  std::map<std::tuple<TierKey, std::string, uint32_t>, LocalityGroup> groups;
  std::map<TierKey, Tier> tiers;
  for (const Placed& p : placed) {
    uint32_t weight = ClampWeight(p.instance->metadata.weight);
    TierKey tier_key = tier_of(p);
    LocalityGroup& group = groups[{tier_key, p.instance->metadata.zone, weight}];
    group.members.push_back(&p);
    Tier& tier = tiers[tier_key];
    ++tier.health.reference;
    // A draining instance takes no new calls, so it adds no share.
    if (!p.instance->metadata.draining) {
      group.serving_weight += weight;
      tier.serving_weight += weight;
      ++tier.health.healthy;
    }
  }
  // The client's zone is measured against the largest zone of its SRV
  // priority: the registry forgets instances that died, so its own count
  // would always look whole.
  for (auto& [key, tier] : tiers) {
    if (key.second != 0 || !own_tier(key.first)) continue;
    for (const auto& [zone, size] : zone_sizes[key.first]) {
      tier.health.reference = std::max(tier.health.reference, size);
    }
  }

  std::vector<FailoverTier> health;
  for (const auto& [key, tier] : tiers) health.push_back(tier.health);
  std::vector<double> loads = TierLoads(health, view.min_healthy_percent);
  // Tiers with a load share priority 0; the others follow, in order.
  std::map<TierKey, uint32_t> priority_of;
  std::map<TierKey, double> load_of;
  size_t loaded = 0;
  {
    size_t i = 0;
    for (const auto& [key, tier] : tiers) {
      load_of[key] = loads[i];
      if (loads[i] > 0) ++loaded;
      ++i;
    }
    uint32_t next = 1;
    for (const auto& [key, tier] : tiers) priority_of[key] = load_of[key] > 0 ? 0 : next++;
  }
  // Weights of merged tiers: each tier's load in parts of this scale, split
  // by serving weight; far below the 2^32 - 1 clients allow per priority.
  constexpr double kLoadScale = 1000000;

  ClusterLoadAssignment assignment;
  assignment.set_cluster_name(ResourceName(ResourceKind::kClusterLoadAssignment, service));
  // Clients refuse locality weights that sum past 2^32 - 1.
  const uint64_t max_locality_weight =
      groups.empty() ? 1 : std::numeric_limits<uint32_t>::max() / groups.size();
  for (const auto& [key, group] : groups) {
    const auto& [tier_key, zone, weight] = key;
    const uint32_t srv_priority = tier_key.first;
    uint64_t locality_weight = group.serving_weight;
    if (loaded > 1 && priority_of[tier_key] == 0) {
      locality_weight = static_cast<uint64_t>(std::llround(
          load_of[tier_key] * kLoadScale * static_cast<double>(group.serving_weight) /
          static_cast<double>(std::max<uint64_t>(tiers[tier_key].serving_weight, 1))));
    }
    auto* locality_endpoints = assignment.add_endpoints();
    auto* locality = locality_endpoints->mutable_locality();
    locality->set_zone(zone);
    locality->set_sub_zone(srv_priority == 0
                               ? absl::StrCat("weight-", weight)
                               : absl::StrCat("srv-priority-", srv_priority, "-weight-", weight));
    // At least 1: a locality without weight is dropped by clients.
    locality_endpoints->mutable_load_balancing_weight()->set_value(static_cast<uint32_t>(
        std::clamp<uint64_t>(locality_weight, 1, max_locality_weight)));
    locality_endpoints->set_priority(priority_of[tier_key]);
    for (const Placed* member : group.members) {
      auto* lb_endpoint = locality_endpoints->add_lb_endpoints();
      auto* socket = lb_endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
      socket->set_address(member->address.ip);
      socket->set_port_value(member->address.port);
      lb_endpoint->set_health_status(member->instance->metadata.draining
                                         ? envoy::config::core::v3::DRAINING
                                         : envoy::config::core::v3::HEALTHY);
      // For clients that honour endpoint weights (ring hash, newer releases).
      lb_endpoint->mutable_load_balancing_weight()->set_value(weight);
    }
  }
  return assignment;
}

}  // namespace switchboard::xds
