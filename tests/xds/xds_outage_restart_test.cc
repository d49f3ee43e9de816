// The control plane restarts while the registry is down. Real processes:
// an etcd, greeter_server processes registered in it, `switchboard xds`
// over it (killed with SIGKILL and started again), a gRPC channel in this
// process calling xds:///<service> throughout, and a greeter_client process
// started after the restart.
//
// With a cache dir the restarted control plane serves the cached instances
// at once; without one it holds requests for the services it cannot vouch
// for. Either way no client is told its service does not exist.
//
// One bootstrap per process (gRPC's xDS client is a singleton), so every
// test uses the same socket path, each with its own service name.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "testing/etcd_process.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/snapshot_cache.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::BuiltBinary;
using switchboard::testing::ChildProcess;
using switchboard::testing::ClosedLoopCaller;
using switchboard::testing::EtcdProcess;
using switchboard::testing::ReadFile;
using switchboard::testing::TempDir;
using switchboard::testing::WaitFor;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class XdsOutageRestartTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    socket_dir_ = new TempDir();
    socket_ = socket_dir_->File("ads.sock");
    auto bootstrap = MakeBootstrapJson({.server_address = absl::StrCat("unix:", socket_),
                                        .node_id = "xds-outage-restart-test"});
    ASSERT_TRUE(bootstrap.ok());
    bootstrap_ = *bootstrap;
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap_.c_str(), 1);
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);
  }
  static void TearDownTestSuite() { delete socket_dir_; }

  void SetUp() override {
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    // Retries every 200 ms, so "live again" follows etcd's return promptly.
    source_ = absl::StrCat(EtcdSourceUri(etcd_->endpoint()), "?max_retry_delay=200ms");
  }

  // A greeter_server process registered as `service`; its address.
  std::string StartGreeter(const std::string& service) {
    std::string log = dir_.File(absl::StrCat("greeter-", greeters_.size(), ".log"));
    auto process = ChildProcess::Start(
        {BuiltBinary("bin/greeter_server"), "--service=" + service,
         "--etcd=" + etcd_->endpoint(), "--ttl=2s", "--drain_timeout=1s"},
        {.log_path = log});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return "";
    greeters_.push_back(std::move(*process));
    std::string address;
    const std::string marker = absl::StrCat("serving ", service, " at ");
    WaitFor([&] {
      std::istringstream lines(ReadFile(log));
      for (std::string line; std::getline(lines, line);) {
        if (absl::StartsWith(line, marker)) address = line.substr(marker.size());
      }
      return !address.empty();
    }, absl::Seconds(10));
    EXPECT_FALSE(address.empty()) << "greeter_server did not start:\n" << ReadFile(log);
    return address;
  }

  // `switchboard xds` on the shared socket; `generation` names its log.
  std::unique_ptr<ChildProcess> StartControlPlane(int generation, const std::string& cache_dir) {
    unlink(socket_.c_str());
    std::vector<std::string> argv = {BuiltBinary("bin/switchboard"), "xds", "--listen",
                                     absl::StrCat("unix:", socket_), "--source", source_};
    if (!cache_dir.empty()) {
      argv.push_back("--cache-dir");
      argv.push_back(cache_dir);
    }
    auto child = ChildProcess::Start(argv, {.log_path = PlaneLog(generation)});
    EXPECT_TRUE(child.ok()) << child.status();
    EXPECT_TRUE(WaitFor([&] { return Exists(socket_); }, absl::Seconds(10)));
    return child.ok() ? std::move(*child) : nullptr;
  }
  std::string PlaneLog(int generation) const {
    return dir_.File(absl::StrCat("control-plane-", generation, ".log"));
  }
  bool LogSays(int generation, const std::string& text, absl::Duration timeout) const {
    return WaitFor([&] { return absl::StrContains(ReadFile(PlaneLog(generation)), text); },
                   timeout, absl::Milliseconds(50));
  }

  // Calls until every address in `addresses` has served one.
  static bool ServesAll(Greeter::Stub* stub, const std::vector<std::string>& addresses) {
    std::set<std::string> seen;
    return WaitFor([&] {
      absl::StatusOr<std::string> by = testing::CallOnce(stub, absl::Seconds(2));
      if (by.ok()) seen.insert(*by);
      for (const std::string& a : addresses) {
        if (seen.count(a) == 0) return false;
      }
      return true;
    }, absl::Seconds(20));
  }

  // Kills the control plane (SIGKILL, nothing saved on the way out) with
  // etcd already stopped, starts it again, and checks that `caller` fails
  // nothing over the restart and past the end of the initial sync window.
  std::unique_ptr<ChildProcess> RestartDuringOutage(std::unique_ptr<ChildProcess> plane,
                                                    const std::string& cache_dir,
                                                    ClosedLoopCaller& caller) {
    plane->Kill();
    absl::Time restarted = absl::Now();
    auto next = StartControlPlane(2, cache_dir);
    EXPECT_NE(next, nullptr);
    // The client's ADS stream comes back after its reconnect backoff.
    EXPECT_TRUE(LogSays(2, "new ADS stream: node \"xds-outage-restart-test\"", absl::Seconds(15)))
        << ReadFile(PlaneLog(2));
    // The span being checked: past the 3 s initial sync window, when a
    // control plane with no snapshot used to answer "does not exist".
    int64_t total_before = caller.tally().Total().replies();
    absl::SleepFor(absl::Seconds(3) + absl::Milliseconds(1500) - (absl::Now() - restarted));
    EXPECT_EQ(caller.tally().Total().failures(), 0) << caller.tally().LastFailure();
    EXPECT_GT(caller.tally().Total().replies(), total_before + 100);
    return next;
  }

  // A greeter_client process, started now: "N replies, M failed" and more.
  std::string RunNewClient(const std::string& service, int calls) {
    std::string log = dir_.File(absl::StrCat("client-", service, ".log"));
    auto client = ChildProcess::Start(
        {BuiltBinary("bin/greeter_client"), "--service=" + service,
         absl::StrCat("--calls=", calls)},
        {.log_path = log, .env = {"GRPC_XDS_BOOTSTRAP_CONFIG=" + bootstrap_}});
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return "";
    EXPECT_TRUE((*client)->WaitExit(absl::Seconds(30)));
    return ReadFile(log);
  }

  static TempDir* socket_dir_;
  static std::string socket_;
  static std::string bootstrap_;
  TempDir dir_;
  std::unique_ptr<EtcdProcess> etcd_;
  std::string source_;
  std::vector<std::unique_ptr<ChildProcess>> greeters_;
};

