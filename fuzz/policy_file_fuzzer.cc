// Policy files are written by hand: parsing must never crash, and what it
// accepts holds values the resource builder can send; a refusal names the
// file.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/xds/policy_file.h"

namespace {

void CheckPolicy(const switchboard::xds::ServicePolicy& policy) {
  if (policy.retry.has_value() &&
      (policy.retry->num_retries < 1 || policy.retry->max_interval < policy.retry->base_interval)) {
    std::abort();
  }
  if (policy.outlier_detection.has_value() &&
      (policy.outlier_detection->max_ejection_percent > 100 ||
       policy.outlier_detection->failure_percentage_threshold > 100)) {
    std::abort();
  }
  if (policy.max_requests.has_value() && *policy.max_requests < 1) std::abort();
  if (policy.hash_header.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto table = switchboard::xds::ParsePolicyJson(input, "/fuzz/policy.json");
  if (!table.ok()) {
    if (table.status().message().find("/fuzz/policy.json") == std::string::npos) std::abort();
    return 0;
  }
  CheckPolicy(table->defaults);
  for (const auto& [service, policy] : table->per_service) {
    if (service.empty()) std::abort();
    CheckPolicy(policy);
  }
  return 0;
}
