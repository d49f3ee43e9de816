#include "switchboard/xds/policy_file.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace switchboard::xds {
namespace {

TEST(PolicyFileTest, ServicesInheritDefaultsAndOverrideWhatTheyName) {
  auto table = ParsePolicyJson(R"({
    "services": {
      "greeter": {"outlier_detection": {"interval": "2s"}, "max_requests": 200,
                  "retry": {"num_retries": 4}},
      "billing": {"retry": null, "lb_policy": "ring_hash", "hash_header": "x-user",
                  "timeout": null}
    },
    "defaults": {"timeout": "5s", "retry": {"base_interval": "10ms"}}
  })",
                               "policy");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->defaults.timeout, absl::Seconds(5));
  ASSERT_TRUE(table->defaults.retry.has_value());
  EXPECT_EQ(table->defaults.retry->base_interval, absl::Milliseconds(10));
  EXPECT_EQ(table->defaults.retry->num_retries, RetryPolicy{}.num_retries);

  const ServicePolicy& greeter = table->For("greeter");
  EXPECT_EQ(greeter.timeout, absl::Seconds(5));  // inherited
  ASSERT_TRUE(greeter.retry.has_value());
  EXPECT_EQ(greeter.retry->num_retries, 4u);
  EXPECT_EQ(greeter.retry->base_interval, absl::Milliseconds(10));  // inherited inside retry
  ASSERT_TRUE(greeter.outlier_detection.has_value());
  EXPECT_EQ(greeter.outlier_detection->interval, absl::Seconds(2));
  EXPECT_EQ(greeter.outlier_detection->failure_percentage_threshold,
            OutlierDetectionPolicy{}.failure_percentage_threshold);
  EXPECT_EQ(greeter.max_requests, 200u);

  const ServicePolicy& billing = table->For("billing");
  EXPECT_FALSE(billing.retry.has_value());
  EXPECT_FALSE(billing.timeout.has_value());
  EXPECT_EQ(billing.lb_policy, LbPolicy::kRingHash);
  EXPECT_EQ(billing.hash_header, "x-user");

  EXPECT_EQ(table->For("other"), table->defaults);
}

TEST(PolicyFileTest, EmptyObjectIsTheBuiltInDefaults) {
  auto table = ParsePolicyJson("{}", "policy");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(*table, PolicyTable{});
}

TEST(PolicyFileTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"servces": {}})", "top level: unknown field \"servces\" (known: defaults, services)"},
      {R"({"services": {"greeter": {"retry": {"num_retry": 3}}}})",
       "services.greeter.retry: unknown field \"num_retry\" (known: base_interval, max_interval, "
       "num_retries)"},
      {R"({"services": {"greeter": {"timeout": "soon"}}})",
       "services.greeter.timeout: must be a duration such as \"250ms\" or \"5s\""},
      {R"({"defaults": {"timeout": "-1s"}})", "defaults.timeout: must be a positive, finite duration"},
      {R"({"services": {"a": {"retry": {"num_retries": 0}}}})",
       "services.a.retry.num_retries: must be in 1..10"},
      {R"({"services": {"a": {"outlier_detection": {"max_ejection_percent": 101}}}})",
       "services.a.outlier_detection.max_ejection_percent: must be in 0..100"},
      {R"({"services": {"a": {"lb_policy": "least_request"}}})",
       "services.a.lb_policy: must be \"round_robin\" or \"ring_hash\""},
      {R"({"services": {"a": {"retry": {"base_interval": "1s", "max_interval": "10ms"}}}})",
       "services.a.retry: max_interval must not be shorter than base_interval"},
      {R"({"services": {"a": {"max_requests": "many"}}})", "services.a.max_requests: must be an integer"},
      {R"({"services": {"a": {"failover": {"min_healthy_percent": 120}}}})",
       "services.a.failover.min_healthy_percent: must be a number in 0..100 (a percentage)"},
      {R"({"services": {"a": {"failover": {"min_healthy_percent": "71%"}}}})",
       "services.a.failover.min_healthy_percent: must be a number in 0..100 (a percentage)"},
      {R"({"services": {"a": {"failover": {"min_healty_percent": 50}}}})",
       "services.a.failover: unknown field \"min_healty_percent\" (known: min_healthy_percent)"},
      {R"({"defaults": {"failover": 71}})", "defaults.failover: must be an object"},
      {R"({"services": {"a": {"fault": {"abort": {"percent": 5, "code": "NOPE"}}}}})",
       "services.a.fault.abort.code: must be a gRPC status code other than OK, as a name "
       "(\"UNAVAILABLE\") or a number (1..16)"},
      {R"({"services": {"a": {"fault": {"abort": {"percent": 5, "code": 0}}}}})",
       "services.a.fault.abort.code: must be in 1..16"},
      {R"({"services": {"a": {"fault": {"delay": {"percent": 101, "duration": "1s"}}}}})",
       "services.a.fault.delay.percent: must be in 0..100"},
      {R"({"services": {"a": {"fault": {"delay": {"percent": 10}}}}})",
       "services.a.fault.delay: needs \"duration\", e.g. \"200ms\""},
      {R"({"services": {"a": {"fault": {}}}})",
       "services.a.fault: injects nothing: give delay.percent or abort.percent above 0"},
      {R"({"services": []})", "services: must be an object: service -> policy"},
      {R"([1])", "top level: must be an object"},
      {"{\n  \"services\": {,}\n}", "policy:2:16: syntax error"},
  };
  for (const Case& c : cases) {
    auto table = ParsePolicyJson(c.json, "policy");
    ASSERT_FALSE(table.ok()) << c.json;
    EXPECT_NE(std::string(table.status().message()).find(c.error), std::string::npos)
        << c.json << "\n  got: " << table.status().message();
  }
}

