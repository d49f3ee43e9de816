#include "switchboard/xds/resource_catalog.h"

#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {

ServedResource Serve(const google::protobuf::Message& resource, std::string name) {
  ServedResource served;
  served.name = std::move(name);
  served.version = ResourceVersion(resource);
  served.resource.PackFrom(resource);
  return served;
}

}  // namespace

CatalogPtr ResourceCatalog::Empty() {
  static const CatalogPtr empty(new ResourceCatalog());
  return empty;
}

std::shared_ptr<const ResourceCatalog::ServiceResources> ResourceCatalog::BuildService(
    const std::string& service, Snapshot::InstanceList instances, const ServicePolicy& policy) {
  auto r = std::make_shared<ServiceResources>();
  r->instances = std::move(instances);
  r->policy = policy;
  r->listener = Serve(BuildListener(service, policy), ResourceName(ResourceKind::kListener, service));
  r->route_configuration = Serve(BuildRouteConfiguration(service, policy),
                                 ResourceName(ResourceKind::kRouteConfiguration, service));
  if (policy.timeout.has_value()) {
    ClientCapabilities inexact;
    inexact.exact_route_timeout = false;
    ServicePolicy tailored = policy;
    tailored.timeout = inexact.TailorTimeout(policy.timeout);
    r->tailored_timeout_route_configuration =
        Serve(BuildRouteConfiguration(service, tailored),
              ResourceName(ResourceKind::kRouteConfiguration, service));
    if (policy.inline_route_config) {
      r->tailored_timeout_listener = Serve(BuildListener(service, tailored),
                                           ResourceName(ResourceKind::kListener, service));
    }
  }
  r->wanted_lb_policy = policy.lb_policy;
  std::string cluster_name = ResourceName(ResourceKind::kCluster, service);
  r->clusters[policy.lb_policy] = Serve(BuildCluster(service, policy, policy.lb_policy), cluster_name);
  if (policy.lb_policy != LbPolicy::kRoundRobin) {
    r->clusters[LbPolicy::kRoundRobin] =
        Serve(BuildCluster(service, policy, LbPolicy::kRoundRobin), cluster_name);
  }
  r->endpoints = Serve(BuildClusterLoadAssignment(service, *r->instances, &r->skipped),
                       ResourceName(ResourceKind::kClusterLoadAssignment, service));
  std::string all_versions = absl::StrCat(r->listener.version, r->route_configuration.version,
                                          r->endpoints.version);
  for (const auto& [lb, cluster] : r->clusters) absl::StrAppend(&all_versions, cluster.version);
  for (const auto* tailored : {&r->tailored_timeout_listener, &r->tailored_timeout_route_configuration}) {
    if (tailored->has_value()) absl::StrAppend(&all_versions, (*tailored)->version);
  }
  r->version = absl::StrCat(Fnv1a64(all_versions));
  return r;
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
    std::shared_ptr<const ServiceResources> resources;
    if (previous != nullptr) {
      auto it = previous->services_.find(*service);
      // The pointer test settles nearly every service of a large registry.
      if (it != previous->services_.end() && (same_policies || it->second->policy == policy) &&
          (it->second->instances == instances || *it->second->instances == *instances)) {
        resources = it->second;
      }
    }
    if (resources == nullptr) resources = BuildService(*service, instances, policy);
    if (problems != nullptr) {
      for (const std::string& address : resources->skipped) {
        problems->push_back(absl::StrCat("service ", *service, ": instance ", address,
                                         " left out of EDS: not an ip:port address"));
      }
    }
    catalog->services_.emplace_hint(catalog->services_.end(), *service, std::move(resources));
  }
  return catalog;
}

