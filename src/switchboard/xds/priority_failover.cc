#include "switchboard/xds/priority_failover.h"

#include <algorithm>

namespace switchboard::xds {

std::vector<double> TierLoads(const std::vector<FailoverTier>& tiers, double min_healthy_percent) {
  std::vector<double> health(tiers.size(), 0.0);
  double total_health = 0;
  for (size_t i = 0; i < tiers.size(); ++i) {
    const FailoverTier& tier = tiers[i];
    if (tier.healthy == 0) continue;
    uint32_t reference = std::max(tier.reference, tier.healthy);
    double share = static_cast<double>(tier.healthy) / reference;
    // A threshold of 0: any healthy instance makes the tier whole.
    health[i] = min_healthy_percent <= 0 ? 1.0
                                         : std::min(1.0, share * 100.0 / min_healthy_percent);
    total_health += health[i];
  }
  std::vector<double> loads(tiers.size(), 0.0);
  if (tiers.empty()) return loads;
  if (total_health <= 0) {
    loads[0] = 1.0;
    return loads;
  }
  if (total_health < 1.0) {
    for (size_t i = 0; i < tiers.size(); ++i) loads[i] = health[i] / total_health;
    return loads;
  }
  double remaining = 1.0;
  for (size_t i = 0; i < tiers.size() && remaining > 0; ++i) {
    loads[i] = std::min(health[i], remaining);
    remaining -= loads[i];
  }
  return loads;
}

}  // namespace switchboard::xds
