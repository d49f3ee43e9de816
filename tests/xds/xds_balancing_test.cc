// Real gRPC C++ clients balancing through the Switchboard control plane:
// greeter servers on 127.0.0.1, an ADS server on a unix socket fed by a
// source the test publishes into, and plain `xds:///<service>` channels.
//
// One process, one bootstrap: the xDS client is a process-wide singleton, so
// the control plane lives for the whole binary and each test uses its own
// service name.
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/common/log.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::WaitFor;
using testing::CallGreeter;
using testing::CallOnce;
using testing::CallCounts;
using testing::CallTally;
using testing::GreeterInstance;
using testing::InProcessGreeter;
using testing::StartGreeters;
using testing::ManualSource;

// The control plane and what it serves, for the whole binary.
class ControlPlaneEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    socket_path_ = absl::StrCat("/tmp/sb-xds-balancing-", getpid(), ".sock");
    PolicyTable policies;
    policies.per_service["greeter-ring"].lb_policy = LbPolicy::kRingHash;
    // Every knob at once: the client must accept it (no NACK, see below).
    ServicePolicy& full = policies.per_service["greeter"];
    full.timeout = absl::Seconds(2);
    full.retry = RetryPolicy{.num_retries = 3};
    full.outlier_detection = OutlierDetectionPolicy{};
    full.max_requests = 100;
    auto source = std::make_unique<ManualSource>();
    source_ = source.get();
    auto plane = XdsControlPlane::Start(testing::MakeSources(std::move(source)),
                                        {.listen_address = absl::StrCat("unix:", socket_path_),
                                         .policies = policies});
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = std::move(*plane);
    auto bootstrap = MakeBootstrapJson({.server_address = plane_->address(),
                                        .node_id = "xds-balancing-test"});
    ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
    // A channel between calls would otherwise apply updates late.
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);
  }
  void TearDown() override {
    plane_.reset();
    unlink(socket_path_.c_str());
  }

  // Replaces the instances of `service`, keeping the other services'.
  void SetInstances(const std::string& service, std::vector<Instance> instances) {
    services_[service] = std::move(instances);
    std::vector<Instance> all;
    for (const auto& [name, list] : services_) all.insert(all.end(), list.begin(), list.end());
    source_->Set(std::move(all));
  }
  XdsControlPlane& plane() { return *plane_; }

 private:
  std::string socket_path_;
  ManualSource* source_ = nullptr;
  std::unique_ptr<XdsControlPlane> plane_;
  std::map<std::string, std::vector<Instance>> services_;
};

ControlPlaneEnvironment* env = static_cast<ControlPlaneEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new ControlPlaneEnvironment()));

std::unique_ptr<Greeter::Stub> StubFor(const std::string& service) {
  return Greeter::NewStub(
      grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials()));
}

// Calls until every one of `addresses` has served at least once.
bool WaitUntilAllServe(Greeter::Stub* stub, const std::vector<std::string>& addresses,
                       absl::Duration timeout) {
  std::set<std::string> seen;
  return WaitFor(
      [&] {
        auto served_by = CallOnce(stub, absl::Seconds(2));
        if (served_by.ok()) seen.insert(*served_by);
        for (const auto& a : addresses) {
          if (!seen.count(a)) return false;
        }
        return true;
      },
      timeout, absl::Milliseconds(1));
}

void ExpectShare(const CallCounts& counts, const std::string& address, double expected) {
  double share = counts.Share(address);
  EXPECT_NEAR(share, expected, 0.05) << address << " served " << share * 100 << "% of "
                                     << counts.replies() << " calls";
  std::printf("  %s served %.1f%% (expected %.1f%%)\n", address.c_str(), share * 100,
              expected * 100);
}

