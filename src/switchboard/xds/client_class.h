// Which kind of client an ADS stream serves, read from the Node it sends
// on its first request, and the selectors that pick a resource's variant
// for it: the catalog holds one resource per (kind, name) plus variants
// each sent to the clients a ClientSelector matches (resource_catalog.h).
//
// What a class says today:
//   - ring_hash: false for gRPC C-core up to 29.x (gRPC C++ 1.51), which
//     crashes on RING_HASH clusters in some updates; a service under ring
//     hash has a ROUND_ROBIN cluster variant for {ring_hash: false}.
//   - exact_route_timeout: false for gRPC C-core (every release so far:
//     grpc#34547, grpc#40633), which starts the clock of a route timeout 1
//     to 2 s before the call: it turns the call's start into its clock with
//     an epoch of "a second before start-up, rounded down to the second"
//     but the start-up's own cycle count, so the timeout it applies is the
//     one sent minus 1 s minus the fraction of a second at which the
//     process started. A service with a timeout has route (and, inline,
//     listener) variants for {exact_route_timeout: false} carrying the
//     timeout plus kCoreTimeoutPadding: such clients then end calls between
//     the timeout and a second after it, never before.
//   - zone: the Node's locality zone: clients of a zone are sent endpoints
//     with their zone first (a {zone: Z} variant of each multi-zone
//     service's endpoints, docs/zones.md). Node metadata is the next thing
//     a class can grow.
//
// Example:
//   ClientClass client = ClassifyClient(request.node());
//   ClientSelector old_core{.ring_hash = false};
//   if (old_core.Matches(client)) ...;
//   std::optional<absl::Duration> timeout = client.TailorTimeout(policy.timeout);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_CLIENT_CLASS_H_
#define SWITCHBOARD_XDS_CLIENT_CLASS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

// What C-core's timeout clock can be ahead by, at most (see above).
inline constexpr absl::Duration kCoreTimeoutPadding = absl::Seconds(2);

struct ClientClass {
  bool ring_hash = true;
  // False for C-core: it applies a route timeout 1 to 2 s short.
  bool exact_route_timeout = true;
  // The Node's locality zone ("" when it sends none).
  std::string zone;
  // "gRPC C-core linux 29.0.0" style, for logs; no part of the class.
  std::string description;

  // The policy this client can take when the service asks for `wanted`.
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

// The clients a resource variant is for: every field set must match the
// client's class; an empty selector matches every client.
struct ClientSelector {
  std::optional<bool> ring_hash;
  std::optional<bool> exact_route_timeout;
  std::optional<std::string> zone;

  bool Matches(const ClientClass& client) const {
    return (!ring_hash.has_value() || *ring_hash == client.ring_hash) &&
           (!exact_route_timeout.has_value() || *exact_route_timeout == client.exact_route_timeout) &&
           (!zone.has_value() || *zone == client.zone);
  }
  // A stable text of the selector ("ring_hash=0,zone=a"), folded into
  // versions: which variant a client gets changes with it.
  std::string Key() const;
  bool operator==(const ClientSelector& other) const {
    return ring_hash == other.ring_hash && exact_route_timeout == other.exact_route_timeout &&
           zone == other.zone;
  }
};

ClientClass ClassifyClient(const envoy::config::core::v3::Node& node);

// The C-core major version in a Node's user agent, e.g. 29 for gRPC C++
// 1.51 ("C-core 29.0.0" in user_agent_version); -1 when not a C-core client.
int CoreMajorVersion(const envoy::config::core::v3::Node& node);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLIENT_CLASS_H_
