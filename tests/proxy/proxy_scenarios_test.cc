// The six scenarios of the demo through the proxy model, on real processes:
// a private etcd, greeter servers registering in it, HAProxy started and
// fed by HaproxyDriver from an etcd lookup source, and plain gRPC clients
// (C++ `ipv4:127.0.0.1:PORT`, Node) that know nothing of xDS. Plus: HAProxy
// killed and restarted, a rolling restart with drain, unknown services,
// and the `switchboard proxy` command's errors.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/proxy/haproxy_driver.h"
#include "switchboard/proxy/runtime_api.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/registry/registrar.h"
#include "testing/child_process.h"
#include "testing/closed_loop_caller.h"
#include "testing/etcd_process.h"
#include "testing/greeter_fleet.h"

namespace switchboard::proxy {
namespace {

using ::testing::HasSubstr;
using namespace switchboard::testing;

class ProxyScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    absl::StatusOr<std::string> server = LocateGreeterServer(BuiltBinary("bin/greeter_server"));
    ASSERT_TRUE(server.ok()) << server.status();
    fleet_ = std::make_unique<GreeterFleet>(GreeterFleetOptions{
        .server_binary = *server, .etcd = etcd_->endpoint(), .log_dir = dir_.path()});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(fleet_->Add().ok());
    port_ = PickFreePort();
    authority_port_ = PickFreePort();
    StartDriver();
  }

  void StartDriver() {
    auto source = MakeLookupSource(EtcdSourceUri(etcd_->endpoint()));
    ASSERT_TRUE(source.ok()) << source.status();
    std::vector<std::unique_ptr<LookupSource>> sources;
    sources.push_back(std::move(*source));
    auto driver = HaproxyDriver::Start(
        std::move(sources),
        {.config = {.listens = {{"greeter", {"127.0.0.1", static_cast<uint16_t>(port_)}}},
                    .authority_listen = HostPort{"127.0.0.1", static_cast<uint16_t>(authority_port_)},
                    .extra_services = {"slow"}},
         .data_dir = dir_.File("proxy")});
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("ipv4:127.0.0.1:", port_),
                                         grpc::InsecureChannelCredentials(),
                                         FastReconnectChannelArguments());
    ASSERT_TRUE(WaitUntilAllServe(*channel_, fleet_->Addresses(), absl::Seconds(10)))
        << "not every server answered through the proxy";
  }

  void TearDown() override {
    if (caller_) caller_->Stop();
    if (driver_) driver_->Stop();
    fleet_.reset();
  }

  // The servers HAProxy has in be_<service> now.
  LiveBackend Live(const std::string& service = "greeter") {
    RuntimeApi api(dir_.File("proxy/haproxy.sock"));
    absl::StatusOr<std::string> reply = api.Send("show servers state " + BackendName(service));
    if (!reply.ok()) return {};
    absl::StatusOr<LiveBackend> live = ParseServersState(*reply);
    return live.ok() ? *live : LiveBackend{};
  }
  bool HasServer(const std::string& address) { return Live().contains(ServerName(address)); }

  void StartLoad() {
    caller_ = std::make_unique<ClosedLoopCaller>(channel_, ClosedLoopCallerOptions{.threads = 4});
    caller_->Start();
  }
  CallCounts LastSecond() { return caller_->tally().Window(absl::Now(), absl::Seconds(1)); }
  CallCounts Since(const CallCounts& mark) { return caller_->tally().Total().Minus(mark); }

  TempDir dir_;
  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<GreeterFleet> fleet_;
  std::unique_ptr<HaproxyDriver> driver_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ClosedLoopCaller> caller_;
  int port_ = 0;
  int authority_port_ = 0;
};

