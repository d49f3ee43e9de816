#include "switchboard/xds/route_configuration_builder.h"

#include <string>

#include "envoy/config/route/v3/route_components.pb.h"
#include "switchboard/xds/proto_fields.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

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

}  // namespace switchboard::xds
