#include "switchboard/lookup/dns/dns_records.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "switchboard/common/host_port.h"

namespace switchboard {

uint32_t WeightFromSrv(uint16_t srv_weight) {
  return std::clamp<uint32_t>(srv_weight, 1, InstanceMetadata::kMaxWeight);
}

std::vector<Instance> InstancesFromAddresses(absl::string_view service,
                                             const std::vector<std::string>& addresses,
                                             uint16_t port) {
  std::set<std::string> unique(addresses.begin(), addresses.end());
  std::vector<Instance> out;
  out.reserve(unique.size());
  for (const std::string& ip : unique) {
    out.push_back(Instance{std::string(service), JoinHostPort(ip, port), {}});
  }
  return out;
}

std::vector<Instance> InstancesFromSrv(absl::string_view service,
                                       const std::vector<SrvRecord>& records,
                                       const std::map<std::string, std::vector<std::string>>& addresses,
                                       bool lowest_priority_only) {
  std::vector<SrvRecord> usable;
  for (const SrvRecord& r : records) {
    if (r.target.empty() || r.target == "." || r.port == 0) continue;
    usable.push_back(r);
  }
  if (lowest_priority_only && !usable.empty()) {
    uint16_t lowest = std::min_element(usable.begin(), usable.end(), [](auto& a, auto& b) {
                        return a.priority < b.priority;
                      })->priority;
    std::erase_if(usable, [&](const SrvRecord& r) { return r.priority != lowest; });
  }
  // Preferred records first, so the first one to claim an address keeps it.
  std::stable_sort(usable.begin(), usable.end(), [](const SrvRecord& a, const SrvRecord& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.weight > b.weight;
  });
  std::map<std::string, Instance> by_address;
  for (const SrvRecord& r : usable) {
    auto it = addresses.find(r.target);
    if (it == addresses.end()) continue;
    for (const std::string& ip : it->second) {
      std::string address = JoinHostPort(ip, r.port);
      if (by_address.count(address)) continue;
      Instance instance{std::string(service), address, {}};
      instance.metadata.weight = WeightFromSrv(r.weight);
      instance.metadata.labels[std::string(kPriorityLabel)] = std::to_string(r.priority);
      by_address.emplace(address, std::move(instance));
    }
  }
  std::vector<Instance> out;
  out.reserve(by_address.size());
  for (auto& [address, instance] : by_address) out.push_back(std::move(instance));
  return out;
}

std::string ServiceFromSrvName(absl::string_view srv_name) {
  absl::ConsumeSuffix(&srv_name, ".");
  std::vector<absl::string_view> labels = absl::StrSplit(srv_name, absl::MaxSplits('.', 2));
  if (labels.size() == 3 && absl::StartsWith(labels[0], "_") && absl::StartsWith(labels[1], "_")) {
    return std::string(labels[2]);
  }
  return std::string(srv_name);
}

}  // namespace switchboard
