#include "switchboard/xds/resource_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "switchboard/xds/cluster_builder.h"
#include "switchboard/xds/cluster_load_assignment_builder.h"
#include "switchboard/xds/listener_builder.h"
#include "switchboard/xds/resource_version.h"
#include "switchboard/xds/route_configuration_builder.h"

namespace switchboard::xds {
namespace {

ServedResource Serve(const google::protobuf::Message& resource, std::string name) {
  ServedResource served;
  served.name = std::move(name);
  served.version = ResourceVersion(resource);
  served.resource.PackFrom(resource);
  return served;
}

// The clients that get a route timeout padded (client_class.h).
const ClientSelector kEarlyTimeoutClock{.exact_route_timeout = false};
// The clients that cannot take RING_HASH.
const ClientSelector kNoRingHash{.ring_hash = false};

}  // namespace

void ServiceResources::Add(ResourceKind kind, std::string name,
                           const google::protobuf::Message& resource) {
  CatalogResource added;
  added.resource = Serve(resource, std::move(name));
  by_kind_[static_cast<size_t>(kind)].push_back(std::move(added));
}

void ServiceResources::AddVariant(ResourceKind kind, absl::string_view name,
                                  ClientSelector clients,
                                  const google::protobuf::Message& resource) {
  for (CatalogResource& owned : by_kind_[static_cast<size_t>(kind)]) {
    if (owned.resource.name != name) continue;
    owned.variants.push_back({std::move(clients), Serve(resource, std::string(name))});
    return;
  }
}

const CatalogResource* ServiceResources::Find(ResourceKind kind, absl::string_view name) const {
  for (const CatalogResource& owned : Of(kind)) {
    if (owned.resource.name == name) return &owned;
  }
  return nullptr;
}

CatalogPtr ResourceCatalog::Empty() {
  static const CatalogPtr empty = [] {
    std::shared_ptr<ResourceCatalog> catalog(new ResourceCatalog());
    catalog->names_ = std::make_shared<const NameIndex>();
    return catalog;
  }();
  return empty;
}

std::shared_ptr<ResourceCatalog::ServiceEntry> ResourceCatalog::Seal(ServiceResources resources) {
  auto entry = std::make_shared<ServiceEntry>();
  entry->resources = std::move(resources);
  std::string all_versions;
  for (ResourceKind kind : kAllResourceKinds) {
    std::string& version = entry->kind_versions[static_cast<size_t>(kind)];
    for (const CatalogResource& owned : entry->resources.Of(kind)) {
      absl::StrAppend(&version, owned.resource.name, ":", owned.resource.version);
      // Which variant a client gets changes with the selectors too.
      for (const CatalogResource::Variant& variant : owned.variants) {
        absl::StrAppend(&version, "/", variant.clients.Key(), ":", variant.resource.version);
      }
      version.push_back(';');
    }
    absl::StrAppend(&all_versions, version, "|");
  }
  entry->version = absl::StrCat(Fnv1a64(all_versions));
  return entry;
}

namespace {

// The subset `instance` belongs to under `subsets`; "" for none (the
// instance has no such field, or an empty one: it is in no subset, and
// serves only the routes to the whole service).
std::string SubsetOf(const Instance& instance, const SubsetPolicy& subsets) {
  if (subsets.by == "version") return instance.metadata.version;
  auto it = instance.metadata.labels.find(subsets.by);
  return it == instance.metadata.labels.end() ? std::string() : it->second;
}

bool HasRouteTimeout(const ServicePolicy& policy) {
  if (policy.timeout.has_value()) return true;
  for (const RoutePolicy& route : policy.routing.routes) {
    if (route.timeout.has_value() && route.timeout->has_value()) return true;
  }
  return false;
}

// `policy` with every route timeout as `client` must get it.
ServicePolicy TailorTimeouts(ServicePolicy policy, const ClientClass& client) {
  policy.timeout = client.TailorTimeout(policy.timeout);
  for (RoutePolicy& route : policy.routing.routes) {
    if (route.timeout.has_value()) route.timeout = client.TailorTimeout(*route.timeout);
  }
  return policy;
}

}  // namespace

std::shared_ptr<const ResourceCatalog::ServiceEntry> ResourceCatalog::BuildService(
    const std::string& service, Snapshot::InstanceList instances, const ServicePolicy& policy) {
  ServiceResources r;
  const std::string listener = ResourceName(ResourceKind::kListener, service);
  const std::string route = ResourceName(ResourceKind::kRouteConfiguration, service);
  const std::string cluster = ResourceName(ResourceKind::kCluster, service);
  // Subsets: every value seen among the instances, and every one a route
  // names (an empty endpoint set until an instance has it, so a client
  // never waits on a cluster that does not exist).
  std::map<std::string, std::vector<Instance>> subsets;
  LiveSubsets live;
  if (const std::optional<SubsetPolicy>& by = policy.routing.subsets; by.has_value()) {
    for (const Instance& instance : *instances) {
      std::string subset = SubsetOf(instance, *by);
      if (subset.empty()) continue;
      if (!instance.metadata.draining && ParseEndpointAddress(instance.address).ok()) {
        live.insert(subset);
      }
      subsets[std::move(subset)].push_back(instance);
    }
    for (const RoutePolicy& named : policy.routing.routes) {
      for (const auto& [subset, weight] : named.split) subsets.try_emplace(subset);
    }
    for (const auto& [subset, weight] : policy.routing.split) subsets.try_emplace(subset);
  }
  r.Add(ResourceKind::kListener, listener, BuildListener(service, policy, live));
  r.Add(ResourceKind::kRouteConfiguration, route, BuildRouteConfiguration(service, policy, live));
  if (HasRouteTimeout(policy)) {
    ClientClass early_clock;
    early_clock.exact_route_timeout = false;
    ServicePolicy tailored = TailorTimeouts(policy, early_clock);
    r.AddVariant(ResourceKind::kRouteConfiguration, route, kEarlyTimeoutClock,
                 BuildRouteConfiguration(service, tailored, live));
    // The route travels inside the listener: the listener varies with it.
    if (policy.inline_route_config) {
      r.AddVariant(ResourceKind::kListener, listener, kEarlyTimeoutClock,
                   BuildListener(service, tailored, live));
    }
  }
  ClientClass no_ring_hash;
  no_ring_hash.ring_hash = false;
  const LbPolicy fallback = no_ring_hash.Tailor(policy.lb_policy);
  auto add_cluster = [&](const std::string& stem) {
    const std::string name = ResourceName(ResourceKind::kCluster, stem);
    r.Add(ResourceKind::kCluster, name, BuildCluster(stem, policy, policy.lb_policy));
    if (fallback != policy.lb_policy) {
      r.AddVariant(ResourceKind::kCluster, name, kNoRingHash, BuildCluster(stem, policy, fallback));
    }
  };
  add_cluster(service);
  for (const auto& [subset, members] : subsets) add_cluster(SubsetName(service, subset));
  std::vector<std::string> skipped;
  // An endpoint set, and for clients of each zone with instances their zone
  // first (docs/zones.md); when that is all there is (one zone), they get
  // what everyone gets.
  auto add_endpoints = [&](const std::string& stem, const std::vector<Instance>& members,
                           std::vector<std::string>* skipped_out) {
    const std::string endpoints = ResourceName(ResourceKind::kClusterLoadAssignment, stem);
    const ClusterLoadAssignment everyone = BuildClusterLoadAssignment(
        stem, members, skipped_out, {.min_healthy_percent = policy.failover.min_healthy_percent});
    r.Add(ResourceKind::kClusterLoadAssignment, endpoints, everyone);
    std::set<std::string> zones;
    for (const Instance& instance : members) {
      if (!instance.metadata.zone.empty()) zones.insert(instance.metadata.zone);
    }
    if (zones.size() <= 1) return;
    const std::string everyone_bytes = everyone.SerializeAsString();
    for (const std::string& zone : zones) {
      ClusterLoadAssignment zone_first = BuildClusterLoadAssignment(
          stem, members, nullptr,
          {.client_zone = zone, .min_healthy_percent = policy.failover.min_healthy_percent});
      if (zone_first.SerializeAsString() == everyone_bytes) continue;
      r.AddVariant(ResourceKind::kClusterLoadAssignment, endpoints, ClientSelector{.zone = zone},
                   zone_first);
    }
  };
  add_endpoints(service, *instances, &skipped);
  for (const auto& [subset, members] : subsets) {
    add_endpoints(SubsetName(service, subset), members, nullptr);
  }
  std::shared_ptr<ServiceEntry> entry = Seal(std::move(r));
  entry->instances = std::move(instances);
  entry->policy = policy;
  entry->skipped = std::move(skipped);
  entry->routing_problems = RoutingProblems(service, policy.routing, live);
  return entry;
}

namespace {
// True when both own the same names of every kind.
bool SameNames(const ServiceResources& a, const ServiceResources& b) {
  for (ResourceKind kind : kAllResourceKinds) {
    const auto& of_a = a.Of(kind);
    const auto& of_b = b.Of(kind);
    if (!std::equal(of_a.begin(), of_a.end(), of_b.begin(), of_b.end(),
                    [](const CatalogResource& x, const CatalogResource& y) {
                      return x.resource.name == y.resource.name;
                    })) {
      return false;
    }
  }
  return true;
}
}  // namespace

absl::Status ResourceCatalog::IndexNames() {
  auto index = std::make_shared<NameIndex>();
  for (ResourceKind kind : kAllResourceKinds) {
    auto& names = (*index)[static_cast<size_t>(kind)];
    names.reserve(services_.size());
    for (const auto& [service, entry] : services_) {
      for (const CatalogResource& owned : entry->resources.Of(kind)) {
        names.emplace_back(owned.resource.name, service);
      }
    }
    std::sort(names.begin(), names.end());
    auto twice = std::adjacent_find(names.begin(), names.end(), [](const auto& a, const auto& b) {
      return a.first == b.first;
    });
    if (twice != names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ShortName(kind), " resource \"", twice->first, "\" is owned by both service \"",
          twice->second, "\" and service \"", std::next(twice)->second, "\""));
    }
  }
  names_ = std::move(index);
  return absl::OkStatus();
}

