#include "switchboard/xds/route_configuration_builder.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "switchboard/xds/proto_fields.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {
namespace {

using envoy::config::route::v3::Route;
using envoy::config::route::v3::RouteAction;

void SetTimeout(const std::optional<absl::Duration>& timeout, RouteAction& action) {
  if (!timeout.has_value()) return;
  // Envoy reads `timeout`; gRPC reads max_stream_duration and caps the
  // call's own deadline with grpc_timeout_header_max.
  SetDuration(*timeout, action.mutable_timeout());
  auto* max = action.mutable_max_stream_duration();
  SetDuration(*timeout, max->mutable_max_stream_duration());
  SetDuration(*timeout, max->mutable_grpc_timeout_header_max());
}

void SetRetry(const std::optional<RetryPolicy>& policy, RouteAction& action) {
  if (!policy.has_value()) return;
  auto* retry = action.mutable_retry_policy();
  retry->set_retry_on("unavailable");
  retry->mutable_num_retries()->set_value(policy->num_retries);
  SetDuration(policy->base_interval, retry->mutable_retry_back_off()->mutable_base_interval());
  SetDuration(policy->max_interval, retry->mutable_retry_back_off()->mutable_max_interval());
}

// The fault filter's settings for this route; none (the filter's empty
// default, no fault) when unset.
void SetFault(const std::optional<FaultPolicy>& policy, Route& route) {
  if (!policy.has_value()) return;
  envoy::extensions::filters::http::fault::v3::HTTPFault fault;
  if (policy->delay_percent > 0) {
    auto* delay = fault.mutable_delay();
    SetDuration(policy->delay, delay->mutable_fixed_delay());
    delay->mutable_percentage()->set_numerator(policy->delay_percent);
    delay->mutable_percentage()->set_denominator(envoy::type::v3::FractionalPercent::HUNDRED);
  }
  if (policy->abort_percent > 0) {
    auto* abort = fault.mutable_abort();
    abort->set_grpc_status(policy->abort_code);
    abort->mutable_percentage()->set_numerator(policy->abort_percent);
    abort->mutable_percentage()->set_denominator(envoy::type::v3::FractionalPercent::HUNDRED);
  }
  (*route.mutable_typed_per_filter_config())[std::string(kFaultFilterName)].PackFrom(fault);
}

// The action every route of `service` shares: timeout, retries, hash.
void SetCommon(const ServicePolicy& policy, const std::optional<absl::Duration>& timeout,
               const std::optional<RetryPolicy>& retry, RouteAction& action) {
  SetTimeout(timeout, action);
  SetRetry(retry, action);
  if (policy.lb_policy == LbPolicy::kRingHash && !policy.hash_header.empty()) {
    action.add_hash_policy()->mutable_header()->set_header_name(policy.hash_header);
  }
}

void SetTargets(const std::vector<WeightedTarget>& targets, RouteAction& action) {
  if (targets.size() == 1) {
    action.set_cluster(targets[0].cluster);
    return;
  }
  auto* weighted = action.mutable_weighted_clusters();
  uint32_t total = 0;
  for (const WeightedTarget& target : targets) {
    auto* cluster = weighted->add_clusters();
    cluster->set_name(target.cluster);
    cluster->mutable_weight()->set_value(target.weight);
    total += target.weight;
  }
  // gRPC 1.51 refuses a route whose weights do not sum to total_weight
  // (100 when unset); after a fall-back they sum to less.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  weighted->mutable_total_weight()->set_value(total);
#pragma GCC diagnostic pop
}

void SetMatch(const std::optional<HeaderMatch>& match, Route& route) {
  route.mutable_match()->set_prefix("");
  if (!match.has_value()) return;
  auto* header = route.mutable_match()->add_headers();
  header->set_name(match->header);
  // The older fields rather than string_match: every gRPC xDS client
  // reads them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  switch (match->kind) {
    case HeaderMatch::Kind::kExact: header->set_exact_match(match->value); break;
    case HeaderMatch::Kind::kPrefix: header->set_prefix_match(match->value); break;
    case HeaderMatch::Kind::kPresent: header->set_present_match(true); break;
  }
#pragma GCC diagnostic pop
}

