// Which etcd member to try first. A client given several members should
// not wait on one that is down or frozen while others answer: a member that
// failed recently goes last, a connected one comes before one that is not,
// and otherwise the member in use stays first (its connection is warm).
// Pure logic, no I/O.
//
// Example:
//   std::vector<MemberHealth> health = {{.connected = false, .last_failure = t},
//                                       {.connected = true}, {.connected = true}};
//   MemberOrder(/*current=*/0, health, absl::Now(), absl::Seconds(10));  // {1, 2, 0}
#ifndef SWITCHBOARD_ETCD_MEMBER_ORDER_H_
#define SWITCHBOARD_ETCD_MEMBER_ORDER_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"

namespace switchboard {

struct MemberHealth {
  // The member's channel is connected now.
  bool connected = false;
  // When a call or stream to it last failed (refused, timed out, stalled,
  // no leader); InfinitePast() if never.
  absl::Time last_failure = absl::InfinitePast();
};

// Every index of `members` once, in the order to try them: first those with
// no failure within `penalty` (connected before unconnected, then from
// `current` on in ring order), then the recently failed ones, the one that
// failed longest ago first.
std::vector<size_t> MemberOrder(size_t current, const std::vector<MemberHealth>& members,
                                absl::Time now, absl::Duration penalty);

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_MEMBER_ORDER_H_
