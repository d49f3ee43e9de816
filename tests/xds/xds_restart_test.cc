// The control plane dies and comes back: clients keep calling on what they
// know, without errors, and pick up changes again once it is back. The
// control plane runs as a child process (killed with SIGKILL), fed from a
// services file; the client is a real gRPC C++ channel in this process.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "nlohmann/json.hpp"
#include "switchboard/xds/bootstrap.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::BuiltBinary;
using switchboard::testing::ChildProcess;
using switchboard::testing::TempDir;
using switchboard::testing::WaitFor;
using testing::CallCounts;
using testing::CallGreeter;
using testing::CallTally;
using testing::CallOnce;

void WriteServices(const std::string& path, const std::vector<std::string>& greeters) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << nlohmann::json{{"services", {{"greeter", greeters}}}}.dump();
  std::rename(tmp.c_str(), path.c_str());  // atomic: the source never sees half a file
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(XdsRestartTest, ClientsSurviveAControlPlaneKillAndResumeAfterRestart) {
  auto started = testing::StartGreeters(3);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  TempDir dir;
  std::string services = dir.File("services.json");
  std::string socket = dir.File("ads.sock");
  WriteServices(services, {servers[0]->address(), servers[1]->address()});

  auto start_control_plane = [&](int generation) {
    unlink(socket.c_str());
    auto child = ChildProcess::Start(
        {BuiltBinary("bin/switchboard"), "xds", "--listen", absl::StrCat("unix:", socket),
         "--source", absl::StrCat("file://", services)},
        {.log_path = dir.File(absl::StrCat("control-plane-", generation, ".log"))});
    EXPECT_TRUE(child.ok()) << child.status();
    EXPECT_TRUE(WaitFor([&] { return Exists(socket); }, absl::Seconds(10)));
    return child.ok() ? std::move(*child) : nullptr;
  };

  auto plane = start_control_plane(1);
  ASSERT_NE(plane, nullptr);
  auto bootstrap = MakeBootstrapJson({.server_address = absl::StrCat("unix:", socket),
                                      .node_id = "xds-restart-test"});
  ASSERT_TRUE(bootstrap.ok());
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);

  auto stub = Greeter::NewStub(
      grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials()));
  std::set<std::string> seen;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto by = CallOnce(stub.get());
        if (by.ok()) seen.insert(*by);
        return seen.size() == 2;
      },
      absl::Seconds(10)));

  // Kill it. Calls go on, on the instances the client knows.
  plane->Kill();
  unlink(socket.c_str());
  absl::Time killed = absl::Now();
  int calls = 0, errors = 0;
  std::string last_error;
  while (absl::Now() - killed < absl::Seconds(2)) {
    auto by = CallOnce(stub.get());
    calls++;
    if (!by.ok()) {
      errors++;
      last_error = by.status().ToString();
    }
  }
  EXPECT_EQ(errors, 0) << last_error;
  std::printf("  %d calls in the 2 s without a control plane, %d errors\n", calls, errors);

  // While it is down, the fleet changes: the third instance joins.
  WriteServices(services, {servers[0]->address(), servers[1]->address(), servers[2]->address()});
  CallTally tally;
  CallCounts counts = CallGreeter(stub.get(), 300, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  EXPECT_EQ(counts.RepliesFrom(servers[2]->address()), 0);

  // Back: the change reaches the client (after its reconnect backoff).
  absl::Time restarted = absl::Now();
  plane = start_control_plane(2);
  ASSERT_NE(plane, nullptr);
  int errors_after = 0;
  bool third_serves = WaitFor(
      [&] {
        auto by = CallOnce(stub.get());
        if (!by.ok()) errors_after++;
        return by.ok() && *by == servers[2]->address();
      },
      absl::Seconds(30), absl::Milliseconds(5));
  EXPECT_TRUE(third_serves) << "no update reached the client after the restart";
  EXPECT_EQ(errors_after, 0);
  std::printf("  update reached the client %s after the restart\n",
              absl::FormatDuration(absl::Now() - restarted).c_str());

  // And later changes flow normally again.
  WriteServices(services, {servers[2]->address()});
  EXPECT_TRUE(WaitFor(
      [&] { return CallGreeter(stub.get(), 20).RepliesFrom(servers[2]->address()) > 0 &&
                   CallGreeter(stub.get(), 50).replies_by_server.size() == 1; },
      absl::Seconds(3)));
  EXPECT_EQ(plane->Stop(), 0);
}

}  // namespace
}  // namespace switchboard::xds
