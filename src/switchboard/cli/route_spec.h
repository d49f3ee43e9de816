// What `switchboard route set` means, read from its flags: the subsets'
// field, the default split and the header routes, as the routing an etcd
// route override holds (registry/config_keys.h). Pure, so every rule is
// unit-tested.
//
//   --split v1=90,v2=10          the default route: percentages summing to 100
//   --header x-canary=true:v2    calls whose header x-canary is "true" -> v2
//   --header x-team^=qa-:v2      ... whose x-team starts with "qa-" -> v2
//   --header x-debug:v1          ... that carry x-debug at all -> v1
//   --by version                 what names the subsets (default: version)
//
// Header routes are tried in the order given, before the split. The subset
// is what follows the last ':'.
//
// Example:
//   absl::StatusOr<xds::RoutingPolicy> routing =
//       RoutingFromFlags("version", "v1=90,v2=10", {"x-canary=true:v2"});
//   std::vector<std::string> unknown = SubsetsWithoutInstances(*routing, instances);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_CLI_ROUTE_SPEC_H_
#define SWITCHBOARD_CLI_ROUTE_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::cli {

// "v1=90,v2=10": an error naming --split and the bad part (not NAME=PERCENT,
// a percentage out of 0..100, a subset twice, a sum other than 100).
absl::StatusOr<xds::SubsetSplit> ParseSplitFlag(absl::string_view text);

// One --header value (forms above); the error names --header and the value.
absl::StatusOr<xds::RoutePolicy> ParseHeaderRouteFlag(absl::string_view text);

// The routing of `route set`: at least one of `split` and `headers`.
absl::StatusOr<xds::RoutingPolicy> RoutingFromFlags(absl::string_view by, absl::string_view split,
                                                    const std::vector<std::string>& headers);

// The subsets `routing` names that no instance of `instances` (one
// service's) belongs to, sorted: allowed (an instance may come later) but
// worth a warning, since their share goes to the others until then.
std::vector<std::string> SubsetsWithoutInstances(const xds::RoutingPolicy& routing,
                                                 const std::vector<Instance>& instances);

// A routing as `route show` prints it, one line per route in the order
// they are tried, e.g. "header x-canary=true -> v2" and
// "default -> v1 90%, v2 10%".
std::string FormatRouting(const xds::RoutingPolicy& routing);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_ROUTE_SPEC_H_
