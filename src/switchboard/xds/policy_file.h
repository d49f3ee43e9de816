// The policy file: per-service balancing, retry, timeout and ejection
// settings for `switchboard xds --policy FILE` (and `up`), as JSON.
//
//   {
//     "defaults": {"timeout": "5s", "retry": {"num_retries": 2}},
//     "services": {
//       "greeter": {"outlier_detection": {}, "max_requests": 200},
//       "billing": {"retry": null, "lb_policy": "ring_hash", "hash_header": "x-user"}
//     }
//   }
//
// Fields of a policy (all optional):
//   timeout              duration ("250ms", "5s"); null: none
//   retry                {num_retries, base_interval, max_interval}; null: none
//   outlier_detection    {interval, base_ejection_time, max_ejection_time,
//                         max_ejection_percent, failure_percentage_threshold,
//                         failure_percentage_request_volume,
//                         failure_percentage_minimum_hosts}; {} turns it on
//                         with its defaults; null: off
//   max_requests         concurrent calls per client; null: the client's default
//   lb_policy            "round_robin" or "ring_hash"
//   hash_header          request header hashed by ring_hash
//   inline_route_config  true: the route inside the listener (no RDS)
//   subsets              {"by": "version" | "<label>"}: a cluster per value
//   split                {"<subset>": percent, ...} summing to 100: the
//                        default route; unset: the whole service
//   routes               [{"match": {"header": H, "exact"|"prefix"|"present": V},
//                          "subset": S | "split": {...},
//                          "timeout": D, "retry": {...}}, ...]: tried in
//                        order before the default; timeout and retry
//                        inherit the service's (docs/policy.md)
//
// A service's policy starts from "defaults" (which start from ServicePolicy's
// own) and overrides the fields it names; a nested object overrides the
// fields it names of the inherited one. Unknown fields, wrong types and
// out-of-range values are errors that name the field by its path
// ("services.greeter.retry.num_retries").
//
// Pure: ParsePolicyJson does no I/O; LoadPolicyFile reads one file.
#ifndef SWITCHBOARD_XDS_POLICY_FILE_H_
#define SWITCHBOARD_XDS_POLICY_FILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

// Parses the file's `text`; `path` only names the file in errors, which
// read "<path>: <field path>: ..." or "<path>:<line>:<col>: ..." (syntax).
absl::StatusOr<PolicyTable> ParsePolicyJson(absl::string_view text, absl::string_view path);

// Parses an etcd route override (client/route_override_feed.h): an object with the
// routing fields only ("subsets", "split", "routes"). Errors read
// "<where>: <field path>: ...".
absl::StatusOr<RoutingPolicy> ParseRoutingJson(absl::string_view text, absl::string_view where);
// The JSON ParseRoutingJson reads back as `routing`.
std::string RoutingToJson(const RoutingPolicy& routing);

// `table` with each service's routing replaced by its override in
// `overrides` (an etcd route override wins over the file for its
// service); a service with no policy of its own starts from the defaults.
PolicyTable WithRouteOverrides(PolicyTable table,
                               const std::map<std::string, RoutingPolicy>& overrides);

// Reads and parses `path`.
absl::StatusOr<PolicyTable> LoadPolicyFile(const std::string& path);

// What some clients cannot keep of `table`, one line per field, named by
// its path, for the operator to read when the file is loaded. Today: gRPC
// C++ clients end calls between a timeout and a second after it (their
// timeout clock runs early, see client_class.h).
//
// Example:
//   for (const std::string& caveat : ClientCaveats(*table)) Warn(caveat);
std::vector<std::string> ClientCaveats(const PolicyTable& table);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_POLICY_FILE_H_
