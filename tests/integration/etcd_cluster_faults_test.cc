// The registry on a real 3-member etcd cluster under the faults of an
// ordinary day: a member frozen (GC pause, full disk), the leader frozen, a
// member cut off from its peers while its clients still reach it, members
// killed. Greeter server processes register themselves (DiscoverableServer),
// the control plane watches the cluster, and a client calls xds:///greeter
// throughout. What must hold: no registration disappears from etcd, the
// client fails no call, and the control plane is never blind for more than
// a few seconds.
//
// Each test runs in its own process (see CMakeLists.txt): gRPC's xDS client
// reads its bootstrap once per process.
#include <atomic>
#include <functional>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/closed_loop_caller.h"
#include "testing/greeter_fleet.h"
#include "demo/scenario_stage.h"
#include "testing/child_process.h"
#include "testing/etcd_cluster.h"
#include "switchboard/lookup/etcd/etcd_watcher.h"
#include "switchboard/xds/control_plane.h"
#include "testing/xds_testing.h"

namespace switchboard {
namespace {

using testing::EtcdCluster;
using testing::WaitFor;

// Watches the registry from outside (through members not under a fault)
// and records every stretch in which fewer than `expected` instances were
// registered.
class RegistrationMonitor {
 public:
  RegistrationMonitor(std::vector<std::string> endpoints, size_t expected)
      : expected_(expected) {
    auto client = EtcdClient::Create({.endpoints = std::move(endpoints),
                                      .request_timeout = absl::Milliseconds(500)});
    EXPECT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    thread_ = std::thread([this] { Run(); });
  }
  ~RegistrationMonitor() {
    stopping_ = true;
    thread_.join();
  }
  void set_expected(size_t expected) { expected_ = expected; }
  // The longest stretch with an instance missing.
  absl::Duration longest_gap() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::max(longest_gap_, gap_start_ == absl::InfiniteFuture()
                                      ? absl::ZeroDuration() : absl::Now() - gap_start_);
  }
  size_t fewest() {
    std::lock_guard<std::mutex> lock(mu_);
    return fewest_;
  }

 private:
  void Run() {
    while (!stopping_) {
      auto range = client_->GetPrefix("greeter/");
      if (range.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        size_t count = range->kvs.size();
        fewest_ = std::min(fewest_, count);
        absl::Time now = absl::Now();
        if (count < expected_ && gap_start_ == absl::InfiniteFuture()) gap_start_ = now;
        if (count >= expected_ && gap_start_ != absl::InfiniteFuture()) {
          longest_gap_ = std::max(longest_gap_, now - gap_start_);
          gap_start_ = absl::InfiniteFuture();
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::shared_ptr<EtcdClient> client_;
  std::atomic<size_t> expected_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  size_t fewest_ = 1000;
  absl::Time gap_start_ = absl::InfiniteFuture();
  absl::Duration longest_gap_;
  std::thread thread_;
};

class EtcdClusterFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { demo::PrepareXdsClientProcess(); }

  void SetUp() override {
    auto cluster = EtcdCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    auto leader = cluster_->Leader();
    ASSERT_TRUE(leader.ok()) << leader.status();
    leader_ = *leader;
  }

  void TearDown() override {
    caller_.reset();
    testing_capture_.reset();
    plane_.reset();
    fleet_.reset();
    cluster_.reset();
  }

  // The member list with `first` in front, as a user would list it with the
  // member the servers or the control plane then use first.
  std::vector<std::string> EndpointsStartingWith(int first) {
    std::vector<std::string> endpoints = {cluster_->endpoint(first)};
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != first) endpoints.push_back(cluster_->endpoint(i));
    }
    return endpoints;
  }
  std::vector<std::string> EndpointsExcept(int member) {
    std::vector<std::string> endpoints;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != member) endpoints.push_back(cluster_->endpoint(i));
    }
    return endpoints;
  }
  int AFollower() const { return (leader_ + 1) % cluster_->size(); }

