#include "switchboard/client/route_override_feed.h"

#include "gtest/gtest.h"
#include "switchboard/xds/policy_file.h"

namespace switchboard {
namespace {

constexpr char kSplit90[] = R"({"subsets": {"by": "version"}, "split": {"v1": 90, "v2": 10}})";
constexpr char kSplit50[] = R"({"subsets": {"by": "version"}, "split": {"v1": 50, "v2": 50}})";

TEST(RouteOverridesTest, OneOverridePerServiceKey) {
  RouteOverrides overrides("services/");
  std::vector<std::string> problems;
  overrides.Update({{"services/_switchboard/routes/greeter", kSplit90},
                    {"services/_switchboard/routes/nested/x", kSplit90},
                    {"services/_switchboard/other", kSplit90}},
                   &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(overrides.by_service().size(), 1u);
  EXPECT_EQ(overrides.by_service().at("greeter").split,
            (xds::SubsetSplit{{"v1", 90}, {"v2", 10}}));
}

TEST(RouteOverridesTest, ABadValueKeepsTheLastGoodOneAndIsReported) {
  RouteOverrides overrides("");
  std::vector<std::string> problems;
  overrides.Update({{"_switchboard/routes/greeter", kSplit90}}, &problems);
  overrides.Update({{"_switchboard/routes/greeter", R"({"split": {"v1": 80}})"}}, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("etcd key _switchboard/routes/greeter: split: the percentages sum to 80"),
            std::string::npos)
      << problems[0];
  EXPECT_NE(problems[0].find("keeping its last good value"), std::string::npos);
  EXPECT_EQ(overrides.by_service().at("greeter").split.at("v1"), 90u);

  overrides.Update({{"_switchboard/routes/greeter", kSplit50}}, &problems);
  EXPECT_EQ(overrides.by_service().at("greeter").split.at("v1"), 50u);
  // Deleted: no override.
  overrides.Update({}, &problems);
  EXPECT_TRUE(overrides.by_service().empty());
}

TEST(RouteOverridesTest, AnOverrideReplacesTheFilesRoutingOnly) {
  auto table = xds::ParsePolicyJson(R"({"services": {"greeter": {
      "timeout": "3s", "subsets": {"by": "track"}, "split": {"a": 100}}}})",
                                    "p");
  ASSERT_TRUE(table.ok()) << table.status();
  auto routing = xds::ParseRoutingJson(kSplit90, "etcd");
  ASSERT_TRUE(routing.ok());
  xds::PolicyTable merged =
      xds::WithRouteOverrides(*table, {{"greeter", *routing}, {"billing", *routing}});
  EXPECT_EQ(merged.For("greeter").timeout, absl::Seconds(3));
  EXPECT_EQ(merged.For("greeter").routing, *routing);
  EXPECT_EQ(merged.For("billing").routing, *routing);
  EXPECT_EQ(merged.For("billing").timeout, table->defaults.timeout);
}

}  // namespace
}  // namespace switchboard
