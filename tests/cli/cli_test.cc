// The `switchboard` command on real processes: exit codes and messages of
// bad command lines, `up` with a second `up` refused, register / ls / watch
// / bootstrap against it, `register --health tcp` following a port, and
// `ls` on an etcd cluster that lost quorum.
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/closed_loop_caller.h"
#include "demo/scenario_stage.h"
#include "testing/child_process.h"
#include "testing/etcd_cluster.h"
#include "testing/etcd_process.h"
#include "testing/etcd_test.h"

namespace switchboard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ContainsRegex;

// gRPC reads this when it initialises, before any test runs.
const bool kXdsClientPrepared = [] {
  demo::PrepareXdsClientProcess();
  return true;
}();

std::string Switchboard() { return BuiltBinary("bin/switchboard"); }

using RunResult = CommandResult;

// Runs `switchboard args...` to completion (at most `timeout`).
RunResult RunSwitchboard(const TempDir& dir, std::vector<std::string> args,
                         absl::Duration timeout = absl::Seconds(20)) {
  static int counter = 0;
  args.insert(args.begin(), Switchboard());
  return RunToCompletion(args, dir.File(absl::StrCat("run-", ++counter, ".log")), {}, timeout);
}

// Starts `switchboard xds --listen <listen> --source file://<dir>/services.json
// <extra_args>...`, the file holding `services_json`; its log is
// <dir>/xds.log.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartFileXds(
    const TempDir& dir, const std::string& services_json, const std::string& listen,
    const std::vector<std::string>& extra_args = {}) {
  {
    std::ofstream out(dir.File("services.json"));
    out << services_json;
  }
  std::vector<std::string> args = {Switchboard(), "xds", "--listen", listen, "--source",
                                   absl::StrCat("file://", dir.File("services.json"))};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return ChildProcess::Start(args, {.log_path = dir.File("xds.log")});
}

// A TCP listener on 127.0.0.1 that the test opens and closes. It accepts
// (and drops) connections, as a server would, so that probes never fill its
// backlog; CLOEXEC, so that child processes do not keep it open.
class Listener {
 public:
  explicit Listener(int port) : port_(port) { Open(); }
  ~Listener() { Close(); }
  void Open() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
    listen(fd_, 16);
    stop_ = false;
    acceptor_ = std::thread([this] {
      while (!stop_) {
        int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn >= 0) {
          close(conn);
        } else {
          absl::SleepFor(absl::Milliseconds(5));
        }
      }
    });
  }
  void Close() {
    if (fd_ < 0) return;
    stop_ = true;
    acceptor_.join();
    close(fd_);
    fd_ = -1;
  }

 private:
  int port_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
};

TEST(CliUsageTest, BadCommandLinesExitTwoNamingTheProblem) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"ls", "--bogus"}, "unknown flag --bogus"},
      {{"ls", "--json=maybe"}, "--json"},
      {{"register", "--addr", "127.0.0.1:1"}, "--service is required"},
      {{"register", "--service", "greeter", "--addr", "nohost"}, "--addr=nohost"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--ttl", "10"}, "--ttl=10"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--weight=0"}, "--weight=0"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--meta", "novalue"},
       "--meta novalue"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--health=http"},
       "--health=http"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--unhealthy-after=0"},
       "--unhealthy-after=0"},
      {{"up", "--xds-listen", "nowhere"}, "--xds-listen=nowhere"},
      {{"xds", "--source", "gopher://x"}, "--source"},
      {{"bootstrap", "--node-id"}, "--node-id needs a value"},
      {{"bootstrap", "--xds", "bogus"}, "--xds=bogus: 'bogus': missing ':port'"},
      {{"bootstrap", "--xds", "127.0.0.1:99999"}, "--xds=127.0.0.1:99999"},
      {{"bootstrap", "--xds", "unix:"}, "--xds=unix:"},
      {{"bootstrap", "--zone="}, "--zone: empty"},
      // TLS files are read before anything starts (more cases with real
      // certificates: tests/xds/xds_tls_server_test.cc).
      {{"bootstrap", "--xds-ca", "/nonexistent/ca.pem"},
       "--xds-ca=/nonexistent/ca.pem: cannot read: No such file or directory"},
      {{"bootstrap", "--xds-ca", "/nonexistent/ca.pem", "--xds-cert", "/nonexistent/c.pem"},
       "--xds-cert needs --xds-key"},
      {{"bootstrap", "--xds-cert", "/nonexistent/c.pem", "--xds-key", "/nonexistent/k.pem"},
       "--xds-cert and --xds-key need --xds-ca"},
      {{"bootstrap", "--xds-ca="}, "--xds-ca: empty"},
      {{"xds", "--tls-cert", "/nonexistent/s.pem", "--tls-key", "/nonexistent/s.key"},
       "--tls-cert=/nonexistent/s.pem: cannot read"},
      {{"xds", "--tls-key", "/nonexistent/s.key"}, "--tls-key needs --tls-cert"},
      // Registrations that would nest under another service, or never get
      // traffic, are refused where they enter.
      {{"register", "--service", "a/b", "--addr", "127.0.0.1:1"},
       "--service: service name 'a/b' contains '/': use 1..128 letters, digits"},
      {{"register", "--service", "my svc", "--addr", "127.0.0.1:1"}, "contains a space"},
      {{"register", "--service", "greeter", "--addr", "0.0.0.0:50051"},
       "--addr=0.0.0.0:50051: address '0.0.0.0:50051' for service greeter: a wildcard address"},
      {{"register", "--service", "greeter", "--addr", "0.0.0.0:50051"}, "no client can dial it"},
      {{"register", "--service", "greeter", "--addr", "localhost:50051"},
       "'localhost' is a name, not an IP address"},
      {{"register", "--service", "greeter", "--addr", "localhost:50051"},
       "('localhost' resolves to 127.0.0.1"},
      // Bad source parameters and empty --etcd are usage errors too, naming
      // what was given.
      {{"xds", "--source", "etcd://127.0.0.1:2379/?bogus=1"}, "--source: "},
      {{"xds", "--source", "etcd://127.0.0.1:2379/?bogus=1"}, "bogus"},
      {{"xds", "--source", "dns+srv:///_grpc._tcp.greeter.test?family=x"}, "family"},
      {{"xds", "--etcd", ""}, "--etcd is empty"},
      {{"up", "--etcd", ""}, "--etcd is empty"},
      {{"up", "--etcd", "nohost"}, "--etcd=nohost"},
      {{"up", "--etcd", "127.0.0.1:1", "--etcd-fsync"}, "--etcd-fsync applies to the etcd `up` runs"},
      {{"ls", "--etcd", ""}, "--etcd is empty"},
      {{"watch", "--etcd="}, "--etcd is empty"},
      {{"register", "--service", "greeter", "--addr", "127.0.0.1:1", "--etcd", ""},
       "--etcd is empty"},
  };
  for (const Case& c : cases) {
    RunResult run = RunSwitchboard(dir, c.args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(c.args, " ") << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.says)) << absl::StrJoin(c.args, " ");
  }
}

