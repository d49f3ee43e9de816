// Builds a service's Cluster: type EDS with its endpoints over ADS, the
// load-balancing policy actually sent, outlier detection and a circuit
// breaker from the policy.
//
// Example:
//   Cluster cluster = BuildCluster("greeter", policy, policy.lb_policy);
//   Cluster for_old_core = BuildCluster("greeter", policy, LbPolicy::kRoundRobin);
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_CLUSTER_BUILDER_H_
#define SWITCHBOARD_XDS_CLUSTER_BUILDER_H_

#include "absl/strings/string_view.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

using envoy::config::cluster::v3::Cluster;

// Named ResourceName(kCluster, service), its endpoints
// ResourceName(kClusterLoadAssignment, service). `lb_policy` may differ
// from policy.lb_policy: the catalog builds a variant for clients that
// cannot take the wanted one (client_class.h).
Cluster BuildCluster(absl::string_view service, const ServicePolicy& policy, LbPolicy lb_policy);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CLUSTER_BUILDER_H_
