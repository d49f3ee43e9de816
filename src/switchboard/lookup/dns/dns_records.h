// Turning DNS answers into instances: A/AAAA addresses with the port from
// the source URI, or SRV records with their own ports, weights and
// priorities. Pure functions, no I/O: the c-ares side is in dns_client.h.
//
// SRV mapping:
//   - weight 0..65535 -> InstanceMetadata::weight, clamped to 1..kMaxWeight
//     (0 would mean "never picked" to a weighted balancer; RFC 2782 means
//     "rarely", so it becomes the smallest weight, 1);
//   - priority -> label "priority" (decimal). Lower is preferred: clients use
//     the lowest priority present and fall back to higher ones only when
//     those instances are unavailable (RFC 2782; the same order as xDS
//     locality priorities, where 0 is the most preferred);
//   - every address a target resolves to becomes one instance with the
//     target's port, weight and priority.
//
// Example:
//   std::vector<Instance> instances = InstancesFromSrv(
//       "greeter", {{.target = "a.test", .port = 50051, .priority = 0, .weight = 5}},
//       {{"a.test", {"10.0.0.1"}}});
//   // instances[0].address == "10.0.0.1:50051", metadata.weight == 5
#ifndef SWITCHBOARD_LOOKUP_DNS_DNS_RECORDS_H_
#define SWITCHBOARD_LOOKUP_DNS_DNS_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"

namespace switchboard {

struct SrvRecord {
  std::string target;  // host name, without the trailing dot
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;

  friend bool operator==(const SrvRecord&, const SrvRecord&) = default;
};

// The label that carries an SRV record's priority: kPriorityLabel
// (core/instance.h), which the EDS builder turns into priorities.

// SRV weight -> InstanceMetadata::weight (1..kMaxWeight).
uint32_t WeightFromSrv(uint16_t srv_weight);

// One instance per address, all on `port`. Duplicates are dropped.
std::vector<Instance> InstancesFromAddresses(absl::string_view service,
                                             const std::vector<std::string>& addresses,
                                             uint16_t port);

// Instances for `records`, whose targets resolved to `addresses` (target ->
// IP literals). Records whose target is missing from `addresses`, and "."
// targets (RFC 2782: "service not available here"), give no instance. When
// two records lead to the same ip:port, the preferred one (lower priority,
// then higher weight) wins. With `lowest_priority_only`, only the records of
// the lowest priority present are used.
std::vector<Instance> InstancesFromSrv(absl::string_view service,
                                       const std::vector<SrvRecord>& records,
                                       const std::map<std::string, std::vector<std::string>>& addresses,
                                       bool lowest_priority_only = false);

// The service name an SRV name stands for when none is given:
// "_grpc._tcp.greeter.example.com" -> "greeter.example.com".
std::string ServiceFromSrvName(absl::string_view srv_name);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_DNS_DNS_RECORDS_H_
