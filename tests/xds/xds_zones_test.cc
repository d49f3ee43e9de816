// Zone-aware routing and SRV priorities end to end: a C++ client in zone
// "a" (embedded discovery with EmbeddedDiscoveryOptions::zone) calling
// xds:///<service> in a closed loop, over
//   - greeter_server processes in zones "a" and "b" registered in a real
//     etcd, killed (SIGKILL) and restarted one by one: the client's calls
//     stay in zone a while it is whole, spill to b by Envoy's rule as a's
//     instances die, and come back when they return;
//   - greeter_server processes behind real DNS SRV records (dnsmasq) of priorities
//     0 and 10: every call goes to priority 0 until its servers are gone,
//     then to priority 10.
// No call may fail: the route retries UNAVAILABLE (the default policy).
//
// One process, one bootstrap (gRPC's xDS client is a singleton): both
// tests share the embedded control plane.
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/lookup/source_uri.h"
#include "testing/child_process.h"
#include "testing/closed_loop_caller.h"
#include "testing/dnsmasq_process.h"
#include "testing/etcd_process.h"
#include "testing/greeter_fleet.h"
#include "testing/xds_testing.h"

namespace switchboard {
namespace {

using testing::CallCounts;
using testing::ClosedLoopCaller;
using testing::DnsmasqProcess;
using testing::EtcdProcess;
using testing::GreeterFleet;
using testing::TempDir;
using testing::WaitFor;

constexpr char kZonedService[] = "zoned-greeter";
constexpr char kSrvService[] = "srv-greeter";

// The share of `counts`' replies that `servers` served.
double ShareOf(const CallCounts& counts, const std::vector<std::string>& servers) {
  if (counts.replies() == 0) return 0;
  int64_t replies = 0;
  for (const std::string& server : servers) replies += counts.RepliesFrom(server);
  return static_cast<double>(replies) / counts.replies();
}

// etcd, dnsmasq and the embedded control plane, for the whole binary.
class ZonesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG"), nullptr);
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    // Four SRV targets, all on this host, each on its own greeter's port.
    // They are processes, so that they can be killed: they register in etcd
    // too, as another service nobody calls.
    srv_greeters_ = std::make_unique<GreeterFleet>(
        testing::GreeterFleetOptions{.server_binary = testing::BuiltBinary("bin/greeter_server"),
                                     .etcd = etcd_->endpoint(), .service = "srv-backend",
                                     .log_dir = logs_.path()});
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(srv_greeters_->Add().ok());
    dns_.WriteHosts("127.0.0.1 p0-a.sb.test\n127.0.0.1 p0-b.sb.test\n"
                    "127.0.0.1 p10-a.sb.test\n127.0.0.1 p10-b.sb.test\n");
    std::vector<std::string> records;
    const char* targets[] = {"p0-a", "p0-b", "p10-a", "p10-b"};
    for (int i = 0; i < 4; ++i) {
      records.push_back(absl::StrCat("_grpc._tcp.greeter.sb.test,", targets[i], ".sb.test,",
                                     Port(srv_greeters_->address(i)), ",", i < 2 ? 0 : 10,
                                     ",10"));
    }
    ASSERT_TRUE(dns_.Start(records).ok());

    EmbeddedDiscoveryOptions options;
    options.source_uris = {
        absl::StrCat(EtcdSourceUri(etcd_->endpoint()), "?max_retry_delay=200ms"),
        dns_.Uri("dns+srv", absl::StrCat("_grpc._tcp.greeter.sb.test?interval=200ms&service=",
                                         kSrvService))};
    options.zone = "a";
    options.node_id = "xds-zones-test";
    auto discovery = StartEmbeddedDiscovery(std::move(options));
    ASSERT_TRUE(discovery.ok()) << discovery.status();
    discovery_ = std::move(*discovery);
    ASSERT_NE(discovery_->bootstrap_json().find(R"("locality":{"zone":"a"})"), std::string::npos)
        << discovery_->bootstrap_json();
  }
  void TearDown() override {
    discovery_.reset();
    srv_greeters_.reset();
    dns_.Stop();
    etcd_.reset();
  }

  static int Port(const std::string& address) {
    return std::atoi(address.substr(address.rfind(':') + 1).c_str());
  }

  std::unique_ptr<EtcdProcess> etcd_;
  TempDir logs_;
  std::unique_ptr<GreeterFleet> srv_greeters_;
  DnsmasqProcess dns_;
  std::unique_ptr<EmbeddedDiscovery> discovery_;
};

ZonesEnvironment* env = static_cast<ZonesEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new ZonesEnvironment()));