TempDir* XdsOutageRestartTest::socket_dir_ = nullptr;
std::string XdsOutageRestartTest::socket_;
std::string XdsOutageRestartTest::bootstrap_;

TEST_F(XdsOutageRestartTest, WithACacheARestartDuringAnOutageServesTheLastSnapshot) {
  const std::string service = "cached";
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) addresses.push_back(StartGreeter(service));
  const std::string cache_dir = dir_.File("cache");
  auto plane = StartControlPlane(1, cache_dir);
  ASSERT_NE(plane, nullptr);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("xds:///" + service, grpc::InsecureChannelCredentials());
  auto stub = Greeter::NewStub(channel);
  ASSERT_TRUE(ServesAll(stub.get(), addresses));
  // The cache holds the three (it is written within a second of a change).
  SnapshotCache cache(cache_dir);
  ASSERT_TRUE(WaitFor([&] {
    auto entry = cache.Load(EtcdSourceUri(etcd_->endpoint()));
    return entry.ok() && entry->snapshot->Instances(service).size() == 3;
  }, absl::Seconds(5)));

  ClosedLoopCaller caller(channel, {.threads = 1, .deadline = absl::Seconds(2),
                                    .pause_after_failure = absl::ZeroDuration()});
  caller.Start();
  etcd_->Stop();
  plane = RestartDuringOutage(std::move(plane), cache_dir, caller);
  ASSERT_NE(plane, nullptr);
  const std::string log = ReadFile(PlaneLog(2));
  EXPECT_TRUE(absl::StrContains(log, "serving 3 instance(s) of source etcd://")) << log;
  EXPECT_TRUE(absl::StrContains(log, "from the cache written at")) << log;
  EXPECT_TRUE(LogSays(2, "; the source is unreachable: ", absl::Seconds(5))) << log;

  // A client that starts now, knowing nothing, gets the cached instances.
  std::string output = RunNewClient(service, 60);
  EXPECT_TRUE(absl::StrContains(output, "60 replies, 0 failed")) << output;
  if (size_t at = output.find("60 replies"); at != std::string::npos) {
    std::printf("  new client during the outage: %s\n",
                output.substr(at, output.find('\n', at) - at).c_str());
  }
  for (const std::string& address : addresses) {
    EXPECT_TRUE(absl::StrContains(output, "  " + address + " ")) << address << "\n" << output;
  }
  EXPECT_EQ(caller.tally().Total().failures(), 0) << caller.tally().LastFailure();

  // The registry comes back: the source is live, and changes flow again.
  ASSERT_TRUE(etcd_->Restart().ok());
  EXPECT_TRUE(LogSays(2, "is live again", absl::Seconds(15))) << ReadFile(PlaneLog(2));
  std::string newcomer = StartGreeter(service);
  EXPECT_TRUE(WaitFor([&] { return caller.tally().Total().RepliesFrom(newcomer) > 0; }, absl::Seconds(15)))
      << "the server registered after the outage gets no calls";
  const testing::CallCounts calls = caller.tally().Total();
  std::printf("  %lld calls, %lld failed; last error: %s\n",
              static_cast<long long>(calls.replies()), static_cast<long long>(calls.failures()),
              caller.tally().LastFailure().c_str());
  EXPECT_EQ(caller.tally().Total().failures(), 0) << caller.tally().LastFailure();
  EXPECT_EQ(plane->Stop(), 0);
}