const ServedResource* ResourceCatalog::Find(ResourceKind kind, absl::string_view name,
                                            const ClientCapabilities& caps) const {
  std::optional<std::string> service = ServiceOfResourceName(kind, name);
  if (!service.has_value()) return nullptr;
  auto it = services_.find(*service);
  if (it == services_.end()) return nullptr;
  const ServiceResources& r = *it->second;
  switch (kind) {
    case ResourceKind::kListener:
      if (!caps.exact_route_timeout && r.tailored_timeout_listener.has_value()) {
        return &*r.tailored_timeout_listener;
      }
      return &r.listener;
    case ResourceKind::kRouteConfiguration:
      if (!caps.exact_route_timeout && r.tailored_timeout_route_configuration.has_value()) {
        return &*r.tailored_timeout_route_configuration;
      }
      return &r.route_configuration;
    case ResourceKind::kCluster: {
      auto cluster = r.clusters.find(caps.Tailor(r.wanted_lb_policy));
      return cluster == r.clusters.end() ? nullptr : &cluster->second;
    }
    case ResourceKind::kClusterLoadAssignment: return &r.endpoints;
  }
  return nullptr;
}

bool ResourceCatalog::VariesByClient(ResourceKind kind, absl::string_view service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return false;
  const ServiceResources& r = *it->second;
  switch (kind) {
    case ResourceKind::kListener: return r.tailored_timeout_listener.has_value();
    case ResourceKind::kRouteConfiguration:
      return r.tailored_timeout_route_configuration.has_value();
    case ResourceKind::kCluster: return r.clusters.size() > 1;
    case ResourceKind::kClusterLoadAssignment: return false;
  }
  return false;
}

std::vector<std::string> ResourceCatalog::Names(ResourceKind kind) const {
  std::vector<std::string> names;
  names.reserve(services_.size());
  for (const auto& [service, r] : services_) names.push_back(ResourceName(kind, service));
  return names;
}

std::vector<std::string> ResourceCatalog::Services() const {
  std::vector<std::string> names;
  names.reserve(services_.size());
  for (const auto& [service, r] : services_) names.push_back(service);
  return names;
}

std::string ResourceCatalog::ServiceVersion(absl::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? std::string() : it->second->version;
}

std::string ResourceCatalog::KindVersion(ResourceKind kind, absl::string_view service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return std::string();
  const ServiceResources& r = *it->second;
  switch (kind) {
    case ResourceKind::kListener:
      return r.tailored_timeout_listener.has_value()
                 ? absl::StrCat(r.listener.version, "/", r.tailored_timeout_listener->version)
                 : r.listener.version;
    case ResourceKind::kRouteConfiguration:
      return r.tailored_timeout_route_configuration.has_value()
                 ? absl::StrCat(r.route_configuration.version, "/",
                                r.tailored_timeout_route_configuration->version)
                 : r.route_configuration.version;
    case ResourceKind::kCluster: {
      // Which variant a client gets depends on the wanted policy too.
      std::string version = absl::StrCat(static_cast<int>(r.wanted_lb_policy));
      for (const auto& [policy, cluster] : r.clusters) {
        absl::StrAppend(&version, "/", static_cast<int>(policy), ":", cluster.version);
      }
      return version;
    }
    case ResourceKind::kClusterLoadAssignment: return r.endpoints.version;
  }
  return std::string();
}

ChangedByKind ChangedServicesByKind(const ResourceCatalog* before, const ResourceCatalog& after,
                                    const std::set<std::string>& changed) {
  ChangedByKind by_kind;
  for (ResourceKind kind : kAllResourceKinds) {
    std::set<std::string>& services = by_kind[kind];
    for (const std::string& service : changed) {
      if (before == nullptr ||
          before->KindVersion(kind, service) != after.KindVersion(kind, service)) {
        services.insert(service);
      }
    }
  }
  return by_kind;
}

std::set<std::string> ChangedServices(const ResourceCatalog* before, const ResourceCatalog& after) {
  std::set<std::string> changed;
  if (before == nullptr) {
    for (const auto& [service, r] : after.services_) changed.insert(service);
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