TEST(CliUsageTest, BadPolicyFileExitsTwoNamingFileAndField) {
  TempDir dir;
  const std::string path = dir.File("policy.json");
  {
    std::ofstream out(path);
    out << R"({"services": {"greeter": {"retry": {"num_retry": 3}}}})";
  }
  for (const char* command : {"xds", "up"}) {
    RunResult run = RunSwitchboard(dir, {command, "--policy", path, "--data-dir", dir.File("state")});
    EXPECT_EQ(run.exit_code, 2) << command << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr(absl::StrCat("--policy: ", path,
                                                   ": services.greeter.retry: unknown field "
                                                   "\"num_retry\"")))
        << command;
  }
  RunResult missing = RunSwitchboard(dir, {"xds", "--policy", dir.File("nope.json")});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("nope.json: cannot read the policy file"));
}

TEST(CliUsageTest, HelpExitsZeroAndDocumentsExitCodes) {
  TempDir dir;
  RunResult top = RunSwitchboard(dir, {"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_THAT(top.output, HasSubstr("2  usage error"));
  for (const char* command : {"up", "register", "ls", "watch", "xds", "bootstrap", "demo", "route"}) {
    RunResult run = RunSwitchboard(dir, {command, "--help"});
    EXPECT_EQ(run.exit_code, 0) << command;
    EXPECT_THAT(run.output, HasSubstr(absl::StrCat("Usage: switchboard ", command)));
  }
}

// The version comes from project(switchboard VERSION ...), and this test is
// told it by CMake too (tests/cli/CMakeLists.txt).
TEST(CliUsageTest, VersionIsTheProjectsAndStartUpLinesCarryIt) {
  TempDir dir;
  const std::string version = SWITCHBOARD_EXPECTED_VERSION;
  ASSERT_FALSE(version.empty());
  for (const char* spelling : {"--version", "version"}) {
    RunResult run = RunSwitchboard(dir, {spelling});
    EXPECT_EQ(run.exit_code, 0) << spelling;
    EXPECT_EQ(run.output, "switchboard " + version + "\n") << spelling;
  }
  RunResult extra = RunSwitchboard(dir, {"version", "now"});
  EXPECT_EQ(extra.exit_code, 2) << extra.output;
  EXPECT_THAT(extra.output, HasSubstr("unexpected argument \"now\""));

  // `xds` and `register` say it as they start (`up`: CliUpTest).
  auto xds = StartFileXds(dir, R"({"services":{}})", "127.0.0.1:0");
  ASSERT_TRUE(xds.ok()) << xds.status();
  auto sidecar = ChildProcess::Start({Switchboard(), "register", "--service", "greeter", "--addr",
                                      "127.0.0.1:9", "--health", "none", "--etcd", "127.0.0.1:1"},
                                     {.log_path = dir.File("register.log")});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  EXPECT_TRUE(WaitFor([&] {
    return ReadFile(dir.File("xds.log")).find("switchboard xds " + version + ": serving xDS on") !=
           std::string::npos;
  }, absl::Seconds(10))) << ReadFile(dir.File("xds.log"));
  EXPECT_TRUE(WaitFor([&] {
    return ReadFile(dir.File("register.log")).find("switchboard register " + version + ": keeping greeter 127.0.0.1:9") !=
           std::string::npos;
  }, absl::Seconds(10))) << ReadFile(dir.File("register.log"));
  (*xds)->Signal(SIGTERM);
  EXPECT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
  // Its etcd is unreachable: a SIGTERM would wait for the deregistration.
  (*sidecar)->Kill();
}

TEST(CliUsageTest, BootstrapPrintsJsonForTheGivenServer) {
  TempDir dir;
  RunResult run = RunSwitchboard(dir, {"bootstrap", "--xds=127.0.0.1:19999", "--node-id", "n1",
                                 "--data-dir", dir.path(), "--no-check"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json j = nlohmann::json::parse(run.output);
  EXPECT_EQ(j["xds_servers"][0]["server_uri"], "127.0.0.1:19999");
  EXPECT_EQ(j["node"]["id"], "n1");
  EXPECT_EQ(j["node"]["locality"], nlohmann::json::object());
}

TEST(CliUsageTest, BootstrapZoneIsTheNodeLocality) {
  TempDir dir;
  RunResult run = RunSwitchboard(dir, {"bootstrap", "--xds=127.0.0.1:19999", "--zone", "eu-1a",
                                 "--data-dir", dir.path(), "--no-check"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json j = nlohmann::json::parse(run.output);
  EXPECT_EQ(j["node"]["locality"], (nlohmann::json{{"zone", "eu-1a"}}));
}

TEST(CliUsageTest, BootstrapWarnsWhenNothingServesXdsThere) {
  TempDir dir;
  const std::string nowhere = absl::StrCat("127.0.0.1:", PickFreePort());
  absl::Time start = absl::Now();
  RunResult run = RunSwitchboard(dir, {"bootstrap", "--xds", nowhere});
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("warning: nothing serves xDS at ", nowhere)));
  EXPECT_THAT(run.output, HasSubstr("\"server_uri\":\"" + nowhere + "\""));
  EXPECT_LT(took, absl::Seconds(5));
  RunResult unchecked = RunSwitchboard(dir, {"bootstrap", "--xds", nowhere, "--no-check"});
  EXPECT_EQ(unchecked.exit_code, 0) << unchecked.output;
  EXPECT_THAT(unchecked.output, Not(HasSubstr("warning")));
}

class CliUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = dir_.File("state");
    // etcd's peer port is the client port + 1: both must be free.
    etcd_port_ = PickFreePortPair();
    xds_port_ = PickFreePort();
    while (etcd_port_ + 1 == xds_port_ || etcd_port_ == xds_port_) xds_port_ = PickFreePort();
  }
  std::vector<std::string> DataDir() { return {"--data-dir", data_dir_}; }
  std::string Etcd() { return absl::StrCat("127.0.0.1:", etcd_port_); }

  TempDir dir_;
  std::string data_dir_;
  int etcd_port_ = 0;
  int xds_port_ = 0;
};

TEST_F(CliUpTest, UpServesAndOthersFindIt) {
  auto up = ChildProcess::Start(
      {Switchboard(), "up", "--data-dir", data_dir_, "--etcd-listen", Etcd(), "--xds-listen",
       absl::StrCat("127.0.0.1:", xds_port_)},
      {.log_path = dir_.File("up.log")});
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(data_dir_ + "/up.json"); },
                      absl::Seconds(30)))
      << ReadFile(dir_.File("up.log"));
  EXPECT_TRUE(WaitForPort(xds_port_, absl::Seconds(5)));
  EXPECT_TRUE(supervisor::EtcdHealthy("127.0.0.1", etcd_port_));
  EXPECT_THAT(ReadFile(dir_.File("up.log")),
              HasSubstr(absl::StrCat("GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap --data-dir ", data_dir_, ")")));
  EXPECT_THAT(ReadFile(dir_.File("up.log")),
              HasSubstr(absl::StrCat("switchboard up ", SWITCHBOARD_EXPECTED_VERSION, " (pid ")));

  // A second `up` on the same data dir is refused, naming the first.
  RunResult second = RunSwitchboard(dir_, {"up", "--data-dir", data_dir_, "--etcd-listen",
                                     absl::StrCat("127.0.0.1:", PickFreePort()), "--xds-listen",
                                     "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("already running"));
  EXPECT_THAT(second.output, HasSubstr(absl::StrCat("pid ", (*up)->pid())));

  // bootstrap points at the running up's xDS address.
  RunResult bootstrap = RunSwitchboard(dir_, {"bootstrap", "--data-dir", data_dir_});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.output;
  EXPECT_THAT(bootstrap.output, HasSubstr(absl::StrCat("127.0.0.1:", xds_port_)));

  // watch, then register: the watcher prints the addition.
  auto watch = ChildProcess::Start({Switchboard(), "watch", "greeter", "--json", "--data-dir", data_dir_},
                                   {.log_path = dir_.File("watch.log")});
  ASSERT_TRUE(watch.ok());
  auto registered = ChildProcess::Start(
      {Switchboard(), "register", "--service=greeter", "--addr=127.0.0.1:50999", "--health=none",
       "--ttl=2s", "--meta", "canary=true", "--weight", "3", "--data-dir", data_dir_},
      {.log_path = dir_.File("register.log")});
  ASSERT_TRUE(registered.ok());
  RunResult ls;
  ASSERT_TRUE(WaitFor(
      [&] {
        ls = RunSwitchboard(dir_, {"ls", "greeter", "--json", "--data-dir", data_dir_});
        return ls.exit_code == 0 && ls.output.find("50999") != std::string::npos;
      },
      absl::Seconds(15), absl::Milliseconds(100)))
      << ls.output << ReadFile(dir_.File("register.log"));
  nlohmann::json listed = nlohmann::json::parse(ls.output);
  ASSERT_EQ(listed["instances"].size(), 1u);
  EXPECT_EQ(listed["instances"][0]["address"], "127.0.0.1:50999");
  EXPECT_EQ(listed["instances"][0]["weight"], 3);
  EXPECT_EQ(listed["instances"][0]["labels"]["canary"], "true");
  RunResult table = RunSwitchboard(dir_, {"ls", "--data-dir", data_dir_});
  EXPECT_THAT(table.output, HasSubstr("greeter  127.0.0.1:50999  3"));
  EXPECT_TRUE(WaitFor([&] { return ReadFile(dir_.File("watch.log")).find("\"added\"") != std::string::npos; },
                      absl::Seconds(10)))
      << ReadFile(dir_.File("watch.log"));

  // SIGTERM to the sidecar deregisters at once (no waiting for the TTL).
  (*registered)->Signal(SIGTERM);
  ASSERT_TRUE((*registered)->WaitExit(absl::Seconds(10)));
  EXPECT_EQ(WEXITSTATUS((*registered)->exit_status()), 0);
  RunResult after = RunSwitchboard(dir_, {"ls", "greeter", "--json", "--data-dir", data_dir_});
  // stdout's JSON first; stderr adds that nothing is registered now.
  EXPECT_EQ(nlohmann::json::parse(after.output.substr(after.output.find('{'), after.output.find('\n', after.output.find('{')) - after.output.find('{')))["instances"].size(), 0u)
      << after.output << ReadFile(dir_.File("register.log"));
  EXPECT_THAT(after.output, HasSubstr("no instance of service 'greeter' is registered"));
  EXPECT_TRUE(WaitFor([&] { return ReadFile(dir_.File("watch.log")).find("\"removed\"") != std::string::npos; },
                      absl::Seconds(10)))
      << ReadFile(dir_.File("watch.log"));
  (*watch)->Stop();

  // Ctrl-C stops up cleanly: etcd gone, state file removed.
  (*up)->Signal(SIGINT);
  ASSERT_TRUE((*up)->WaitExit(absl::Seconds(15))) << ReadFile(dir_.File("up.log"));
  EXPECT_EQ(WEXITSTATUS((*up)->exit_status()), 0) << ReadFile(dir_.File("up.log"));
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/up.json"));
  EXPECT_TRUE(WaitForPortClosed(etcd_port_, absl::Seconds(5)));
  EXPECT_TRUE(WaitForPortClosed(xds_port_, absl::Seconds(5)));
  // The registry's last snapshot stays in the data dir for the next start.
  int cache_files = 0;
  std::error_code no_dir;  // counted as no file
  for (const auto& file : std::filesystem::directory_iterator(data_dir_ + "/cache", no_dir)) {
    EXPECT_THAT(file.path().filename().string(), ::testing::MatchesRegex("source-[0-9a-f]+\\.json"));
    cache_files++;
  }
  EXPECT_EQ(cache_files, 1);
}

TEST_F(CliUpTest, UpRestartsEtcdWhenItDies) {
  auto up = ChildProcess::Start(
      {Switchboard(), "up", "--data-dir", data_dir_, "--etcd-listen", Etcd(), "--xds-listen",
       absl::StrCat("127.0.0.1:", xds_port_), "--etcd-fsync"},
      {.log_path = dir_.File("up.log")});
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(data_dir_ + "/up.json"); },
                      absl::Seconds(30)));
  // Find etcd among up's children and kill -9 it.
  std::string pid = ReadFile(absl::StrCat("/proc/", (*up)->pid(), "/task/", (*up)->pid(), "/children"));
  ASSERT_FALSE(pid.empty());
  // --etcd-fsync: the managed etcd runs without --unsafe-no-fsync.
  std::string cmdline = ReadFile(absl::StrCat("/proc/", std::stoi(pid), "/cmdline"));
  EXPECT_THAT(cmdline, HasSubstr("--data-dir"));
  EXPECT_THAT(cmdline, Not(HasSubstr("unsafe-no-fsync")));
  kill(std::stoi(pid), SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return !supervisor::EtcdHealthy("127.0.0.1", etcd_port_); }, absl::Seconds(5)));
  EXPECT_TRUE(WaitFor([&] { return supervisor::EtcdHealthy("127.0.0.1", etcd_port_); }, absl::Seconds(20)))
      << ReadFile(dir_.File("up.log"));
  // The supervisor reports the restart once etcd is healthy, a moment later.
  EXPECT_TRUE(WaitFor([&] { return ReadFile(dir_.File("up.log")).find("etcd restarted") != std::string::npos; },
                      absl::Seconds(5)))
      << ReadFile(dir_.File("up.log"));
  (*up)->Stop();
}

