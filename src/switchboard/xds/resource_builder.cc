#include "switchboard/xds/resource_builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/common/host_port.h"
#include "envoy/config/core/v3/address.pb.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/config/core/v3/config_source.pb.h"
#include "envoy/config/core/v3/health_check.pb.h"
#include "envoy/config/listener/v3/api_listener.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace switchboard::xds {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

constexpr absl::string_view kRouteSuffix = ".route";
constexpr absl::string_view kClusterSuffix = ".cluster";
constexpr absl::string_view kEndpointsSuffix = ".endpoints";

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// Every ConfigSource we send: "over the same ADS stream", xDS v3.
void SetAds(envoy::config::core::v3::ConfigSource* source) {
  source->mutable_ads();
  source->set_resource_api_version(envoy::config::core::v3::V3);
}

uint32_t ClampWeight(uint32_t weight) {
  return std::clamp<uint32_t>(weight, 1, InstanceMetadata::kMaxWeight);
}

}  // namespace

absl::string_view LbPolicyName(LbPolicy policy) {
  switch (policy) {
    case LbPolicy::kRoundRobin: return "ROUND_ROBIN";
    case LbPolicy::kRingHash: return "RING_HASH";
  }
  return "?";
}

absl::string_view TypeUrl(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return kListenerType;
    case ResourceKind::kRouteConfiguration: return kRouteConfigurationType;
    case ResourceKind::kCluster: return kClusterType;
    case ResourceKind::kClusterLoadAssignment: return kClusterLoadAssignmentType;
  }
  return "";
}

std::optional<ResourceKind> KindOfTypeUrl(absl::string_view type_url) {
  for (ResourceKind kind : kAllResourceKinds) {
    if (TypeUrl(kind) == type_url) return kind;
  }
  return std::nullopt;
}

absl::string_view ShortName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return "LDS";
    case ResourceKind::kRouteConfiguration: return "RDS";
    case ResourceKind::kCluster: return "CDS";
    case ResourceKind::kClusterLoadAssignment: return "EDS";
  }
  return "?";
}

namespace {
absl::string_view Suffix(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return "";
    case ResourceKind::kRouteConfiguration: return kRouteSuffix;
    case ResourceKind::kCluster: return kClusterSuffix;
    case ResourceKind::kClusterLoadAssignment: return kEndpointsSuffix;
  }
  return "";
}
}  // namespace

std::string ResourceName(ResourceKind kind, absl::string_view service) {
  return absl::StrCat(service, Suffix(kind));
}

std::optional<std::string> ServiceOfResourceName(ResourceKind kind, absl::string_view name) {
  absl::string_view suffix = Suffix(kind);
  if (name.size() <= suffix.size() || !absl::EndsWith(name, suffix)) return std::nullopt;
  return std::string(name.substr(0, name.size() - suffix.size()));
}

absl::StatusOr<SocketAddress> ParseEndpointAddress(absl::string_view address) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("instance address \"", address, "\": ", parsed.status().message()));
  }
  if (!IsIpLiteral(parsed->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "instance address \"", address, "\" is not an IP literal (xDS endpoints carry IPs)"));
  }
  return SocketAddress{std::move(parsed->host), parsed->port};
}

RouteConfiguration BuildRouteConfiguration(absl::string_view service,
                                           const ServicePolicy& policy) {
  RouteConfiguration config;
  config.set_name(ResourceName(ResourceKind::kRouteConfiguration, service));
  auto* host = config.add_virtual_hosts();
  host->set_name(std::string(service));
  // The authority of `xds:///greeter` is "greeter".
  host->add_domains(std::string(service));
  auto* route = host->add_routes();
  route->mutable_match()->set_prefix("");
  auto* action = route->mutable_route();
  action->set_cluster(ResourceName(ResourceKind::kCluster, service));
  if (policy.timeout.has_value()) {
    // Envoy reads `timeout`; gRPC reads max_stream_duration and caps the
    // call's own deadline with grpc_timeout_header_max.
    SetDuration(*policy.timeout, action->mutable_timeout());
    auto* max = action->mutable_max_stream_duration();
    SetDuration(*policy.timeout, max->mutable_max_stream_duration());
    SetDuration(*policy.timeout, max->mutable_grpc_timeout_header_max());
  }
  if (policy.retry.has_value()) {
    auto* retry = action->mutable_retry_policy();
    retry->set_retry_on("unavailable");
    retry->mutable_num_retries()->set_value(policy.retry->num_retries);
    SetDuration(policy.retry->base_interval, retry->mutable_retry_back_off()->mutable_base_interval());
    SetDuration(policy.retry->max_interval, retry->mutable_retry_back_off()->mutable_max_interval());
  }
  if (policy.lb_policy == LbPolicy::kRingHash && !policy.hash_header.empty()) {
    action->add_hash_policy()->mutable_header()->set_header_name(policy.hash_header);
  }
  return config;
}

Listener BuildListener(absl::string_view service, const ServicePolicy& policy) {
  HttpConnectionManager manager;
  manager.set_stat_prefix(std::string(service));
  if (policy.inline_route_config) {
    *manager.mutable_route_config() = BuildRouteConfiguration(service, policy);
  } else {
    auto* rds = manager.mutable_rds();
    rds->set_route_config_name(ResourceName(ResourceKind::kRouteConfiguration, service));
    SetAds(rds->mutable_config_source());
  }
  // gRPC requires the router filter, and requires it last.
  auto* router = manager.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());

  Listener listener;
  listener.set_name(ResourceName(ResourceKind::kListener, service));
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
  return listener;
}

Listener BuildUnknownServiceListener(absl::string_view name) {
  HttpConnectionManager manager;
  manager.set_stat_prefix(std::string(name));
  manager.mutable_route_config()->set_name(
      ResourceName(ResourceKind::kRouteConfiguration, name));
  auto* router = manager.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  Listener listener;
  listener.set_name(std::string(name));
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
  return listener;
}

