// The pure half of the proxy model: what HAProxy's runtime API must be told
// so that one backend's servers equal one service's instances, given what
// HAProxy reports now (`show servers state <backend>`). No I/O: the caller
// sends the commands (runtime_api.h) and plans again on the next round, so
// a command that failed (a `del server` refused while calls are still in
// flight, HAProxy restarted half-way) is simply planned again.
//
// Names: the backend of service "greeter" is "be_greeter"; the server for
// instance "127.0.0.1:50051" is "127.0.0.1_50051" (HAProxy server names
// may not hold ':' or brackets), so an address is its own stable key.
//
// Example:
//   absl::StatusOr<LiveBackend> live = ParseServersState(reply_of_show_servers_state);
//   std::vector<std::string> commands =
//       PlanBackend("greeter", snapshot->Instances("greeter"), *live, {.active_check = true});
//   for (const std::string& c : commands) runtime.Send(c);
//
// Threading: free functions on values; use from any thread.
#ifndef SWITCHBOARD_PROXY_RUNTIME_PLAN_H_
#define SWITCHBOARD_PROXY_RUNTIME_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"

namespace switchboard::proxy {

// HAProxy's weights go from 0 to 256; Switchboard's from 1 to 10000.
inline constexpr uint32_t kMaxHaproxyWeight = 256;

// "be_greeter". Characters HAProxy does not take in a name become '_'.
std::string BackendName(absl::string_view service);
// "127.0.0.1_50051", "__1__50051" for "[::1]:50051".
std::string ServerName(absl::string_view address);

// The HAProxy weight of an instance of weight `weight` in a service whose
// largest weight is `max_weight`: the weight itself while every weight
// fits in 1..256, else scaled so the largest is 256, never below 1 (a
// weight of 0 would stop the instance's calls; draining does that).
uint32_t HaproxyWeight(uint32_t weight, uint32_t max_weight);

// One server as `show servers state` reports it.
struct LiveServer {
  std::string name;
  std::string address;  // "127.0.0.1:50051"
  uint32_t weight = 0;  // srv_uweight
  // Put in maintenance (by us before a `del server`, or at its creation:
  // a dynamic server starts in maintenance).
  bool maintenance = false;
  // In drain: no new calls, those in flight finish.
  bool draining = false;
  // Up as far as HAProxy's health (checks, passive ejection) tells.
  bool up = false;
};
// Server name -> state, for one backend.
using LiveBackend = std::map<std::string, LiveServer>;

// Parses the reply of `show servers state <backend>` (version line, header
// line, one line per server). InvalidArgument naming the line that does not
// parse; an unknown backend ("Can't find backend.") is NotFound.
absl::StatusOr<LiveBackend> ParseServersState(absl::string_view reply);

struct PlanOptions {
  // Servers are added with `check` and their health enabled: HAProxy then
  // checks them (TCP connect) and ejects those that fail calls (observe
  // layer7): passive ejection needs the checks to bring a server back.
  bool active_check = true;
  // Consecutive failed calls that eject a server (error-limit).
  int error_limit = 3;
  // How often a server is checked, and how often once it failed.
  int check_interval_ms = 1000;
  int check_fast_interval_ms = 250;
};

// The commands, in order, that take `live` toward `instances` (one
// service's, as a Snapshot holds them: sorted, addresses unique):
//   - an instance missing from `live`: `add server`, then `enable server`
//     (and `enable health` with checks), or `set server ... state drain`
//     when it drains;
//   - a server no instance has: `set server ... state maint` (no new
//     calls; calls in flight go on), then `del server`, which HAProxy
//     refuses while calls are in flight: planned again next round;
//   - a weight that differs: `set server ... weight`;
//   - drain begun or ended: `set server ... state drain|ready`.
// Nothing when they are equal.
std::vector<std::string> PlanBackend(absl::string_view service,
                                     const std::vector<Instance>& instances,
                                     const LiveBackend& live, const PlanOptions& options = {});

}  // namespace switchboard::proxy

#endif  // SWITCHBOARD_PROXY_RUNTIME_PLAN_H_