TEST(CliRegisterTest, TcpHealthWithdrawsWhenThePortClosesAndReturns) {
  TempDir dir;
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto client = EtcdClient::Create({.endpoints = {(*etcd)->endpoint()}});
  ASSERT_TRUE(client.ok());
  const int port = PickFreePort();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  const std::string key = absl::StrCat("greeter/", address);
  auto registered = [&] {
    auto got = (*client)->Get(key);
    return got.ok() && !got->kvs.empty();
  };
  Listener listener(port);
  auto sidecar = ChildProcess::Start(
      {Switchboard(), "register", "--service", "greeter", "--addr", address, "--health", "tcp",
       "--health-interval", "200ms", "--ttl", "2s", "--etcd", (*etcd)->endpoint()},
      {.log_path = dir.File("register.log")});
  ASSERT_TRUE(sidecar.ok());
  ASSERT_TRUE(WaitFor(registered, absl::Seconds(10))) << ReadFile(dir.File("register.log"));

  listener.Close();
  absl::Time closed = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return !registered(); }, absl::Seconds(5)))
      << ReadFile(dir.File("register.log"));
  // Withdrawn by the sidecar, well before the 2 s TTL could expire it.
  EXPECT_LT(absl::Now() - closed, absl::Milliseconds(1500)) << ReadFile(dir.File("register.log"));
  EXPECT_THAT(ReadFile(dir.File("register.log")), HasSubstr("withdrawing"));
  // One failed check alone does not withdraw it (--unhealthy-after 2).
  EXPECT_THAT(ReadFile(dir.File("register.log")), HasSubstr("health check failed (1 of 2"));

  listener.Open();
  ASSERT_TRUE(WaitFor(registered, absl::Seconds(5))) << ReadFile(dir.File("register.log"));
  (*sidecar)->Signal(SIGTERM);
  ASSERT_TRUE((*sidecar)->WaitExit(absl::Seconds(10)));
  EXPECT_FALSE(registered());
}

