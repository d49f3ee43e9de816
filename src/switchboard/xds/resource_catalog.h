// The state of the world the ADS server serves: resources found by (kind,
// name), each with variants for client classes, built once per change of
// the instances and shared read-only by all streams.
//
// Shape (go-control-plane's cache keyed by type URL and name, with a view
// per client):
//   - A resource is found by its kind and name. Each has the one sent to
//     most clients and, optionally, variants each sent to the clients a
//     ClientSelector matches (client_class.h): the first matching variant
//     wins. Today: a ROUND_ROBIN cluster for clients without ring hash, a
//     padded route timeout for C-core, and per zone the endpoints with that
//     zone first (docs/zones.md).
//   - Every resource is owned by one service, and the catalog indexes the
//     names each service owns. A plain service owns the four conventional
//     names (resource_names.h); a service may own several clusters and
//     endpoint sets (subsets) through ServiceResources::Add().
//   - What changed is told per service (the unit a registry change comes
//     in) and then per resource name (ChangedResourcesByKind()).
//
// A service stays in the catalog after its last instance is gone (with an
// empty endpoint set) as long as the caller keeps it in `retained`: clients
// keep their channel wiring and resume the moment an instance returns,
// rather than seeing the listener vanish.
//
// Built from the previous catalog, a service whose instances and policy did
// not change shares that catalog's resources instead of building them
// again, and the name index is shared too while no name came or went: with
// thousands of services, one change costs one service's build.
//
// Example:
//   auto catalog = ResourceCatalog::Build(*snapshot, policies, {});
//   auto next = ResourceCatalog::Build(*newer, policies, {}, nullptr, catalog.get());
//   const ServedResource* l = catalog->Find(ResourceKind::kListener, "greeter", client);
//   std::set<std::string> changed = ChangedServices(catalog.get(), *next);
//   ChangedByKind names = ChangedResourcesByKind(catalog.get(), *next, changed);
//
// Immutable once built: share it as std::shared_ptr<const ResourceCatalog>
// across threads without locks. Build() is pure (no I/O, no logging).
#ifndef SWITCHBOARD_XDS_RESOURCE_CATALOG_H_
#define SWITCHBOARD_XDS_RESOURCE_CATALOG_H_

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "switchboard/core/snapshot.h"
#include "switchboard/xds/client_class.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

// One resource, ready to put in a DiscoveryResponse.
struct ServedResource {
  std::string name;
  std::string version;
  google::protobuf::Any resource;
};

// One (kind, name) of the catalog: what most clients get, and the variants
// for the clients their selectors match (first match wins).
struct CatalogResource {
  struct Variant {
    ClientSelector clients;
    ServedResource resource;
  };
  ServedResource resource;
  std::vector<Variant> variants;

  const ServedResource& For(const ClientClass& client) const {
    for (const Variant& variant : variants) {
      if (variant.clients.Matches(client)) return variant.resource;
    }
    return resource;
  }
};

// Everything one service owns, by kind. Build() makes the four
// conventional resources of each service; a catalog whose services own
// more (subsets, endpoint sets per zone) is put together from these with
// ResourceCatalog::FromServices().
//
// Example:
//   ServiceResources greeter;
//   greeter.Add(ResourceKind::kClusterLoadAssignment, "greeter.endpoints", all);
//   greeter.AddVariant(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
//                      ClientSelector{.zone = "a"}, zone_a_only);
class ServiceResources {
 public:
  // Adds resource `name` of `kind`, sent to every client no variant is for.
  void Add(ResourceKind kind, std::string name, const google::protobuf::Message& resource);
  // Adds a variant of resource `name` (Add() it first) for the clients
  // `clients` matches; variants are tried in the order added.
  void AddVariant(ResourceKind kind, absl::string_view name, ClientSelector clients,
                  const google::protobuf::Message& resource);

  // The resources of `kind` owned, in the order added.
  const std::vector<CatalogResource>& Of(ResourceKind kind) const {
    return by_kind_[static_cast<size_t>(kind)];
  }
  const CatalogResource* Find(ResourceKind kind, absl::string_view name) const;