  // Three greeter servers registering through the members in `etcd` order,
  // with `ttl`.
  void StartServers(const std::vector<std::string>& etcd, absl::Duration ttl, int count = 3) {
    absl::StatusOr<std::string> binary =
        testing::LocateGreeterServer(testing::BuiltBinary("bin/greeter_server"));
    ASSERT_TRUE(binary.ok()) << binary.status();
    fleet_ = std::make_unique<testing::GreeterFleet>(testing::GreeterFleetOptions{
        .server_binary = *binary, .etcd = absl::StrJoin(etcd, ","), .ttl = ttl,
        .log_dir = dir_.path()});
    for (int i = 0; i < count; ++i) ASSERT_TRUE(fleet_->Add().ok());
  }

  // The control plane watching through the members in `etcd` order, and
  // a client calling xds:///greeter until every server answers.
  void StartControlPlaneAndClient(const std::vector<std::string>& etcd) {
    auto client = EtcdClient::Create({.endpoints = etcd});
    ASSERT_TRUE(client.ok()) << client.status();
    std::vector<std::unique_ptr<LookupSource>> sources;
    sources.push_back(std::make_unique<EtcdWatcher>(std::move(*client), EtcdWatcherOptions{}));
    auto plane = xds::XdsControlPlane::Start(std::move(sources), {.listen_address = "127.0.0.1:0"});
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = std::move(*plane);
    ASSERT_TRUE(demo::UseXdsServer(plane_->address()).ok());
    auto channel = grpc::CreateCustomChannel("xds:///greeter", grpc::InsecureChannelCredentials(),
                                             testing::FastReconnectChannelArguments());
    caller_ = std::make_unique<testing::ClosedLoopCaller>(
        channel, testing::ClosedLoopCallerOptions{.threads = 2, .deadline = absl::Seconds(5),
                                                .pause = absl::Milliseconds(2)});
    caller_->Start();
    for (const std::string& address : fleet_->Addresses()) {
      ASSERT_TRUE(WaitFor([&] { return caller_->tally().LastReplyFrom(address) != absl::InfinitePast(); },
                          absl::Seconds(20)))
          << address << " never served a call";
    }
    start_ = caller_->tally().Total();
  }

  testing::CallCounts SinceStart() { return caller_->tally().Total().Minus(start_); }

  // How long until `address` gets a call, from now.
  absl::Duration TimeUntilServing(const std::string& address, absl::Duration timeout) {
    absl::Time from = absl::Now();
    if (!WaitFor([&] { return caller_->tally().LastReplyFrom(address) >= from; }, timeout)) {
      return absl::InfiniteDuration();
    }
    return absl::Now() - from;
  }
  // How long until `address` gets no more calls (none in the last 300 ms).
  absl::Duration TimeUntilIdle(const std::string& address, absl::Duration timeout) {
    absl::Time from = absl::Now();
    if (!WaitFor([&] {
          return absl::Now() - caller_->tally().LastReplyFrom(address) > absl::Milliseconds(300);
        }, timeout)) {
      return absl::InfiniteDuration();
    }
    return absl::Now() - from - absl::Milliseconds(300);
  }

  // Freezes `member` for `freeze` while servers registered through it with
  // `ttl` keep their registrations and the client fails no call.
  void ExpectLeasesSurviveAFrozenMember(int member, absl::Duration ttl, absl::Duration freeze) {
    StartServers(EndpointsStartingWith(member), ttl);
    // The control plane watches through another member: this is about leases.
    StartControlPlaneAndClient(EndpointsStartingWith((member + 1) % cluster_->size()));
    RegistrationMonitor monitor(EndpointsExcept(member), 3);
    cluster_->Freeze(member);
    absl::Time frozen = absl::Now();
    absl::SleepFor(freeze);  // the fault, not a wait for anything
    cluster_->Thaw(member);
    std::printf("member %d frozen for %s (ttl %s): fewest registered %zu, longest gap %s, "
                "calls %lld, failed %lld (%s)\n",
                member, absl::FormatDuration(absl::Now() - frozen).c_str(),
                absl::FormatDuration(ttl).c_str(), monitor.fewest(),
                absl::FormatDuration(monitor.longest_gap()).c_str(),
                static_cast<long long>(SinceStart().calls()),
                static_cast<long long>(SinceStart().failures()),
                SinceStart().FailureSummary().c_str());
    EXPECT_EQ(monitor.fewest(), 3u) << "a registration disappeared from etcd";
    EXPECT_EQ(SinceStart().failures(), 0) << SinceStart().FailureSummary();
    EXPECT_GT(SinceStart().replies(), 100);
  }