std::string DescribeMatch(const HeaderMatch& match) {
  switch (match.kind) {
    case HeaderMatch::Kind::kExact: return absl::StrCat("header ", match.header, "=", match.value);
    case HeaderMatch::Kind::kPrefix:
      return absl::StrCat("header ", match.header, " prefix ", match.value);
    case HeaderMatch::Kind::kPresent: return absl::StrCat("header ", match.header, " present");
  }
  return "";
}

}  // namespace

bool InjectsFaults(const ServicePolicy& policy) {
  if (policy.fault.has_value()) return true;
  if (!policy.routing.subsets.has_value()) return false;
  for (const RoutePolicy& route : policy.routing.routes) {
    if (route.fault.has_value() && route.fault->has_value()) return true;
  }
  return false;
}

std::vector<WeightedTarget> ResolveSplit(absl::string_view service, const SubsetSplit& split,
                                         const LiveSubsets& live) {
  std::vector<WeightedTarget> targets;
  for (const auto& [subset, weight] : split) {
    if (weight == 0 || !live.contains(subset)) continue;
    targets.push_back({ResourceName(ResourceKind::kCluster, SubsetName(service, subset)), weight});
  }
  if (targets.empty()) targets.push_back({ResourceName(ResourceKind::kCluster, service), 100});
  return targets;
}

std::vector<std::string> RoutingProblems(absl::string_view service, const RoutingPolicy& routing,
                                         const LiveSubsets& live) {
  std::vector<std::string> problems;
  if (!routing.subsets.has_value()) return problems;
  auto check = [&](const std::string& route, const SubsetSplit& split) {
    std::vector<std::string> missing, kept;
    uint32_t lost = 0;
    for (const auto& [subset, weight] : split) {
      if (live.contains(subset)) {
        if (weight > 0) kept.push_back(subset);
      } else {
        missing.push_back(subset);
        lost += weight;
      }
    }
    if (missing.empty()) return;
    problems.push_back(absl::StrCat(
        "service ", service, ": ", route, ": subset", missing.size() > 1 ? "s " : " ",
        absl::StrJoin(missing, ", "), missing.size() > 1 ? " have" : " has",
        " no serving instance (", routing.subsets->by, "=", absl::StrJoin(missing, ", "),
        "); its ", lost, "% goes to ",
        kept.empty() ? std::string("every instance of the service")
                     : absl::StrCat("subset(s) ", absl::StrJoin(kept, ", "))));
  };
  for (size_t i = 0; i < routing.routes.size(); ++i) {
    const RoutePolicy& route = routing.routes[i];
    check(absl::StrCat("route ", i + 1,
                       route.match.has_value() ? absl::StrCat(" (", DescribeMatch(*route.match), ")")
                                               : ""),
          route.split);
  }
  check("default route", routing.split);
  return problems;
}

RouteConfiguration BuildRouteConfiguration(absl::string_view service, const ServicePolicy& policy,
                                           const LiveSubsets& live) {
  RouteConfiguration config;
  config.set_name(ResourceName(ResourceKind::kRouteConfiguration, service));
  auto* host = config.add_virtual_hosts();
  host->set_name(std::string(service));
  // The authority of `xds:///greeter` is "greeter".
  host->add_domains(std::string(service));
  const RoutingPolicy& routing = policy.routing;
  if (routing.subsets.has_value()) {
    for (const RoutePolicy& wanted : routing.routes) {
      Route* route = host->add_routes();
      SetMatch(wanted.match, *route);
      RouteAction* action = route->mutable_route();
      SetTargets(ResolveSplit(service, wanted.split, live), *action);
      SetCommon(policy, wanted.timeout.value_or(policy.timeout),
                wanted.retry.value_or(policy.retry), *action);
      SetFault(wanted.fault.value_or(policy.fault), *route);
    }
  }
  Route* route = host->add_routes();
  route->mutable_match()->set_prefix("");
  RouteAction* action = route->mutable_route();
  if (routing.subsets.has_value()) {
    SetTargets(ResolveSplit(service, routing.split, live), *action);
  } else {
    action->set_cluster(ResourceName(ResourceKind::kCluster, service));
  }
  SetCommon(policy, policy.timeout, policy.retry, *action);
  SetFault(policy.fault, *route);
  return config;
}

}  // namespace switchboard::xds
