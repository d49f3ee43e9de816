// The state of the world the ADS server serves: every resource of every
// known service, packed and versioned, built once per change of the
// instances and shared read-only by all streams.
//
// A service stays in the catalog after its last instance is gone (with an
// empty endpoint set) as long as the caller keeps it in `retained`: clients
// keep their channel wiring and resume the moment an instance returns,
// rather than seeing the listener vanish.
//
// Built from the previous catalog, a service whose instances and policy did
// not change shares that catalog's resources instead of building them
// again: with thousands of services, one change costs one service's build.
//
// Example:
//   auto catalog = ResourceCatalog::Build(*snapshot, policies, {});
//   auto next = ResourceCatalog::Build(*newer, policies, {}, nullptr, catalog.get());
//   const ServedResource* l = catalog->Find(ResourceKind::kListener, "greeter", caps);
//   std::set<std::string> changed = ChangedServices(previous.get(), *catalog);
//
// Immutable once built: share it as std::shared_ptr<const ResourceCatalog>
// across threads without locks. Build() is pure (no I/O, no logging).
#ifndef SWITCHBOARD_XDS_RESOURCE_CATALOG_H_
#define SWITCHBOARD_XDS_RESOURCE_CATALOG_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "switchboard/core/snapshot.h"
#include "google/protobuf/any.pb.h"
#include "switchboard/xds/client_capabilities.h"
#include "switchboard/xds/resource_builder.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

// One resource, ready to put in a DiscoveryResponse.
struct ServedResource {
  std::string name;
  std::string version;
  google::protobuf::Any resource;
};

class ResourceCatalog {
 public:
  // Whether every source has answered (or been loaded from its cache). In
  // an incomplete catalog a missing service may exist at a source that has
  // not answered yet: the ADS server holds requests for it instead of
  // answering "does not exist" (ads_stream_state.h).
  enum class Coverage { kComplete, kIncomplete };

  // Builds the resources of every service in `snapshot` and of every
  // service in `retained` (those with no instance get an empty endpoint
  // set). Instances whose address cannot go into EDS are left out and
  // described in `problems` (when not null), one line each. Services whose
  // instances and policy are the same as in `previous` (when not null)
  // reuse its resources; the result is the same as without it.
  // `degraded`, when not empty, says why a service may be missing though
  // it exists (a failing source), for the logs of requests for it.
  static std::shared_ptr<const ResourceCatalog> Build(const Snapshot& snapshot,
                                                      const PolicyTable& policies,
                                                      const std::set<std::string>& retained,
                                                      std::vector<std::string>* problems = nullptr,
                                                      const ResourceCatalog* previous = nullptr,
                                                      Coverage coverage = Coverage::kComplete,
                                                      std::string degraded = "");
  static std::shared_ptr<const ResourceCatalog> Empty();

  // The resource `name` of `kind` as a client with `caps` gets it; null
  // when there is no such resource.
  const ServedResource* Find(ResourceKind kind, absl::string_view name,
                             const ClientCapabilities& caps) const;
  // True when clients of different capabilities get different resources
  // of `kind` for `service` (clusters under ring hash, listeners and routes
  // with a timeout).
  bool VariesByClient(ResourceKind kind, absl::string_view service) const;
  // Names of all resources of `kind`, sorted (wildcard subscriptions).
  std::vector<std::string> Names(ResourceKind kind) const;
  // The services served, sorted.
  std::vector<std::string> Services() const;
  size_t service_count() const { return services_.size(); }
  bool HasService(absl::string_view service) const { return services_.count(service) > 0; }
  // False while some source has not answered (see Coverage).
  bool complete() const { return coverage_ == Coverage::kComplete; }
  // See Build(); empty while every source is healthy.
  const std::string& degraded() const { return degraded_; }
  // The combined versions of one service's resources (any one changes,
  // this changes); empty when the service is not served.
  std::string ServiceVersion(absl::string_view service) const;
  // The versions of one service's resources of `kind` (every cluster
  // variant for kCluster); empty when the service is not served.
  std::string KindVersion(ResourceKind kind, absl::string_view service) const;

 private:
  struct ServiceResources {
    ServedResource listener;
    ServedResource route_configuration;
    // For clients without ClientCapabilities::exact_route_timeout, when the
    // service has a timeout: the route configuration with the tailored
    // timeout, and the listener too when the route travels inside it.
    std::optional<ServedResource> tailored_timeout_listener;
    std::optional<ServedResource> tailored_timeout_route_configuration;
    // Indexed by LbPolicy: the cluster as the service wants it, and the
    // tailored fallback when they differ.
    std::map<LbPolicy, ServedResource> clusters;
    LbPolicy wanted_lb_policy = LbPolicy::kRoundRobin;
    ServedResource endpoints;
    std::string version;
    // What the resources were built from, to tell when they can be reused
    // (the snapshot's shared list: usually the same pointer when unchanged).
    Snapshot::InstanceList instances;
    ServicePolicy policy;
    // Addresses left out of the endpoints (not ip:port).
    std::vector<std::string> skipped;
  };

  friend std::set<std::string> ChangedServices(const ResourceCatalog* before,
                                               const ResourceCatalog& after);

  ResourceCatalog() = default;
  static std::shared_ptr<const ServiceResources> BuildService(const std::string& service,
                                                              Snapshot::InstanceList instances,
                                                              const ServicePolicy& policy);

  // The policies it was built with: when the next catalog's are the same,
  // no service's policy needs comparing.
  PolicyTable policies_;
  Coverage coverage_ = Coverage::kComplete;
  std::string degraded_;
  // Shared, immutable: a catalog built from this one reuses the entries of
  // services that did not change.
  std::map<std::string, std::shared_ptr<const ServiceResources>, std::less<>> services_;
};

using CatalogPtr = std::shared_ptr<const ResourceCatalog>;

// Services whose resources differ between `before` (null: none) and
// `after`, including services that appeared or disappeared.
std::set<std::string> ChangedServices(const ResourceCatalog* before, const ResourceCatalog& after);

// Of `changed` (ChangedServices()), those whose resources of each kind
// differ: an instance's weight changes the endpoints only, so streams need
// not recompute the versions of their listeners, routes and clusters.
using ChangedByKind = std::map<ResourceKind, std::set<std::string>>;
ChangedByKind ChangedServicesByKind(const ResourceCatalog* before, const ResourceCatalog& after,
                                    const std::set<std::string>& changed);


}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_RESOURCE_CATALOG_H_
