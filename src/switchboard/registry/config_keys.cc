#include "switchboard/registry/config_keys.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchboard {

std::string ConfigKeyPrefix(absl::string_view registry_prefix) {
  return absl::StrCat(registry_prefix, "_switchboard/");
}

std::string RouteConfigPrefix(absl::string_view registry_prefix) {
  return absl::StrCat(ConfigKeyPrefix(registry_prefix), "routes/");
}

std::string RouteConfigKey(absl::string_view registry_prefix, absl::string_view service) {
  return absl::StrCat(RouteConfigPrefix(registry_prefix), service);
}

std::optional<std::string> ServiceOfRouteConfigKey(absl::string_view registry_prefix,
                                                   absl::string_view key) {
  const std::string prefix = RouteConfigPrefix(registry_prefix);
  if (!absl::StartsWith(key, prefix) || key.size() == prefix.size()) return std::nullopt;
  absl::string_view service = key.substr(prefix.size());
  if (absl::StrContains(service, '/')) return std::nullopt;
  return std::string(service);
}

bool IsConfigKey(absl::string_view registry_prefix, absl::string_view key) {
  return absl::StartsWith(key, ConfigKeyPrefix(registry_prefix));
}

}  // namespace switchboard
