// Where Switchboard keeps configuration in etcd, beside the registry: under
// the registry's own prefix, in a directory whose name no service can take
// (a service name starts with a letter or digit; this starts with '_').
//
//   <prefix>_switchboard/routes/<service>   the service's route override:
//                                           JSON of its "subsets", "split"
//                                           and "routes" (docs/policy.md)
//
// Registry readers skip these keys (IsConfigKey), so they are never taken
// for malformed instances.
//
// Example:
//   client->Put(RouteConfigKey("", "greeter"), R"({"subsets": ..., "split": ...})");
//   // key "_switchboard/routes/greeter"
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_REGISTRY_CONFIG_KEYS_H_
#define SWITCHBOARD_REGISTRY_CONFIG_KEYS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace switchboard {

// "<prefix>_switchboard/": everything Switchboard keeps beside the registry.
std::string ConfigKeyPrefix(absl::string_view registry_prefix);
// "<prefix>_switchboard/routes/": the route overrides, one key per service.
std::string RouteConfigPrefix(absl::string_view registry_prefix);
std::string RouteConfigKey(absl::string_view registry_prefix, absl::string_view service);
// The service a route override key is for; nullopt for other keys.
std::optional<std::string> ServiceOfRouteConfigKey(absl::string_view registry_prefix,
                                                   absl::string_view key);
// True for keys under ConfigKeyPrefix(): configuration, not instances.
bool IsConfigKey(absl::string_view registry_prefix, absl::string_view key);

}  // namespace switchboard

#endif  // SWITCHBOARD_REGISTRY_CONFIG_KEYS_H_
