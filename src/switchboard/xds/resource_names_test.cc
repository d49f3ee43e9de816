#include "switchboard/xds/resource_names.h"

#include <set>

#include "gtest/gtest.h"

namespace switchboard::xds {
namespace {

TEST(ResourceNamesTest, ListenerIsTheServiceAndOthersDeriveFromIt) {
  EXPECT_EQ(ResourceName(ResourceKind::kListener, "greeter"), "greeter");
  std::set<std::string> names;
  for (ResourceKind kind : kAllResourceKinds) {
    std::string name = ResourceName(kind, "greeter");
    names.insert(name);
    EXPECT_EQ(ServiceOfResourceName(kind, name), "greeter") << name;
  }
  EXPECT_EQ(names.size(), 4u);  // distinct per kind
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kCluster, "greeter"), std::nullopt);
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kCluster, ".cluster"), std::nullopt);
  EXPECT_EQ(ServiceOfResourceName(ResourceKind::kListener, ""), std::nullopt);
}

TEST(ResourceNamesTest, TypeUrlsRoundTrip) {
  for (ResourceKind kind : kAllResourceKinds) EXPECT_EQ(KindOfTypeUrl(TypeUrl(kind)), kind);
  EXPECT_EQ(KindOfTypeUrl("type.googleapis.com/envoy.config.listener.v3.Nope"), std::nullopt);
}

}  // namespace
}  // namespace switchboard::xds
