// Servers register in a real etcd; a C++ client balances over them through
// embedded discovery with nothing but `xds:///<service>` as its target.
//
// One process, one embedded control plane (gRPC's xDS client is a
// process-wide singleton), one service name per test.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/xds/service_policy.h"
#include "switchboard/etcd/etcd_client.h"
#include "greeter.grpc.pb.h"
#include "testing/closed_loop_caller.h"
#include "testing/etcd_process.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

using examples::Greeter;
using examples::HelloReply;
using examples::HelloRequest;
using testing::ChildProcess;
using testing::ClosedLoopCaller;
using testing::EtcdProcess;
using testing::WaitFor;

// A greeter_server child process and the address it registered.
struct GreeterProcess {
  std::unique_ptr<ChildProcess> process;
  std::string address;
  std::string log_path;
};

class RegistryToChannelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = etcd->release();
    // "sick" ejects instances whose calls fail, quickly enough for a test.
    xds::PolicyTable policies;
    policies.per_service["sick"].outlier_detection = xds::OutlierDetectionPolicy{
        .interval = absl::Milliseconds(500),
        .base_ejection_time = absl::Seconds(30),
        .failure_percentage_threshold = 50,
        .failure_percentage_request_volume = 10,
        .failure_percentage_minimum_hosts = 3};
    auto discovery = StartEmbeddedDiscovery(
        {.source_uris = {EtcdSourceUri(etcd_->endpoint())}, .policies = policies});
    ASSERT_TRUE(discovery.ok()) << discovery.status();
    discovery_ = discovery->release();
    auto client = EtcdClient::Create({.endpoints = {etcd_->endpoint()}});
    ASSERT_TRUE(client.ok());
    client_ = client->release();
  }
  static void TearDownTestSuite() {
    delete discovery_;
    delete client_;
    delete etcd_;
  }

  GreeterProcess StartGreeter(const std::string& service, int weight = 1,
                              std::vector<std::string> extra_flags = {}) {
    GreeterProcess greeter;
    greeter.log_path = dir_.File(absl::StrCat("greeter-", next_log_++, ".log"));
    std::vector<std::string> argv = {
        testing::BuiltBinary("bin/greeter_server"), "--service=" + service,
        "--etcd=" + etcd_->endpoint(), "--ttl=2s", "--drain_timeout=2s",
        absl::StrCat("--weight=", weight)};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    auto process = ChildProcess::Start(argv, {.log_path = greeter.log_path});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return greeter;
    greeter.process = std::move(*process);
    // "serving <service> at <address>" once it listens.
    WaitFor([&] {
      std::ifstream in(greeter.log_path);
      std::string line;
      while (std::getline(in, line)) {
        std::string marker = absl::StrCat("serving ", service, " at ");
        if (line.rfind(marker, 0) == 0) {
          greeter.address = line.substr(marker.size());
          return true;
        }
      }
      return false;
    }, absl::Seconds(10));
    EXPECT_FALSE(greeter.address.empty()) << "greeter_server did not start; log: " << Log(greeter);
    return greeter;
  }

  bool Registered(const std::string& service, const std::string& address) {
    auto range = client_->Get(absl::StrCat(service, "/", address));
    return range.ok() && !range->kvs.empty();
  }

  static std::string Log(const GreeterProcess& greeter) {
    std::ifstream in(greeter.log_path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& service) {
    return grpc::CreateChannel("xds:///" + service, grpc::InsecureChannelCredentials());
  }

  // `calls` sequential calls: replies per serving address, and failures.
  static std::map<std::string, int64_t> Tally(grpc::Channel* channel, int calls, int64_t* failed) {
    auto stub = Greeter::NewStub(std::shared_ptr<grpc::Channel>(channel, [](auto*) {}));
    testing::CallCounts counts = testing::CallGreeter(stub.get(), calls);
    *failed += counts.failures();
    return counts.replies_by_server;
  }

  static EtcdProcess* etcd_;
  static EmbeddedDiscovery* discovery_;
  static EtcdClient* client_;
  testing::TempDir dir_;
  int next_log_ = 0;
};

EtcdProcess* RegistryToChannelTest::etcd_ = nullptr;
EmbeddedDiscovery* RegistryToChannelTest::discovery_ = nullptr;
EtcdClient* RegistryToChannelTest::client_ = nullptr;

TEST_F(RegistryToChannelTest, ThreeRegisteredServersShareCallsEvenly) {
  std::vector<GreeterProcess> greeters;
  for (int i = 0; i < 3; ++i) greeters.push_back(StartGreeter("split"));
  auto channel = Channel("split");
  // Wait until the client has learnt all three.
  std::set<std::string> seen;
  ASSERT_TRUE(WaitFor([&] {
    int64_t failed = 0;
    for (const auto& [address, n] : Tally(channel.get(), 10, &failed)) seen.insert(address);
    return seen.size() == 3;
  }, absl::Seconds(10)));
  int64_t failed = 0;
  std::map<std::string, int64_t> served = Tally(channel.get(), 3000, &failed);
  EXPECT_EQ(failed, 0);
  for (const GreeterProcess& g : greeters) {
    double share = served[g.address] / 3000.0;
    std::printf("%s served %.1f%%\n", g.address.c_str(), 100 * share);
    EXPECT_NEAR(share, 1.0 / 3, 0.05) << g.address;
  }
}

