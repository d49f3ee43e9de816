// Cross-language: a Node.js client (@grpc/grpc-js-xds) balances through the
// same control plane as the C++ clients, and follows ring_hash by header,
// which Debian's C++ client cannot take. The control plane and three
// greeters run in this process; node runs as a child with GRPC_XDS_BOOTSTRAP
// pointing at a bootstrap file written by MakeBootstrapJson().
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "nlohmann/json.hpp"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::testing::ChildProcess;
using switchboard::testing::PickFreePort;
using switchboard::testing::ReadFile;
using switchboard::testing::SourceDir;
using switchboard::testing::TempDir;
using testing::GreeterInstance;
using testing::ManualSource;

// Runs the node client against `plane` with `args` after the proto path;
// its JSON result, or a failed assertion with its output.
void RunNodeClient(const XdsControlPlane& plane, const std::vector<std::string>& args,
                   nlohmann::json* result, const std::string& zone = "") {
  TempDir dir;
  auto bootstrap = MakeBootstrapJson(
      {.server_address = plane.address(), .node_id = "node-client", .node_zone = zone});
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
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  std::string last_line = trimmed.substr(trimmed.rfind('\n') + 1);
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

// Zone-aware routing with the Node client (the C++ one: xds_zones_test.cc):
// a client of zone a sends every call to a while it is whole, and 30% to b
// once one of a's two instances drains (1 of 2 healthy: 50% * 1.4 = 70%
// stays).
TEST(XdsNodeClientTest, AZonedNodeClientPrefersItsZoneAndSpillsByTheRule) {
  auto started = testing::StartGreeters(4);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  auto zoned = [&](int i, bool draining = false) {
    Instance instance = GreeterInstance("zoned", *servers[i], 1, draining);
    instance.metadata.zone = i < 2 ? "a" : "b";
    return instance;
  };
  auto source = std::make_unique<ManualSource>(
      std::vector<Instance>{zoned(0), zoned(1), zoned(2), zoned(3)});
  ManualSource* feed = source.get();
  auto plane = XdsControlPlane::Start(testing::MakeSources(std::move(source)),
                                      {.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(plane.ok()) << plane.status();
  auto share_of_b = [&](const nlohmann::json& result) {
    int served = result["served_by"].value(servers[2]->address(), 0) +
                 result["served_by"].value(servers[3]->address(), 0);
    return static_cast<double>(served) / std::max(1, result["ok"].get<int>());
  };

  constexpr int kCalls = 1000;
  nlohmann::json whole;
  RunNodeClient(**plane, {"zoned", std::to_string(kCalls)}, &whole, "a");
  if (HasFatalFailure()) return;
  EXPECT_EQ(whole["failed"], 0) << whole["last_error"];
  EXPECT_EQ(share_of_b(whole), 0) << whole.dump();

  feed->Set({zoned(0, /*draining=*/true), zoned(1), zoned(2), zoned(3)});
  nlohmann::json short_of_one;
  RunNodeClient(**plane, {"zoned", std::to_string(kCalls)}, &short_of_one, "a");
  if (HasFatalFailure()) return;
  EXPECT_EQ(short_of_one["failed"], 0) << short_of_one["last_error"];
  std::printf("  node client in zone a: %.1f%% to b when whole, %.1f%% with 1 of 2 left\n",
              100 * share_of_b(whole), 100 * share_of_b(short_of_one));
  EXPECT_NEAR(share_of_b(short_of_one), 0.30, 0.06) << short_of_one.dump();
}

// The route timeout of the policy, as the Node client keeps it: a call
// slower than the timeout fails with DEADLINE_EXCEEDED once it has passed
// (4), a faster one succeeds, and a wait-for-ready call to a stopped server,
// retried, gives up at the timeout. (The C++ client: xds_timeout_test.cc.)
TEST(XdsNodeClientTest, RouteTimeoutEndsSlowCallsOnTime) {
  constexpr int kOk = 0;
  constexpr int kDeadlineExceeded = 4;
  const std::vector<absl::Duration> timeouts = {absl::Milliseconds(300), absl::Milliseconds(500),
                                                absl::Milliseconds(1500), absl::Seconds(3)};
  auto greeter = testing::InProcessGreeter::Start();
  ASSERT_TRUE(greeter.ok()) << greeter.status();
  int dead_port = PickFreePort();
  ASSERT_GT(dead_port, 0);
  PolicyTable policies;
  std::vector<Instance> instances;
  for (absl::Duration timeout : timeouts) {
    std::string live = absl::StrCat("greeter-", absl::FormatDuration(timeout));
    policies.per_service[live].timeout = timeout;
    instances.push_back(GreeterInstance(live, **greeter));
    std::string stopped = absl::StrCat("stopped-", absl::FormatDuration(timeout));
    policies.per_service[stopped].timeout = timeout;
    policies.per_service[stopped].retry = RetryPolicy{.num_retries = 3};
    Instance dead = GreeterInstance(stopped, **greeter);
    dead.address = absl::StrCat("127.0.0.1:", dead_port);
    instances.push_back(dead);
  }
  auto plane = XdsControlPlane::Start(
      testing::MakeSources(std::make_unique<ManualSource>(instances)),
      {.listen_address = "127.0.0.1:0", .policies = policies});
  ASSERT_TRUE(plane.ok()) << plane.status();

  // One node client, a sequence of calls per service at once: to the live
  // service, one with no delay (it waits for the xDS resources), one of
  // half the timeout and one longer than the timeout; to the stopped one,
  // two wait-for-ready calls (the first one's timeout starts only once the
  // client has the route: grpc-js applies it then).
  nlohmann::json plan = nlohmann::json::array();
  for (absl::Duration timeout : timeouts) {
    int64_t ms = absl::ToInt64Milliseconds(timeout);
    std::string name = absl::FormatDuration(timeout);
    plan.push_back({{"service", "greeter-" + name},
                    {"calls", {{{"delay_ms", 0}}, {{"delay_ms", ms / 2}}, {{"delay_ms", ms + 1000}}}}});
    plan.push_back({{"service", "stopped-" + name},
                    {"calls", {{{"delay_ms", 0}, {"wait_for_ready", true}},
                               {{"delay_ms", 0}, {"wait_for_ready", true}}}}});
  }
  nlohmann::json result;
  RunNodeClient(**plane, {"--timed", plan.dump()}, &result);
  if (HasFatalFailure()) return;
  ASSERT_EQ(result.size(), plan.size()) << result.dump();

  // Early: timer granularity. Late: the client's scheduling; node's event
  // loop falls ~0.5s behind on two cores shared by a dozen busy processes.
  const absl::Duration early = absl::Milliseconds(30), late = absl::Milliseconds(750);
  for (size_t i = 0; i < timeouts.size(); ++i) {
    const absl::Duration timeout = timeouts[i];
    std::string what = absl::StrCat("timeout ", absl::FormatDuration(timeout));
    const nlohmann::json& live = result[2 * i];
    const nlohmann::json& stopped = result[2 * i + 1];
    ASSERT_EQ(live.size(), 3u) << live.dump();
    const auto& warm = live[0];
    const auto& fast = live[1];
    const auto& slow = live[2];
    absl::Duration slow_elapsed = absl::Milliseconds(slow["elapsed_ms"].get<double>());
    ASSERT_EQ(stopped.size(), 2u) << stopped.dump();
    EXPECT_EQ(stopped[0]["code"], kDeadlineExceeded) << what << ": " << stopped.dump();
    const auto& waiting = stopped[1];
    absl::Duration waiting_elapsed = absl::Milliseconds(waiting["elapsed_ms"].get<double>());
    std::printf("  node, %s: a call of %s: status %d; a slower one: status %d after %s; "
                "wait-for-ready to a stopped server: status %d after %s\n",
                what.c_str(), absl::FormatDuration(timeout / 2).c_str(), fast["code"].get<int>(),
                slow["code"].get<int>(), absl::FormatDuration(slow_elapsed).c_str(),
                waiting["code"].get<int>(), absl::FormatDuration(waiting_elapsed).c_str());
    EXPECT_EQ(warm["code"], kOk) << what << ": " << live.dump();
    EXPECT_EQ(fast["code"], kOk) << what << ": " << live.dump();
    EXPECT_EQ(slow["code"], kDeadlineExceeded) << what << ": " << live.dump();
    EXPECT_GE(slow_elapsed, timeout - early) << what;
    EXPECT_LE(slow_elapsed, timeout + late) << what;
    EXPECT_EQ(waiting["code"], kDeadlineExceeded) << what << ": " << stopped.dump();
    EXPECT_GE(waiting_elapsed, timeout - early) << what;
    EXPECT_LE(waiting_elapsed, timeout + late) << what;
  }
}

}  // namespace
}  // namespace switchboard::xds
