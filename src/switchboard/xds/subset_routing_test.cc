// Subsets and routes between them: the policy fields, the route built from
// them, the fall-back rule, and the subsets' resources in the catalog.
#include <string>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gtest/gtest.h"
#include "switchboard/xds/policy_file.h"
#include "switchboard/xds/resource_catalog.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/route_configuration_builder.h"

namespace switchboard::xds {
namespace {

using envoy::config::route::v3::RouteAction;

Instance Versioned(std::string address, std::string version, bool draining = false) {
  Instance i;
  i.service = "greeter";
  i.address = std::move(address);
  i.metadata.version = std::move(version);
  i.metadata.draining = draining;
  return i;
}

ServicePolicy Canary(SubsetSplit split) {
  ServicePolicy policy;
  policy.routing.subsets = SubsetPolicy{};
  policy.routing.split = std::move(split);
  return policy;
}

// (cluster, weight) of a route action, whether one cluster or weighted.
std::vector<WeightedTarget> TargetsOf(const RouteAction& action) {
  if (!action.cluster().empty()) return {{action.cluster(), 100}};
  std::vector<WeightedTarget> targets;
  for (const auto& c : action.weighted_clusters().clusters()) {
    targets.push_back({c.name(), c.weight().value()});
  }
  return targets;
}

TEST(SubsetPolicyFileTest, ReadsSubsetsSplitAndHeaderRoutes) {
  auto table = ParsePolicyJson(R"({
    "defaults": {"timeout": "5s"},
    "services": {"greeter": {
      "subsets": {"by": "track"},
      "split": {"v1": 90, "v2": 10},
      "routes": [
        {"match": {"header": "x-canary", "exact": "true"}, "subset": "v2", "timeout": "1s"},
        {"match": {"header": "x-team", "prefix": "qa-"}, "split": {"v1": 50, "v2": 50},
         "retry": null},
        {"match": {"header": "x-debug", "present": true}, "subset": "v1", "timeout": null}
      ]}}})",
                               "policy.json");
  ASSERT_TRUE(table.ok()) << table.status();
  const RoutingPolicy& routing = table->For("greeter").routing;
  ASSERT_TRUE(routing.subsets.has_value());
  EXPECT_EQ(routing.subsets->by, "track");
  EXPECT_EQ(routing.split, (SubsetSplit{{"v1", 90}, {"v2", 10}}));
  ASSERT_EQ(routing.routes.size(), 3u);
  EXPECT_EQ(routing.routes[0].match->header, "x-canary");
  EXPECT_EQ(routing.routes[0].match->kind, HeaderMatch::Kind::kExact);
  EXPECT_EQ(routing.routes[0].match->value, "true");
  EXPECT_EQ(routing.routes[0].split, (SubsetSplit{{"v2", 100}}));
  EXPECT_EQ(routing.routes[0].timeout, std::optional<absl::Duration>(absl::Seconds(1)));
  EXPECT_FALSE(routing.routes[0].retry.has_value());  // inherits
  EXPECT_EQ(routing.routes[1].match->kind, HeaderMatch::Kind::kPrefix);
  ASSERT_TRUE(routing.routes[1].retry.has_value());
  EXPECT_FALSE(routing.routes[1].retry->has_value());  // none
  EXPECT_EQ(routing.routes[2].match->kind, HeaderMatch::Kind::kPresent);
  ASSERT_TRUE(routing.routes[2].timeout.has_value());
  EXPECT_FALSE(routing.routes[2].timeout->has_value());
  EXPECT_TRUE(table->For("other").routing.empty());
}