TEST(CliRegisterTest, ExitsPromptlyOnSigtermWhenEtcdIsUnreachableSayingWhatItCouldNotDo) {
  TempDir dir;
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const int port = PickFreePort();
  Listener listener(port);
  auto sidecar = ChildProcess::Start(
      {Switchboard(), "register", "--service", "greeter", "--addr", absl::StrCat("127.0.0.1:", port),
       "--health", "tcp", "--ttl", "5s", "--etcd", (*etcd)->endpoint()},
      {.log_path = dir.File("register.log")});
  ASSERT_TRUE(sidecar.ok());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir.File("register.log")).find("registered greeter") !=
                                   std::string::npos; }, absl::Seconds(10)))
      << ReadFile(dir.File("register.log"));
  (*etcd)->Kill();
  absl::Time asked = absl::Now();
  (*sidecar)->Signal(SIGTERM);
  ASSERT_TRUE((*sidecar)->WaitExit(absl::Seconds(10))) << ReadFile(dir.File("register.log"));
  absl::Duration took = absl::Now() - asked;
  std::printf("register exited %s after SIGTERM with etcd down\n", absl::FormatDuration(took).c_str());
  EXPECT_LT(took, absl::Seconds(3)) << ReadFile(dir.File("register.log"));
  EXPECT_THAT(ReadFile(dir.File("register.log")), HasSubstr("could not delete the registration"));
}

