// Subsets and routes end to end: a real etcd, a `switchboard xds` process
// watching it with a policy file, six greeters registered in etcd (three
// version v1, three v2), the C++ gRPC 1.51 client in this process and the
// Node client as a child; routes changed with `switchboard route`.
//
// One process-wide xDS client (one bootstrap per binary), so the suite
// shares one control plane; each test sets the routes it needs first. The
// rollout drains v1 for good, so it runs last.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/bootstrap.h"
#include "testing/child_process.h"
#include "testing/etcd_process.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::BuiltBinary;
using switchboard::testing::CallCounts;
using switchboard::testing::CallTally;
using switchboard::testing::ChildProcess;
using switchboard::testing::ClosedLoopCaller;
using switchboard::testing::EtcdProcess;
using switchboard::testing::InProcessGreeter;
using switchboard::testing::ReadFile;
using switchboard::testing::SourceDir;
using switchboard::testing::TempDir;
using switchboard::testing::WaitFor;

struct Fleet {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<EtcdProcess> etcd;
  std::shared_ptr<EtcdClient> client;
  std::vector<std::unique_ptr<InProcessGreeter>> v1, v2;
  std::set<std::string> v1_addresses, v2_addresses;
  std::unique_ptr<ChildProcess> plane;
  std::string socket;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<Greeter::Stub> stub;
};
Fleet* fleet = nullptr;

Instance Registered(const InProcessGreeter& server, const std::string& version,
                    bool draining = false) {
  Instance instance = testing::GreeterInstance("greeter", server, 1, draining);
  instance.metadata.version = version;
  return instance;
}

// The replies of `counts` from `subset`'s servers, as a share of all.
double ShareOf(const CallCounts& counts, const std::set<std::string>& subset) {
  int64_t mine = 0;
  for (const std::string& address : subset) mine += counts.RepliesFrom(address);
  return counts.replies() == 0 ? 0 : static_cast<double>(mine) / counts.replies();
}

// `switchboard route ARGS... --etcd E`: its exit code; its output in `out`.
int Route(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::vector<std::string> argv = {BuiltBinary("bin/switchboard"), "route"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--etcd=" + fleet->etcd->endpoint());
  static int n = 0;
  const std::string log = fleet->dir->File(absl::StrCat("route-", ++n, ".log"));
  auto child = ChildProcess::Start(argv, {.log_path = log});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return -1;
  EXPECT_TRUE((*child)->WaitExit(absl::Seconds(20)));
  if (out != nullptr) *out = ReadFile(log);
  int status = (*child)->exit_status();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Calls until `n` calls in a row are served by `subset`; false at the timeout.
bool WaitAllFrom(const std::set<std::string>& subset, int n = 100) {
  int in_a_row = 0;
  return WaitFor(
      [&] {
        absl::StatusOr<std::string> by = testing::CallOnce(fleet->stub.get());
        in_a_row = by.ok() && subset.contains(*by) ? in_a_row + 1 : 0;
        return in_a_row >= n;
      },
      absl::Seconds(15), absl::ZeroDuration());
}

// Calls until one is served by `subset`; false at the timeout.
bool WaitFirstFrom(const std::set<std::string>& subset) {
  return WaitFor(
      [&] {
        absl::StatusOr<std::string> by = testing::CallOnce(fleet->stub.get());
        return by.ok() && subset.contains(*by);
      },
      absl::Seconds(15), absl::ZeroDuration());
}

// Routes everything to v1 and waits until the client does.
void ResetToV1() {
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=100"}), 0);
  ASSERT_TRUE(WaitAllFrom(fleet->v1_addresses)) << "the client never went all-v1";
}

class XdsCanaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fleet = new Fleet();
    fleet->dir = std::make_unique<TempDir>();
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    fleet->etcd = std::move(*etcd);
    auto client = EtcdClient::Create({.endpoints = {fleet->etcd->endpoint()}});
    ASSERT_TRUE(client.ok()) << client.status();
    fleet->client = std::move(*client);
    for (int i = 0; i < 6; ++i) {
      auto server = InProcessGreeter::Start();
      ASSERT_TRUE(server.ok()) << server.status();
      const std::string version = i < 3 ? "v1" : "v2";
      Instance instance = Registered(**server, version);
      ASSERT_TRUE(fleet->client->Put(RegistryKey("", instance), EncodeInstanceValue(instance)).ok());
      (i < 3 ? fleet->v1_addresses : fleet->v2_addresses).insert((*server)->address());
      (i < 3 ? fleet->v1 : fleet->v2).push_back(std::move(*server));
    }
    // The file's routes: 90/10, which an etcd override replaces.
    const std::string policy = fleet->dir->File("policy.json");
    std::ofstream(policy) << R"({"services": {"greeter": {
        "subsets": {"by": "version"}, "split": {"v1": 90, "v2": 10}}}})";
    fleet->socket = fleet->dir->File("ads.sock");
    auto plane = ChildProcess::Start(
        {BuiltBinary("bin/switchboard"), "xds", "--listen", "unix:" + fleet->socket, "--etcd",
         fleet->etcd->endpoint(), "--policy", policy},
        {.log_path = fleet->dir->File("control-plane.log")});
    ASSERT_TRUE(plane.ok()) << plane.status();
    fleet->plane = std::move(*plane);
    ASSERT_TRUE(WaitFor([] { return access(fleet->socket.c_str(), F_OK) == 0; }, absl::Seconds(10)))
        << ReadFile(fleet->dir->File("control-plane.log"));
    auto bootstrap = MakeBootstrapJson(
        {.server_address = "unix:" + fleet->socket, .node_id = "xds-canary-test"});
    ASSERT_TRUE(bootstrap.ok());
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);
    fleet->channel = grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials());
    fleet->stub = Greeter::NewStub(fleet->channel);
    ASSERT_TRUE(WaitFor([] { return testing::CallOnce(fleet->stub.get()).ok(); },
                        absl::Seconds(20)))
        << ReadFile(fleet->dir->File("control-plane.log"));
  }

  static void TearDownTestSuite() {
    if (fleet == nullptr) return;
    fleet->stub.reset();
    fleet->channel.reset();
    if (fleet->plane != nullptr) fleet->plane->Stop();
    delete fleet;
    fleet = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(fleet, nullptr);
    ASSERT_NE(fleet->stub, nullptr) << "the suite did not start";
  }
  void TearDown() override {
    if (HasFailure()) {
      std::printf("control plane log:\n%s\n",
                  ReadFile(fleet->dir->File("control-plane.log")).c_str());
    }
  }
};

