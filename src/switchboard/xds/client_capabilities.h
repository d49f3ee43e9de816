// What an xDS client can take, read from the Node it sends on its first
// request, so that each client gets resources it accepts (per-client
// tailoring). Known limits:
//   - gRPC C-core up to 29.x (gRPC C++ 1.51) crashes on RING_HASH clusters in
//     some updates, so it gets ROUND_ROBIN instead.
//   - gRPC C-core (every release so far: grpc#34547, grpc#40633) starts the
//     clock of a route timeout 1 to 2 s before the call: it turns the call's
//     start into its clock with an epoch of "a second before start-up,
//     rounded down to the second" but the start-up's own cycle count, so the
//     timeout it applies is the one sent minus 1 s minus the fraction of a
//     second at which the process started. So it is sent the timeout plus
//     kCoreTimeoutPadding: it then ends calls between the timeout and a
//     second after it, never before.
//
// Example:
//   ClientCapabilities caps = CapabilitiesOf(request.node());
//   LbPolicy sent = caps.Tailor(policy.lb_policy);
//   std::optional<absl::Duration> timeout = caps.TailorTimeout(policy.timeout);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_
#define SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

// What C-core's timeout clock can be ahead by, at most (see above).
inline constexpr absl::Duration kCoreTimeoutPadding = absl::Seconds(2);

struct ClientCapabilities {
  bool ring_hash = true;
  // False for C-core: it applies a route timeout 1 to 2 s short.
  bool exact_route_timeout = true;
  // "gRPC C-core linux 29.0.0" style, for logs.
  std::string description;

  // The policy to send this client when the service asks for `wanted`.
  LbPolicy Tailor(LbPolicy wanted) const {
    if (wanted == LbPolicy::kRingHash && !ring_hash) return LbPolicy::kRoundRobin;
    return wanted;
  }
  // The route timeout to send this client for `wanted`, so that it never
  // ends a call before `wanted` has passed.
  std::optional<absl::Duration> TailorTimeout(std::optional<absl::Duration> wanted) const {
    if (!wanted.has_value() || exact_route_timeout) return wanted;
    return *wanted + kCoreTimeoutPadding;
  }
};

ClientCapabilities CapabilitiesOf(const envoy::config::core::v3::Node& node);

// The C-core major version in a Node's user agent, e.g. 29 for gRPC C++
// 1.51 ("C-core 29.0.0" in user_agent_version); -1 when not a C-core client.
int CoreMajorVersion(const envoy::config::core::v3::Node& node);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_