TEST(SubsetPolicyFileTest, ErrorsNameTheBadField) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"services": {"g": {"split": {"v1": 100}}}})",
       "services.g.split: needs \"subsets\" to split between"},
      {R"({"services": {"g": {"routes": []}}})", ""},  // an empty list is fine
      {R"({"services": {"g": {"subsets": {"by": ""}}}})",
       "services.g.subsets.by: must be \"version\" or a label name"},
      {R"({"services": {"g": {"subsets": {"on": "version"}}}})",
       "services.g.subsets: unknown field \"on\" (known: by)"},
      {R"({"services": {"g": {"subsets": {}, "split": {"v1": 90, "v2": 5}}}})",
       "services.g.split: the percentages sum to 95, not 100"},
      {R"({"services": {"g": {"subsets": {}, "split": {"v1": 101}}}})",
       "services.g.split.v1: must be in 0..100"},
      {R"({"services": {"g": {"subsets": {}, "split": {"v1": "90"}}}})",
       "services.g.split.v1: must be an integer"},
      {R"({"services": {"g": {"subsets": {}, "split": {}}}})",
       "services.g.split: must be an object of subset -> percentage"},
      {R"({"services": {"g": {"subsets": {}, "split": {"": 100}}}})",
       "services.g.split: a subset name is empty"},
      {R"({"services": {"g": {"subsets": {}, "routes": {}}}})",
       "services.g.routes: must be an array of routes, tried in order"},
      {R"({"services": {"g": {"subsets": {}, "routes": [{"subset": "v2"}]}}})",
       "services.g.routes[0]: needs \"match\""},
      {R"({"services": {"g": {"subsets": {}, "routes": [{"match": {"header": "x"}}]}}})",
       "services.g.routes[0].match: needs exactly one of \"exact\", \"prefix\" or \"present\""},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "exact": "1"}, "subset": "v2", "split": {"v2": 100}}]}}})",
       "services.g.routes[0]: needs exactly one of \"subset\" or \"split\""},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "exact": "1"}}]}}})",
       "services.g.routes[0]: needs exactly one of \"subset\" or \"split\""},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "X-Canary", "exact": "1"}, "subset": "v2"}]}}})",
       "services.g.routes[0].match.header: \"X-Canary\" must be lower case"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "grpc-timeout", "present": true}, "subset": "v2"}]}}})",
       "services.g.routes[0].match.header: \"grpc-timeout\" is reserved"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "prefix": ""}, "subset": "v2"}]}}})",
       "services.g.routes[0].match.prefix: must be a non-empty string"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "present": false}, "subset": "v2"}]}}})",
       "services.g.routes[0].match.present: must be true"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "present": true}, "subset": "v2", "timeout": "fast"}]}}})",
       "services.g.routes[0].timeout: must be a duration"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "present": true}, "subset": "", "timeout": "1s"}]}}})",
       "services.g.routes[0].subset: must be a subset name"},
      {R"({"services": {"g": {"subsets": {}, "routes": [
          {"match": {"header": "x", "present": true}, "subset": "v2", "weight": 1}]}}})",
       "services.g.routes[0]: unknown field \"weight\" (known: fault, match, retry, split, "
       "subset, timeout)"},
  };
  for (const Case& c : cases) {
    auto table = ParsePolicyJson(c.json, "p.json");
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(table.ok()) << c.json << ": " << table.status();
      continue;
    }
    ASSERT_FALSE(table.ok()) << c.json;
    EXPECT_NE(table.status().message().find(absl::StrCat("p.json: ", c.error)), std::string::npos)
        << "got: " << table.status().message() << "\nwant: " << c.error;
  }
}

TEST(SubsetPolicyFileTest, RoutingJsonRoundTrips) {
  auto parsed = ParseRoutingJson(R"({"subsets": {"by": "version"},
      "split": {"v1": 90, "v2": 10},
      "routes": [{"match": {"header": "x-canary", "exact": "true"}, "subset": "v2"},
                 {"match": {"header": "x-qa", "present": true}, "split": {"v1": 50, "v2": 50},
                  "timeout": "2s", "retry": {"num_retries": 3}}]})",
                                 "etcd key k");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto again = ParseRoutingJson(RoutingToJson(*parsed), "again");
  ASSERT_TRUE(again.ok()) << again.status() << " in " << RoutingToJson(*parsed);
  EXPECT_EQ(*again, *parsed);

  auto bad = ParseRoutingJson(R"({"split": {"v1": 100}, "timeout": "1s"})", "etcd key k");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("etcd key k: top level: unknown field \"timeout\""),
            std::string::npos)
      << bad.status();
}

TEST(ResolveSplitTest, LiveSubsetsKeepTheirWeights) {
  EXPECT_EQ(ResolveSplit("greeter", {{"v1", 90}, {"v2", 10}}, {"v1", "v2"}),
            (std::vector<WeightedTarget>{{"greeter/v1.cluster", 90}, {"greeter/v2.cluster", 10}}));
}

TEST(ResolveSplitTest, AMissingSubsetsWeightGoesToTheOthers) {
  // v3 has no instance: v1 and v2 share everything, 60:20 = 75%:25%.
  EXPECT_EQ(ResolveSplit("greeter", {{"v1", 60}, {"v2", 20}, {"v3", 20}}, {"v1", "v2"}),
            (std::vector<WeightedTarget>{{"greeter/v1.cluster", 60}, {"greeter/v2.cluster", 20}}));
}

TEST(ResolveSplitTest, ZeroWeightsAreLeftOut) {
  EXPECT_EQ(ResolveSplit("greeter", {{"v1", 100}, {"v2", 0}}, {"v1", "v2"}),
            (std::vector<WeightedTarget>{{"greeter/v1.cluster", 100}}));
}