TEST(CliRegisterTest, RefusesTtlsAndHealthIntervalsThatCannotWork) {
  TempDir dir;
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--ttl", "500ms"}, {"--ttl", "2500ms"},
                                             {"--health-interval", "1ns"}}) {
    std::vector<std::string> args = {"register", "--service", "greeter", "--addr", "127.0.0.1:1"};
    args.insert(args.end(), bad.begin(), bad.end());
    RunResult run = RunSwitchboard(dir, args);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr(bad[0])) << run.output;
  }
}

TEST(CliRegistryTest, ADeadEtcdListedFirstCostsLittle) {
  TempDir dir;
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dead = absl::StrCat("127.0.0.1:", PickFreePort());
  absl::Time start = absl::Now();
  RunResult run = RunSwitchboard(dir, {"ls", "--etcd", absl::StrCat(dead, ",", (*etcd)->endpoint())});
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::printf("ls with a dead member listed first took %s\n", absl::FormatDuration(took).c_str());
  // The whole command, process start included; a dead member used to cost
  // the 2 s request timeout.
  EXPECT_LT(took, absl::Milliseconds(1500)) << run.output;
}

// gRPC allows SO_REUSEPORT by default; Switchboard's servers turn it off,
// so a second one on a taken port fails instead of sharing it silently.
// A cluster that lost quorum: its surviving member runs and accepts
// connections, but without a leader it cannot serve a read. `ls` says so,
// rather than asking whether etcd runs.
TEST(CliRegistryTest, LsDuringAQuorumLossSaysEtcdRunsWithoutALeader) {
  TempDir dir;
  auto cluster = EtcdCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  (*cluster)->Kill(1);
  (*cluster)->Kill(2);
  // Until its election timeout passes, the survivor still believes in its
  // leader; the quorum loss is what follows.
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<EtcdMemberStatus> status = (*cluster)->MemberStatus(0);
    return status.ok() && status->leader_id == 0;
  }, absl::Seconds(20))) << (*cluster)->Log(0);
  RunResult run = RunSwitchboard(dir, {"ls", "--etcd", (*cluster)->endpoint(0)}, absl::Seconds(60));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("has no leader")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("lost quorum")) << run.output;
  EXPECT_THAT(run.output, Not(HasSubstr("is etcd running"))) << run.output;
}