  // While `fault` holds the member the control plane watches, a server
  // joins and one leaves: both reach the client within a few seconds, no
  // call fails, and the control plane's log names the cause (`says`).
  void ExpectChangesFlowDespite(const std::string& fault_name, const std::function<void(int)>& fault,
                                const std::function<void(int)>& undo, const std::string& says) {
    int member = AFollower();
    StartServers(EndpointsExcept(member), absl::Seconds(2));
    testing_capture_ = std::make_unique<testing::StderrCapture>();
    StartControlPlaneAndClient(EndpointsStartingWith(member));
    fault(member);
    absl::StatusOr<int> added = fleet_->Add();
    ASSERT_TRUE(added.ok()) << added.status();
    absl::Duration joined = TimeUntilServing(fleet_->address(*added), absl::Seconds(15));
    fleet_->BeginStop(0);
    absl::Duration left = TimeUntilIdle(fleet_->address(0), absl::Seconds(15));
    undo(member);
    std::printf("control plane's member %s: a new server served after %s, a stopped one idle "
                "after %s; calls %lld, failed %lld\n",
                fault_name.c_str(), absl::FormatDuration(joined).c_str(),
                absl::FormatDuration(left).c_str(), static_cast<long long>(SinceStart().calls()),
                static_cast<long long>(SinceStart().failures()));
    EXPECT_LT(joined, absl::Seconds(5));
    EXPECT_LT(left, absl::Seconds(5));
    EXPECT_EQ(SinceStart().failures(), 0) << SinceStart().FailureSummary();
    EXPECT_TRUE(testing_capture_->WaitFor(says, absl::Seconds(1))) << testing_capture_->Text();
    // What an operator sees of it: the watch restarted on another member,
    // from the last revision seen, so the prefix was not listed again.
    std::vector<xds::SourceStatus> sources = plane_->Sources();
    ASSERT_EQ(sources.size(), 1u);
    EXPECT_GE(sources[0].activity.watch_restarts, 1u);
    EXPECT_EQ(sources[0].activity.lists, 1u);
  }

  testing::TempDir dir_;
  std::unique_ptr<EtcdCluster> cluster_;
  int leader_ = 0;
  std::unique_ptr<testing::GreeterFleet> fleet_;
  std::unique_ptr<xds::XdsControlPlane> plane_;
  std::unique_ptr<testing::ClosedLoopCaller> caller_;
  testing::CallCounts start_;
  std::unique_ptr<testing::StderrCapture> testing_capture_;
};

TEST_F(EtcdClusterFaultsTest, LeasesSurviveTheirMemberFrozenForTenSeconds) {
  ExpectLeasesSurviveAFrozenMember(AFollower(), absl::Seconds(3), absl::Seconds(10));
}

TEST_F(EtcdClusterFaultsTest, LeasesSurviveTheLeaderFrozenForTenSeconds) {
  ExpectLeasesSurviveAFrozenMember(leader_, absl::Seconds(3), absl::Seconds(10));
}

TEST_F(EtcdClusterFaultsTest, LeasesWithTheDefaultTtlSurviveAFifteenSecondFreeze) {
  ExpectLeasesSurviveAFrozenMember(AFollower(), absl::Seconds(10), absl::Seconds(15));
}