TEST(XdsBalancingTest, ThreeInstancesShareCallsEvenly) {
  // "greeter" carries a timeout, retries, outlier detection and a circuit
  // breaker (see the environment); the client takes them all.
  auto started = StartGreeters(3);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  ASSERT_EQ(servers.size(), 3u);
  env->SetInstances("greeter", {GreeterInstance("greeter", *servers[0]),
                                GreeterInstance("greeter", *servers[1]),
                                GreeterInstance("greeter", *servers[2])});
  auto stub = StubFor("greeter");
  absl::Time start = absl::Now();
  ASSERT_TRUE(WaitUntilAllServe(stub.get(),
                                {servers[0]->address(), servers[1]->address(), servers[2]->address()},
                                absl::Seconds(10)));
  std::printf("  first call to all three instances within %s\n",
              absl::FormatDuration(absl::Now() - start).c_str());

  CallTally tally;
  CallCounts counts = CallGreeter(stub.get(), 3000, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  for (const auto& server : servers) ExpectShare(counts, server->address(), 1.0 / 3);
  EXPECT_EQ(env->plane().Stats().nacks_received, 0u);
}

TEST(XdsBalancingTest, AddedInstanceServesWithinOneSecondAndRemovedOneStops) {
  auto started = StartGreeters(4);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  ASSERT_EQ(servers.size(), 4u);
  std::vector<Instance> three = {GreeterInstance("greeter-scale", *servers[0]),
                                 GreeterInstance("greeter-scale", *servers[1]),
                                 GreeterInstance("greeter-scale", *servers[2])};
  env->SetInstances("greeter-scale", three);
  auto stub = StubFor("greeter-scale");
  ASSERT_TRUE(WaitUntilAllServe(stub.get(),
                                {servers[0]->address(), servers[1]->address(), servers[2]->address()},
                                absl::Seconds(10)));

  // Add the fourth: it must take calls within a second.
  std::vector<Instance> four = three;
  four.push_back(GreeterInstance("greeter-scale", *servers[3]));
  absl::Time added = absl::Now();
  env->SetInstances("greeter-scale", four);
  bool served = WaitFor(
      [&] {
        auto by = CallOnce(stub.get());
        EXPECT_TRUE(by.ok()) << by.status();
        return by.ok() && *by == servers[3]->address();
      },
      absl::Seconds(1), absl::Milliseconds(1));
  absl::Duration to_first_call = absl::Now() - added;
  EXPECT_TRUE(served) << "the added instance took no call within 1s";
  std::printf("  added instance took its first call after %s\n",
              absl::FormatDuration(to_first_call).c_str());

  // Remove it (the server keeps running): after a second it serves nothing.
  absl::Time removed = absl::Now();
  env->SetInstances("greeter-scale", three);
  absl::Time last_served = removed;
  while (absl::Now() - removed < absl::Seconds(1)) {
    auto by = CallOnce(stub.get());
    ASSERT_TRUE(by.ok()) << by.status();
    if (*by == servers[3]->address()) last_served = absl::Now();
  }
  std::printf("  removed instance served its last call %s after removal\n",
              absl::FormatDuration(last_served - removed).c_str());
  CallTally after_tally;
  CallCounts after = CallGreeter(stub.get(), 600, after_tally);
  EXPECT_EQ(after.failures(), 0) << after_tally.LastFailure();
  EXPECT_EQ(after.RepliesFrom(servers[3]->address()), 0)
      << "the removed instance still served " << after.RepliesFrom(servers[3]->address()) << " calls";
}

TEST(XdsBalancingTest, WeightsOneToThreeSplitTwentyFiveSeventyFive) {
  auto started = StartGreeters(2);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  ASSERT_EQ(servers.size(), 2u);
  env->SetInstances("greeter-weighted", {GreeterInstance("greeter-weighted", *servers[0], 1),
                                         GreeterInstance("greeter-weighted", *servers[1], 3)});
  auto stub = StubFor("greeter-weighted");
  ASSERT_TRUE(WaitUntilAllServe(stub.get(), {servers[0]->address(), servers[1]->address()},
                                absl::Seconds(10)));
  CallTally tally;
  CallCounts counts = CallGreeter(stub.get(), 4000, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  ExpectShare(counts, servers[0]->address(), 0.25);
  ExpectShare(counts, servers[1]->address(), 0.75);

  // A weight change flows too: 3:1 now.
  env->SetInstances("greeter-weighted", {GreeterInstance("greeter-weighted", *servers[0], 3),
                                         GreeterInstance("greeter-weighted", *servers[1], 1)});
  ASSERT_TRUE(WaitFor([&] { return CallGreeter(stub.get(), 400).Share(servers[0]->address()) > 0.6; },
                      absl::Seconds(5)));
  CallCounts swapped = CallGreeter(stub.get(), 4000);
  ExpectShare(swapped, servers[0]->address(), 0.75);
}

TEST(XdsBalancingTest, DrainingInstanceGetsNoNewCalls) {
  auto started = StartGreeters(2);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  ASSERT_EQ(servers.size(), 2u);
  env->SetInstances("greeter-drain", {GreeterInstance("greeter-drain", *servers[0]),
                                      GreeterInstance("greeter-drain", *servers[1])});
  auto stub = StubFor("greeter-drain");
  ASSERT_TRUE(WaitUntilAllServe(stub.get(), {servers[0]->address(), servers[1]->address()},
                                absl::Seconds(10)));
  env->SetInstances("greeter-drain",
                    {GreeterInstance("greeter-drain", *servers[0]),
                     GreeterInstance("greeter-drain", *servers[1], 1, /*draining=*/true)});
  ASSERT_TRUE(WaitFor(
      [&] { return CallGreeter(stub.get(), 50).RepliesFrom(servers[1]->address()) == 0; },
      absl::Seconds(2)));
  CallTally tally;
  CallCounts counts = CallGreeter(stub.get(), 500, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  EXPECT_EQ(counts.RepliesFrom(servers[1]->address()), 0);
}

TEST(XdsBalancingTest, RingHashServiceIsServedAsRoundRobinToThisClient) {
  // gRPC C++ 1.51 crashes on RING_HASH: the control plane tailors it away.
  auto started = StartGreeters(2);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  ASSERT_EQ(servers.size(), 2u);
  env->SetInstances("greeter-ring", {GreeterInstance("greeter-ring", *servers[0]),
                                     GreeterInstance("greeter-ring", *servers[1])});
  auto stub = StubFor("greeter-ring");
  ASSERT_TRUE(WaitUntilAllServe(stub.get(), {servers[0]->address(), servers[1]->address()},
                                absl::Seconds(10)));
  CallTally tally;
  CallCounts counts = CallGreeter(stub.get(), 1000, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  ExpectShare(counts, servers[0]->address(), 0.5);
}

TEST(XdsBalancingTest, UnknownServiceFailsFastNamingIt) {
  auto stub = StubFor("no-such-service");
  absl::Time start = absl::Now();
  auto result = CallOnce(stub.get(), absl::Seconds(10));
  absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(result.status().message().find("no-such-service"), std::string::npos) << result.status();
  EXPECT_LT(took, absl::Seconds(3)) << "took " << took;
  std::printf("  unknown service failed after %s: %s\n", absl::FormatDuration(took).c_str(),
              result.status().ToString().c_str());

  // The service appears: the same channel recovers by itself.
  auto server = InProcessGreeter::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  env->SetInstances("no-such-service", {GreeterInstance("no-such-service", **server)});
  EXPECT_TRUE(WaitFor([&] { return CallOnce(stub.get(), absl::Seconds(1)).ok(); }, absl::Seconds(5)));
}

// Last: nothing this binary's client was sent was rejected.
TEST(XdsBalancingTest, ClientAcceptedEverything) {
  EXPECT_EQ(env->plane().Stats().nacks_received, 0u);
  EXPECT_GT(env->plane().Stats().responses_sent, 0u);
}

}  // namespace
}  // namespace switchboard::xds