TEST_F(XdsOutageRestartTest, WithoutACacheARestartDuringAnOutageHoldsRequests) {
  const std::string service = "held";
  std::vector<std::string> addresses;
  for (int i = 0; i < 2; ++i) addresses.push_back(StartGreeter(service));
  auto plane = StartControlPlane(1, "");
  ASSERT_NE(plane, nullptr);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("xds:///" + service, grpc::InsecureChannelCredentials());
  auto stub = Greeter::NewStub(channel);
  ASSERT_TRUE(ServesAll(stub.get(), addresses));

  ClosedLoopCaller caller(channel, {.threads = 1, .deadline = absl::Seconds(2),
                                    .pause_after_failure = absl::ZeroDuration()});
  caller.Start();
  etcd_->Stop();
  plane = RestartDuringOutage(std::move(plane), "", caller);
  ASSERT_NE(plane, nullptr);
  EXPECT_TRUE(LogSays(2, "has not answered yet (", absl::Seconds(5))) << ReadFile(PlaneLog(2));
  EXPECT_TRUE(LogSays(2, "holding requests for services it may own", absl::Seconds(5)));
  EXPECT_TRUE(LogSays(2, "\"held\": not known yet", absl::Seconds(5))) << ReadFile(PlaneLog(2));

  ASSERT_TRUE(etcd_->Restart().ok());
  EXPECT_TRUE(LogSays(2, "requests held for it are answered", absl::Seconds(15)))
      << ReadFile(PlaneLog(2));
  std::string newcomer = StartGreeter(service);
  EXPECT_TRUE(WaitFor([&] { return caller.tally().Total().RepliesFrom(newcomer) > 0; }, absl::Seconds(15)));
  EXPECT_EQ(caller.tally().Total().failures(), 0) << caller.tally().LastFailure();
  EXPECT_EQ(plane->Stop(), 0);
}

TEST_F(XdsOutageRestartTest, ACorruptCacheIsReportedAndIgnored) {
  const std::string service = "corrupt";
  std::string address = StartGreeter(service);
  const std::string cache_dir = dir_.File("cache");
  SnapshotCache cache(cache_dir);
  std::filesystem::create_directories(cache_dir);
  const std::string path = cache.PathFor(EtcdSourceUri(etcd_->endpoint()));
  std::ofstream(path) << "{\"format_version\": 1, \"source\": ";  // cut short
  // The registry is up: served from it, and the cache written anew.
  auto plane = StartControlPlane(1, cache_dir);
  ASSERT_NE(plane, nullptr);
  EXPECT_TRUE(LogSays(1, absl::StrCat("ignoring the cache of source etcd://"), absl::Seconds(5)))
      << ReadFile(PlaneLog(1));
  EXPECT_TRUE(LogSays(1, path + ":1:", absl::Seconds(1))) << ReadFile(PlaneLog(1));
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("xds:///" + service, grpc::InsecureChannelCredentials());
  auto stub = Greeter::NewStub(channel);
  EXPECT_TRUE(ServesAll(stub.get(), {address}));
  EXPECT_TRUE(WaitFor([&] {
    auto entry = cache.Load(EtcdSourceUri(etcd_->endpoint()));
    return entry.ok() && entry->snapshot->Instances(service).size() == 1;
  }, absl::Seconds(5)));
  EXPECT_EQ(plane->Stop(), 0);
}

}  // namespace
}  // namespace switchboard::xds