TEST(ResolveSplitTest, NoLiveSubsetMeansTheWholeService) {
  EXPECT_EQ(ResolveSplit("greeter", {{"v9", 100}}, {"v1"}),
            (std::vector<WeightedTarget>{{"greeter.cluster", 100}}));
  EXPECT_EQ(ResolveSplit("greeter", {}, {"v1"}),
            (std::vector<WeightedTarget>{{"greeter.cluster", 100}}));
}

TEST(RoutingProblemsTest, NamesTheRouteTheSubsetAndWhereItsWeightGoes) {
  RoutingPolicy routing;
  routing.subsets = SubsetPolicy{};
  routing.split = {{"v1", 90}, {"v2", 10}};
  routing.routes.push_back(
      {.match = HeaderMatch{.header = "x-canary", .value = "true"}, .split = {{"v3", 100}}});
  std::vector<std::string> problems = RoutingProblems("greeter", routing, {"v1"});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0],
            "service greeter: route 1 (header x-canary=true): subset v3 has no serving instance "
            "(version=v3); its 100% goes to every instance of the service");
  EXPECT_EQ(problems[1],
            "service greeter: default route: subset v2 has no serving instance (version=v2); "
            "its 10% goes to subset(s) v1");
  EXPECT_TRUE(RoutingProblems("greeter", routing, {"v1", "v2", "v3"}).empty());
}

TEST(BuildRouteConfigurationTest, HeaderRoutesInOrderThenTheSplit) {
  ServicePolicy policy = Canary({{"v1", 90}, {"v2", 10}});
  policy.timeout = absl::Seconds(5);
  policy.retry = RetryPolicy{.num_retries = 3};
  policy.routing.routes.push_back({.match = HeaderMatch{.header = "x-canary", .value = "true"},
                                   .split = {{"v2", 100}},
                                   .timeout = std::optional<absl::Duration>(absl::Seconds(1))});
  policy.routing.routes.push_back(
      {.match = HeaderMatch{.header = "x-qa", .kind = HeaderMatch::Kind::kPresent},
       .split = {{"v1", 50}, {"v2", 50}},
       .retry = std::optional<RetryPolicy>()});
  RouteConfiguration config = BuildRouteConfiguration("greeter", policy, {"v1", "v2"});
  const auto& routes = config.virtual_hosts(0).routes();
  ASSERT_EQ(routes.size(), 3);

  EXPECT_EQ(routes[0].match().headers(0).name(), "x-canary");
  EXPECT_EQ(routes[0].match().headers(0).exact_match(), "true");
  EXPECT_EQ(TargetsOf(routes[0].route()),
            (std::vector<WeightedTarget>{{"greeter/v2.cluster", 100}}));
  EXPECT_EQ(routes[0].route().max_stream_duration().grpc_timeout_header_max().seconds(), 1);
  EXPECT_EQ(routes[0].route().retry_policy().num_retries().value(), 3u);  // inherited

  EXPECT_TRUE(routes[1].match().headers(0).present_match());
  EXPECT_EQ(routes[1].route().weighted_clusters().total_weight().value(), 100u);
  EXPECT_EQ(routes[1].route().max_stream_duration().grpc_timeout_header_max().seconds(), 5);
  EXPECT_FALSE(routes[1].route().has_retry_policy());  // retry: null

  EXPECT_EQ(routes[2].match().headers_size(), 0);
  EXPECT_EQ(routes[2].match().prefix(), "");
  EXPECT_EQ(TargetsOf(routes[2].route()),
            (std::vector<WeightedTarget>{{"greeter/v1.cluster", 90}, {"greeter/v2.cluster", 10}}));
}

TEST(BuildRouteConfigurationTest, FallBackSumsTheTotalWeightOfWhatIsLeft) {
  RouteConfiguration config =
      BuildRouteConfiguration("greeter", Canary({{"v1", 60}, {"v2", 20}, {"v3", 20}}), {"v1", "v2"});
  const auto& action = config.virtual_hosts(0).routes(0).route();
  EXPECT_EQ(action.weighted_clusters().total_weight().value(), 80u);
  EXPECT_EQ(action.weighted_clusters().clusters_size(), 2);
}