TEST(PolicyFileTest, FaultsAreReadForAServiceAndOverriddenPerRoute) {
  auto table = ParsePolicyJson(R"({"services": {"greeter": {
      "fault": {"delay": {"percent": 10, "duration": "200ms"}},
      "subsets": {"by": "version"},
      "routes": [
        {"match": {"header": "x-chaos", "present": true}, "subset": "v1",
         "fault": {"abort": {"percent": 50, "code": "unavailable"}}},
        {"match": {"header": "x-calm", "present": true}, "subset": "v1", "fault": null},
        {"match": {"header": "x-other", "present": true}, "subset": "v1"}]}}})",
                               "policy");
  ASSERT_TRUE(table.ok()) << table.status();
  const ServicePolicy& policy = table->For("greeter");
  ASSERT_TRUE(policy.fault.has_value());
  EXPECT_EQ(*policy.fault, (FaultPolicy{.delay_percent = 10, .delay = absl::Milliseconds(200)}));
  ASSERT_EQ(policy.routing.routes.size(), 3u);
  EXPECT_EQ(policy.routing.routes[0].fault,
            std::optional<std::optional<FaultPolicy>>(FaultPolicy{.abort_percent = 50, .abort_code = 14}));
  // Set, to none: the route clears the service's fault.
  ASSERT_TRUE(policy.routing.routes[1].fault.has_value());
  EXPECT_FALSE(policy.routing.routes[1].fault->has_value());
  EXPECT_FALSE(policy.routing.routes[2].fault.has_value());  // inherits
  EXPECT_FALSE(table->For("other").fault.has_value());

  // A route's fault survives the JSON of an etcd route override.
  absl::StatusOr<RoutingPolicy> again = ParseRoutingJson(RoutingToJson(policy.routing), "again");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, policy.routing);
}

TEST(PolicyFileTest, FailoverThresholdIsInheritedAndOverridden) {
  auto table = ParsePolicyJson(
      R"({"defaults": {"failover": {"min_healthy_percent": 60}},
          "services": {"a": {"failover": {"min_healthy_percent": 0}}, "b": {}}})",
      "policy");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->For("a").failover.min_healthy_percent, 0);
  EXPECT_EQ(table->For("b").failover.min_healthy_percent, 60);
  EXPECT_NEAR(PolicyTable{}.defaults.failover.min_healthy_percent, 71.43, 0.01);
}

TEST(PolicyFileTest, LoadNamesTheFile) {
  std::string path = ::testing::TempDir() + "/policy_file_test.json";
  {
    std::ofstream out(path);
    out << "{\n  \"defaults\": {\"timeout\": 5}\n}\n";
  }
  auto bad = LoadPolicyFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            path + ": defaults.timeout: must be a duration such as \"250ms\" or \"5s\"");
  {
    std::ofstream out(path);
    out << "{\n  \"defaults\": {\"timeout\": \"5s\",}\n}\n";
  }
  auto syntax = LoadPolicyFile(path);
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(std::string(syntax.status().message()).rfind(path + ":2:", 0), 0u)
      << syntax.status().message();
  std::remove(path.c_str());
  auto missing = LoadPolicyFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), path + ": cannot read the policy file");
}

TEST(PolicyFileTest, ClientCaveatsNameEachTimeoutGrpcCppCannotKeep) {
  auto table = ParsePolicyJson(R"({
    "defaults": {"timeout": "500ms"},
    "services": {"greeter": {"max_requests": 5}, "billing": {"timeout": "3s"},
                 "search": {"timeout": null}}
  })", "policy.json");
  ASSERT_TRUE(table.ok()) << table.status();
  std::vector<std::string> caveats = ClientCaveats(*table);
  ASSERT_EQ(caveats.size(), 2u);
  EXPECT_EQ(caveats[0],
            "defaults.timeout 500ms: gRPC C++ clients end calls between 500ms and 1.5s after "
            "they start (their timeout clock runs 1 to 2s early, grpc#34547); other clients "
            "keep it");
  EXPECT_EQ(caveats[1].substr(0, caveats[1].find(':')), "services.billing.timeout 3s");
  EXPECT_TRUE(ClientCaveats(PolicyTable{}).empty());
}

}  // namespace
}  // namespace switchboard::xds
