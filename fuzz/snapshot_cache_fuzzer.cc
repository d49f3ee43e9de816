// Snapshot cache files are read back after a crash, a full disk or a hand
// edit: decoding must never crash, what it accepts must hold instances the
// control plane can serve, encode back to the same entry, and a refusal
// names the file.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchboard/xds/snapshot_cache_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchboard::InstanceMetadata;
  using namespace switchboard::xds;
  std::string input(reinterpret_cast<const char*>(data), size);
  auto entry = DecodeSnapshotCache(input, "/fuzz/cache.json");
  if (!entry.ok()) {
    if (entry.status().message().find("/fuzz/cache.json") == std::string::npos) std::abort();
    return 0;
  }
  for (const switchboard::Instance& instance : entry->snapshot->All()) {
    if (instance.service.empty() || instance.address.empty()) std::abort();
    if (instance.metadata.weight < 1 || instance.metadata.weight > InstanceMetadata::kMaxWeight) {
      std::abort();
    }
  }
  auto again = DecodeSnapshotCache(EncodeSnapshotCache(*entry), "/fuzz/again.json");
  if (!again.ok() || again->source != entry->source || again->written_at != entry->written_at ||
      again->snapshot->revision() != entry->snapshot->revision() ||
      again->snapshot->All() != entry->snapshot->All()) {
    std::abort();
  }
  return 0;
}
