#include "switchboard/xds/client_class.h"

#include "gtest/gtest.h"

namespace switchboard::xds {
namespace {

envoy::config::core::v3::Node NodeWith(std::string name, std::string version) {
  envoy::config::core::v3::Node node;
  node.set_id("n");
  node.set_user_agent_name(std::move(name));
  node.set_user_agent_version(std::move(version));
  return node;
}

TEST(ClientClassTest, OldCCoreGetsNoRingHash) {
  auto grpc151 = ClassifyClient(NodeWith("gRPC C-core linux", "C-core 29.0.0"));
  EXPECT_FALSE(grpc151.ring_hash);
  EXPECT_EQ(grpc151.Tailor(LbPolicy::kRingHash), LbPolicy::kRoundRobin);
  EXPECT_EQ(grpc151.Tailor(LbPolicy::kRoundRobin), LbPolicy::kRoundRobin);
  EXPECT_FALSE(ClassifyClient(NodeWith("gRPC C-core linux", "garbage")).ring_hash);
  EXPECT_TRUE(ClassifyClient(NodeWith("gRPC C-core linux", "C-core 30.1.0")).ring_hash);
  auto node = ClassifyClient(NodeWith("gRPC Node Pure JS", "1.14.1"));
  EXPECT_TRUE(node.ring_hash);
  EXPECT_EQ(node.Tailor(LbPolicy::kRingHash), LbPolicy::kRingHash);
  EXPECT_EQ(CoreMajorVersion(NodeWith("gRPC C-core linux", "C-core 29.0.0")), 29);
  EXPECT_EQ(CoreMajorVersion(NodeWith("envoy", "1.2")), -1);
}

TEST(ClientClassTest, EveryCCoreGetsRouteTimeoutsPadded) {
  for (const char* version : {"C-core 29.0.0", "C-core 49.0.0"}) {
    auto core = ClassifyClient(NodeWith("gRPC C-core linux", version));
    EXPECT_FALSE(core.exact_route_timeout) << version;
    EXPECT_EQ(core.TailorTimeout(absl::Milliseconds(300)),
              absl::Milliseconds(300) + kCoreTimeoutPadding);
    EXPECT_EQ(core.TailorTimeout(std::nullopt), std::nullopt);
  }
  auto node = ClassifyClient(NodeWith("gRPC Node Pure JS", "1.14.1"));
  EXPECT_TRUE(node.exact_route_timeout);
  EXPECT_EQ(node.TailorTimeout(absl::Milliseconds(300)), absl::Milliseconds(300));
}

}  // namespace
}  // namespace switchboard::xds