// Closed-loop calls on xds:///<service>, measured over windows.
class Load {
 public:
  explicit Load(const std::string& service)
      : caller_(grpc::CreateChannel(absl::StrCat("xds:///", service),
                                    grpc::InsecureChannelCredentials()),
                {.threads = 2, .deadline = absl::Seconds(5), .pause = absl::Milliseconds(1)}) {
    caller_.Start();
  }
  ~Load() { caller_.Stop(); }
  // Waits until the last 500 ms of calls went `share` (within `tolerance`)
  // to `servers`; then returns their share over the next `measure`.
  double ShareOnceSettled(const std::vector<std::string>& servers, double share, double tolerance,
                          absl::Duration measure = absl::Seconds(2)) {
    WaitFor(
        [&] {
          CallCounts recent = caller_.tally().Window(absl::Now(), absl::Milliseconds(500));
          return recent.replies() >= 50 &&
                 std::abs(ShareOf(recent, servers) - share) <= tolerance;
        },
        absl::Seconds(15));
    CallCounts before = caller_.tally().Total();
    absl::SleepFor(measure);  // a measurement window, not a wait for a condition
    CallCounts during = caller_.tally().Total().Minus(before);
    std::printf("  %lld calls, %.1f%% to {%s}\n", static_cast<long long>(during.calls()),
                100 * ShareOf(during, servers), absl::StrJoin(servers, ", ").c_str());
    return ShareOf(during, servers);
  }
  CallCounts Total() { return caller_.tally().Total(); }
  std::string LastFailure() { return caller_.tally().LastFailure(); }

 private:
  ClosedLoopCaller caller_;
};

TEST(ZoneFailoverTest, ZoneACallsStayInZoneAUntilItsHealthyShareDropsThenSpillAndComeBack) {
  TempDir logs;
  GreeterFleet zone_a({.server_binary = testing::BuiltBinary("bin/greeter_server"),
                       .etcd = env->etcd_->endpoint(), .service = kZonedService, .zone = "a",
                       .log_dir = logs.path()});
  GreeterFleet zone_b({.server_binary = testing::BuiltBinary("bin/greeter_server"),
                       .etcd = env->etcd_->endpoint(), .service = kZonedService, .zone = "b",
                       .log_dir = logs.path()});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(zone_a.Add().ok());
    ASSERT_TRUE(zone_b.Add().ok());
  }
  const std::vector<std::string> b = zone_b.Addresses();
  Load load(kZonedService);

  // Whole: every call in zone a.
  EXPECT_EQ(load.ShareOnceSettled(b, 0, 0), 0) << "zone a is whole";

  // Killed one by one (no drain: the registration expires with its lease).
  // 2 of 3: 2/3 * 1.4 = 93.3% stays, 6.7% spills; 1 of 3: 46.7% stays.
  zone_a.Kill(0);
  EXPECT_NEAR(load.ShareOnceSettled(b, 0.067, 0.05), 0.067, 0.03);
  zone_a.Kill(1);
  EXPECT_NEAR(load.ShareOnceSettled(b, 0.533, 0.1), 0.533, 0.06);
  zone_a.Kill(2);
  EXPECT_EQ(load.ShareOnceSettled(b, 1, 0), 1) << "zone a is gone";

  // Back: one of 3 takes 46.7% again, all three everything.
  ASSERT_TRUE(zone_a.Restart(0).ok());
  EXPECT_NEAR(load.ShareOnceSettled(b, 0.533, 0.1), 0.533, 0.06);
  ASSERT_TRUE(zone_a.Restart(1).ok());
  ASSERT_TRUE(zone_a.Restart(2).ok());
  EXPECT_EQ(load.ShareOnceSettled(b, 0, 0), 0) << "zone a is whole again";
  EXPECT_EQ(load.Total().failures(), 0) << load.LastFailure();
}

TEST(SrvPriorityTest, CallsGoToPriorityZeroUntilItsServersAreGoneThenToPriorityTen) {
  GreeterFleet& servers = *env->srv_greeters_;
  std::vector<std::string> priority_10 = {servers.address(2), servers.address(3)};
  Load load(kSrvService);
  EXPECT_EQ(load.ShareOnceSettled(priority_10, 0, 0), 0) << "priority 0 is up";
  // One of two gone: the control plane cannot tell from DNS, the client
  // goes round robin over the other one.
  servers.Kill(0);
  EXPECT_EQ(load.ShareOnceSettled(priority_10, 0, 0), 0) << "priority 0 has one left";
  // Both gone: the client fails over to EDS priority 1, priority 10's.
  servers.Kill(1);
  EXPECT_EQ(load.ShareOnceSettled(priority_10, 1, 0), 1) << "priority 0 is gone";
  EXPECT_EQ(load.Total().failures(), 0) << load.LastFailure();
}

}  // namespace
}  // namespace switchboard