TEST(CliXdsTest, ASecondServerOnATakenPortFailsNamingThePort) {
  TempDir dir;
  {
    std::ofstream out(dir.File("services.json"));
    out << R"({"services":{}})";
  }
  const int xds_port = PickFreePort();
  const std::string xds_address = absl::StrCat("127.0.0.1:", xds_port);
  const std::string source = absl::StrCat("file://", dir.File("services.json"));
  auto first = ChildProcess::Start({Switchboard(), "xds", "--listen", xds_address, "--source", source},
                                   {.log_path = dir.File("xds-1.log")});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(WaitForPort(xds_port, absl::Seconds(10))) << ReadFile(dir.File("xds-1.log"));
  RunResult second = RunSwitchboard(dir, {"xds", "--listen", xds_address, "--source", source});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr(absl::StrCat(xds_address, ": the address is already in use")));
  EXPECT_TRUE((*first)->Running());

  // The same for a server that registers itself: the second one fails, and
  // the first one's record stays.
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto client = EtcdClient::Create({.endpoints = {(*etcd)->endpoint()}});
  ASSERT_TRUE(client.ok());
  const int port = PickFreePort();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto server = ChildProcess::Start({BuiltBinary("bin/greeter_server"),
                                     "--listen=" + address, "--etcd=" + (*etcd)->endpoint()},
                                    {.log_path = dir.File("greeter-1.log")});
  ASSERT_TRUE(server.ok());
  auto lease_of_record = [&] {
    auto got = (*client)->Get("greeter/" + address);
    return got.ok() && !got->kvs.empty() ? got->kvs[0].lease : int64_t{0};
  };
  ASSERT_TRUE(WaitFor([&] { return lease_of_record() != 0; }, absl::Seconds(10)))
      << ReadFile(dir.File("greeter-1.log"));
  int64_t lease = lease_of_record();
  auto twin = ChildProcess::Start({BuiltBinary("bin/greeter_server"),
                                   "--listen=" + address, "--etcd=" + (*etcd)->endpoint()},
                                  {.log_path = dir.File("greeter-2.log")});
  ASSERT_TRUE(twin.ok());
  ASSERT_TRUE((*twin)->WaitExit(absl::Seconds(10)));
  EXPECT_EQ(WEXITSTATUS((*twin)->exit_status()), 1);
  EXPECT_THAT(ReadFile(dir.File("greeter-2.log")), HasSubstr("already in use"));
  EXPECT_EQ(lease_of_record(), lease);
}

// `ls` against a real etcd the test writes to directly.
class CliLsTest : public testing::EtcdTest {
 protected:
  TempDir dir_;
};