CatalogPtr ResourceCatalog::Build(const Snapshot& snapshot, const PolicyTable& policies,
                                  const std::set<std::string>& retained,
                                  std::vector<std::string>* problems,
                                  const ResourceCatalog* previous, Coverage coverage,
                                  std::string degraded) {
  static const Snapshot::InstanceList kNoInstances =
      std::make_shared<const std::vector<Instance>>();
  std::shared_ptr<ResourceCatalog> catalog(new ResourceCatalog());
  catalog->policies_ = policies;
  catalog->coverage_ = coverage;
  catalog->degraded_ = std::move(degraded);
  const bool same_policies = previous != nullptr && previous->policies_ == policies;
  // The previous name index still holds while every service was there
  // before and every rebuilt one owns the names it owned.
  bool same_names = previous != nullptr && previous->names_ != nullptr;
  size_t found_in_previous = 0;
  // Every service of the snapshot and of `retained`, in name order, taken
  // from both sorted sides at once (no merged copy of a thousand names).
  auto known = snapshot.services().begin();
  auto kept = retained.begin();
  while (known != snapshot.services().end() || kept != retained.end()) {
    const std::string* service;
    Snapshot::InstanceList instances;
    if (kept == retained.end() || (known != snapshot.services().end() && known->first <= *kept)) {
      if (kept != retained.end() && known->first == *kept) ++kept;
      service = &known->first;
      instances = known->second;
      ++known;
    } else {
      service = &*kept;
      instances = kNoInstances;
      ++kept;
    }
    const ServicePolicy& policy = policies.For(*service);
    std::shared_ptr<const ServiceEntry> entry;
    const ServiceEntry* before = nullptr;
    if (previous != nullptr) {
      auto it = previous->services_.find(*service);
      if (it != previous->services_.end()) {
        before = it->second.get();
        ++found_in_previous;
        // The pointer test settles nearly every service of a large registry.
        if (before->instances != nullptr && (same_policies || before->policy == policy) &&
            (before->instances == instances || *before->instances == *instances)) {
          entry = it->second;
        }
      }
    }
    if (entry == nullptr) {
      entry = BuildService(*service, instances, policy);
      if (before == nullptr || !SameNames(before->resources, entry->resources)) same_names = false;
    }
    if (problems != nullptr) {
      for (const std::string& address : entry->skipped) {
        problems->push_back(absl::StrCat("service ", *service, ": instance ", address,
                                         " left out of EDS: not an ip:port address"));
      }
      problems->insert(problems->end(), entry->routing_problems.begin(),
                       entry->routing_problems.end());
    }
    catalog->services_.emplace_hint(catalog->services_.end(), *service, std::move(entry));
  }
  if (same_names && found_in_previous == previous->services_.size()) {
    catalog->names_ = previous->names_;
  } else {
    // Build() gives every service its own conventional names, and subset
    // names hold a '/', which no service name does: no clash.
    catalog->IndexNames().IgnoreError();
  }
  return catalog;
}