// Scenarios 1-3: even split; kill -9 one server (its share moves, the
// calls that fail are counted); restart it (its share comes back).
TEST_F(ProxyScenarioTest, EvenSplitKillAndRestart) {
  StartLoad();
  ASSERT_TRUE(WaitFor([&] { return LastSecond().replies() > 100; }, absl::Seconds(5)));
  absl::SleepFor(absl::Seconds(1));  // a full window of steady load
  CallCounts even = LastSecond();
  for (const std::string& address : fleet_->Addresses()) {
    EXPECT_NEAR(even.Share(address), 1.0 / 3, 0.1) << address;
  }
  EXPECT_EQ(even.failures(), 0) << even.FailureSummary();

  const std::string victim = fleet_->address(0);
  CallCounts before_kill = caller_->tally().Total();
  fleet_->Kill(0);
  ASSERT_TRUE(WaitFor([&] { return !HasServer(victim); }, absl::Seconds(10)))
      << "the killed server stayed in HAProxy after its registration expired";
  CallCounts after = LastSecond();
  EXPECT_EQ(after.RepliesFrom(victim), 0);
  EXPECT_GT(after.replies(), 50);
  CallCounts during = Since(before_kill);
  std::printf("  kill -9 of one of 3 servers: %lld calls, failed: %s\n",
              static_cast<long long>(during.calls()), during.FailureSummary().c_str());
  // Retries of calls that never reached a server hide the refused
  // connects; a call in flight on the killed server may still fail.
  EXPECT_LE(during.failures(), 8) << during.FailureSummary();

  ASSERT_TRUE(fleet_->Restart(0).ok());
  ASSERT_TRUE(WaitFor([&] { return LastSecond().Share(victim) > 0.25; }, absl::Seconds(10)))
      << "the restarted server did not get its share back";
}

// Scenarios 4-5: etcd stopped (calls go on); changes while it is down, seen
// once it is back, without restarting the proxy.
TEST_F(ProxyScenarioTest, EtcdOutageThenChangesFollowed) {
  StartLoad();
  ASSERT_TRUE(WaitFor([&] { return LastSecond().replies() > 100; }, absl::Seconds(5)));
  const pid_t haproxy_pid = driver_->Stats().haproxy_pid;
  etcd_->Stop();
  CallCounts mark = caller_->tally().Total();
  absl::SleepFor(absl::Seconds(2));  // the outage itself is what is tested
  CallCounts during = Since(mark);
  EXPECT_GT(during.replies(), 100);
  EXPECT_EQ(during.failures(), 0) << during.FailureSummary();

  absl::StatusOr<int> added = fleet_->Add();  // registers once etcd is back
  ASSERT_TRUE(added.ok());
  const std::string removed = fleet_->address(1);
  mark = caller_->tally().Total();
  fleet_->Kill(1);
  // The registry cannot say it is gone: HAProxy's own checks take it out.
  ASSERT_TRUE(WaitFor(
      [&] {
        LiveBackend live = Live();
        auto it = live.find(ServerName(removed));
        return it != live.end() && !it->second.up;
      },
      absl::Seconds(5)))
      << "the killed server was not marked down by HAProxy's checks";
  CallCounts while_ejected = Since(mark);
  std::printf("  kill -9 while etcd is down: %lld calls, failed: %s\n",
              static_cast<long long>(while_ejected.calls()), while_ejected.FailureSummary().c_str());
  EXPECT_LE(while_ejected.failures(), 8) << while_ejected.FailureSummary();
  ASSERT_TRUE(etcd_->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return LastSecond().RepliesFrom(fleet_->address(*added)) > 0; },
                      absl::Seconds(15)))
      << "the server registered during the outage got no call";
  ASSERT_TRUE(WaitFor([&] { return !HasServer(removed); }, absl::Seconds(15)))
      << "the server killed during the outage stayed in HAProxy";
  EXPECT_EQ(driver_->Stats().haproxy_pid, haproxy_pid);
  EXPECT_EQ(driver_->Stats().restarts, 0);
}

// Scenario 6: all servers down: a fast UNAVAILABLE naming the service, not
// a reset or a timeout; then recovery.
TEST_F(ProxyScenarioTest, AllServersDownFastUnavailableThenRecovery) {
  for (int i = 0; i < 3; ++i) fleet_->Kill(i);
  GreeterCallOutcome outcome;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = CallGreeterOnce(*channel_, absl::Seconds(2));
        return outcome.code == grpc::StatusCode::UNAVAILABLE &&
               absl::StrContains(outcome.message, "no instance of greeter is up");
      },
      absl::Seconds(10), absl::Milliseconds(50)))
      << StatusCodeName(outcome.code) << ": " << outcome.message;
  outcome = CallGreeterOnce(*channel_, absl::Seconds(2));
  EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(outcome.took, absl::Milliseconds(200)) << "not fast";
  std::printf("  all servers down: %s \"%s\" in %s\n", StatusCodeName(outcome.code).c_str(),
              outcome.message.c_str(), absl::FormatDuration(outcome.took).c_str());

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fleet_->Restart(i).ok());
  EXPECT_TRUE(WaitUntilAllServe(*channel_, fleet_->Addresses(), absl::Seconds(10)));
}