// `ls a` reads the keys under "a/", among them "a/b/<addr>", which is an
// instance of "a/b": it lists a's own instances only.
TEST_F(CliLsTest, ServiceListsOnlyItsOwnInstances) {
  ASSERT_TRUE(client_->Put("a/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  ASSERT_TRUE(client_->Put("a/b/127.0.0.1:2", R"({"Addr":"127.0.0.1:2"})").ok());
  RunResult run = RunSwitchboard(dir_, {"ls", "a", "--json", "--etcd", etcd_->endpoint()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json listed = nlohmann::json::parse(run.output);
  ASSERT_EQ(listed["instances"].size(), 1u) << run.output;
  EXPECT_EQ(listed["instances"][0]["address"], "127.0.0.1:1");
}

// `ls greter` exits 0 with an empty list (the answer is "none"), and says
// on stderr that nothing is registered under that name, naming close ones.
TEST_F(CliLsTest, UnknownServiceSaysSoAndNamesCloseOnes) {
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  RunResult run = RunSwitchboard(dir_, {"ls", "greter", "--etcd", etcd_->endpoint()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("no instance of service 'greter' is registered (did you "
                                    "mean greeter?)"));
}

// A plaintext etcd dialled with https:// is not "is etcd running?".
TEST_F(CliLsTest, HttpsToAPlaintextEtcdSaysTheHandshakeFailed) {
  RunResult run =
      RunSwitchboard(dir_, {"ls", "--etcd", absl::StrCat("https://", etcd_->endpoint())});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("TLS handshake failed: the member may not speak TLS"));
  EXPECT_THAT(run.output, Not(HasSubstr("is etcd running")));
  RunResult nothing = RunSwitchboard(dir_, {"ls", "--etcd", absl::StrCat("127.0.0.1:", PickFreePort())});
  EXPECT_EQ(nothing.exit_code, 1) << nothing.output;
  EXPECT_THAT(nothing.output, HasSubstr("is etcd running"));
}

// What anyone wrote to etcd reaches the terminal short and escaped: a
// 100,000-byte service name, a control character, a 40 KB bad value; and a
// stray key carrying a live instance's Addr is refused, not listed.
TEST_F(CliLsTest, RowsAndWarningsStayShortWhateverTheRegistryHolds) {
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  ASSERT_TRUE(client_->Put("greeter/dup-of-1",
                             R"({"Addr":"127.0.0.1:1","Metadata":{"weight":10000}})").ok());
  ASSERT_TRUE(client_->Put(absl::StrCat(std::string(100000, 's'), "/127.0.0.1:2"),
                             R"({"Addr":"127.0.0.1:2","Metadata":{"zone":"a\u001b[2Jb"}})").ok());
  ASSERT_TRUE(client_->Put("billing/127.0.0.1:3",
                             absl::StrCat(R"({"Addr":"127.0.0.1:3","Metadata":{"zone":[")",
                                          std::string(40000, 'z'), R"("]}})")).ok());
  RunResult run = RunSwitchboard(dir_, {"ls", "--etcd", etcd_->endpoint()});
  ASSERT_EQ(run.exit_code, 0) << run.output.substr(0, 2000);
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    EXPECT_LT(line.size(), 500u) << line.substr(0, 500);
  }
  EXPECT_THAT(run.output, ContainsRegex("greeter +127\\.0\\.0\\.1:1  1 "));
  EXPECT_THAT(run.output, HasSubstr("the key's address part 'dup-of-1' is not its Addr"));
  EXPECT_THAT(run.output, HasSubstr("a\\x1b[2Jb"));
  EXPECT_THAT(run.output, Not(HasSubstr("\x1b")));
  EXPECT_THAT(run.output, Not(HasSubstr("10000")));
}

TEST(CliXdsTest, ServesAFileSourceToAnXdsClient) {
  TempDir dir;
  const int server_port = PickFreePort();
  const std::string server_address = absl::StrCat("127.0.0.1:", server_port);
  // No etcd: the server serves anyway and keeps trying to register.
  auto server = ChildProcess::Start({BuiltBinary("bin/greeter_server"),
                                     absl::StrCat("--listen=", server_address), "--etcd=127.0.0.1:1"},
                                    {.log_path = dir.File("greeter.log")});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(WaitForPort(server_port, absl::Seconds(10))) << ReadFile(dir.File("greeter.log"));
  const int xds_port = PickFreePort();
  const std::string xds_address = absl::StrCat("127.0.0.1:", xds_port);
  auto xds = StartFileXds(
      dir, absl::StrCat(R"({"services":{"greeter":[")", server_address, R"("]}})"), xds_address);
  ASSERT_TRUE(xds.ok());
  ASSERT_TRUE(WaitForPort(xds_port, absl::Seconds(10))) << ReadFile(dir.File("xds.log"));
  // The line is printed just after the port opens.
  EXPECT_TRUE(WaitFor([&] {
    return ReadFile(dir.File("xds.log")).find(absl::StrCat("serving xDS on ", xds_address)) !=
           std::string::npos;
  }, absl::Seconds(5))) << ReadFile(dir.File("xds.log"));

  RunResult bootstrap = RunSwitchboard(dir, {"bootstrap", "--xds", xds_address, "--node-id=cli-test"});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.output;
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap.output.c_str(), 1);
  auto channel = grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials());
  testing::GreeterCallOutcome outcome =
      testing::CallGreeterOnce(*channel, absl::Seconds(10), /*wait_for_ready=*/true);
  EXPECT_EQ(outcome.code, grpc::StatusCode::OK) << outcome.message << ReadFile(dir.File("xds.log"));
  EXPECT_EQ(outcome.served_by, server_address);
  (*xds)->Signal(SIGTERM);
  ASSERT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
  EXPECT_EQ(WEXITSTATUS((*xds)->exit_status()), 0);
}

// An address it cannot listen on gets one clear message: no raw gRPC log
// line before it, no "stopped" line for a server that never started.
TEST(CliXdsTest, ListenFailureIsOneClearMessage) {
  TempDir dir;
  {
    std::ofstream out(dir.File("services.json"));
    out << R"({"services":{}})";
  }
  // TEST-NET-1: never an address of this machine, so the bind fails.
  RunResult run = RunSwitchboard(dir, {"xds", "--listen", "192.0.2.1:18000", "--source",
                                       absl::StrCat("file://", dir.File("services.json"))});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("cannot listen on 192.0.2.1:18000: no local interface has that address"));
  EXPECT_THAT(run.output, Not(HasSubstr("stopped")));
  EXPECT_THAT(run.output, Not(HasSubstr(".cc:")));
}