Cluster BuildCluster(absl::string_view service, const ServicePolicy& policy, LbPolicy lb_policy) {
  Cluster cluster;
  cluster.set_name(ResourceName(ResourceKind::kCluster, service));
  cluster.set_type(Cluster::EDS);
  auto* eds = cluster.mutable_eds_cluster_config();
  eds->set_service_name(ResourceName(ResourceKind::kClusterLoadAssignment, service));
  SetAds(eds->mutable_eds_config());
  switch (lb_policy) {
    case LbPolicy::kRoundRobin:
      cluster.set_lb_policy(Cluster::ROUND_ROBIN);
      break;
    case LbPolicy::kRingHash:
      cluster.set_lb_policy(Cluster::RING_HASH);
      cluster.mutable_ring_hash_lb_config()->set_hash_function(
          Cluster::RingHashLbConfig::XX_HASH);
      break;
  }
  if (policy.outlier_detection.has_value()) {
    const OutlierDetectionPolicy& od = *policy.outlier_detection;
    auto* out = cluster.mutable_outlier_detection();
    SetDuration(od.interval, out->mutable_interval());
    SetDuration(od.base_ejection_time, out->mutable_base_ejection_time());
    SetDuration(od.max_ejection_time, out->mutable_max_ejection_time());
    out->mutable_max_ejection_percent()->set_value(od.max_ejection_percent);
    // Success-rate ejection is on unless disabled explicitly; we use the
    // failure-percentage algorithm only.
    out->mutable_enforcing_success_rate()->set_value(0);
    out->mutable_failure_percentage_threshold()->set_value(od.failure_percentage_threshold);
    out->mutable_enforcing_failure_percentage()->set_value(100);
    out->mutable_failure_percentage_minimum_hosts()->set_value(
        od.failure_percentage_minimum_hosts);
    out->mutable_failure_percentage_request_volume()->set_value(
        od.failure_percentage_request_volume);
  }
  if (policy.max_requests.has_value()) {
    auto* threshold = cluster.mutable_circuit_breakers()->add_thresholds();
    threshold->set_priority(envoy::config::core::v3::DEFAULT);
    threshold->mutable_max_requests()->set_value(*policy.max_requests);
  }
  return cluster;
}

ClusterLoadAssignment BuildClusterLoadAssignment(absl::string_view service,
                                                 const std::vector<Instance>& instances,
                                                 std::vector<std::string>* skipped) {
  std::vector<const Instance*> sorted;
  sorted.reserve(instances.size());
  for (const Instance& instance : instances) sorted.push_back(&instance);
  // Same instances, same bytes, same version, whatever order they came in.
  std::sort(sorted.begin(), sorted.end(),
            [](const Instance* a, const Instance* b) { return a->address < b->address; });

  // Instances of one zone and one weight share a locality: within it the
  // client's round robin is strict, and the locality's weight (the sum of
  // its serving instances' weights) gives each instance its weight's share.
  struct LocalityGroup {
    std::vector<std::pair<const Instance*, SocketAddress>> members;
    uint64_t serving_weight = 0;
  };
  std::map<std::pair<std::string, uint32_t>, LocalityGroup> groups;
  for (const Instance* instance : sorted) {
    absl::StatusOr<SocketAddress> address = ParseEndpointAddress(instance->address);
    if (!address.ok()) {
      if (skipped != nullptr) skipped->push_back(instance->address);
      continue;
    }
    uint32_t weight = ClampWeight(instance->metadata.weight);
    LocalityGroup& group = groups[{instance->metadata.zone, weight}];
    group.members.emplace_back(instance, std::move(*address));
    // A draining instance takes no new calls, so it adds no share.
    if (!instance->metadata.draining) group.serving_weight += weight;
  }

  ClusterLoadAssignment assignment;
  assignment.set_cluster_name(ResourceName(ResourceKind::kClusterLoadAssignment, service));
  // Clients refuse locality weights that sum past 2^32 - 1.
  const uint64_t max_locality_weight =
      groups.empty() ? 1 : std::numeric_limits<uint32_t>::max() / groups.size();
  for (const auto& [key, group] : groups) {
    const auto& [zone, weight] = key;
    auto* locality_endpoints = assignment.add_endpoints();
    auto* locality = locality_endpoints->mutable_locality();
    locality->set_zone(zone);
    locality->set_sub_zone(absl::StrCat("weight-", weight));
    // At least 1: a locality without weight is dropped by clients.
    locality_endpoints->mutable_load_balancing_weight()->set_value(static_cast<uint32_t>(
        std::clamp<uint64_t>(group.serving_weight, 1, max_locality_weight)));
    locality_endpoints->set_priority(0);
    for (const auto& [instance, address] : group.members) {
      auto* lb_endpoint = locality_endpoints->add_lb_endpoints();
      auto* socket = lb_endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
      socket->set_address(address.ip);
      socket->set_port_value(address.port);
      lb_endpoint->set_health_status(instance->metadata.draining
                                         ? envoy::config::core::v3::DRAINING
                                         : envoy::config::core::v3::HEALTHY);
      // For clients that honour endpoint weights (ring hash, newer releases).
      lb_endpoint->mutable_load_balancing_weight()->set_value(weight);
    }
  }
  return assignment;
}

uint64_t Fnv1a64(absl::string_view bytes, uint64_t seed) {
  uint64_t hash = seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string ResourceVersion(const google::protobuf::Message& resource) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    resource.SerializeToCodedStream(&coded);
  }
  return absl::StrFormat("%016x", Fnv1a64(bytes));
}

}  // namespace switchboard::xds
