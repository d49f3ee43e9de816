#include "switchboard/xds/cluster_builder.h"

#include "envoy/config/core/v3/base.pb.h"
#include "switchboard/xds/proto_fields.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

absl::string_view LbPolicyName(LbPolicy policy) {
  switch (policy) {
    case LbPolicy::kRoundRobin: return "ROUND_ROBIN";
    case LbPolicy::kRingHash: return "RING_HASH";
  }
  return "?";
}

namespace {

// Load reports go to the control plane itself (SelfConfigSource): gRPC
// clients open one LRS stream to their xDS server and report this
// cluster's per-locality call counts there (docs/observability.md).
void SetLoadReportingToSelf(Cluster& cluster) {
  cluster.mutable_lrs_server()->mutable_self();
}

}  // namespace

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
  SetLoadReportingToSelf(cluster);
  return cluster;
}

}  // namespace switchboard::xds
