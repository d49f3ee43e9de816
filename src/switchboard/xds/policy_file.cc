#include "switchboard/xds/policy_file.h"

#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "switchboard/common/json_text.h"
#include "switchboard/xds/client_class.h"

namespace switchboard::xds {
namespace {

using json = nlohmann::json;

absl::Status FieldError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

std::string Join(absl::string_view where, absl::string_view key) {
  return where.empty() ? std::string(key) : absl::StrCat(where, ".", key);
}

// Reads the members of `object` at `where`: each known key's reader is
// called with its value; an unknown key is an error listing the known ones.
using MemberReader = std::function<absl::Status(const json& value, const std::string& where)>;
absl::Status ReadObject(const json& object, const std::string& where,
                        const std::map<std::string, MemberReader>& readers) {
  if (!object.is_object()) return FieldError(where.empty() ? "top level" : where, "must be an object");
  for (const auto& [key, value] : object.items()) {
    auto reader = readers.find(key);
    if (reader == readers.end()) {
      std::vector<std::string> known;
      for (const auto& [name, unused] : readers) known.push_back(name);
      return FieldError(where.empty() ? "top level" : where,
                        absl::StrCat("unknown field \"", key, "\" (known: ",
                                     absl::StrJoin(known, ", "), ")"));
    }
    if (absl::Status s = reader->second(value, Join(where, key)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ReadDuration(const json& value, const std::string& where) {
  absl::Duration duration;
  if (!value.is_string() || !absl::ParseDuration(value.get<std::string>(), &duration)) {
    return FieldError(where, "must be a duration such as \"250ms\" or \"5s\"");
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return FieldError(where, "must be a positive, finite duration");
  }
  return duration;
}

absl::StatusOr<uint32_t> ReadCount(const json& value, const std::string& where, uint32_t min,
                                   uint32_t max) {
  if (!value.is_number_integer() && !value.is_number_unsigned()) {
    return FieldError(where, "must be an integer");
  }
  int64_t n = value.get<int64_t>();
  if (n < min || n > max) return FieldError(where, absl::StrCat("must be in ", min, "..", max));
  return static_cast<uint32_t>(n);
}

// Binds a reader that stores into `*out` when parsing succeeds.
MemberReader Duration(absl::Duration* out) {
  return [out](const json& value, const std::string& where) -> absl::Status {
    absl::StatusOr<absl::Duration> d = ReadDuration(value, where);
    if (!d.ok()) return d.status();
    *out = *d;
    return absl::OkStatus();
  };
}

MemberReader Count(uint32_t* out, uint32_t min, uint32_t max) {
  return [out, min, max](const json& value, const std::string& where) -> absl::Status {
    absl::StatusOr<uint32_t> n = ReadCount(value, where, min, max);
    if (!n.ok()) return n.status();
    *out = *n;
    return absl::OkStatus();
  };
}

absl::Status ReadRetry(const json& value, const std::string& where, RetryPolicy& retry) {
  absl::Status s = ReadObject(value, where,
                              {{"num_retries", Count(&retry.num_retries, 1, 10)},
                               {"base_interval", Duration(&retry.base_interval)},
                               {"max_interval", Duration(&retry.max_interval)}});
  if (!s.ok()) return s;
  if (retry.max_interval < retry.base_interval) {
    return FieldError(where, "max_interval must not be shorter than base_interval");
  }
  return absl::OkStatus();
}

absl::Status ReadOutlierDetection(const json& value, const std::string& where,
                                  OutlierDetectionPolicy& od) {
  constexpr uint32_t kAny = std::numeric_limits<uint32_t>::max();
  absl::Status s = ReadObject(
      value, where,
      {{"interval", Duration(&od.interval)},
       {"base_ejection_time", Duration(&od.base_ejection_time)},
       {"max_ejection_time", Duration(&od.max_ejection_time)},
       {"max_ejection_percent", Count(&od.max_ejection_percent, 0, 100)},
       {"failure_percentage_threshold", Count(&od.failure_percentage_threshold, 0, 100)},
       {"failure_percentage_request_volume", Count(&od.failure_percentage_request_volume, 1, kAny)},
       {"failure_percentage_minimum_hosts", Count(&od.failure_percentage_minimum_hosts, 1, kAny)}});
  if (!s.ok()) return s;
  if (od.max_ejection_time < od.base_ejection_time) {
    return FieldError(where, "max_ejection_time must not be shorter than base_ejection_time");
  }
  return absl::OkStatus();
}

// A reader of an optional field: null clears it; anything else is read by
// `read` into the current value (or T's defaults), kept if it reads well.
template <typename T>
MemberReader Optional(std::optional<T>* out,
                      std::function<absl::Status(const json&, const std::string&, T&)> read) {
  return [out, read](const json& value, const std::string& where) -> absl::Status {
    if (value.is_null()) {
      out->reset();
      return absl::OkStatus();
    }
    T current = out->value_or(T{});
    if (absl::Status s = read(value, where, current); !s.ok()) return s;
    *out = current;
    return absl::OkStatus();
  };
}

// A reader of a route's field that overrides the service's: null sets it
// to none on this route; anything else is read by `read` from T's defaults.
// Left unset, the route inherits.
template <typename T>
MemberReader RouteOverride(std::optional<std::optional<T>>* out,
                           std::function<absl::Status(const json&, const std::string&, T&)> read) {
  return [out, read](const json& value, const std::string& where) -> absl::Status {
    if (value.is_null()) {
      *out = std::optional<T>();
      return absl::OkStatus();
    }
    T read_value{};
    if (absl::Status s = read(value, where, read_value); !s.ok()) return s;
    *out = std::optional<T>(read_value);
    return absl::OkStatus();
  };
}

// {"delay": {"percent": 10, "duration": "200ms"}, "abort": {"percent": 5,
// "code": "UNAVAILABLE"}}: either part, or both.
absl::Status ReadFault(const json& value, const std::string& where, FaultPolicy& fault) {
  fault = FaultPolicy{};
  absl::Status s = ReadObject(
      value, where,
      {{"delay",
        [&](const json& v, const std::string& at) -> absl::Status {
          absl::Status read = ReadObject(v, at, {{"percent", Count(&fault.delay_percent, 0, 100)},
                                                 {"duration", Duration(&fault.delay)}});
          if (read.ok() && fault.delay == absl::ZeroDuration()) {
            return FieldError(at, "needs \"duration\", e.g. \"200ms\"");
          }
          return read;
        }},
       {"abort", [&](const json& v, const std::string& at) -> absl::Status {
          return ReadObject(
              v, at,
              {{"percent", Count(&fault.abort_percent, 0, 100)},
               {"code", [&](const json& c, const std::string& code_at) -> absl::Status {
                  // A name as gRPC spells it ("UNAVAILABLE") or its number.
                  if (c.is_number_integer() || c.is_number_unsigned()) {
                    return Count(&fault.abort_code, 1, 16)(c, code_at);
                  }
                  const std::string name = c.is_string() ? absl::AsciiStrToUpper(c.get<std::string>()) : "";
                  for (int code = 1; code <= 16; ++code) {
                    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(code)) == name) {
                      fault.abort_code = static_cast<uint32_t>(code);
                      return absl::OkStatus();
                    }
                  }
                  return FieldError(code_at, "must be a gRPC status code other than OK, as a name "
                                             "(\"UNAVAILABLE\") or a number (1..16)");
                }}});
        }}});
  if (!s.ok()) return s;
  if (fault.delay_percent == 0 && fault.abort_percent == 0) {
    return FieldError(where, "injects nothing: give delay.percent or abort.percent above 0 "
                             "(or null for no fault)");
  }
  return absl::OkStatus();
}

json FaultJson(const std::optional<FaultPolicy>& fault) {
  if (!fault.has_value()) return nullptr;
  json out = json::object();
  if (fault->delay_percent > 0) {
    out["delay"] = {{"percent", fault->delay_percent}, {"duration", absl::FormatDuration(fault->delay)}};
  }
  if (fault->abort_percent > 0) {
    out["abort"] = {{"percent", fault->abort_percent},
                    {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(fault->abort_code))}};
  }
  return out;
}

absl::Status ReadTimeout(const json& value, const std::string& where, absl::Duration& timeout) {
  absl::StatusOr<absl::Duration> d = ReadDuration(value, where);
  if (!d.ok()) return d.status();
  timeout = *d;
  return absl::OkStatus();
}

absl::Status ReadMaxRequests(const json& value, const std::string& where, uint32_t& max) {
  absl::StatusOr<uint32_t> n = ReadCount(value, where, 1, std::numeric_limits<uint32_t>::max());
  if (!n.ok()) return n.status();
  max = *n;
  return absl::OkStatus();
}

absl::Status ReadSubsets(const json& value, const std::string& where, SubsetPolicy& subsets) {
  return ReadObject(value, where,
                    {{"by", [&](const json& v, const std::string& at) -> absl::Status {
                        if (!v.is_string() || v.get<std::string>().empty()) {
                          return FieldError(at, "must be \"version\" or a label name");
                        }
                        subsets.by = v.get<std::string>();
                        return absl::OkStatus();
                      }}});
}

absl::Status ReadFailover(const json& value, const std::string& where, FailoverPolicy& failover) {
  return ReadObject(value, where,
                    {{"min_healthy_percent",
                      [&](const json& v, const std::string& at) -> absl::Status {
                        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 100) {
                          return FieldError(at, "must be a number in 0..100 (a percentage)");
                        }
                        failover.min_healthy_percent = v.get<double>();
                        return absl::OkStatus();
                      }}});
}

absl::Status CheckSubsetName(const std::string& subset, const std::string& where) {
  if (subset.empty()) return FieldError(where, "a subset name is empty");
  return absl::OkStatus();
}

absl::StatusOr<SubsetSplit> ReadSplit(const json& value, const std::string& where) {
  if (!value.is_object() || value.empty()) {
    return FieldError(where, "must be an object of subset -> percentage, e.g. {\"v1\": 90, \"v2\": 10}");
  }
  SubsetSplit split;
  uint32_t sum = 0;
  for (const auto& [subset, weight] : value.items()) {
    if (absl::Status s = CheckSubsetName(subset, where); !s.ok()) return s;
    absl::StatusOr<uint32_t> n = ReadCount(weight, Join(where, subset), 0, 100);
    if (!n.ok()) return n.status();
    split[subset] = *n;
    sum += *n;
  }
  if (sum != 100) {
    return FieldError(where, absl::StrCat("the percentages sum to ", sum, ", not 100"));
  }
  return split;
}

absl::Status ReadHeaderMatch(const json& value, const std::string& where,
                             std::optional<HeaderMatch>& out) {
  HeaderMatch match;
  int kinds = 0;
  absl::Status s = ReadObject(
      value, where,
      {{"header",
        [&](const json& v, const std::string& at) -> absl::Status {
          std::string name = v.is_string() ? v.get<std::string>() : "";
          if (name.empty()) return FieldError(at, "must be a header name");
          if (name != absl::AsciiStrToLower(name)) {
            return FieldError(at, absl::StrCat("\"", name, "\" must be lower case (gRPC metadata keys are)"));
          }
          if (absl::StartsWith(name, "grpc-") || absl::StartsWith(name, ":")) {
            return FieldError(at, absl::StrCat("\"", name,
                                               "\" is reserved: gRPC clients never match it"));
          }
          match.header = std::move(name);
          return absl::OkStatus();
        }},
       {"exact",
        [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_string()) return FieldError(at, "must be a string");
          match.kind = HeaderMatch::Kind::kExact;
          match.value = v.get<std::string>();
          ++kinds;
          return absl::OkStatus();
        }},
       {"prefix",
        [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_string() || v.get<std::string>().empty()) {
            return FieldError(at, "must be a non-empty string (use \"present\": true for any value)");
          }
          match.kind = HeaderMatch::Kind::kPrefix;
          match.value = v.get<std::string>();
          ++kinds;
          return absl::OkStatus();
        }},
       {"present", [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_boolean() || !v.get<bool>()) return FieldError(at, "must be true");
          match.kind = HeaderMatch::Kind::kPresent;
          ++kinds;
          return absl::OkStatus();
        }}});
  if (!s.ok()) return s;
  if (match.header.empty()) return FieldError(where, "needs \"header\": the header name");
  if (kinds != 1) {
    return FieldError(where, "needs exactly one of \"exact\", \"prefix\" or \"present\"");
  }
  out = std::move(match);
  return absl::OkStatus();
}

