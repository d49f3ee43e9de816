#include "switchboard/xds/resource_catalog.h"

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gtest/gtest.h"
#include "switchboard/xds/cluster_builder.h"
#include "switchboard/xds/cluster_load_assignment_builder.h"

namespace switchboard::xds {
namespace {

Instance Make(std::string service, std::string address, uint32_t weight = 1) {
  Instance i;
  i.service = std::move(service);
  i.address = std::move(address);
  i.metadata.weight = weight;
  return i;
}

ClientClass Modern() { return ClientClass{}; }
ClientClass Grpc151() {
  ClientClass caps;
  caps.ring_hash = false;
  caps.exact_route_timeout = false;
  return caps;
}

absl::Duration RouteTimeout(const envoy::config::route::v3::RouteConfiguration& config) {
  const auto& max = config.virtual_hosts(0).routes(0).route().max_stream_duration();
  return absl::Seconds(max.grpc_timeout_header_max().seconds()) +
         absl::Nanoseconds(max.grpc_timeout_header_max().nanos());
}

TEST(ResourceCatalogTest, ServesAllFourResourcesOfEachService) {
  auto snapshot = Snapshot::Create({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2")});
  auto catalog = ResourceCatalog::Build(*snapshot, PolicyTable{}, {});
  EXPECT_EQ(catalog->Services(), (std::vector<std::string>{"billing", "greeter"}));
  for (ResourceKind kind : kAllResourceKinds) {
    const ServedResource* r = catalog->Find(kind, ResourceName(kind, "greeter"), Modern());
    ASSERT_NE(r, nullptr) << ShortName(kind);
    EXPECT_EQ(r->name, ResourceName(kind, "greeter"));
    EXPECT_EQ(r->resource.type_url(), TypeUrl(kind));
    EXPECT_FALSE(r->version.empty());
  }
  EXPECT_EQ(catalog->Find(ResourceKind::kListener, "nope", Modern()), nullptr);
  EXPECT_EQ(catalog->Find(ResourceKind::kCluster, "greeter", Modern()), nullptr);
  EXPECT_EQ(catalog->Names(ResourceKind::kListener), (std::vector<std::string>{"billing", "greeter"}));
}

TEST(ResourceCatalogTest, RetainedServiceWithoutInstancesHasEmptyEndpoints) {
  auto catalog = ResourceCatalog::Build(*Snapshot::Empty(), PolicyTable{}, {"greeter"});
  const ServedResource* eds =
      catalog->Find(ResourceKind::kClusterLoadAssignment, "greeter.endpoints", Modern());
  ASSERT_NE(eds, nullptr);
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  ASSERT_TRUE(eds->resource.UnpackTo(&cla));
  EXPECT_EQ(cla.endpoints_size(), 0);
}

TEST(ResourceCatalogTest, ClusterIsTailoredToTheClient) {
  PolicyTable policies;
  policies.per_service["greeter"].lb_policy = LbPolicy::kRingHash;
  auto catalog = ResourceCatalog::Build(*Snapshot::Create({Make("greeter", "127.0.0.1:1")}),
                                        policies, {});
  envoy::config::cluster::v3::Cluster modern, old;
  ASSERT_TRUE(catalog->Find(ResourceKind::kCluster, "greeter.cluster", Modern())->resource.UnpackTo(&modern));
  ASSERT_TRUE(catalog->Find(ResourceKind::kCluster, "greeter.cluster", Grpc151())->resource.UnpackTo(&old));
  EXPECT_EQ(modern.lb_policy(), envoy::config::cluster::v3::Cluster::RING_HASH);
  EXPECT_EQ(old.lb_policy(), envoy::config::cluster::v3::Cluster::ROUND_ROBIN);
}

TEST(ResourceCatalogTest, ReportsInstancesThatCannotGoIntoEds) {
  std::vector<std::string> problems;
  ResourceCatalog::Build(*Snapshot::Create({Make("greeter", "host.example:80")}), PolicyTable{},
                         {}, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("host.example:80"), std::string::npos);
  EXPECT_NE(problems[0].find("greeter"), std::string::npos);
}

TEST(ResourceCatalogTest, BuiltFromThePreviousOneRebuildsOnlyChangedServices) {
  PolicyTable policies;
  auto before = ResourceCatalog::Build(
      *Snapshot::Create({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2"),
                         Make("search", "127.0.0.1:3")}),
      policies, {});
  policies.per_service["search"].timeout = absl::Seconds(1);
  auto newer = Snapshot::Create({Make("greeter", "127.0.0.1:1", 5), Make("billing", "127.0.0.1:2"),
                                 Make("search", "127.0.0.1:3")});
  auto after = ResourceCatalog::Build(*newer, policies, {}, nullptr, before.get());
  auto from_scratch = ResourceCatalog::Build(*newer, policies, {});

  for (ResourceKind kind : kAllResourceKinds) {
    // Unchanged: the very same resource is shared.
    EXPECT_EQ(after->Find(kind, ResourceName(kind, "billing"), Modern()),
              before->Find(kind, ResourceName(kind, "billing"), Modern()))
        << ShortName(kind);
    // Changed instances or policy: built again, the same as from scratch.
    for (const char* service : {"greeter", "search"}) {
      const ServedResource* reused = after->Find(kind, ResourceName(kind, service), Modern());
      const ServedResource* fresh = from_scratch->Find(kind, ResourceName(kind, service), Modern());
      ASSERT_NE(reused, nullptr);
      EXPECT_EQ(reused->version, fresh->version) << service << " " << ShortName(kind);
      EXPECT_EQ(reused->resource.SerializeAsString(), fresh->resource.SerializeAsString());
    }
  }
  EXPECT_NE(after->Find(ResourceKind::kClusterLoadAssignment, "greeter.endpoints", Modern()),
            before->Find(ResourceKind::kClusterLoadAssignment, "greeter.endpoints", Modern()));
  for (const char* service : {"greeter", "billing", "search"}) {
    EXPECT_EQ(after->ServiceVersion(service), from_scratch->ServiceVersion(service)) << service;
  }
  EXPECT_EQ(ChangedServices(before.get(), *after), (std::set<std::string>{"greeter", "search"}));
}

TEST(ResourceCatalogTest, ReusedServiceStillReportsItsProblemsAndGoneServicesLeave) {
  auto snapshot = Snapshot::Create({Make("greeter", "host.example:80"), Make("billing", "127.0.0.1:2")});
  auto before = ResourceCatalog::Build(*snapshot, PolicyTable{}, {});
  std::vector<std::string> problems;
  auto after = ResourceCatalog::Build(*snapshot, PolicyTable{}, {}, &problems, before.get());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("host.example:80"), std::string::npos);

  auto without_billing = ResourceCatalog::Build(*Snapshot::Create({Make("greeter", "host.example:80")}),
                                                PolicyTable{}, {}, nullptr, after.get());
  EXPECT_EQ(without_billing->Services(), std::vector<std::string>{"greeter"});
  // Retained with no instance left: an empty endpoint set, not the old one.
  auto retained = ResourceCatalog::Build(*Snapshot::Empty(), PolicyTable{}, {"billing"}, nullptr,
                                         after.get());
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  ASSERT_TRUE(retained->Find(ResourceKind::kClusterLoadAssignment, "billing.endpoints", Modern())
                  ->resource.UnpackTo(&cla));
  EXPECT_EQ(cla.endpoints_size(), 0);
}

TEST(ChangedServicesTest, OnlyServicesWhoseResourcesDiffer) {
  auto a = ResourceCatalog::Build(
      *Snapshot::Create({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2")}),
      PolicyTable{}, {});
  auto b = ResourceCatalog::Build(
      *Snapshot::Create({Make("greeter", "127.0.0.1:1", 5), Make("billing", "127.0.0.1:2"),
                         Make("search", "127.0.0.1:3")}),
      PolicyTable{}, {});
  EXPECT_EQ(ChangedServices(a.get(), *b), (std::set<std::string>{"greeter", "search"}));
  EXPECT_EQ(ChangedServices(b.get(), *a), (std::set<std::string>{"greeter", "search"}));
  EXPECT_EQ(ChangedServices(a.get(), *a), std::set<std::string>{});
  EXPECT_EQ(ChangedServices(nullptr, *a), (std::set<std::string>{"billing", "greeter"}));
}

TEST(ResourceCatalogTest, CCoreGetsTheRouteTimeoutPaddedForItsEarlyClock) {
  auto snapshot = Snapshot::Create({Make("greeter", "127.0.0.1:1"), Make("inline", "127.0.0.1:2"),
                                    Make("billing", "127.0.0.1:3")});
  PolicyTable policies;
  policies.per_service["greeter"].timeout = absl::Milliseconds(300);
  policies.per_service["inline"].timeout = absl::Milliseconds(300);
  policies.per_service["inline"].inline_route_config = true;
  auto catalog = ResourceCatalog::Build(*snapshot, policies, {});

  envoy::config::route::v3::RouteConfiguration exact, padded;
  ASSERT_TRUE(catalog->Find(ResourceKind::kRouteConfiguration, "greeter.route", Modern())
                  ->resource.UnpackTo(&exact));
  ASSERT_TRUE(catalog->Find(ResourceKind::kRouteConfiguration, "greeter.route", Grpc151())
                  ->resource.UnpackTo(&padded));
  EXPECT_EQ(RouteTimeout(exact), absl::Milliseconds(300));
  EXPECT_EQ(RouteTimeout(padded), absl::Milliseconds(300) + kCoreTimeoutPadding);
  EXPECT_TRUE(catalog->VariesByClient(ResourceKind::kRouteConfiguration, "greeter"));
  EXPECT_FALSE(catalog->VariesByClient(ResourceKind::kListener, "greeter"));

  // A route inside the listener: the listener differs by client too.
  envoy::config::listener::v3::Listener listener;
  ASSERT_TRUE(
      catalog->Find(ResourceKind::kListener, "inline", Grpc151())->resource.UnpackTo(&listener));
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager manager;
  ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&manager));
  EXPECT_EQ(RouteTimeout(manager.route_config()), absl::Milliseconds(300) + kCoreTimeoutPadding);
  EXPECT_TRUE(catalog->VariesByClient(ResourceKind::kListener, "inline"));

  // No timeout: one route for everyone.
  EXPECT_EQ(catalog->Find(ResourceKind::kRouteConfiguration, "billing.route", Modern()),
            catalog->Find(ResourceKind::kRouteConfiguration, "billing.route", Grpc151()));
  EXPECT_FALSE(catalog->VariesByClient(ResourceKind::kRouteConfiguration, "billing"));
}

// What a subset feature would build: one service owning a cluster and an
// endpoint set per subset, beside a plain one.
TEST(ResourceCatalogTest, AServiceCanOwnSeveralClustersAndEndpointSets) {
  ServiceResources greeter;
  ServicePolicy policy;
  Cluster stable = BuildCluster("greeter", policy, LbPolicy::kRoundRobin);
  Cluster canary = stable;
  canary.set_name("greeter.canary.cluster");
  canary.mutable_eds_cluster_config()->set_service_name("greeter.canary.endpoints");
  greeter.Add(ResourceKind::kCluster, "greeter.cluster", stable);
  greeter.Add(ResourceKind::kCluster, "greeter.canary.cluster", canary);
  greeter.Add(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
              BuildClusterLoadAssignment("greeter", {Make("greeter", "127.0.0.1:1")}));
  greeter.Add(ResourceKind::kClusterLoadAssignment, "greeter.canary.endpoints",
              BuildClusterLoadAssignment("greeter.canary", {Make("greeter", "127.0.0.1:2")}));
  ServiceResources billing;
  billing.Add(ResourceKind::kCluster, "billing.cluster", BuildCluster("billing", policy, LbPolicy::kRoundRobin));
  auto catalog = ResourceCatalog::FromServices({{"greeter", greeter}, {"billing", billing}});
  ASSERT_TRUE(catalog.ok()) << catalog.status();

  for (const char* name : {"greeter.cluster", "greeter.canary.cluster"}) {
    const ServedResource* cluster = (*catalog)->Find(ResourceKind::kCluster, name, Modern());
    ASSERT_NE(cluster, nullptr) << name;
    EXPECT_EQ(cluster->name, name);
    ASSERT_NE((*catalog)->OwnerOf(ResourceKind::kCluster, name), nullptr);
    EXPECT_EQ(*(*catalog)->OwnerOf(ResourceKind::kCluster, name), "greeter");
  }
  ClusterLoadAssignment canary_endpoints;
  ASSERT_TRUE((*catalog)
                  ->Find(ResourceKind::kClusterLoadAssignment, "greeter.canary.endpoints", Modern())
                  ->resource.UnpackTo(&canary_endpoints));
  EXPECT_EQ(canary_endpoints.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().port_value(), 2u);
  EXPECT_EQ((*catalog)->NamesOf(ResourceKind::kCluster, "greeter"),
            (std::vector<std::string>{"greeter.cluster", "greeter.canary.cluster"}));
  EXPECT_EQ((*catalog)->Names(ResourceKind::kCluster),
            (std::vector<std::string>{"billing.cluster", "greeter.canary.cluster", "greeter.cluster"}));
  EXPECT_EQ((*catalog)->OwnerOf(ResourceKind::kCluster, "greeter.endpoints"), nullptr)
      << "names are per kind";

  // The service gains an endpoint set: the service and its endpoint names
  // changed, its clusters did not.
  ServiceResources moved = greeter;
  moved.Add(ResourceKind::kClusterLoadAssignment, "greeter.other.endpoints",
            BuildClusterLoadAssignment("greeter.other", {}));
  auto next = ResourceCatalog::FromServices({{"greeter", moved}, {"billing", billing}});
  ASSERT_TRUE(next.ok());
  std::set<std::string> changed = ChangedServices(catalog->get(), **next);
  EXPECT_EQ(changed, std::set<std::string>{"greeter"});
  ChangedByKind by_kind = ChangedResourcesByKind(catalog->get(), **next, changed);
  EXPECT_TRUE(by_kind[ResourceKind::kCluster].empty());
  EXPECT_EQ(by_kind[ResourceKind::kClusterLoadAssignment].count("greeter.other.endpoints"), 1u);
}

TEST(ResourceCatalogTest, TwoServicesCannotOwnOneName) {
  ServiceResources a, b;
  Cluster cluster = BuildCluster("shared", ServicePolicy{}, LbPolicy::kRoundRobin);
  a.Add(ResourceKind::kCluster, "shared.cluster", cluster);
  b.Add(ResourceKind::kCluster, "shared.cluster", cluster);
  auto catalog = ResourceCatalog::FromServices({{"a", a}, {"b", b}});
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("\"shared.cluster\""), std::string::npos)
      << catalog.status();
}

// Clients of zone A and zone B get different endpoint sets under one name;
// a client of another zone gets the whole set.
TEST(ResourceCatalogTest, ClientClassesGetTheirVariantOfOneResource) {
  std::vector<Instance> all = {Make("greeter", "127.0.0.1:1"), Make("greeter", "127.0.0.1:2")};
  ServiceResources greeter;
  greeter.Add(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
              BuildClusterLoadAssignment("greeter", all));
  greeter.AddVariant(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
                     ClientSelector{.zone = "a"}, BuildClusterLoadAssignment("greeter", {all[0]}));
  greeter.AddVariant(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
                     ClientSelector{.zone = "b"}, BuildClusterLoadAssignment("greeter", {all[1]}));
  auto catalog = ResourceCatalog::FromServices({{"greeter", greeter}});
  ASSERT_TRUE(catalog.ok());

  auto endpoints_for = [&](std::string zone) {
    ClientClass client;
    client.zone = std::move(zone);
    ClusterLoadAssignment cla;
    EXPECT_TRUE((*catalog)
                    ->Find(ResourceKind::kClusterLoadAssignment, "greeter.endpoints", client)
                    ->resource.UnpackTo(&cla));
    std::set<uint32_t> ports;
    for (const auto& locality : cla.endpoints()) {
      for (const auto& endpoint : locality.lb_endpoints()) {
        ports.insert(endpoint.endpoint().address().socket_address().port_value());
      }
    }
    return ports;
  };
  EXPECT_EQ(endpoints_for("a"), std::set<uint32_t>{1});
  EXPECT_EQ(endpoints_for("b"), std::set<uint32_t>{2});
  EXPECT_EQ(endpoints_for("c"), (std::set<uint32_t>{1, 2}));
  EXPECT_TRUE((*catalog)->VariesByClient(ResourceKind::kClusterLoadAssignment, "greeter"));
}

TEST(ResourceCatalogTest, ClientsOfAZoneGetTheirZoneFirst) {
  std::vector<Instance> instances;
  for (const char* zone : {"a", "b"}) {
    for (int i = 1; i <= 2; ++i) {
      Instance instance;
      instance.service = "greeter";
      instance.address = absl::StrCat("10.0.", zone[0] == 'a' ? 1 : 2, ".", i, ":1");
      instance.metadata.zone = zone;
      instances.push_back(instance);
    }
  }
  auto catalog = ResourceCatalog::Build(*Snapshot::Create(instances), PolicyTable{}, {});
  const std::string name = ResourceName(ResourceKind::kClusterLoadAssignment, "greeter");
  auto priorities_of = [&](const ClientClass& client) {
    const ServedResource* served =
        catalog->Find(ResourceKind::kClusterLoadAssignment, name, client);
    EXPECT_NE(served, nullptr);
    ClusterLoadAssignment cla;
    EXPECT_TRUE(served->resource.UnpackTo(&cla));
    std::map<std::string, uint32_t> by_zone;
    for (const auto& l : cla.endpoints()) by_zone[l.locality().zone()] = l.priority();
    return by_zone;
  };
  ClientClass in_a, in_b, nowhere, elsewhere;
  in_a.zone = "a";
  in_b.zone = "b";
  elsewhere.zone = "c";
  EXPECT_EQ(priorities_of(in_a), (std::map<std::string, uint32_t>{{"a", 0}, {"b", 1}}));
  EXPECT_EQ(priorities_of(in_b), (std::map<std::string, uint32_t>{{"a", 1}, {"b", 0}}));
  EXPECT_EQ(priorities_of(nowhere), (std::map<std::string, uint32_t>{{"a", 0}, {"b", 0}}));
  EXPECT_EQ(priorities_of(elsewhere), (std::map<std::string, uint32_t>{{"a", 0}, {"b", 0}}));
  EXPECT_TRUE(catalog->VariesByClient(ResourceKind::kClusterLoadAssignment, "greeter"));

  // One zone only: nothing to prefer, no variant.
  instances.resize(2);
  auto one_zone = ResourceCatalog::Build(*Snapshot::Create(instances), PolicyTable{}, {});
  EXPECT_FALSE(one_zone->VariesByClient(ResourceKind::kClusterLoadAssignment, "greeter"));
}

TEST(ChangedServicesTest, PolicyChangeCounts) {
  auto snapshot = Snapshot::Create({Make("greeter", "127.0.0.1:1")});
  PolicyTable policies;
  auto a = ResourceCatalog::Build(*snapshot, policies, {});
  policies.per_service["greeter"].timeout = absl::Seconds(1);
  auto b = ResourceCatalog::Build(*snapshot, policies, {});
  EXPECT_EQ(ChangedServices(a.get(), *b), std::set<std::string>{"greeter"});
}

TEST(ChangedResourcesByKindTest, AWeightChangesTheEndpointsOnly) {
  auto a = ResourceCatalog::Build(*Snapshot::Create({Make("greeter", "127.0.0.1:1")}), PolicyTable{}, {});
  auto b = ResourceCatalog::Build(*Snapshot::Create({Make("greeter", "127.0.0.1:1", 5),
                                                     Make("search", "127.0.0.1:3")}),
                                  PolicyTable{}, {});
  ChangedByKind by_kind = ChangedResourcesByKind(a.get(), *b, ChangedServices(a.get(), *b));
  EXPECT_EQ(by_kind[ResourceKind::kClusterLoadAssignment],
            (std::set<std::string>{"greeter.endpoints", "search.endpoints"}));
  for (ResourceKind kind : {ResourceKind::kListener, ResourceKind::kRouteConfiguration,
                            ResourceKind::kCluster}) {
    EXPECT_EQ(by_kind[kind], std::set<std::string>{ResourceName(kind, "search")}) << ShortName(kind);
  }
  // Gone services count for every kind; no previous catalog: everything.
  ChangedByKind gone = ChangedResourcesByKind(b.get(), *a, ChangedServices(b.get(), *a));
  EXPECT_EQ(gone[ResourceKind::kCluster], std::set<std::string>{"search.cluster"});
  ChangedByKind first = ChangedResourcesByKind(nullptr, *a, {"greeter"});
  EXPECT_EQ(first[ResourceKind::kListener], std::set<std::string>{"greeter"});
}

TEST(ChangedResourcesByKindTest, APolicyChangeChangesTheCluster) {
  auto snapshot = Snapshot::Create({Make("greeter", "127.0.0.1:1")});
  PolicyTable policies;
  auto a = ResourceCatalog::Build(*snapshot, policies, {});
  policies.per_service["greeter"].max_requests = 5;
  auto b = ResourceCatalog::Build(*snapshot, policies, {});
  ChangedByKind by_kind = ChangedResourcesByKind(a.get(), *b, {"greeter"});
  EXPECT_EQ(by_kind[ResourceKind::kCluster], std::set<std::string>{"greeter.cluster"});
  EXPECT_TRUE(by_kind[ResourceKind::kClusterLoadAssignment].empty());
}


}  // namespace
}  // namespace switchboard::xds
