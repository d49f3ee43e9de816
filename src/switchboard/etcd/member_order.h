// Which etcd member to try first. A client given several members should
// not wait on one that is down or frozen while others answer: a member that
// failed recently goes last, one that fails to connect comes after those
// that do not, and otherwise the member in use stays first (its connection
// is warm; at start, the one listed first).
// Pure logic, no I/O.
//
// Example:
//   std::vector<MemberHealth> health = {{.reachable = false, .last_failure = t},
//                                       {.reachable = true}, {.reachable = true}};
//   MemberOrder(/*current=*/0, health, absl::Now(), absl::Seconds(10));  // {1, 2, 0}
#ifndef SWITCHBOARD_ETCD_MEMBER_ORDER_H_
#define SWITCHBOARD_ETCD_MEMBER_ORDER_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"

namespace switchboard {

struct MemberHealth {
  // The member's channel is not failing to connect (it is connected,
  // connecting or idle, not in transient failure).
  bool reachable = true;
  // When a call or stream to it last failed (refused, timed out, stalled,
  // no leader); InfinitePast() if never.
  absl::Time last_failure = absl::InfinitePast();
};

// Every index of `members` once, in the order to try them: first those with
// no failure within `penalty` (reachable before unreachable, then from
// `current` on in ring order), then the recently failed ones, the one that
// failed longest ago first.
std::vector<size_t> MemberOrder(size_t current, const std::vector<MemberHealth>& members,
                                absl::Time now, absl::Duration penalty);

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_MEMBER_ORDER_H_