absl::Status ReadRoute(const json& value, const std::string& where, RoutePolicy& route) {
  bool has_subset = false, has_split = false;
  absl::Status s = ReadObject(
      value, where,
      {{"match",
        [&](const json& v, const std::string& at) { return ReadHeaderMatch(v, at, route.match); }},
       {"subset",
        [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_string() || v.get<std::string>().empty()) {
            return FieldError(at, "must be a subset name");
          }
          route.split = {{v.get<std::string>(), 100}};
          has_subset = true;
          return absl::OkStatus();
        }},
       {"split",
        [&](const json& v, const std::string& at) -> absl::Status {
          absl::StatusOr<SubsetSplit> split = ReadSplit(v, at);
          if (!split.ok()) return split.status();
          route.split = *std::move(split);
          has_split = true;
          return absl::OkStatus();
        }},
       {"timeout", RouteOverride<absl::Duration>(&route.timeout, ReadTimeout)},
       {"retry", RouteOverride<RetryPolicy>(&route.retry, ReadRetry)},
       {"fault", RouteOverride<FaultPolicy>(&route.fault, ReadFault)}});
  if (!s.ok()) return s;
  if (!route.match.has_value()) {
    return FieldError(where, "needs \"match\" (the calls it takes); the default route is the "
                             "service's \"split\"");
  }
  if (has_subset == has_split) {
    return FieldError(where, "needs exactly one of \"subset\" or \"split\"");
  }
  return absl::OkStatus();
}

