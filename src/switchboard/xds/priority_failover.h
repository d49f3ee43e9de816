// How much of a client's traffic each tier of endpoints takes, by Envoy's
// overprovisioning rule, for the control plane to decide spill-over that
// gRPC C++ 1.51 does not: that client sends everything to its first EDS
// priority with a ready endpoint, however few are left in it.
//
// A tier is a group of instances clients prefer over the next one: for a
// client in zone A, zone A's instances come before the other zones'; SRV
// priorities (lowest first) come before both (cluster_load_assignment_builder.h
// makes the tiers). Each tier has a healthy share, healthy / reference:
//   - healthy: instances present and not draining (the control plane sees
//     the registry, not connections: a killed instance counts as healthy
//     until its registration expires);
//   - reference: how many it should have (the builder's choice: for a zone,
//     the size of the largest zone of the same SRV priority).
// With factor = 100 / min_healthy_percent (1.4 for the default 71.43%),
// Envoy's rule, tier by tier in order:
//   health(i) = min(100%, healthy share(i) * factor)
//   load(i)   = min(health(i), 100% - load of the tiers before)
// and when the healths add up to less than 100%, loads are health(i) / sum
// of healths (so the traffic still all goes somewhere). When no tier has a
// healthy instance the first tier takes everything.
//
// Example: zones A and B of 3 instances, min_healthy_percent 71.43, A down
// to 2: health(A) = 2/3 * 1.4 = 93.3%, so a client of A sends 93.3% to A
// and 6.7% to B; A down to 1: 46.7% and 53.3%; A at 3 again: 100% and 0%.
//   std::vector<double> loads = TierLoads({{.healthy = 2, .reference = 3},
//                                          {.healthy = 3, .reference = 3}}, 71.43);
//   // loads == {0.933.., 0.066..}
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_PRIORITY_FAILOVER_H_
#define SWITCHBOARD_XDS_PRIORITY_FAILOVER_H_

#include <cstdint>
#include <vector>

#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

struct FailoverTier {
  uint32_t healthy = 0;
  // At least `healthy`; a smaller value is taken as `healthy`.
  uint32_t reference = 0;
};

// The share of traffic (0..1, summing to 1 when `tiers` is not empty) each
// tier takes. `min_healthy_percent` in 0..100: the healthy share under
// which a tier starts to spill; 0 means it never spills while it has a
// healthy instance (only the client's own failover then).
std::vector<double> TierLoads(const std::vector<FailoverTier>& tiers, double min_healthy_percent);

// Envoy's default overprovisioning factor (140%) as a threshold: 71.43%.
inline constexpr double kDefaultMinHealthyPercent = FailoverPolicy::kDefaultMinHealthyPercent;

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_PRIORITY_FAILOVER_H_
