// What an xDS client can take, read from the Node it sends on its first
// request, so that each client gets resources it accepts (per-client
// tailoring). Known limits:
//   - gRPC C-core up to 29.x (gRPC C++ 1.51) crashes on RING_HASH clusters in
//     some updates, so it gets ROUND_ROBIN instead.
//
// Example:
//   ClientCapabilities caps = CapabilitiesOf(request.node());
//   LbPolicy sent = caps.Tailor(policy.lb_policy);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_
#define SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "envoy/config/core/v3/base.pb.h"
#include "xds/service_policy.h"

namespace switchboard::xds {

struct ClientCapabilities {
  bool ring_hash = true;
  // "gRPC C-core linux 29.0.0" style, for logs.
  std::string description;

  // The policy to send this client when the service asks for `wanted`.
  LbPolicy Tailor(LbPolicy wanted) const {
    if (wanted == LbPolicy::kRingHash && !ring_hash) return LbPolicy::kRoundRobin;
    return wanted;
  }
};

ClientCapabilities CapabilitiesOf(const envoy::config::core::v3::Node& node);

// The C-core major version in a Node's user agent, e.g. 29 for gRPC C++
// 1.51 ("C-core 29.0.0" in user_agent_version); -1 when not a C-core client.
int CoreMajorVersion(const envoy::config::core::v3::Node& node);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLIENT_CAPABILITIES_H_