// The policy file's 90/10 (after an etcd override is cleared) over 6000
// calls of the C++ client: each subset's share within 2 points.
TEST_F(XdsCanaryTest, FileSplitHoldsItsSharesWithTheCppClient) {
  ResetToV1();
  if (HasFatalFailure()) return;
  std::string out;
  ASSERT_EQ(Route({"clear", "greeter"}, &out), 0) << out;
  ASSERT_TRUE(WaitFirstFrom(fleet->v2_addresses)) << "the file's split never came back";
  CallTally tally;
  CallCounts counts = testing::CallGreeter(fleet->stub.get(), 6000, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  const double v1 = ShareOf(counts, fleet->v1_addresses);
  const double v2 = ShareOf(counts, fleet->v2_addresses);
  std::printf("  C++ client, file split 90/10: v1 %.2f%%, v2 %.2f%% of %lld calls\n", v1 * 100,
              v2 * 100, static_cast<long long>(counts.calls()));
  EXPECT_NEAR(v1, 0.90, 0.02);
  EXPECT_NEAR(v2, 0.10, 0.02);
  // Within a subset, round robin.
  for (const std::string& address : fleet->v2_addresses) {
    EXPECT_GT(counts.RepliesFrom(address), 0) << address;
  }
}

// The same split set with the CLI, as the Node client follows it.
TEST_F(XdsCanaryTest, CliSplitHoldsItsSharesWithTheNodeClient) {
  ResetToV1();
  if (HasFatalFailure()) return;
  std::string out;
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=90,v2=10"}, &out), 0) << out;
  ASSERT_TRUE(WaitFirstFrom(fleet->v2_addresses));
  ASSERT_EQ(Route({"show", "greeter"}, &out), 0) << out;
  EXPECT_NE(out.find("default -> v1 90%, v2 10%"), std::string::npos) << out;

  std::ofstream(fleet->dir->File("node-bootstrap.json"))
      << *MakeBootstrapJson({.server_address = "unix:" + fleet->socket, .node_id = "node"});
  const std::string log = fleet->dir->File("node.out");
  constexpr int kCalls = 5000;
  auto node = ChildProcess::Start(
      {"/usr/bin/node", SourceDir() + "/tests/xds/node_greeter_client.js",
       SourceDir() + "/examples/greeter/greeter.proto", "greeter", std::to_string(kCalls)},
      {.log_path = log,
       .env = {"GRPC_XDS_BOOTSTRAP=" + fleet->dir->File("node-bootstrap.json"),
               "NODE_PATH=" + SourceDir() + "/third_party/npm/node_modules"}});
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->WaitExit(absl::Seconds(90))) << ReadFile(log);
  ASSERT_EQ((*node)->exit_status(), 0) << ReadFile(log);
  std::string text = ReadFile(log);
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  nlohmann::json result = nlohmann::json::parse(trimmed.substr(trimmed.rfind('\n') + 1), nullptr,
                                                /*allow_exceptions=*/false);
  ASSERT_FALSE(result.is_discarded()) << text;
  EXPECT_EQ(result["failed"], 0) << result["last_error"];
  CallCounts counts;
  for (const auto& [address, served] : result["served_by"].items()) {
    counts.replies_by_server[address] = served.get<int64_t>();
  }
  ASSERT_EQ(counts.replies(), kCalls) << result.dump();
  const double v2 = ShareOf(counts, fleet->v2_addresses);
  std::printf("  Node client, CLI split 90/10: v1 %.2f%%, v2 %.2f%% of %d calls\n",
              ShareOf(counts, fleet->v1_addresses) * 100, v2 * 100, kCalls);
  EXPECT_NEAR(ShareOf(counts, fleet->v1_addresses), 0.90, 0.02);
  EXPECT_NEAR(v2, 0.10, 0.02);
}

