// Source URIs come from flags and config files: parsing must never crash,
// and a refusal must say what was wrong.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/source_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<switchboard::SourceUri> uri = switchboard::ParseSourceUri(input);
  if (!uri.ok() && uri.status().message().empty()) std::abort();
  // Every built-in factory's own form and parameter parsing, building nothing.
  absl::Status valid = switchboard::BuiltinLookupSources().Validate(input);
  if (!valid.ok() && valid.message().empty()) std::abort();
  return 0;
}