// One listener for every service, by :authority; an unknown one is a gRPC
// UNAVAILABLE naming it.
TEST_F(ProxyScenarioTest, AuthorityRoutesAndNamesUnknownServices) {
  auto dial = [&](const std::string& authority) {
    grpc::ChannelArguments args;
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
    return grpc::CreateCustomChannel(absl::StrCat("ipv4:127.0.0.1:", authority_port_),
                                     grpc::InsecureChannelCredentials(), args);
  };
  EXPECT_TRUE(WaitUntilAllServe(*dial("greeter"), fleet_->Addresses(), absl::Seconds(5)));
  EXPECT_TRUE(CallOnce(*dial("greeter:9000")).ok());
  GreeterCallOutcome unknown = CallGreeterOnce(*dial("billing"), absl::Seconds(2));
  EXPECT_EQ(unknown.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(unknown.message, HasSubstr("no service \"billing\" behind this proxy"));
}

// HAProxy killed: the driver starts it again and adds every server back.
TEST_F(ProxyScenarioTest, HaproxyKilledIsRestartedWithItsServers) {
  StartLoad();
  const pid_t first = driver_->Stats().haproxy_pid;
  ASSERT_GT(first, 0);
  kill(first, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return driver_->Stats().restarts == 1; }, absl::Seconds(10)));
  EXPECT_NE(driver_->Stats().haproxy_pid, first);
  ASSERT_TRUE(WaitFor([&] { return Live().size() == 3; }, absl::Seconds(5)));
  CallCounts mark = caller_->tally().Total();
  ASSERT_TRUE(WaitFor(
      [&] {
        CallCounts since = Since(mark);
        for (const std::string& a : fleet_->Addresses()) {
          if (since.RepliesFrom(a) == 0) return false;
        }
        return true;
      },
      absl::Seconds(10)))
      << "calls did not resume on every server";
}

// Each server in turn drains (SIGTERM: the registry marks it draining, the
// proxy puts it in drain), exits and comes back: no call fails.
TEST_F(ProxyScenarioTest, RollingRestartWithDrainFailsNoCall) {
  StartLoad();
  ASSERT_TRUE(WaitFor([&] { return LastSecond().replies() > 100; }, absl::Seconds(5)));
  CallCounts mark = caller_->tally().Total();
  for (int i = 0; i < 3; ++i) {
    fleet_->Stop(i);  // drains, deregisters, exits
    ASSERT_TRUE(fleet_->Restart(i).ok());
    ASSERT_TRUE(WaitFor([&] { return LastSecond().RepliesFrom(fleet_->address(i)) > 0; },
                        absl::Seconds(10)));
  }
  CallCounts during = Since(mark);
  std::printf("  rolling restart of 3 servers: %lld calls, failed: %s\n",
              static_cast<long long>(during.calls()), during.FailureSummary().c_str());
  EXPECT_EQ(during.failures(), 0) << during.FailureSummary();
}