// A split changed with the CLI reaches a client under load at once, and
// no call fails while it does.
TEST_F(XdsCanaryTest, CliSplitChangeReachesRunningClientsWithoutFailedCalls) {
  ResetToV1();
  if (HasFatalFailure()) return;
  ClosedLoopCaller caller(fleet->channel, {.threads = 2});
  caller.Start();
  ASSERT_TRUE(WaitFor([&] { return caller.tally().Total().replies() > 200; }, absl::Seconds(10)));
  const CallCounts before = caller.tally().Total();
  const absl::Time asked = absl::Now();
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=50,v2=50"}), 0);
  const absl::Time set = absl::Now();
  bool seen = WaitFor(
      [&] { return ShareOf(caller.tally().Total().Minus(before), fleet->v2_addresses) > 0; },
      absl::Seconds(10), absl::Milliseconds(1));
  const absl::Time first_v2 = absl::Now();
  EXPECT_TRUE(seen) << "the new split never reached the client";
  std::printf("  split change: first call on v2 %s after `route set` began (%s after it "
              "exited)\n",
              absl::FormatDuration(first_v2 - asked).c_str(),
              absl::FormatDuration(first_v2 - set).c_str());
  // A second of the new split.
  const CallCounts changed = caller.tally().Total();
  absl::SleepFor(absl::Seconds(1));  // load runs meanwhile; not a synchronisation
  caller.Stop();
  CallCounts after = caller.tally().Total().Minus(changed);
  EXPECT_EQ(caller.tally().Total().Minus(before).failures(), 0)
      << caller.tally().Total().FailureSummary() << ": " << caller.tally().LastFailure();
  EXPECT_NEAR(ShareOf(after, fleet->v2_addresses), 0.5, 0.15) << after.replies() << " calls";
}

// `--header x-canary=true:v2`: every marked call goes to v2, no unmarked
// one does.
TEST_F(XdsCanaryTest, HeaderMatchSendsMarkedCallsToV2Only) {
  ResetToV1();
  if (HasFatalFailure()) return;
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=100", "--header", "x-canary=true:v2"}), 0);
  auto call = [](bool marked) -> absl::StatusOr<std::string> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (marked) context.AddMetadata("x-canary", "true");
    examples::HelloRequest request;
    request.set_name("canary");
    examples::HelloReply reply;
    grpc::Status status = fleet->stub->SayHello(&context, request, &reply);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return reply.served_by();
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::string> by = call(true);
        return by.ok() && fleet->v2_addresses.contains(*by);
      },
      absl::Seconds(15), absl::ZeroDuration()));
  int marked_v2 = 0, marked_other = 0, unmarked_v2 = 0, unmarked_v1 = 0, failed = 0;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> m = call(true);
    absl::StatusOr<std::string> u = call(false);
    if (!m.ok() || !u.ok()) {
      failed++;
      continue;
    }
    (fleet->v2_addresses.contains(*m) ? marked_v2 : marked_other)++;
    (fleet->v2_addresses.contains(*u) ? unmarked_v2 : unmarked_v1)++;
  }
  std::printf("  header x-canary=true: %d of 1000 marked calls on v2; %d of 1000 unmarked\n",
              marked_v2, unmarked_v2);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(marked_v2, 1000);
  EXPECT_EQ(marked_other, 0);
  EXPECT_EQ(unmarked_v2, 0);
  EXPECT_EQ(unmarked_v1, 1000);
}

