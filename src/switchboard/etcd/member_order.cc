#include "switchboard/etcd/member_order.h"

#include <algorithm>
#include <tuple>

namespace switchboard {

std::vector<size_t> MemberOrder(size_t current, const std::vector<MemberHealth>& members,
                                absl::Time now, absl::Duration penalty) {
  const size_t n = members.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  if (n == 0) return order;
  current %= n;
  auto key = [&](size_t i) {
    const MemberHealth& m = members[i];
    bool failed_recently = m.last_failure != absl::InfinitePast() && now - m.last_failure < penalty;
    size_t ring_distance = (i + n - current) % n;
    // Recently failed members sort among themselves by failure time only.
    absl::Time failed_at = failed_recently ? m.last_failure : absl::InfinitePast();
    return std::make_tuple(failed_recently, failed_at, !m.reachable, ring_distance);
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  return order;
}

}  // namespace switchboard