// An instance leaves the registry while a call to it is in flight: HAProxy
// refuses `del server` until the call ended, the server stays in
// maintenance (no new calls) meanwhile, the call succeeds, and the delete
// goes through on a later round.
TEST_F(ProxyScenarioTest, RemovalWaitsForTheCallInFlight) {
  auto client = EtcdClient::Create({.endpoints = {etcd_->endpoint()}});
  ASSERT_TRUE(client.ok()) << client.status();
  Registrar registrar(std::move(*client), {.ttl = absl::Seconds(10)});
  const std::string address = fleet_->address(0);
  ASSERT_TRUE(registrar.Start({{.service = "slow", .address = address}}).ok());
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "slow");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("ipv4:127.0.0.1:", authority_port_),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = examples::Greeter::NewStub(channel);
  ASSERT_TRUE(WaitFor([&] { return CallOnce(stub.get(), absl::Seconds(1)).ok(); }, absl::Seconds(10)));

  grpc::Status slow_status;
  std::thread slow_call([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    examples::HelloRequest request;
    request.set_name("slow");
    request.set_delay_ms(2000);
    examples::HelloReply reply;
    slow_status = stub->SayHello(&context, request, &reply);
  });
  ASSERT_TRUE(WaitFor([&] { return driver_->Stats().commands_sent > 0 && !Live("slow").empty(); },
                      absl::Seconds(5)));
  absl::SleepFor(absl::Milliseconds(200));  // the slow call reaches the server
  const uint64_t refused_before = driver_->Stats().commands_refused;
  ASSERT_TRUE(registrar.Deregister().ok());
  // Refused at least once while the call runs, and kept in maintenance.
  EXPECT_TRUE(WaitFor([&] { return driver_->Stats().commands_refused > refused_before; },
                      absl::Seconds(3)))
      << driver_->Stats().last_error;
  LiveBackend during = Live("slow");
  ASSERT_EQ(during.size(), 1u);
  EXPECT_TRUE(during.begin()->second.maintenance);
  EXPECT_THAT(driver_->Stats().last_error, HasSubstr("still has connections"));
  slow_call.join();
  EXPECT_TRUE(slow_status.ok()) << slow_status.error_message();
  EXPECT_TRUE(WaitFor([&] { return Live("slow").empty(); }, absl::Seconds(5)))
      << "the server was not deleted once its call ended";
  registrar.Stop();
}

using switchboard::testing::ReadFile;

// The Node client (grpc-js, no xDS) through the proxy.
TEST_F(ProxyScenarioTest, NodeClientThroughTheProxy) {
  const std::string out = dir_.File("node.out");
  auto node = ChildProcess::Start(
      {"/usr/bin/node", SourceDir() + "/tests/xds/node_greeter_client.js",
       SourceDir() + "/examples/greeter/greeter.proto", absl::StrCat("127.0.0.1:", port_), "60"},
      {.log_path = out, .env = {"NODE_PATH=" + SourceDir() + "/third_party/npm/node_modules"}});
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->WaitExit(absl::Seconds(60))) << ReadFile(out);
  ASSERT_EQ((*node)->exit_status(), 0) << ReadFile(out);
  std::string text = ReadFile(out);
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  nlohmann::json result =
      nlohmann::json::parse(trimmed.substr(trimmed.rfind('\n') + 1), nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << text;
  EXPECT_EQ(result["ok"], 60) << text;
  EXPECT_EQ(result["served_by"].size(), 3u) << text;
}

// `switchboard proxy`'s errors name the bad thing.
std::string RunSwitchboard(const std::string& args, int* exit_code) {
  std::string command = BuiltBinary("bin/switchboard") + " proxy " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  *exit_code = WEXITSTATUS(pclose(pipe));
  return out;
}

TEST(ProxyCommandTest, ErrorsNameTheBadThing) {
  TempDir dir;
  int code = 0;
  const std::string free_port = std::to_string(PickFreePort());
  std::string out = RunSwitchboard("--data-dir " + dir.path() + " --etcd 127.0.0.1:1 --listen greeter=127.0.0.1:" +
                                       free_port + " --haproxy /nonexistent/haproxy", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("cannot run HAProxy (/nonexistent/haproxy)"));

  // A port something listens on: etcd's.
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok());
  out = RunSwitchboard("--data-dir " + dir.path() + " --etcd " + etcd->get()->endpoint() +
                           " --listen greeter=" + etcd->get()->endpoint(), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("--listen greeter=" + etcd->get()->endpoint() + " is already in use"));

  out = RunSwitchboard("--data-dir " + dir.path() + " --listen greeter", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--listen greeter: give SERVICE=HOST:PORT"));
  out = RunSwitchboard("--data-dir " + dir.path() + " --listen greeter=127.0.0.1:" + free_port +
                           " --check http", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--check http: give tcp or none"));
}

}  // namespace
}  // namespace switchboard::proxy