absl::Status ReadRoutes(const json& value, const std::string& where,
                        std::vector<RoutePolicy>& routes) {
  if (!value.is_array()) return FieldError(where, "must be an array of routes, tried in order");
  routes.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    RoutePolicy route;
    if (absl::Status s = ReadRoute(value[i], absl::StrCat(where, "[", i, "]"), route); !s.ok()) {
      return s;
    }
    routes.push_back(std::move(route));
  }
  return absl::OkStatus();
}

// The readers of the routing fields, shared by a service's policy and an
// etcd route override.
std::map<std::string, MemberReader> RoutingReaders(RoutingPolicy& routing) {
  return {{"subsets", Optional<SubsetPolicy>(&routing.subsets, ReadSubsets)},
          {"split",
           [&routing](const json& v, const std::string& at) -> absl::Status {
             if (v.is_null()) {
               routing.split.clear();
               return absl::OkStatus();
             }
             absl::StatusOr<SubsetSplit> split = ReadSplit(v, at);
             if (!split.ok()) return split.status();
             routing.split = *std::move(split);
             return absl::OkStatus();
           }},
          {"routes", [&routing](const json& v, const std::string& at) {
             return ReadRoutes(v, at, routing.routes);
           }}};
}

// Routes and a split need subsets to name.
absl::Status CheckRouting(const RoutingPolicy& routing, const std::string& where) {
  if (routing.subsets.has_value()) return absl::OkStatus();
  if (!routing.split.empty()) {
    return FieldError(Join(where, "split"),
                      "needs \"subsets\" to split between, e.g. {\"by\": \"version\"}");
  }
  if (!routing.routes.empty()) {
    return FieldError(Join(where, "routes"),
                      "needs \"subsets\" to route to, e.g. {\"by\": \"version\"}");
  }
  return absl::OkStatus();
}

