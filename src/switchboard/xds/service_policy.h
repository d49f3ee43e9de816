// How clients should call one service: the knobs of the xDS resources the
// control plane builds for it (route timeout and retries, outlier detection,
// circuit breaker, load-balancing policy).
//
// Example:
//   PolicyTable policies;
//   policies.defaults.timeout = absl::Seconds(2);
//   policies.per_service["greeter"].retry = RetryPolicy{.num_retries = 3};
//   const ServicePolicy& p = policies.For("greeter");
//
// Plain values: copy freely, no threading concerns.
#ifndef SWITCHBOARD_XDS_SERVICE_POLICY_H_
#define SWITCHBOARD_XDS_SERVICE_POLICY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::xds {

enum class LbPolicy {
  // Round robin over localities weighted by instance weight (see
  // cluster_load_assignment_builder.h for why instances are localities).
  kRoundRobin,
  // Consistent hashing on a request header; sent only to clients known to
  // support it, others get kRoundRobin (see client_class.h).
  kRingHash,
};

absl::string_view LbPolicyName(LbPolicy policy);

// Retry a call that fails with UNAVAILABLE.
struct RetryPolicy {
  uint32_t num_retries = 2;
  absl::Duration base_interval = absl::Milliseconds(25);
  absl::Duration max_interval = absl::Milliseconds(250);

  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

// Ejects instances whose calls fail more than their peers' (failure
// percentage algorithm, the one gRPC clients implement).
struct OutlierDetectionPolicy {
  absl::Duration interval = absl::Seconds(10);
  absl::Duration base_ejection_time = absl::Seconds(30);
  absl::Duration max_ejection_time = absl::Seconds(300);
  uint32_t max_ejection_percent = 50;
  // An instance is ejected when more than this percentage of its calls fail.
  uint32_t failure_percentage_threshold = 85;
  // ...and it served at least this many calls in the interval...
  uint32_t failure_percentage_request_volume = 50;
  // ...and the service has at least this many instances.
  uint32_t failure_percentage_minimum_hosts = 3;

  friend bool operator==(const OutlierDetectionPolicy&, const OutlierDetectionPolicy&) = default;
};

// Fault injection, for resilience tests: the client itself delays a share
// of its calls and fails a share with a status, before they leave it
// (gRPC's fault filter, gRFC A33). Shares are percentages, 0..100.
struct FaultPolicy {
  uint32_t delay_percent = 0;
  absl::Duration delay = absl::ZeroDuration();
  uint32_t abort_percent = 0;
  // A gRPC status code, 1..16 (14: UNAVAILABLE).
  uint32_t abort_code = 14;

  friend bool operator==(const FaultPolicy&, const FaultPolicy&) = default;
};

// Subsets: a service's instances split by a registry field, each subset
// its own cluster and endpoint set (resource_names.h: SubsetName()).
struct SubsetPolicy {
  // "version" (the instance's version) or the name of a label.
  std::string by = "version";

  friend bool operator==(const SubsetPolicy&, const SubsetPolicy&) = default;
};

// Which calls a header route takes: those whose `header` is present, has
// the exact value, or starts with the prefix.
struct HeaderMatch {
  enum class Kind { kExact, kPrefix, kPresent };
  std::string header;
  Kind kind = Kind::kExact;
  // kExact, kPrefix: the value compared.
  std::string value;

  friend bool operator==(const HeaderMatch&, const HeaderMatch&) = default;
};

// Subset name -> percentage of the calls; the weights sum to 100.
using SubsetSplit = std::map<std::string, uint32_t, std::less<>>;

// One route of a service: the calls `match` takes (all calls when unset)
// go to the subsets of `split`. Unset timeout and retry inherit the
// service's.
struct RoutePolicy {
  std::optional<HeaderMatch> match;
  SubsetSplit split;
  std::optional<std::optional<absl::Duration>> timeout;
  std::optional<std::optional<RetryPolicy>> retry;
  // Unset: the service's fault; set to nullopt: none on this route.
  std::optional<std::optional<FaultPolicy>> fault;

  friend bool operator==(const RoutePolicy&, const RoutePolicy&) = default;
};

// Where a service's calls go when it has subsets: the header routes, tried
// in order, then the default route (`split`; empty: every instance of the
// service). Set by the policy file, or by an etcd route override
// (client/route_override_feed.h), which replaces the file's for that service.
struct RoutingPolicy {
  std::optional<SubsetPolicy> subsets;
  std::vector<RoutePolicy> routes;
  SubsetSplit split;

  bool empty() const { return !subsets.has_value() && routes.empty() && split.empty(); }
  friend bool operator==(const RoutingPolicy&, const RoutingPolicy&) = default;
};

// When traffic leaves a client's preferred endpoints for the next ones
// (its own zone, then the other zones; SRV priorities, lowest first): the
// control plane decides, since gRPC C++ 1.51 only fails over when none of
// the preferred endpoints is ready (docs/zones.md, priority_failover.h).
struct FailoverPolicy {
  // Envoy's default overprovisioning factor, 140%, as a threshold.
  static constexpr double kDefaultMinHealthyPercent = 100.0 / 1.4;
  // 0..100: under this healthy share, preferred endpoints keep
  // healthy% * 100 / min_healthy_percent of the traffic and the rest
  // spills over. 0: never spill while one is healthy.
  double min_healthy_percent = kDefaultMinHealthyPercent;

  friend bool operator==(const FailoverPolicy&, const FailoverPolicy&) = default;
};

struct ServicePolicy {
  // Upper bound on every call's deadline; none when unset.
  std::optional<absl::Duration> timeout;
  std::optional<RetryPolicy> retry = RetryPolicy{};
  std::optional<OutlierDetectionPolicy> outlier_detection;
  // Circuit breaker: concurrent calls a client may have outstanding to the
  // service; beyond it calls fail at once. Unset: the client's default (1024).
  std::optional<uint32_t> max_requests;
  // Delays and aborts injected by the clients on every route (a header
  // route can override it); unset: none.
  std::optional<FaultPolicy> fault;
  LbPolicy lb_policy = LbPolicy::kRoundRobin;
  // kRingHash only: the request header whose value is hashed.
  std::string hash_header = "x-switchboard-key";
  // Put the RouteConfiguration inside the Listener instead of serving it
  // through RDS. Saves one round trip; RDS is the default because it lets
  // route changes reach clients without touching the listener.
  bool inline_route_config = false;
  // Subsets and the routes between them; empty: one route to the service.
  RoutingPolicy routing;
  FailoverPolicy failover;

  friend bool operator==(const ServicePolicy&, const ServicePolicy&) = default;
};

// The policy of every service: defaults, overridden per service name.
struct PolicyTable {
  ServicePolicy defaults;
  std::map<std::string, ServicePolicy, std::less<>> per_service;

  const ServicePolicy& For(absl::string_view service) const {
    auto it = per_service.find(service);
    return it == per_service.end() ? defaults : it->second;
  }

  friend bool operator==(const PolicyTable&, const PolicyTable&) = default;
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_SERVICE_POLICY_H_
