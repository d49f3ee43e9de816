#include "switchboard/lookup/file/file_factory.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/lookup/periodic_source.h"

namespace switchboard {
namespace {

const LookupSourceDescription& Description() {
  static const auto* d = [] {
    auto* description = new LookupSourceDescription{
        .scheme = "file",
        .forms = {"file:///absolute/path/services.json"},
        .summary = "a JSON file of services, reloaded when it changes",
        .parameters = {"watch"}};
    for (absl::string_view name : kPeriodicParams) description->parameters.emplace_back(name);
    return description;
  }();
  return *d;
}

}  // namespace

absl::StatusOr<FileSourceOptions> FileSourceOptionsFromUri(const SourceUri& uri) {
  if (uri.scheme != "file") {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "' is not a file URI"));
  }
  const std::string forms = FormsText(Description());
  if (!uri.authority.empty() && uri.authority != "localhost") {
    return BadSourceUri(uri.text,
                        absl::StrCat("file URIs name no host ('", uri.authority,
                                     "'); use three slashes: file:///path"),
                        forms);
  }
  if (uri.path.size() < 2 || absl::EndsWith(uri.path, "/")) {
    return BadSourceUri(uri.text, "file needs the absolute path of a file: file:///path/services.json",
                        forms);
  }
  if (absl::Status s = CheckKnownParams(uri, Description().parameters); !s.ok()) return s;
  FileSourceOptions options;
  options.path = uri.path;
  absl::StatusOr<bool> watch = BoolParam(uri, "watch", true);
  if (!watch.ok()) return watch.status();
  options.watch = *watch;
  absl::StatusOr<PeriodicOptions> periodic = PeriodicOptionsFromUri(uri);
  if (!periodic.ok()) return periodic.status();
  options.periodic = *periodic;
  return options;
}

std::unique_ptr<LookupSourceFactory> MakeFileSourceFactory() {
  return std::make_unique<ConfigSourceFactory<FileSourceOptions>>(
      Description(), FileSourceOptionsFromUri,
      [](const SourceUri&, FileSourceOptions options) -> LookupSourceOr {
        return std::make_unique<FileSource>(std::move(options));
      });
}

}  // namespace switchboard