TEST_F(RegistryToChannelTest, WeightsOneToThreeSplitTwentyFiveToSeventyFive) {
  GreeterProcess light = StartGreeter("weighted", 1);
  GreeterProcess heavy = StartGreeter("weighted", 3);
  auto channel = Channel("weighted");
  ASSERT_TRUE(WaitFor([&] {
    int64_t failed = 0;
    auto served = Tally(channel.get(), 20, &failed);
    return served.size() == 2;
  }, absl::Seconds(10)));
  int64_t failed = 0;
  std::map<std::string, int64_t> served = Tally(channel.get(), 4000, &failed);
  EXPECT_EQ(failed, 0);
  double light_share = served[light.address] / 4000.0;
  std::printf("weight 1: %.1f%%, weight 3: %.1f%%\n", 100 * light_share,
              100 * served[heavy.address] / 4000.0);
  EXPECT_NEAR(light_share, 0.25, 0.05);
}

TEST_F(RegistryToChannelTest, JoiningServerServesWithinASecondAndDrainedOneStops) {
  GreeterProcess first = StartGreeter("join");
  GreeterProcess second = StartGreeter("join");
  auto channel = Channel("join");
  ASSERT_TRUE(WaitFor([&] {
    int64_t failed = 0;
    return Tally(channel.get(), 10, &failed).size() == 2;
  }, absl::Seconds(10)));
  ClosedLoopCaller load(channel, {.threads = 4, .deadline = absl::Seconds(2),
                                  .pause_after_failure = absl::ZeroDuration()});
  load.Start();

  GreeterProcess third = StartGreeter("join");
  ASSERT_TRUE(WaitFor([&] { return Registered("join", third.address); }, absl::Seconds(5)));
  absl::Time registered = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return load.tally().Total().RepliesFrom(third.address) > 0; }, absl::Seconds(1)))
      << "the new server got no call within 1 s of its registration";
  std::printf("new server's first call %.1f ms after its key appeared (polled)\n",
              absl::ToDoubleMilliseconds(absl::Now() - registered));

  // Graceful stop: drain, deregister, then exit; no call fails.
  second.process->Signal(SIGTERM);
  ASSERT_TRUE(second.process->WaitExit(absl::Seconds(10))) << Log(second);
  EXPECT_FALSE(Registered("join", second.address));
  int64_t served_at_exit = load.tally().Total().RepliesFrom(second.address);
  absl::SleepFor(absl::Seconds(1));  // the span being checked, not a wait
  EXPECT_EQ(load.tally().Total().RepliesFrom(second.address), served_at_exit);
  load.Stop();
  EXPECT_EQ(load.tally().Total().failures(), 0) << load.tally().LastFailure();
  EXPECT_GT(load.tally().Total().RepliesFrom(first.address), 0);
}

TEST_F(RegistryToChannelTest, KilledServerLeavesTheRotation) {
  std::vector<GreeterProcess> greeters;
  for (int i = 0; i < 3; ++i) greeters.push_back(StartGreeter("crash"));
  auto channel = Channel("crash");
  ASSERT_TRUE(WaitFor([&] {
    int64_t failed = 0;
    return Tally(channel.get(), 10, &failed).size() == 3;
  }, absl::Seconds(10)));
  ClosedLoopCaller load(channel, {.threads = 4, .deadline = absl::Seconds(2),
                                  .pause_after_failure = absl::ZeroDuration()});
  load.Start();
  ASSERT_TRUE(WaitFor([&] { return load.tally().Total().RepliesFrom(greeters[2].address) > 100; }, absl::Seconds(5)));
  greeters[2].process->Kill();
  absl::Time killed = absl::Now();
  // Its lease (2 s TTL) expires and the others carry every call.
  ASSERT_TRUE(WaitFor([&] { return !Registered("crash", greeters[2].address); }, absl::Seconds(5)));
  const testing::CallCounts before = load.tally().Total();
  int64_t before0 = before.RepliesFrom(greeters[0].address);
  int64_t before1 = before.RepliesFrom(greeters[1].address);
  int64_t failed_before = before.failures();
  ASSERT_TRUE(WaitFor([&] {
    const testing::CallCounts now = load.tally().Total();
    return now.RepliesFrom(greeters[0].address) > before0 + 200 &&
           now.RepliesFrom(greeters[1].address) > before1 + 200;
  }, absl::Seconds(5)));
  EXPECT_EQ(load.tally().Total().failures(), failed_before) << load.tally().LastFailure();
  std::printf("failed calls after SIGKILL: %lld (last: %s); lease gone after %.1f s\n",
              static_cast<long long>(load.tally().Total().failures()),
              load.tally().LastFailure().c_str(), absl::ToDoubleSeconds(absl::Now() - killed));
  load.Stop();
}

