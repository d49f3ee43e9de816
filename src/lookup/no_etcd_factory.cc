// Builds without the etcd watcher (src/registry) register no etcd scheme:
// MakeLookupSource("etcd://...") then reports that none is registered.
#include "lookup/source_registry.h"

namespace switchboard {

absl::Status RegisterBuiltinEtcdLookupSource(LookupSourceRegistry&) { return absl::OkStatus(); }

}  // namespace switchboard
