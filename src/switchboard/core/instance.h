// The one model of a service instance that every layer speaks: the registry
// codec, the lookup sources, the xDS resource builder and the CLI.
//
// Example:
//   Instance i{.service = "greeter", .address = "127.0.0.1:50051",
//              .metadata = {.weight = 3, .zone = "eu-west-1a"}};
#ifndef SWITCHBOARD_CORE_INSTANCE_H_
#define SWITCHBOARD_CORE_INSTANCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace switchboard {

struct InstanceMetadata {
  // Relative share of traffic, 1..kMaxWeight.
  uint32_t weight = 1;
  // Locality (zone) the instance runs in; empty when unknown.
  std::string zone;
  // Free-form version of the software the instance runs.
  std::string version;
  // Set while the instance drains before shutdown: clients stop sending it
  // new calls but its registration stays visible.
  bool draining = false;
  // Anything else the owner wants to publish.
  std::map<std::string, std::string> labels;

  static constexpr uint32_t kMaxWeight = 10000;

  friend bool operator==(const InstanceMetadata&, const InstanceMetadata&) = default;
};

// The label that ranks an instance among its service's (SRV records carry
// it): a decimal 0..65535, lower preferred; clients use the next rank when
// the lower ones are gone or short of healthy instances (docs/zones.md).
// Absent or not such a number: 0.
inline constexpr std::string_view kPriorityLabel = "priority";

struct Instance {
  std::string service;
  // "host:port"; IPv6 hosts in brackets: "[::1]:50051".
  std::string address;
  InstanceMetadata metadata;

  friend bool operator==(const Instance&, const Instance&) = default;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_CORE_INSTANCE_H_
