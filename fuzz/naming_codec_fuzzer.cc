// Registry values are written by anyone with access to etcd: decoding must
// never crash, and whatever it accepts must survive a round trip.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/registry/naming_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // The first line is the key, the rest the value.
  size_t newline = input.find('\n');
  std::string key = input.substr(0, newline);
  std::string value = newline == std::string::npos ? "" : input.substr(newline + 1);
  absl::StatusOr<switchboard::Instance> instance = switchboard::DecodeInstance("", key, value);
  if (instance.ok()) {
    std::string encoded = switchboard::EncodeInstanceValue(*instance);
    absl::StatusOr<switchboard::Instance> again =
        switchboard::DecodeInstance("", switchboard::RegistryKey("", *instance), encoded);
    if (!again.ok() || !(*again == *instance)) std::abort();
  } else if (instance.status().message().empty()) {
    std::abort();  // every refusal says why
  }
  return 0;
}