absl::StatusOr<CatalogPtr> ResourceCatalog::FromServices(
    std::map<std::string, ServiceResources> services, Coverage coverage) {
  std::shared_ptr<ResourceCatalog> catalog(new ResourceCatalog());
  catalog->coverage_ = coverage;
  for (auto& [service, resources] : services) {
    catalog->services_.emplace(service, Seal(std::move(resources)));
  }
  if (absl::Status indexed = catalog->IndexNames(); !indexed.ok()) return indexed;
  return CatalogPtr(std::move(catalog));
}

const std::string* ResourceCatalog::OwnerOf(ResourceKind kind, absl::string_view name) const {
  if (names_ == nullptr) return nullptr;
  const auto& names = (*names_)[static_cast<size_t>(kind)];
  auto it = std::lower_bound(names.begin(), names.end(), name,
                             [](const auto& entry, absl::string_view n) { return entry.first < n; });
  if (it == names.end() || it->first != name) return nullptr;
  return &it->second;
}

const CatalogResource* ResourceCatalog::Lookup(ResourceKind kind, absl::string_view name) const {
  // Nearly every name asked for is conventional, and a name has one owner
  // (IndexNames()): the service the name points at settles it without the
  // index when it owns the name.
  if (absl::string_view service = ConventionalServiceOf(kind, name); !service.empty()) {
    auto it = services_.find(service);
    if (it != services_.end()) {
      if (const CatalogResource* owned = it->second->resources.Find(kind, name)) return owned;
    }
  }
  const std::string* owner = OwnerOf(kind, name);
  if (owner == nullptr) return nullptr;
  auto it = services_.find(*owner);
  return it == services_.end() ? nullptr : it->second->resources.Find(kind, name);
}

