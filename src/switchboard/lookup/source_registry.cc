#include "switchboard/lookup/source_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/lookup/dns/dns_source.h"
#include "switchboard/lookup/file/file_source.h"

namespace switchboard {

// Defined by the etcd glue when the etcd watcher is built in (etcd/etcd_factory.cc),
// else by no_etcd_factory.cc.
absl::Status RegisterBuiltinEtcdLookupSource(LookupSourceRegistry& registry);

LookupSourceRegistry& LookupSourceRegistry::Global() {
  static auto* registry = new LookupSourceRegistry();
  return *registry;
}

absl::Status LookupSourceRegistry::Register(absl::string_view scheme, LookupSourceFactory factory) {
  std::lock_guard<std::mutex> lock(mu_);
  if (frozen_) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot register lookup source '", scheme, "': the registry is frozen"));
  }
  if (!factories_.emplace(std::string(scheme), std::move(factory)).second) {
    return absl::AlreadyExistsError(absl::StrCat("lookup source '", scheme, "' is already registered"));
  }
  return absl::OkStatus();
}

void LookupSourceRegistry::Freeze() {
  std::lock_guard<std::mutex> lock(mu_);
  frozen_ = true;
}

bool LookupSourceRegistry::frozen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return frozen_;
}

bool LookupSourceRegistry::Has(absl::string_view scheme) const {
  std::lock_guard<std::mutex> lock(mu_);
  return factories_.find(scheme) != factories_.end();
}

std::vector<std::string> LookupSourceRegistry::Schemes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [scheme, factory] : factories_) out.push_back(scheme);
  return out;
}

absl::StatusOr<std::unique_ptr<LookupSource>> LookupSourceRegistry::Make(absl::string_view uri) const {
  absl::StatusOr<SourceUri> parsed = ParseSourceUri(uri);
  if (!parsed.ok()) return parsed.status();
  LookupSourceFactory factory;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = factories_.find(parsed->scheme_name);
    if (it == factories_.end()) {
      std::vector<std::string> schemes;
      for (const auto& [scheme, f] : factories_) schemes.push_back(scheme);
      return absl::UnimplementedError(absl::StrCat(
          "source '", uri, "': no lookup source is registered for '", parsed->scheme_name,
          "' (registered: ", schemes.empty() ? "none; call RegisterBuiltinLookupSources() at start-up"
                                             : absl::StrJoin(schemes, ", "),
          ")"));
    }
    factory = it->second;
  }
  return factory(*parsed);
}

absl::Status RegisterEtcdLookupSource(LookupSourceRegistry& registry, LookupSourceFactory factory) {
  return registry.Register("etcd", std::move(factory));
}

absl::Status RegisterBuiltinLookupSources(LookupSourceRegistry& registry) {
  for (absl::string_view scheme : {"dns", "dns+srv"}) {
    if (absl::Status s = registry.Register(scheme, MakeDnsSource); !s.ok()) return s;
  }
  if (absl::Status s = registry.Register("file", MakeFileSource); !s.ok()) return s;
  return RegisterBuiltinEtcdLookupSource(registry);
}

absl::StatusOr<std::unique_ptr<LookupSource>> MakeLookupSource(absl::string_view uri) {
  return LookupSourceRegistry::Global().Make(uri);
}

}  // namespace switchboard