// Overrides the fields of `policy` that `value` names.
absl::Status ReadPolicy(const json& value, const std::string& where, ServicePolicy& policy) {
  std::map<std::string, MemberReader> readers = RoutingReaders(policy.routing);
  readers.merge(std::map<std::string, MemberReader>{
      {"timeout", Optional<absl::Duration>(&policy.timeout, ReadTimeout)},
       {"retry", Optional<RetryPolicy>(&policy.retry, ReadRetry)},
       {"outlier_detection",
        Optional<OutlierDetectionPolicy>(&policy.outlier_detection, ReadOutlierDetection)},
       {"max_requests", Optional<uint32_t>(&policy.max_requests, ReadMaxRequests)},
       {"fault", Optional<FaultPolicy>(&policy.fault, ReadFault)},
       {"lb_policy",
        [&](const json& v, const std::string& at) -> absl::Status {
          std::string name = v.is_string() ? v.get<std::string>() : "";
          if (name == "round_robin") {
            policy.lb_policy = LbPolicy::kRoundRobin;
          } else if (name == "ring_hash") {
            policy.lb_policy = LbPolicy::kRingHash;
          } else {
            return FieldError(at, "must be \"round_robin\" or \"ring_hash\"");
          }
          return absl::OkStatus();
        }},
       {"hash_header",
        [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_string() || v.get<std::string>().empty()) {
            return FieldError(at, "must be a header name");
          }
          policy.hash_header = v.get<std::string>();
          return absl::OkStatus();
        }},
       {"failover",
        [&](const json& v, const std::string& at) {
          // null: back to the default threshold.
          if (v.is_null()) {
            policy.failover = FailoverPolicy{};
            return absl::OkStatus();
          }
          return ReadFailover(v, at, policy.failover);
        }},
       {"inline_route_config",
        [&](const json& v, const std::string& at) -> absl::Status {
          if (!v.is_boolean()) return FieldError(at, "must be true or false");
          policy.inline_route_config = v.get<bool>();
          return absl::OkStatus();
        }}});
  if (absl::Status s = ReadObject(value, where, readers); !s.ok()) return s;
  return CheckRouting(policy.routing, where);
}