std::vector<std::string> ResourceCatalog::NamesOf(ResourceKind kind,
                                                  absl::string_view service) const {
  std::vector<std::string> names;
  auto it = services_.find(service);
  if (it == services_.end()) return names;
  for (const CatalogResource& owned : it->second->resources.Of(kind)) {
    names.push_back(owned.resource.name);
  }
  return names;
}

bool ResourceCatalog::VariesByClient(ResourceKind kind, absl::string_view service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return false;
  const auto& owned = it->second->resources.Of(kind);
  return std::any_of(owned.begin(), owned.end(),
                     [](const CatalogResource& r) { return !r.variants.empty(); });
}

std::vector<std::string> ResourceCatalog::Names(ResourceKind kind) const {
  std::vector<std::string> names;
  if (names_ == nullptr) return names;
  const auto& index = (*names_)[static_cast<size_t>(kind)];
  names.reserve(index.size());
  for (const auto& [name, owner] : index) names.push_back(name);
  return names;
}

std::vector<std::string> ResourceCatalog::Services() const {
  std::vector<std::string> names;
  names.reserve(services_.size());
  for (const auto& [service, entry] : services_) names.push_back(service);
  return names;
}

std::string ResourceCatalog::ServiceVersion(absl::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? std::string() : it->second->version;
}

std::string ResourceCatalog::KindVersion(ResourceKind kind, absl::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? std::string()
                               : it->second->kind_versions[static_cast<size_t>(kind)];
}

ChangedByKind ChangedResourcesByKind(const ResourceCatalog* before, const ResourceCatalog& after,
                                     const std::set<std::string>& changed) {
  ChangedByKind by_kind;
  for (ResourceKind kind : kAllResourceKinds) {
    std::set<std::string>& names = by_kind[kind];
    for (const std::string& service : changed) {
      if (before != nullptr &&
          before->KindVersion(kind, service) == after.KindVersion(kind, service)) {
        continue;
      }
      // Names the service gave up changed too: their clients learn they
      // are gone.
      if (before != nullptr) {
        for (std::string& name : before->NamesOf(kind, service)) names.insert(std::move(name));
      }
      for (std::string& name : after.NamesOf(kind, service)) names.insert(std::move(name));
    }
  }
  return by_kind;
}

std::set<std::string> ChangedServices(const ResourceCatalog* before, const ResourceCatalog& after) {
  std::set<std::string> changed;
  if (before == nullptr) {
    for (const auto& [service, entry] : after.services_) changed.insert(service);
    return changed;
  }
  // One merge pass over both sorted maps; a service that kept its shared
  // entry is unchanged without comparing versions.
  auto a = before->services_.begin();
  auto b = after.services_.begin();
  while (a != before->services_.end() || b != after.services_.end()) {
    if (b == after.services_.end() || (a != before->services_.end() && a->first < b->first)) {
      changed.insert((a++)->first);
    } else if (a == before->services_.end() || b->first < a->first) {
      changed.insert((b++)->first);
    } else {
      if (a->second != b->second && a->second->version != b->second->version) {
        changed.insert(b->first);
      }
      ++a;
      ++b;
    }
  }
  return changed;
}

}  // namespace switchboard::xds
