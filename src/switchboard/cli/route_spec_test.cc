#include "switchboard/cli/route_spec.h"

#include "gtest/gtest.h"

namespace switchboard::cli {
namespace {

TEST(ParseSplitFlagTest, PercentagesBySubset) {
  auto split = ParseSplitFlag("v1=90, v2=10");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(*split, (xds::SubsetSplit{{"v1", 90}, {"v2", 10}}));
  EXPECT_TRUE(ParseSplitFlag("v1=100,v2=0").ok());
}

TEST(ParseSplitFlagTest, ErrorsNameTheBadPart) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"v1=90,v2=5", "--split 'v1=90,v2=5': the percentages sum to 95, not 100"},
      {"v1=90,v2", "--split 'v1=90,v2': 'v2' is not SUBSET=PERCENT (e.g. v1=90,v2=10)"},
      {"v1=ninety", "'v1=ninety' is not SUBSET=PERCENT"},
      {"=100", "'=100' is not SUBSET=PERCENT"},
      {"v1=-5,v2=105", "'v1=-5' is not SUBSET=PERCENT"},
      {"v1=150", "'v1=150': a percentage is 0..100"},
      {"v1=50,v1=50", "subset v1 is given twice"},
  };
  for (const Case& c : cases) {
    auto split = ParseSplitFlag(c.text);
    ASSERT_FALSE(split.ok()) << c.text;
    EXPECT_NE(split.status().message().find(c.error), std::string::npos)
        << "got: " << split.status().message();
  }
}

TEST(ParseHeaderRouteFlagTest, ExactPrefixAndPresent) {
  auto exact = ParseHeaderRouteFlag("x-canary=true:v2");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->match->header, "x-canary");
  EXPECT_EQ(exact->match->kind, xds::HeaderMatch::Kind::kExact);
  EXPECT_EQ(exact->match->value, "true");
  EXPECT_EQ(exact->split, (xds::SubsetSplit{{"v2", 100}}));

  auto prefix = ParseHeaderRouteFlag("x-team^=qa-:v2");
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  EXPECT_EQ(prefix->match->kind, xds::HeaderMatch::Kind::kPrefix);
  EXPECT_EQ(prefix->match->value, "qa-");

  auto present = ParseHeaderRouteFlag("x-debug:v1");
  ASSERT_TRUE(present.ok()) << present.status();
  EXPECT_EQ(present->match->kind, xds::HeaderMatch::Kind::kPresent);

  // The subset follows the last ':', so values may hold one.
  auto colon = ParseHeaderRouteFlag("x-at=10:30:v2");
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->match->value, "10:30");
}

TEST(ParseHeaderRouteFlagTest, ErrorsNameTheValue) {
  const std::pair<const char*, const char*> cases[] = {
      {"x-canary=true", "--header 'x-canary=true': want NAME=VALUE:SUBSET"},
      {"x-canary=true:", "want NAME=VALUE:SUBSET"},
      {"=true:v2", "the header name is empty"},
      {"X-Canary=true:v2", "header 'X-Canary' must be lower case"},
      {"grpc-timeout:v2", "header 'grpc-timeout' is reserved"},
      {"x-team^=:v2", "the prefix is empty"},
  };
  for (const auto& [text, error] : cases) {
    auto route = ParseHeaderRouteFlag(text);
    ASSERT_FALSE(route.ok()) << text;
    EXPECT_NE(route.status().message().find(error), std::string::npos)
        << "got: " << route.status().message();
  }
}

TEST(RoutingFromFlagsTest, HeaderRoutesInOrderAndTheSplit) {
  auto routing = RoutingFromFlags("version", "v1=90,v2=10", {"x-canary=true:v2", "x-debug:v1"});
  ASSERT_TRUE(routing.ok()) << routing.status();
  EXPECT_EQ(routing->subsets->by, "version");
  ASSERT_EQ(routing->routes.size(), 2u);
  EXPECT_EQ(routing->routes[0].match->header, "x-canary");
  EXPECT_EQ(routing->routes[1].match->header, "x-debug");
  EXPECT_EQ(FormatRouting(*routing),
            "subsets by version\n"
            "header x-canary=true -> v2\n"
            "header x-debug present -> v1\n"
            "default -> v1 90%, v2 10%\n");
  EXPECT_FALSE(RoutingFromFlags("version", "", {}).ok());
}

TEST(SubsetsWithoutInstancesTest, NamesTheSubsetsNoInstanceHas) {
  auto routing = RoutingFromFlags("version", "v1=90,v3=10", {"x-canary=true:v4"});
  ASSERT_TRUE(routing.ok());
  Instance v1{.service = "greeter", .address = "127.0.0.1:1", .metadata = {.version = "v1"}};
  EXPECT_EQ(SubsetsWithoutInstances(*routing, {v1}), (std::vector<std::string>{"v3", "v4"}));
}

}  // namespace
}  // namespace switchboard::cli
