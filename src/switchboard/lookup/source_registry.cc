#include "switchboard/lookup/source_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard {

absl::StatusOr<LookupSourceRegistry> LookupSourceRegistry::Create(
    std::vector<std::unique_ptr<LookupSourceFactory>> factories) {
  LookupSourceRegistry registry;
  for (std::unique_ptr<LookupSourceFactory>& factory : factories) {
    if (factory == nullptr) return absl::InvalidArgumentError("null lookup source factory");
    const std::string& scheme = factory->description().scheme;
    if (scheme.empty()) return absl::InvalidArgumentError("lookup source factory with no scheme");
    if (!registry.factories_.emplace(scheme, std::move(factory)).second) {
      return absl::AlreadyExistsError(absl::StrCat("lookup source '", scheme, "' is already registered"));
    }
  }
  return registry;
}

const LookupSourceFactory* LookupSourceRegistry::Find(absl::string_view scheme) const {
  auto it = factories_.find(scheme);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> LookupSourceRegistry::Schemes() const {
  std::vector<std::string> out;
  for (const auto& [scheme, factory] : factories_) out.push_back(scheme);
  return out;
}

std::string LookupSourceRegistry::Forms() const {
  std::vector<std::string> forms;
  for (const auto& [scheme, factory] : factories_) forms.push_back(FormsText(factory->description()));
  return absl::StrJoin(forms, "\n");
}

std::string LookupSourceRegistry::Help() const {
  std::string out;
  for (const auto& [scheme, factory] : factories_) {
    const LookupSourceDescription& d = factory->description();
    absl::StrAppend(&out, FormsText(d), "\n      ", d.summary);
    if (!d.parameters.empty()) {
      absl::StrAppend(&out, "\n      parameters: ", absl::StrJoin(d.parameters, ", "));
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "  (parameters follow '?', joined by '&': ?name=value&...)");
  return out;
}

absl::StatusOr<const LookupSourceFactory*> LookupSourceRegistry::FactoryFor(const SourceUri& uri) const {
  if (const LookupSourceFactory* factory = Find(uri.scheme)) return factory;
  std::string registered = factories_.empty() ? "none; use BuiltinLookupSources()"
                                              : absl::StrJoin(Schemes(), ", ");
  return BadSourceUri(uri.text,
                      absl::StrCat("unknown scheme '", uri.scheme, "' (registered: ", registered, ")"),
                      Forms());
}

absl::StatusOr<LookupSourceRegistry::Resolved> LookupSourceRegistry::Resolve(
    absl::string_view uri) const {
  absl::StatusOr<SourceUri> parsed = ParseSourceUri(uri);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.status().message(), "; accepted forms:\n", Forms()));
  }
  absl::StatusOr<const LookupSourceFactory*> factory = FactoryFor(*parsed);
  if (!factory.ok()) return factory.status();
  return Resolved{std::move(*parsed), *factory};
}

absl::Status LookupSourceRegistry::Validate(absl::string_view uri) const {
  absl::StatusOr<Resolved> resolved = Resolve(uri);
  if (!resolved.ok()) return resolved.status();
  return resolved->factory->Validate(resolved->uri);
}

absl::StatusOr<std::unique_ptr<LookupSource>> LookupSourceRegistry::Make(absl::string_view uri) const {
  absl::StatusOr<Resolved> resolved = Resolve(uri);
  if (!resolved.ok()) return resolved.status();
  return resolved->factory->Create(resolved->uri);
}

}  // namespace switchboard
