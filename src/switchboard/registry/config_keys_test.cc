#include "switchboard/registry/config_keys.h"

#include "gtest/gtest.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

TEST(ConfigKeysTest, RouteKeysSitBesideTheRegistry) {
  EXPECT_EQ(RouteConfigKey("", "greeter"), "_switchboard/routes/greeter");
  EXPECT_EQ(RouteConfigKey("services/", "greeter"), "services/_switchboard/routes/greeter");
  EXPECT_EQ(ServiceOfRouteConfigKey("services/", "services/_switchboard/routes/greeter"),
            "greeter");
  EXPECT_EQ(ServiceOfRouteConfigKey("", "_switchboard/routes/"), std::nullopt);
  EXPECT_EQ(ServiceOfRouteConfigKey("", "_switchboard/routes/a/b"), std::nullopt);
  EXPECT_EQ(ServiceOfRouteConfigKey("", "greeter/127.0.0.1:1"), std::nullopt);
}

TEST(ConfigKeysTest, NoServiceCanOwnTheConfigKeys) {
  EXPECT_TRUE(IsConfigKey("", "_switchboard/routes/greeter"));
  EXPECT_FALSE(IsConfigKey("", "greeter/127.0.0.1:1"));
  // The directory is not a valid service name, so no instance lives there.
  EXPECT_FALSE(ValidateServiceName("_switchboard").ok());
}

}  // namespace
}  // namespace switchboard