// The circuit breaker limit of `cluster` as served at `xds_address` (0 when
// none), read over a raw ADS stream.
uint32_t ServedMaxRequests(const std::string& xds_address, const std::string& cluster) {
  using envoy::service::discovery::v3::AggregatedDiscoveryService;
  auto stub = AggregatedDiscoveryService::NewStub(
      grpc::CreateChannel(xds_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.mutable_node()->set_id("cli-test-policy");
  request.set_type_url("type.googleapis.com/envoy.config.cluster.v3.Cluster");
  request.add_resource_names(cluster);
  envoy::service::discovery::v3::DiscoveryResponse response;
  if (!stream->Write(request) || !stream->Read(&response) || response.resources_size() != 1) {
    return 0;
  }
  envoy::config::cluster::v3::Cluster served;
  if (!response.resources(0).UnpackTo(&served)) return 0;
  context.TryCancel();
  for (const auto& threshold : served.circuit_breakers().thresholds()) {
    if (threshold.has_max_requests()) return threshold.max_requests().value();
  }
  return 0;
}

// --policy is served, and SIGHUP applies an edited file; a broken edit is
// reported and the policies in force stay.
TEST(CliXdsTest, PolicyFileIsServedAndReloadedOnSighup) {
  TempDir dir;
  auto write_policy = [&](const std::string& text) {
    std::ofstream out(dir.File("policy.json"));
    out << text;
  };
  write_policy(R"({"services": {"greeter": {"max_requests": 7}}})");
  const int xds_port = PickFreePort();
  const std::string xds_address = absl::StrCat("127.0.0.1:", xds_port);
  auto xds = StartFileXds(dir, R"({"services":{"greeter":["127.0.0.1:9"]}})", xds_address,
                          {"--policy", dir.File("policy.json")});
  ASSERT_TRUE(xds.ok());
  ASSERT_TRUE(WaitForPort(xds_port, absl::Seconds(10))) << ReadFile(dir.File("xds.log"));
  EXPECT_TRUE(WaitFor([&] { return ServedMaxRequests(xds_address, "greeter.cluster") == 7; },
                      absl::Seconds(5)))
      << ReadFile(dir.File("xds.log"));

  write_policy(R"({"services": {"greeter": {"max_requests": 9}}})");
  (*xds)->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return ServedMaxRequests(xds_address, "greeter.cluster") == 9; },
                      absl::Seconds(5)))
      << ReadFile(dir.File("xds.log"));
  EXPECT_THAT(ReadFile(dir.File("xds.log")), HasSubstr("SIGHUP: policies reloaded from"));

  write_policy(R"({"services": {"greeter": {"max_requests": "lots"}}})");
  (*xds)->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return ReadFile(dir.File("xds.log")).find("services.greeter.max_requests: must be an "
                                                  "integer; keeping the current policies") !=
               std::string::npos;
      },
      absl::Seconds(5)))
      << ReadFile(dir.File("xds.log"));
  EXPECT_EQ(ServedMaxRequests(xds_address, "greeter.cluster"), 9u);

  (*xds)->Signal(SIGTERM);
  ASSERT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
  EXPECT_EQ(WEXITSTATUS((*xds)->exit_status()), 0);
}

// One `switchboard bootstrap`, two client processes: they share its node id
// (gRPC reads it as is), and the control plane's log tells them apart by
// stream number and peer address. The clients are Node.js processes
// (tests/xds/node_greeter_client.js), each making one call.
TEST(CliXdsTest, TwoClientsOfOneBootstrapAreToldApart) {
  TempDir dir;
  const int xds_port = PickFreePort();
  const std::string xds_address = absl::StrCat("127.0.0.1:", xds_port);
  auto xds = StartFileXds(dir, R"({"services":{"greeter":["127.0.0.1:9"]}})", xds_address);
  ASSERT_TRUE(xds.ok());
  ASSERT_TRUE(WaitForPort(xds_port, absl::Seconds(10))) << ReadFile(dir.File("xds.log"));

  RunResult bootstrap = RunSwitchboard(dir, {"bootstrap", "--xds", xds_address});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.output;
  EXPECT_THAT(bootstrap.output, Not(HasSubstr("warning"))) << "an xDS server answers there";
  const std::string node_id = nlohmann::json::parse(bootstrap.output)["node"]["id"];
  EXPECT_THAT(node_id, HasSubstr("/shared-"));

  const char* source_dir = std::getenv("SWITCHBOARD_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr);
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 0; i < 2; ++i) {
    auto client = ChildProcess::Start(
        {"/usr/bin/node", absl::StrCat(source_dir, "/tests/xds/node_greeter_client.js"),
         absl::StrCat(source_dir, "/examples/greeter/greeter.proto"), "--timed",
         R"([{"service": "greeter", "calls": [{"delay_ms": 0}]}])"},
        {.log_path = dir.File(absl::StrCat("client-", i, ".log")),
         .env = {"GRPC_XDS_BOOTSTRAP_CONFIG=" + bootstrap.output,
                 absl::StrCat("NODE_PATH=", source_dir, "/third_party/npm/node_modules")}});
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(std::move(*client));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(clients[i]->WaitExit(absl::Seconds(60)))
        << ReadFile(dir.File(absl::StrCat("client-", i, ".log")));
  }

  // `new ADS stream: node "<id>" (<agent>) at <peer>, stream <n>`, one per client.
  std::set<std::string> peers, streams;
  std::istringstream log(ReadFile(dir.File("xds.log")));
  for (std::string line; std::getline(log, line);) {
    if (line.find("new ADS stream: node \"" + node_id + "\"") == std::string::npos) continue;
    size_t at = line.find(") at ");
    size_t stream = line.find(", stream ");
    ASSERT_NE(at, std::string::npos) << line;
    ASSERT_NE(stream, std::string::npos) << line;
    peers.insert(line.substr(at + 5, stream - at - 5));
    streams.insert(line.substr(stream + 9, line.find_first_of(";", stream) - stream - 9));
  }
  std::string logs = absl::StrCat(ReadFile(dir.File("xds.log")), ReadFile(dir.File("client-0.log")),
                                  ReadFile(dir.File("client-1.log")));
  EXPECT_EQ(streams.size(), 2u) << logs;
  EXPECT_EQ(peers.size(), 2u) << logs;
  (*xds)->Signal(SIGTERM);
  ASSERT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
}

}  // namespace
}  // namespace switchboard::testing
