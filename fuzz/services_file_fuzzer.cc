// Services files are written by deployment tools and by hand: parsing must
// never crash, a refusal names the file, and what it accepts is well formed.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/lookup/file/services_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto instances = switchboard::ParseServicesFile(input, "/fuzz/services.json");
  if (!instances.ok()) {
    if (instances.status().message().find("/fuzz/services.json") == std::string::npos) std::abort();
    return 0;
  }
  for (const switchboard::Instance& i : *instances) {
    if (i.service.empty() || i.address.empty() || i.metadata.weight < 1) std::abort();
  }
  return 0;
}