// Bad input to `route` is refused (exit 2, nothing written) naming the bad
// part; a subset no instance has is only a warning.
TEST_F(XdsCanaryTest, RouteCliRefusesBadInputAndWarnsOfSubsetsWithoutInstances) {
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=90,v2=10"}), 0);
  std::string out;
  EXPECT_EQ(Route({"set", "greeter", "--split", "v1=90,v2=5"}, &out), 2);
  EXPECT_NE(out.find("--split 'v1=90,v2=5': the percentages sum to 95, not 100"),
            std::string::npos)
      << out;
  EXPECT_EQ(Route({"set", "greeter", "--header", "X-Canary=true:v2"}, &out), 2);
  EXPECT_NE(out.find("header 'X-Canary' must be lower case"), std::string::npos) << out;
  EXPECT_EQ(Route({"show", "greeter", "--split", "v1=100"}, &out), 2);
  // Nothing was written by the refused ones.
  ASSERT_EQ(Route({"show", "greeter", "--json"}, &out), 0) << out;
  EXPECT_NE(out.find(R"("split":{"v1":90,"v2":10})"), std::string::npos) << out;
  EXPECT_EQ(Route({"set", "greeter", "--split", "v1=90,v3=10"}, &out), 0) << out;
  EXPECT_NE(out.find("warning: no instance of greeter has version v3"), std::string::npos) << out;
  // v3's 10% goes to v1: every call on v1, none failed.
  ASSERT_TRUE(WaitAllFrom(fleet->v1_addresses, 300));
}

// The rollout of docs/canary.md under load: 0 -> 10 -> 50 -> 100% on v2,
// then v1 drains and goes. Not one call fails.
TEST_F(XdsCanaryTest, CanaryRolloutUnderLoadEndsWithADrainAndNoFailedCall) {
  ASSERT_EQ(Route({"set", "greeter", "--split", "v1=100,v2=0"}), 0);
  ASSERT_TRUE(WaitAllFrom(fleet->v1_addresses));
  ClosedLoopCaller caller(fleet->channel, {.threads = 2});
  caller.Start();
  const CallCounts start = caller.tally().Total();
  for (int percent : {10, 50, 100}) {
    ASSERT_EQ(Route({"set", "greeter", "--split",
                     absl::StrCat("v1=", 100 - percent, ",v2=", percent)}),
              0);
    // The share of the last half second settles near the step's.
    bool reached = WaitFor(
        [&] {
          CallCounts recent = caller.tally().Window(absl::Now(), absl::Milliseconds(500));
          return recent.replies() > 50 &&
                 std::abs(ShareOf(recent, fleet->v2_addresses) - percent / 100.0) < 0.08;
        },
        absl::Seconds(15), absl::Milliseconds(20));
    EXPECT_TRUE(reached) << "step " << percent << "% never reached the client";
    std::printf("  rollout step %d%% on v2 reached\n", percent);
  }
  // Drain v1: marked draining, then deregistered, then stopped.
  for (const auto& server : fleet->v1) {
    Instance draining = Registered(*server, "v1", /*draining=*/true);
    ASSERT_TRUE(
        fleet->client->Put(RegistryKey("", draining), EncodeInstanceValue(draining)).ok());
  }
  for (const auto& server : fleet->v1) {
    ASSERT_TRUE(fleet->client->Delete(RegistryKey("", Registered(*server, "v1"))).ok());
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        CallCounts recent = caller.tally().Window(absl::Now(), absl::Milliseconds(300));
        return recent.replies() > 20 && ShareOf(recent, fleet->v1_addresses) == 0;
      },
      absl::Seconds(10)));
  for (const auto& server : fleet->v1) server->Stop();
  const CallCounts stopped = caller.tally().Total();
  ASSERT_TRUE(WaitFor([&] { return caller.tally().Total().Minus(stopped).replies() > 500; },
                      absl::Seconds(10)));
  caller.Stop();
  CallCounts all = caller.tally().Total().Minus(start);
  std::printf("  rollout: %lld calls, %lld failed; after v1 stopped all on v2: %s\n",
              static_cast<long long>(all.calls()), static_cast<long long>(all.failures()),
              ShareOf(caller.tally().Total().Minus(stopped), fleet->v2_addresses) == 1 ? "yes"
                                                                                       : "no");
  EXPECT_EQ(all.failures(), 0) << all.FailureSummary() << ": " << caller.tally().LastFailure();
  EXPECT_EQ(ShareOf(caller.tally().Total().Minus(stopped), fleet->v2_addresses), 1.0);
}

}  // namespace
}  // namespace switchboard::xds