 private:
  std::array<std::vector<CatalogResource>, kResourceKindCount> by_kind_;
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
  // A catalog of exactly `services`. An error naming the resource when two
  // services own one name of one kind.
  static absl::StatusOr<std::shared_ptr<const ResourceCatalog>> FromServices(
      std::map<std::string, ServiceResources> services, Coverage coverage = Coverage::kComplete);
  static std::shared_ptr<const ResourceCatalog> Empty();

  // The resource `name` of `kind` as a client of class `client` gets it;
  // null when there is no such resource.
  const ServedResource* Find(ResourceKind kind, absl::string_view name,
                             const ClientClass& client) const {
    const CatalogResource* resource = Lookup(kind, name);
    return resource == nullptr ? nullptr : &resource->For(client);
  }
  // The resource with all its variants; null when there is none.
  const CatalogResource* Lookup(ResourceKind kind, absl::string_view name) const;
  // The service that owns resource `name` of `kind`; null when none does.
  const std::string* OwnerOf(ResourceKind kind, absl::string_view name) const;
  // The names of `kind` that `service` owns, in the order it added them
  // (empty when the service is not served).
  std::vector<std::string> NamesOf(ResourceKind kind, absl::string_view service) const;
  // True when clients of different classes may get different resources of
  // `kind` for `service` (clusters under ring hash, listeners and routes
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
  // The combined versions of one service's resources of `kind`, variants
  // and their selectors included; empty when the service is not served.
  std::string KindVersion(ResourceKind kind, absl::string_view service) const;

 private:
  struct ServiceEntry {
    ServiceResources resources;
    std::array<std::string, kResourceKindCount> kind_versions;
    std::string version;
    // What Build() made the resources from, to tell when they can be
    // reused (the snapshot's shared list: usually the same pointer when
    // unchanged). Null for FromServices() entries.
    Snapshot::InstanceList instances;
    ServicePolicy policy;
    // Addresses left out of the endpoints (not ip:port).
    std::vector<std::string> skipped;
    // Routes naming subsets with no serving instance (RoutingProblems()).
    std::vector<std::string> routing_problems;
  };
  // Per kind, (name, owning service) sorted by name.
  using NameIndex =
      std::array<std::vector<std::pair<std::string, std::string>>, kResourceKindCount>;

  friend std::set<std::string> ChangedServices(const ResourceCatalog* before,
                                               const ResourceCatalog& after);

  ResourceCatalog() = default;
  static std::shared_ptr<const ServiceEntry> BuildService(const std::string& service,
                                                          Snapshot::InstanceList instances,
                                                          const ServicePolicy& policy);
  static std::shared_ptr<ServiceEntry> Seal(ServiceResources resources);
  // Indexes every name of services_; an error when two services own one.
  absl::Status IndexNames();

  // The policies it was built with: when the next catalog's are the same,
  // no service's policy needs comparing.
  PolicyTable policies_;
  Coverage coverage_ = Coverage::kComplete;
  std::string degraded_;
  // Shared, immutable: a catalog built from this one reuses the entries of
  // services that did not change.
  std::map<std::string, std::shared_ptr<const ServiceEntry>, std::less<>> services_;
  // Shared with the previous catalog while the same names have the same
  // owners.
  std::shared_ptr<const NameIndex> names_;
};

using CatalogPtr = std::shared_ptr<const ResourceCatalog>;

// Services whose resources differ between `before` (null: none) and
// `after`, including services that appeared or disappeared.
std::set<std::string> ChangedServices(const ResourceCatalog* before, const ResourceCatalog& after);

// Per kind, the names of the resources of the services `changed`
// (ChangedServices()) whose resources of that kind differ, as owned in
// `before` or `after`: an instance's weight changes the endpoints only, so
// streams need not recompute the versions of their listeners, routes and
// clusters.
using ChangedByKind = std::map<ResourceKind, std::set<std::string>>;
ChangedByKind ChangedResourcesByKind(const ResourceCatalog* before, const ResourceCatalog& after,
                                     const std::set<std::string>& changed);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_RESOURCE_CATALOG_H_
