// Builds lookup sources from URIs (lookup/source_uri.h): one factory per
// scheme, registered explicitly at start-up, then frozen.
//
// Example (in main()):
//   CHECK_OK(RegisterBuiltinLookupSources());   // dns, dns+srv, file (+ etcd)
//   LookupSourceRegistry::Global().Freeze();
//   ...
//   absl::StatusOr<std::unique_ptr<LookupSource>> source =
//       MakeLookupSource("dns:///greeter.test:50051?interval=2s");
//   if (!source.ok()) { /* the message shows the accepted forms */ }
//
// Threading: Register() and Freeze() belong to start-up, on one thread.
// Make() is thread-safe and may run concurrently with anything.
#ifndef SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_
#define SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

// Parses its own options from the URI (query parameters included) and
// reports bad ones as InvalidArgument naming the URI and the parameter.
// The source it returns is not started.
using LookupSourceFactory =
    std::function<absl::StatusOr<std::unique_ptr<LookupSource>>(const SourceUri& uri)>;

class LookupSourceRegistry {
 public:
  // The process-wide registry used by MakeLookupSource().
  static LookupSourceRegistry& Global();

  // Fails if `scheme` is taken or the registry is frozen.
  absl::Status Register(absl::string_view scheme, LookupSourceFactory factory);
  // No Register() after this.
  void Freeze();
  bool frozen() const;
  bool Has(absl::string_view scheme) const;
  std::vector<std::string> Schemes() const;

  // Parses `uri` and asks the factory of its scheme.
  absl::StatusOr<std::unique_ptr<LookupSource>> Make(absl::string_view uri) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, LookupSourceFactory, std::less<>> factories_ ABSL_GUARDED_BY(mu_);
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
};

// Registers dns, dns+srv and file, and etcd when this build has the etcd
// watcher (see RegisterEtcdLookupSource).
absl::Status RegisterBuiltinLookupSources(LookupSourceRegistry& registry = LookupSourceRegistry::Global());

// The hook for the etcd scheme: registers `factory` under "etcd". Used by
// RegisterBuiltinLookupSources() when the etcd watcher is built in; callable
// directly by a binary that brings its own.
absl::Status RegisterEtcdLookupSource(LookupSourceRegistry& registry, LookupSourceFactory factory);

// LookupSourceRegistry::Global().Make(uri).
absl::StatusOr<std::unique_ptr<LookupSource>> MakeLookupSource(absl::string_view uri);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_