// Control-plane mode: `switchboard xds` in its own process over the same
// etcd, and a client process (greeter_client) that only has the bootstrap.
TEST_F(RegistryToChannelTest, ThroughASwitchboardXdsProcessTooCallsSplitEvenly) {
  std::vector<GreeterProcess> greeters;
  for (int i = 0; i < 3; ++i) greeters.push_back(StartGreeter("split-xds"));
  for (const GreeterProcess& g : greeters) {
    ASSERT_TRUE(WaitFor([&] { return Registered("split-xds", g.address); }, absl::Seconds(5)));
  }
  int xds_port = testing::PickFreePort();
  std::string xds_address = absl::StrCat("127.0.0.1:", xds_port);
  auto plane = ChildProcess::Start(
      {testing::BuiltBinary("bin/switchboard"), "xds", "--listen", xds_address, "--source",
       EtcdSourceUri(etcd_->endpoint())},
      {.log_path = dir_.File("xds.log")});
  ASSERT_TRUE(plane.ok()) << plane.status();
  ASSERT_TRUE(testing::WaitForPort(xds_port, absl::Seconds(10)));
  auto bootstrap = ChildProcess::Start(
      {testing::BuiltBinary("bin/switchboard"), "bootstrap", "--xds", xds_address},
      {.log_path = dir_.File("bootstrap.json")});
  ASSERT_TRUE(bootstrap.ok() && (*bootstrap)->WaitExit(absl::Seconds(10)));
  std::ifstream bootstrap_file(dir_.File("bootstrap.json"));
  std::string bootstrap_json((std::istreambuf_iterator<char>(bootstrap_file)),
                             std::istreambuf_iterator<char>());

  auto client = ChildProcess::Start(
      {testing::BuiltBinary("bin/greeter_client"), "--service=split-xds",
       "--calls=3000"},
      {.log_path = dir_.File("client.log"),
       .env = {"GRPC_XDS_BOOTSTRAP_CONFIG=" + bootstrap_json}});
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->WaitExit(absl::Seconds(60)));
  std::ifstream in(dir_.File("client.log"));
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(output.find("using the control plane named by the xDS bootstrap"), std::string::npos)
      << output;
  EXPECT_NE(output.find("3000 replies, 0 failed"), std::string::npos) << output;
  // "  127.0.0.1:PORT   COUNT  SHARE%" per server.
  for (const GreeterProcess& g : greeters) {
    size_t at = output.find("  " + g.address + " ");
    ASSERT_NE(at, std::string::npos) << g.address << " served nothing:\n" << output;
    std::istringstream line(output.substr(at + g.address.size() + 2));
    int served = 0;
    line >> served;
    std::printf("through switchboard xds: %s served %.1f%%\n", g.address.c_str(), served / 30.0);
    EXPECT_NEAR(served / 3000.0, 1.0 / 3, 0.05) << output;
  }
}

TEST_F(RegistryToChannelTest, OutlierDetectionEjectsAFailingServer) {
  GreeterProcess healthy1 = StartGreeter("sick");
  GreeterProcess healthy2 = StartGreeter("sick");
  GreeterProcess failing = StartGreeter("sick", 1, {"--fail_percent=100"});
  ASSERT_TRUE(WaitFor([&] { return Registered("sick", failing.address); }, absl::Seconds(5)));
  auto channel = Channel("sick");
  ASSERT_TRUE(WaitFor([&] {
    int64_t failed = 0;
    return Tally(channel.get(), 20, &failed).size() == 2 && failed > 0;
  }, absl::Seconds(10)));
  ClosedLoopCaller load(channel, {.threads = 4, .deadline = absl::Seconds(2),
                                  .pause_after_failure = absl::ZeroDuration()});
  load.Start();
  absl::Time start = absl::Now();
  // Its calls fail (INTERNAL, not retried) until the client ejects it.
  ASSERT_TRUE(WaitFor([&] {
    return load.tally().Total().failures() > 0 &&
           absl::Now() - load.tally().LastFailureAt() > absl::Seconds(1);
  }, absl::Seconds(10))) << load.tally().Total().failures()
                         << " failed, last: " << load.tally().LastFailure();
  std::printf("failing server ejected %.0f ms into the load, after %lld failed calls\n",
              absl::ToDoubleMilliseconds(load.tally().LastFailureAt() - start),
              static_cast<long long>(load.tally().Total().failures()));
  int64_t failed = load.tally().Total().failures();
  const testing::CallCounts healthy_counts = load.tally().Total();
  int64_t healthy_before =
      healthy_counts.RepliesFrom(healthy1.address) + healthy_counts.RepliesFrom(healthy2.address);
  absl::SleepFor(absl::Seconds(1));  // the span being checked, not a wait
  EXPECT_EQ(load.tally().Total().failures(), failed);
  EXPECT_GT(load.tally().Total().RepliesFrom(healthy1.address) + load.tally().Total().RepliesFrom(healthy2.address), healthy_before + 100);
  load.Stop();
}

}  // namespace
}  // namespace switchboard