TEST(SubsetCatalogTest, EachSubsetIsItsOwnClusterAndEndpointSet) {
  auto snapshot = Snapshot::Create({Versioned("127.0.0.1:1", "v1"), Versioned("127.0.0.1:2", "v1"),
                                    Versioned("127.0.0.1:3", "v2"), Versioned("127.0.0.1:4", "")});
  PolicyTable policies;
  policies.per_service["greeter"] = Canary({{"v1", 90}, {"v2", 10}});
  auto catalog = ResourceCatalog::Build(*snapshot, policies, {});
  EXPECT_EQ(catalog->NamesOf(ResourceKind::kCluster, "greeter"),
            (std::vector<std::string>{"greeter.cluster", "greeter/v1.cluster",
                                      "greeter/v2.cluster"}));
  auto endpoints_of = [&](const std::string& name) {
    const ServedResource* r =
        catalog->Find(ResourceKind::kClusterLoadAssignment, name, ClientClass{});
    EXPECT_NE(r, nullptr) << name;
    envoy::config::endpoint::v3::ClusterLoadAssignment cla;
    if (r != nullptr) r->resource.UnpackTo(&cla);
    int count = 0;
    for (const auto& locality : cla.endpoints()) count += locality.lb_endpoints_size();
    return count;
  };
  // The unlabelled instance is only in the service's own set.
  EXPECT_EQ(endpoints_of("greeter.endpoints"), 4);
  EXPECT_EQ(endpoints_of("greeter/v1.endpoints"), 2);
  EXPECT_EQ(endpoints_of("greeter/v2.endpoints"), 1);
  EXPECT_EQ(*catalog->OwnerOf(ResourceKind::kCluster, "greeter/v2.cluster"), "greeter");

  const ServedResource* cds =
      catalog->Find(ResourceKind::kCluster, "greeter/v2.cluster", ClientClass{});
  ASSERT_NE(cds, nullptr);
  envoy::config::cluster::v3::Cluster cluster;
  ASSERT_TRUE(cds->resource.UnpackTo(&cluster));
  EXPECT_EQ(cluster.eds_cluster_config().service_name(), "greeter/v2.endpoints");
}

TEST(SubsetCatalogTest, ANamedSubsetWithoutInstancesIsServedEmptyAndReported) {
  auto snapshot = Snapshot::Create({Versioned("127.0.0.1:1", "v1"),
                                    Versioned("127.0.0.1:2", "v2", /*draining=*/true)});
  PolicyTable policies;
  policies.per_service["greeter"] = Canary({{"v1", 50}, {"v2", 25}, {"v3", 25}});
  std::vector<std::string> problems;
  auto catalog = ResourceCatalog::Build(*snapshot, policies, {}, &problems);
  EXPECT_NE(catalog->Lookup(ResourceKind::kCluster, "greeter/v3.cluster"), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("subsets v2, v3 have no serving instance"), std::string::npos)
      << problems[0];
  envoy::config::route::v3::RouteConfiguration route;
  ASSERT_TRUE(catalog->Find(ResourceKind::kRouteConfiguration, "greeter.route", ClientClass{})
                  ->resource.UnpackTo(&route));
  EXPECT_EQ(TargetsOf(route.virtual_hosts(0).routes(0).route()),
            (std::vector<WeightedTarget>{{"greeter/v1.cluster", 100}}));
}

TEST(SubsetCatalogTest, ALabelNamesTheSubsets) {
  Instance blue = Versioned("127.0.0.1:1", "v1");
  blue.metadata.labels["color"] = "blue";
  auto snapshot = Snapshot::Create({blue, Versioned("127.0.0.1:2", "v1")});
  PolicyTable policies;
  policies.per_service["greeter"].routing.subsets = SubsetPolicy{.by = "color"};
  auto catalog = ResourceCatalog::Build(*snapshot, policies, {});
  EXPECT_EQ(catalog->NamesOf(ResourceKind::kClusterLoadAssignment, "greeter"),
            (std::vector<std::string>{"greeter.endpoints", "greeter/blue.endpoints"}));
}

TEST(SubsetCatalogTest, ASplitChangeChangesTheRouteOnly) {
  auto snapshot = Snapshot::Create({Versioned("127.0.0.1:1", "v1"), Versioned("127.0.0.1:2", "v2")});
  PolicyTable before, after;
  before.per_service["greeter"] = Canary({{"v1", 90}, {"v2", 10}});
  after.per_service["greeter"] = Canary({{"v1", 50}, {"v2", 50}});
  auto a = ResourceCatalog::Build(*snapshot, before, {});
  auto b = ResourceCatalog::Build(*snapshot, after, {}, nullptr, a.get());
  std::set<std::string> changed = ChangedServices(a.get(), *b);
  EXPECT_EQ(changed, (std::set<std::string>{"greeter"}));
  ChangedByKind names = ChangedResourcesByKind(a.get(), *b, changed);
  EXPECT_EQ(names[ResourceKind::kRouteConfiguration], (std::set<std::string>{"greeter.route"}));
  EXPECT_TRUE(names[ResourceKind::kCluster].empty());
  EXPECT_TRUE(names[ResourceKind::kClusterLoadAssignment].empty());
  EXPECT_TRUE(names[ResourceKind::kListener].empty());
}

}  // namespace
}  // namespace switchboard::xds