// The table `root` describes; errors name the field, not the file.
absl::StatusOr<PolicyTable> ReadTable(const json& root) {
  PolicyTable table;
  // "defaults" first, whatever the key order: services inherit from it.
  if (root.is_object()) {
    if (auto defaults = root.find("defaults"); defaults != root.end()) {
      if (absl::Status s = ReadPolicy(*defaults, "defaults", table.defaults); !s.ok()) return s;
    }
  }
  absl::Status s = ReadObject(
      root, "",
      {{"defaults", [](const json&, const std::string&) { return absl::OkStatus(); }},
       {"services", [&](const json& services, const std::string& at) -> absl::Status {
          if (!services.is_object()) return FieldError(at, "must be an object: service -> policy");
          for (const auto& [service, value] : services.items()) {
            if (service.empty()) return FieldError(at, "a service name is empty");
            ServicePolicy policy = table.defaults;
            if (absl::Status s = ReadPolicy(value, Join(at, service), policy); !s.ok()) return s;
            table.per_service[service] = std::move(policy);
          }
          return absl::OkStatus();
        }}});
  if (!s.ok()) return s;
  return table;
}

}  // namespace

absl::StatusOr<PolicyTable> ParsePolicyJson(absl::string_view text, absl::string_view path) {
  absl::StatusOr<json> root = ParseJsonText(text, path);
  if (!root.ok()) return root.status();
  absl::StatusOr<PolicyTable> table = ReadTable(*root);
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", table.status().message()));
  }
  return table;
}

