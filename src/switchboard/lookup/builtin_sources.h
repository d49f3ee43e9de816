// The lookup sources every Switchboard binary knows: etcd, dns, dns+srv and
// file, each a plugin in its own folder (lookup/etcd/, lookup/dns/,
// lookup/file/). They are listed in one place, builtin_sources.cc; adding a
// source is one line there.
//
// Example:
//   absl::StatusOr<std::unique_ptr<LookupSource>> source =
//       BuiltinLookupSources().Make("dns:///greeter.test:50051?interval=2s");
//   std::cout << BuiltinLookupSources().Help();   // for --help
//
// Threading: the registry is built on first use (thread-safe, as any
// function-local static) and is immutable after; use it from any thread.
#ifndef SWITCHBOARD_LOOKUP_BUILTIN_SOURCES_H_
#define SWITCHBOARD_LOOKUP_BUILTIN_SOURCES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/lookup/source_registry.h"

namespace switchboard {

// The registry of the built-in sources, built once.
const LookupSourceRegistry& BuiltinLookupSources();

// BuiltinLookupSources().Make(uri).
absl::StatusOr<std::unique_ptr<LookupSource>> MakeLookupSource(absl::string_view uri);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_BUILTIN_SOURCES_H_
