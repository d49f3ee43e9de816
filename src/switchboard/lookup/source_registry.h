// Builds lookup sources from URIs (lookup/source_uri.h): the factories
// (lookup/lookup_source_factory.h) by scheme. A registry is built once from
// its factories and is immutable after: nothing registers late, so every
// binary and test sees the same schemes from its first line on. The
// built-in registry is BuiltinLookupSources() (lookup/builtin_sources.h).
//
// Example:
//   const LookupSourceRegistry& sources = BuiltinLookupSources();
//   absl::StatusOr<std::unique_ptr<LookupSource>> source =
//       sources.Make("dns:///greeter.test:50051?interval=2s");
//   if (!source.ok()) { /* names the bad part and shows the accepted forms */ }
//   std::cout << sources.Help();   // every scheme: forms, summary, parameters
//
// Threading: immutable; every method may be called from any thread.
#ifndef SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_
#define SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/lookup/lookup_source_factory.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

class LookupSourceRegistry {
 public:
  // Fails (AlreadyExists) when two factories claim one scheme, or
  // (InvalidArgument) on a null factory or an empty scheme.
  static absl::StatusOr<LookupSourceRegistry> Create(
      std::vector<std::unique_ptr<LookupSourceFactory>> factories);

  // Null when no factory has `scheme`.
  const LookupSourceFactory* Find(absl::string_view scheme) const;
  bool Has(absl::string_view scheme) const { return Find(scheme) != nullptr; }
  // Sorted.
  std::vector<std::string> Schemes() const;

  // Checks `uri` as Make() would, building nothing: a bad URI, an unknown
  // scheme (the error lists the registered ones with their forms) or what
  // its factory refuses.
  absl::Status Validate(absl::string_view uri) const;
  // Parses `uri` and asks the factory of its scheme. Errors as Validate().
  absl::StatusOr<std::unique_ptr<LookupSource>> Make(absl::string_view uri) const;

  // For --help: per scheme, its forms, then its summary and its parameters
  // on lines of their own.
  std::string Help() const;
  // Every form of every scheme, as FormsText().
  std::string Forms() const;

 private:
  LookupSourceRegistry() = default;

  // The factory for `uri`'s scheme, or the error naming what is wrong.
  absl::StatusOr<const LookupSourceFactory*> FactoryFor(const SourceUri& uri) const;
  // `uri` parsed, with the factory for its scheme: what Validate() and
  // Make() share.
  struct Resolved {
    SourceUri uri;
    const LookupSourceFactory* factory;
  };
  absl::StatusOr<Resolved> Resolve(absl::string_view uri) const;

  std::map<std::string, std::shared_ptr<const LookupSourceFactory>, std::less<>> factories_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_SOURCE_REGISTRY_H_