// A frozen member under the control plane: changes keep flowing.
TEST_F(EtcdClusterFaultsTest, TheControlPlaneFollowsChangesWhileItsMemberIsFrozen) {
  ExpectChangesFlowDespite("frozen", [&](int m) { cluster_->Freeze(m); },
                           [&](int m) { cluster_->Thaw(m); }, "no answer for");
}

// The control plane's member cut off from its peers, still reachable by
// clients: it must not go on serving its frozen view.
TEST_F(EtcdClusterFaultsTest, TheControlPlaneFollowsChangesWhileItsMemberIsPartitioned) {
  ExpectChangesFlowDespite("partitioned", [&](int m) { cluster_->Isolate(m); },
                           [&](int m) { cluster_->Heal(m); }, "lost its raft leader");
}

// Killed members, and a dead member listed first.
TEST_F(EtcdClusterFaultsTest, KilledMembersCostNoCallAndNoRegistration) {
  StartServers(EndpointsStartingWith(leader_), absl::Seconds(3));
  StartControlPlaneAndClient(EndpointsStartingWith(leader_));
  RegistrationMonitor monitor(cluster_->endpoints(), 3);
  // What a join costs on this machine right now with every member up: the
  // bound below is relative to it, so a loaded machine does not fail the test
  // while a server waiting on a dead member still does.
  absl::StatusOr<int> baseline_server = fleet_->Add();
  ASSERT_TRUE(baseline_server.ok()) << baseline_server.status();
  monitor.set_expected(4);
  absl::Duration baseline_join =
      TimeUntilServing(fleet_->address(*baseline_server), absl::Seconds(10));
  ASSERT_NE(baseline_join, absl::InfiniteDuration());
  // The leader, then a follower.
  cluster_->Kill(leader_);
  ASSERT_TRUE(cluster_->Leader().ok());
  // A server that starts now lists the dead member first: it must not wait
  // on it.
  absl::StatusOr<int> added = fleet_->Add();
  ASSERT_TRUE(added.ok()) << added.status();
  monitor.set_expected(5);
  absl::Duration joined = TimeUntilServing(fleet_->address(*added), absl::Seconds(10));
  ASSERT_TRUE(cluster_->Restart(leader_).ok());
  ASSERT_TRUE(cluster_->WaitHealthy(absl::Seconds(10)).ok());
  int follower = AFollower();
  cluster_->Kill(follower);
  absl::SleepFor(absl::Seconds(3));  // the outage
  ASSERT_TRUE(cluster_->Restart(follower).ok());
  // A command listing a dead member first answers at once.
  int dead = (leader_ + 2) % cluster_->size();
  cluster_->Kill(dead);
  auto cli = EtcdClient::Create({.endpoints = EndpointsStartingWith(dead)});
  ASSERT_TRUE(cli.ok());
  absl::Time asked = absl::Now();
  ASSERT_TRUE((*cli)->GetPrefix("greeter/").ok());
  absl::Duration answered = absl::Now() - asked;
  std::printf("a server starting with the dead leader listed first served after %s (with "
              "every member up: %s); a read listing a dead member first took %s; fewest "
              "registered %zu; calls %lld, failed %lld\n",
              absl::FormatDuration(joined).c_str(), absl::FormatDuration(baseline_join).c_str(),
              absl::FormatDuration(answered).c_str(),
              monitor.fewest(), static_cast<long long>(SinceStart().calls()),
              static_cast<long long>(SinceStart().failures()));
  // Less than two request timeouts beyond a join with every member up: the
  // registration's first request may reach the dead leader and wait out its
  // timeout before the next member is tried (a dead member listed first, as
  // the read below shows, costs ms). Waiting on it at every request would
  // cost a timeout per request, and a registration makes several (lease
  // grant, put, first keep-alive).
  EXPECT_LT(joined, baseline_join + 2 * EtcdClientOptions{}.request_timeout);
  EXPECT_LT(answered, absl::Milliseconds(500));
  EXPECT_GE(monitor.fewest(), 3u);
  EXPECT_EQ(SinceStart().failures(), 0) << SinceStart().FailureSummary();
}

}  // namespace
}  // namespace switchboard
