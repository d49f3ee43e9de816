#include "switchboard/xds/client_class.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {
// Last C-core major version with the RING_HASH crash (gRPC C++ 1.51).
constexpr int kLastCoreWithRingHashCrash = 29;
}  // namespace

int CoreMajorVersion(const envoy::config::core::v3::Node& node) {
  if (!absl::StartsWith(node.user_agent_name(), "gRPC C-core")) return -1;
  // user_agent_version is "C-core 29.0.0" (or just "29.0.0" in some builds).
  absl::string_view version = node.user_agent_version();
  if (absl::StartsWith(version, "C-core ")) version.remove_prefix(7);
  absl::string_view major = version.substr(0, version.find('.'));
  int value = 0;
  if (!absl::SimpleAtoi(major, &value)) return 0;  // C-core, version unknown: assume old
  return value;
}

ClientClass ClassifyClient(const envoy::config::core::v3::Node& node) {
  ClientClass client;
  client.description = node.user_agent_version().empty()
                           ? node.user_agent_name()
                           : absl::StrCat(node.user_agent_name(), " ", node.user_agent_version());
  int core = CoreMajorVersion(node);
  if (core >= 0 && core <= kLastCoreWithRingHashCrash) client.ring_hash = false;
  // No C-core release keeps route timeouts yet (grpc#34547).
  if (core >= 0) client.exact_route_timeout = false;
  client.zone = node.locality().zone();
  return client;
}

std::string ClientSelector::Key() const {
  std::string key;
  if (ring_hash.has_value()) absl::StrAppend(&key, "ring_hash=", *ring_hash ? 1 : 0, ",");
  if (exact_route_timeout.has_value()) {
    absl::StrAppend(&key, "exact_route_timeout=", *exact_route_timeout ? 1 : 0, ",");
  }
  if (zone.has_value()) absl::StrAppend(&key, "zone=", *zone, ",");
  return key;
}

}  // namespace switchboard::xds
