// The plugin interface of lookup sources: one factory per URI scheme, the
// shape of gRPC's ResolverFactory. A factory checks that a URI of its
// scheme has its form, parses it (query parameters included) into its own
// typed config, builds the source from that config, and describes itself
// for help texts and error messages. The registry (lookup/source_registry.h)
// holds the factories by scheme; the built-in ones are listed in
// lookup/builtin_sources.cc, each in its own folder (dns/, file/, etcd/).
//
// Example (a factory for "static://host:port,host:port/service"):
//   absl::StatusOr<StaticConfig> StaticConfigFromUri(const SourceUri& uri);  // pure, tested
//   std::unique_ptr<LookupSourceFactory> MakeStaticSourceFactory() {
//     static const LookupSourceDescription d{
//         .scheme = "static", .forms = {"static://host:port[,host:port...]/service"},
//         .summary = "a fixed list of instances", .parameters = {}};
//     return std::make_unique<ConfigSourceFactory<StaticConfig>>(
//         d, StaticConfigFromUri,
//         [](const SourceUri&, StaticConfig config) -> LookupSourceOr {
//           return std::make_unique<StaticSource>(std::move(config));
//         });
//   }
//
// Threading: a factory is immutable once built; every method is const and
// may be called from any thread at any time.
#ifndef SWITCHBOARD_LOOKUP_LOOKUP_SOURCE_FACTORY_H_
#define SWITCHBOARD_LOOKUP_LOOKUP_SOURCE_FACTORY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

// What a factory tells users about its scheme.
struct LookupSourceDescription {
  // Lower case, as it appears before "://".
  std::string scheme;
  // Every accepted shape, without the query: "dns:///name[:port]".
  std::vector<std::string> forms;
  // One line: what the source reads.
  std::string summary;
  // The names accepted after '?'; any other is refused.
  std::vector<std::string> parameters;
};

// "  form\n  form" (two spaces before each form, no trailing newline).
std::string FormsText(const LookupSourceDescription& description);

class LookupSourceFactory {
 public:
  virtual ~LookupSourceFactory() = default;

  virtual const LookupSourceDescription& description() const = 0;

  // `uri.scheme` is description().scheme. OK when Create() would get past
  // parsing: the form and every parameter are good. A bad form is
  // InvalidArgument listing the forms (BadSourceUri); a bad parameter is
  // InvalidArgument naming it. Opens no connection.
  virtual absl::Status Validate(const SourceUri& uri) const = 0;

  // Builds the source, not started. Fails as Validate() does, or when the
  // source cannot be built (an etcd client that cannot be created).
  virtual absl::StatusOr<std::unique_ptr<LookupSource>> Create(const SourceUri& uri) const = 0;
};

using LookupSourceOr = absl::StatusOr<std::unique_ptr<LookupSource>>;

// The factory of every built-in plugin: its description, a pure parser of
// a URI into the plugin's typed config, and a function that builds the
// source from that config. Validate() is the parse; Create() parses, then
// builds.
template <typename Config>
class ConfigSourceFactory final : public LookupSourceFactory {
 public:
  using Parse = absl::StatusOr<Config> (*)(const SourceUri& uri);
  using Build = LookupSourceOr (*)(const SourceUri& uri, Config config);

  // `description` must outlive the factory (plugins keep it static).
  ConfigSourceFactory(const LookupSourceDescription& description, Parse parse, Build build)
      : description_(description), parse_(parse), build_(build) {}

  const LookupSourceDescription& description() const override { return description_; }
  absl::Status Validate(const SourceUri& uri) const override { return parse_(uri).status(); }
  LookupSourceOr Create(const SourceUri& uri) const override {
    absl::StatusOr<Config> config = parse_(uri);
    if (!config.ok()) return config.status();
    return build_(uri, *std::move(config));
  }

 private:
  const LookupSourceDescription& description_;
  const Parse parse_;
  const Build build_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_LOOKUP_SOURCE_FACTORY_H_