absl::StatusOr<RoutingPolicy> ParseRoutingJson(absl::string_view text, absl::string_view where) {
  absl::StatusOr<json> root = ParseJsonText(text, where);
  if (!root.ok()) return root.status();
  RoutingPolicy routing;
  absl::Status s = ReadObject(*root, "", RoutingReaders(routing));
  if (s.ok()) s = CheckRouting(routing, "");
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
  return routing;
}

std::string RoutingToJson(const RoutingPolicy& routing) {
  json out = json::object();
  if (routing.subsets.has_value()) out["subsets"] = {{"by", routing.subsets->by}};
  auto split_json = [](const SubsetSplit& split) {
    json j = json::object();
    for (const auto& [subset, weight] : split) j[subset] = weight;
    return j;
  };
  if (!routing.routes.empty()) {
    json routes = json::array();
    for (const RoutePolicy& route : routing.routes) {
      json r = json::object();
      if (route.match.has_value()) {
        json m = {{"header", route.match->header}};
        switch (route.match->kind) {
          case HeaderMatch::Kind::kExact: m["exact"] = route.match->value; break;
          case HeaderMatch::Kind::kPrefix: m["prefix"] = route.match->value; break;
          case HeaderMatch::Kind::kPresent: m["present"] = true; break;
        }
        r["match"] = m;
      }
      if (route.split.size() == 1 && route.split.begin()->second == 100) {
        r["subset"] = route.split.begin()->first;
      } else {
        r["split"] = split_json(route.split);
      }
      if (route.timeout.has_value()) {
        r["timeout"] = route.timeout->has_value()
                           ? json(absl::FormatDuration(**route.timeout))
                           : json(nullptr);
      }
      if (route.retry.has_value()) {
        r["retry"] = route.retry->has_value()
                         ? json{{"num_retries", (*route.retry)->num_retries},
                                {"base_interval", absl::FormatDuration((*route.retry)->base_interval)},
                                {"max_interval", absl::FormatDuration((*route.retry)->max_interval)}}
                         : json(nullptr);
      }
      if (route.fault.has_value()) r["fault"] = FaultJson(*route.fault);
      routes.push_back(std::move(r));
    }
    out["routes"] = std::move(routes);
  }
  if (!routing.split.empty()) out["split"] = split_json(routing.split);
  return out.dump();
}

PolicyTable WithRouteOverrides(PolicyTable table,
                               const std::map<std::string, RoutingPolicy>& overrides) {
  for (const auto& [service, routing] : overrides) {
    auto [it, inserted] = table.per_service.try_emplace(service, table.defaults);
    it->second.routing = routing;
  }
  return table;
}

absl::StatusOr<PolicyTable> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the policy file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParsePolicyJson(text.str(), path);
}

std::vector<std::string> ClientCaveats(const PolicyTable& table) {
  std::vector<std::string> caveats;
  auto check_timeout = [&](const std::string& where, const std::optional<absl::Duration>& timeout) {
    if (!timeout.has_value()) return;
    ClientClass core;
    core.exact_route_timeout = false;
    absl::Duration latest = *core.TailorTimeout(timeout) - absl::Seconds(1);
    caveats.push_back(absl::StrCat(
        where, ".timeout ", absl::FormatDuration(*timeout),
        ": gRPC C++ clients end calls between ", absl::FormatDuration(*timeout), " and ",
        absl::FormatDuration(latest),
        " after they start (their timeout clock runs 1 to 2s early, grpc#34547); "
        "other clients keep it"));
  };
  check_timeout("defaults", table.defaults.timeout);
  for (const auto& [service, policy] : table.per_service) {
    // An inherited timeout was reported with the defaults.
    if (policy.timeout != table.defaults.timeout) check_timeout("services." + service, policy.timeout);
  }
  return caveats;
}

}  // namespace switchboard::xds
