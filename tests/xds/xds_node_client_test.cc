// Cross-language: a Node.js client (@grpc/grpc-js-xds) balances through the
// same control plane as the C++ clients, and follows ring_hash by header,
// which Debian's C++ client cannot take. The control plane and three
// greeters run in this process; node runs as a child with GRPC_XDS_BOOTSTRAP
// pointing at a bootstrap file written by MakeBootstrapJson().
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/child_process.h"
#include "nlohmann/json.hpp"
#include "xds/bootstrap.h"
#include "xds/control_plane.h"
#include "xds/testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::testing::ChildProcess;
using switchboard::testing::TempDir;
using testing::GreeterInstance;
using testing::ManualSource;

std::string SourceDir() {
  const char* dir = std::getenv("SWITCHBOARD_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the node client against `plane` with `args` after the proto path;
// its JSON result, or a failed assertion with its output.
void RunNodeClient(const XdsControlPlane& plane, const std::vector<std::string>& args,
                   nlohmann::json* result) {
  TempDir dir;
  auto bootstrap = MakeBootstrapJson({.server_address = plane.address(), .node_id = "node-client"});
  ASSERT_TRUE(bootstrap.ok());
  std::ofstream(dir.File("bootstrap.json")) << *bootstrap;
  std::vector<std::string> argv = {"/usr/bin/node",
                                   SourceDir() + "/tests/xds/node_greeter_client.js",
                                   SourceDir() + "/examples/greeter/greeter.proto"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = dir.File("node.out");
  auto node = ChildProcess::Start(
      argv, {.log_path = out,
             .env = {"GRPC_XDS_BOOTSTRAP=" + dir.File("bootstrap.json"),
                     "NODE_PATH=" + SourceDir() + "/third_party/npm/node_modules"}});
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->WaitExit(absl::Seconds(60))) << ReadFile(out);
  ASSERT_EQ((*node)->exit_status(), 0) << ReadFile(out);
  // The result is the last line of the output (grpc-js may log above it).
  std::string text = ReadFile(out);
  std::string last_line = text.substr(text.rfind("\n{") + 1);
  *result = nlohmann::json::parse(last_line, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(result->is_discarded()) << text;
}

// ring_hash by a request header, end to end with a client that supports it
// (gRPC C++ 1.51 does not: it is told round_robin instead). Every key
// sticks to one server, and the keys spread over the servers.
TEST(XdsNodeClientTest, RingHashSendsEachKeyToOneServer) {
  auto started = testing::StartGreeters(3);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  std::vector<Instance> instances;
  for (const auto& server : servers) instances.push_back(GreeterInstance("greeter", *server));
  PolicyTable policies;
  policies.per_service["greeter"].lb_policy = LbPolicy::kRingHash;
  policies.per_service["greeter"].hash_header = "x-user";
  auto plane = XdsControlPlane::Start(
      testing::MakeSources(std::make_unique<ManualSource>(instances)),
      {.listen_address = "127.0.0.1:0", .policies = policies});
  ASSERT_TRUE(plane.ok()) << plane.status();

  // Not a multiple of the server count: under round robin, the calls of one
  // key would then land on every server, so the test tells the two apart.
  constexpr int kKeys = 31;
  nlohmann::json result;
  RunNodeClient(**plane, {"greeter", std::to_string(kKeys * 10), "x-user", std::to_string(kKeys)},
                &result);
  if (HasFatalFailure()) return;
  EXPECT_EQ(result["failed"], 0) << result["last_error"];
  ASSERT_EQ(result["by_key"].size(), static_cast<size_t>(kKeys)) << result.dump();
  for (const auto& [key, served_by] : result["by_key"].items()) {
    EXPECT_EQ(served_by.size(), 1u) << key << " went to " << served_by.dump();
  }
  std::printf("  node client, ring_hash on x-user: %zu servers took the %d keys: %s\n",
              result["served_by"].size(), kKeys, result["served_by"].dump().c_str());
  EXPECT_GE(result["served_by"].size(), 2u) << result.dump();
}

TEST(XdsNodeClientTest, NodeClientBalancesThroughTheSameControlPlane) {
  auto started = testing::StartGreeters(3);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  std::vector<Instance> instances;
  for (const auto& server : servers) instances.push_back(GreeterInstance("greeter", *server));
  auto plane = XdsControlPlane::Start(
      testing::MakeSources(std::make_unique<ManualSource>(instances)),
      {.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(plane.ok()) << plane.status();

  constexpr int kCalls = 900;
  absl::Time start = absl::Now();
  nlohmann::json result;
  RunNodeClient(**plane, {"greeter", std::to_string(kCalls)}, &result);
  if (HasFatalFailure()) return;
  std::printf("  node client: %d calls in %s\n", kCalls,
              absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_EQ(result["failed"], 0) << result["last_error"];
  EXPECT_EQ(result["ok"], kCalls);
  for (const auto& server : servers) {
    int served = result["served_by"].value(server->address(), 0);
    double share = static_cast<double>(served) / kCalls;
    std::printf("  %s served %.1f%% of the node client's calls\n", server->address().c_str(),
                share * 100);
    EXPECT_NEAR(share, 1.0 / 3, 0.05) << server->address();
  }
  EXPECT_GE((*plane)->Stats().responses_sent, 4u);
}

}  // namespace
}  // namespace switchboard::xds
