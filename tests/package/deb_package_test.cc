// The Debian package as a user gets it: cpack builds it from this build
// tree (once, for every test here); dpkg-deb shows what it holds; dpkg -x
// extracts it into a temporary root where systemd-analyze verifies its
// units when it can; and dpkg -i installs it into a clean root
// (clean_root.h), where the register@ and xds units' command lines run as
// systemd starts them — as the system user, with NOTIFY_SOCKET on a
// datagram socket this test reads — against a 3-member etcd cluster with
// TLS and auth, and a gRPC client in another process calls xds:///greeter
// through them.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "testing/child_process.h"
#include "testing/secure_etcd_cluster.h"
#include "testing/xds_testing.h"
#include "tests/package/clean_root.h"

namespace switchboard::testing {
namespace {

using ::testing::HasSubstr;

using RunResult = CommandResult;

// Runs `argv` to its end (at most `timeout`), its output in `log`.
RunResult RunToEnd(const std::vector<std::string>& argv, const std::string& log,
                   absl::Duration timeout = absl::Seconds(60)) {
  return RunToCompletion(argv, log, {}, timeout);
}

// The value of the first `key=` line of a unit file ("" if none).
std::string UnitSetting(const std::string& unit_text, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(unit_text, '\n')) {
    if (absl::ConsumePrefix(&line, key + "=")) return std::string(line);
  }
  return "";
}

// An ExecStart line as systemd runs it: split at spaces, and each $VAR word
// replaced by VAR's value from `environment_file` (VAR="value" lines), split
// at spaces too (systemd.service(5), "Command lines"). Our units use no
// quoting, ${VAR} or specifiers in ExecStart.
std::vector<std::string> ExpandExecStart(const std::string& exec_start,
                                         const std::string& environment_file) {
  std::map<std::string, std::string> vars;
  for (absl::string_view line : absl::StrSplit(environment_file, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view value = kv.second;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    vars[kv.first] = std::string(value);
  }
  std::vector<std::string> argv;
  for (absl::string_view word : absl::StrSplit(exec_start, ' ', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&word, "$")) {
      for (absl::string_view part : absl::StrSplit(vars[std::string(word)], ' ', absl::SkipEmpty())) {
        argv.emplace_back(part);
      }
    } else {
      argv.emplace_back(word);
    }
  }
  return argv;
}

// The service manager's end of NOTIFY_SOCKET: a unix datagram socket that
// collects what the service sends. A path that starts with '@' names an
// abstract socket (sd_notify(3) takes those too).
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    socklen_t length = sizeof(addr);
    if (absl::StartsWith(path_, "@")) {
      addr.sun_path[0] = '\0';
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
    }
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    if (!absl::StartsWith(path_, "@")) unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }
  const std::vector<std::string>& messages() const { return messages_; }

  // True once a message with the line `line` arrived (now or earlier),
  // false at the timeout.
  bool WaitForLine(const std::string& line, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      for (const std::string& message : messages_) {
        for (absl::string_view l : absl::StrSplit(message, '\n')) {
          if (l == line) return true;
        }
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) messages_.emplace_back(buffer, n);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

class DebPackageTest : public ::testing::Test {
 protected:
  // cpack once: only the runtime package, which is what these tests need
  // (the -dev one only adds compression time).
  static void SetUpTestSuite() {
    work_ = new TempDir();
    const char* cpack = std::getenv("SWITCHBOARD_CPACK");
    RunResult built = RunToEnd({cpack != nullptr ? cpack : "cpack", "--config",
                           BuildDir() + "/CPackConfig.cmake", "-D", "CPACK_COMPONENTS_ALL=runtime",
                           "-B", work_->File("packages")},
                          work_->File("cpack.log"), absl::Seconds(180));
    cpack_output_ = new std::string(built.output);
    for (const auto& entry : std::filesystem::directory_iterator(work_->File("packages"))) {
      if (absl::EndsWith(entry.path().string(), "_amd64.deb")) {
        deb_ = new std::string(entry.path().string());
      }
    }
    if (deb_ != nullptr) {
      root_ = new std::string(work_->File("root"));
      RunResult extracted = RunToEnd({"dpkg", "-x", *deb_, *root_}, work_->File("dpkg-x.log"));
      if (extracted.exit_code != 0) *cpack_output_ += "\ndpkg -x: " + extracted.output;
    }
  }
  static void TearDownTestSuite() {
    delete work_;
    delete cpack_output_;
    delete deb_;
    delete root_;
  }
  void SetUp() override {
    ASSERT_NE(deb_, nullptr) << "cpack wrote no switchboard_*_amd64.deb:\n" << *cpack_output_;
  }

  static std::string Unit(const std::string& name) {
    return *root_ + "/usr/lib/systemd/system/" + name;
  }

  static TempDir* work_;
  static std::string* cpack_output_;
  static std::string* deb_;
  static std::string* root_;
};

TempDir* DebPackageTest::work_ = nullptr;
std::string* DebPackageTest::cpack_output_ = nullptr;
std::string* DebPackageTest::deb_ = nullptr;
std::string* DebPackageTest::root_ = nullptr;

TEST_F(DebPackageTest, IsNamedForItsVersionAndArchitecture) {
  EXPECT_THAT(*deb_, ::testing::MatchesRegex(".*/switchboard_[0-9]+\\.[0-9]+\\.[0-9]+_amd64\\.deb"));
}

TEST_F(DebPackageTest, HoldsTheCommandUnitsAndConfiguration) {
  RunResult contents = RunToEnd({"dpkg-deb", "-c", *deb_}, work_->File("contents.log"));
  ASSERT_EQ(contents.exit_code, 0) << contents.output;
  for (const char* path : {"./usr/bin/switchboard", "./usr/lib/systemd/system/switchboard-xds.service",
                           "./usr/lib/systemd/system/switchboard-up.service",
                           "./usr/lib/systemd/system/switchboard-register@.service",
                           "./usr/lib/sysusers.d/switchboard.conf", "./etc/switchboard/xds.conf",
                           "./etc/switchboard/up.conf", "./etc/switchboard/register.conf.example"}) {
    EXPECT_THAT(contents.output, HasSubstr(path));
  }
  // Headers and libraries belong in switchboard-dev.
  EXPECT_THAT(contents.output, ::testing::Not(HasSubstr("./usr/include/")));
}

TEST_F(DebPackageTest, MarksTheConfigurationAsConffilesAndComputesDepends) {
  RunResult conffiles = RunToEnd({"dpkg-deb", "-I", *deb_, "conffiles"}, work_->File("conffiles.log"));
  ASSERT_EQ(conffiles.exit_code, 0) << conffiles.output;
  EXPECT_THAT(conffiles.output, HasSubstr("/etc/switchboard/xds.conf"));
  EXPECT_THAT(conffiles.output, HasSubstr("/etc/switchboard/up.conf"));
  EXPECT_THAT(conffiles.output, HasSubstr("/etc/switchboard/register.conf.example"));

  RunResult depends = RunToEnd({"dpkg-deb", "-f", *deb_, "Depends"}, work_->File("depends.log"));
  ASSERT_EQ(depends.exit_code, 0) << depends.output;
  // From dpkg-shlibdeps: the shared libraries the command links.
  EXPECT_THAT(depends.output, HasSubstr("libgrpc++"));
  EXPECT_THAT(depends.output, HasSubstr("libsystemd0"));
  EXPECT_THAT(depends.output, HasSubstr("adduser"));

  // The maintainer scripts parse (they run on the target, not here).
  RunResult scripts = RunToEnd({"dpkg-deb", "-e", *deb_, work_->File("control")}, work_->File("e.log"));
  ASSERT_EQ(scripts.exit_code, 0) << scripts.output;
  for (const char* script : {"postinst", "postrm"}) {
    RunResult parsed = RunToEnd({"sh", "-n", work_->File(absl::StrCat("control/", script))},
                           work_->File("sh-n.log"));
    EXPECT_EQ(parsed.exit_code, 0) << script << ": " << parsed.output;
  }
}

TEST_F(DebPackageTest, UnitsAreTypeNotifyAsTheSystemUser) {
  for (const char* name : {"switchboard-xds.service", "switchboard-up.service",
                           "switchboard-register@.service"}) {
    const std::string unit = ReadFile(Unit(name));
    ASSERT_FALSE(unit.empty()) << Unit(name);
    EXPECT_EQ(UnitSetting(unit, "Type"), "notify") << name;
    EXPECT_EQ(UnitSetting(unit, "User"), "switchboard") << name;
    EXPECT_EQ(UnitSetting(unit, "Restart"), "on-failure") << name;
    EXPECT_EQ(UnitSetting(unit, "ProtectSystem"), "strict") << name;
    // Every file the unit names is in the package.
    std::string environment_file = UnitSetting(unit, "EnvironmentFile");
    absl::StrReplaceAll({{"%i", "greeter"}}, &environment_file);
    if (absl::StrContains(name, "@")) {
      EXPECT_EQ(environment_file, "/etc/switchboard/register-greeter.conf");
    } else {
      EXPECT_TRUE(std::filesystem::exists(*root_ + environment_file)) << environment_file;
    }
  }
}

TEST_F(DebPackageTest, UnitsPassSystemdAnalyzeVerify) {
  // systemd-analyze needs the base system's targets and the commands the
  // units run, all inside --root.
  const std::string units = *root_ + "/usr/lib/systemd/system";
  for (const auto& entry : std::filesystem::directory_iterator("/lib/systemd/system")) {
    if (entry.path().extension() == ".target") {
      std::filesystem::copy(entry.path(), units + "/" + entry.path().filename().string(),
                            std::filesystem::copy_options::skip_existing);
    }
  }
  std::filesystem::create_directories(*root_ + "/bin");
  if (std::filesystem::exists("/bin/kill")) {
    std::filesystem::copy("/bin/kill", *root_ + "/bin/kill",
                          std::filesystem::copy_options::skip_existing);
  }
  std::filesystem::copy(*root_ + "/etc/switchboard/register.conf.example",
                        *root_ + "/etc/switchboard/register-greeter.conf",
                        std::filesystem::copy_options::skip_existing);
  // Does it work here at all? A unit with nothing to complain about.
  {
    std::ofstream probe(units + "/switchboard-probe.service");
    probe << "[Service]\nType=oneshot\nExecStart=/bin/kill -0 1\n";
  }
  RunResult works = RunToEnd({"systemd-analyze", "verify", "--man=no", "--root=" + *root_,
                         units + "/switchboard-probe.service"},
                        work_->File("verify-probe.log"));
  std::filesystem::remove(units + "/switchboard-probe.service");
  if (works.exit_code != 0) {
    GTEST_SKIP() << "systemd-analyze verify does not work here (exit " << works.exit_code
                 << "): " << works.output;
  }
  RunResult verified = RunToEnd({"systemd-analyze", "verify", "--man=no", "--root=" + *root_,
                            units + "/switchboard-xds.service", units + "/switchboard-up.service",
                            units + "/switchboard-register@greeter.service"},
                           work_->File("verify.log"));
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(verified.output, "");
}

// The flags a shipped example file gives for TLS and auth: its comment
// lines after `marker`, each "#   --flag value ...", up to the first line
// that is not one.
std::string ExampleFlags(const std::string& file_text, const std::string& marker) {
  std::vector<std::string> flags;
  bool in_block = false;
  for (absl::string_view line : absl::StrSplit(file_text, '\n')) {
    if (!in_block) {
      in_block = absl::StrContains(line, marker);
      continue;
    }
    if (absl::ConsumePrefix(&line, "#   ")) {
      flags.emplace_back(line);
    } else if (!flags.empty() || !absl::StartsWith(line, "#")) {
      break;
    }
  }
  return absl::StrJoin(flags, " ");
}

// Done as a user would: dpkg -i into a clean root, a 3-member etcd cluster
// with TLS and auth, the files an operator writes in /etc/switchboard/,
// the register@ and xds units' command lines started as systemd starts
// them (as the user switchboard, with NOTIFY_SOCKET), and a gRPC client in
// another process calling xds:///greeter through the packaged control
// plane.
TEST_F(DebPackageTest, InstalledWithDpkgItServesATlsEtcdClusterToAClient) {
  absl::StatusOr<std::unique_ptr<CleanRoot>> clean = CleanRoot::Start(work_->File("clean-root"));
  if (absl::IsFailedPrecondition(clean.status())) GTEST_SKIP() << clean.status();
  ASSERT_TRUE(clean.ok()) << clean.status();
  CleanRoot& root = **clean;
  auto in_root = [&](const std::vector<std::string>& argv, const std::string& user = "") {
    static int counter = 0;
    return root.Run(argv, work_->File(absl::StrCat("in-root-", ++counter, ".log")), user);
  };

  // dpkg -i: the dependencies dpkg-shlibdeps computed are met, the
  // maintainer script makes the system user.
  RunResult before = in_root({"dpkg", "-s", "switchboard"});
  ASSERT_NE(before.exit_code, 0) << "switchboard is installed on this machine, so its root is "
                                    "not a clean one to install into: "
                                 << before.output;
  std::filesystem::copy(*deb_, root.HostPath("/tmp/switchboard.deb"));
  RunResult installed = in_root({"dpkg", "-i", "/tmp/switchboard.deb"});
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  EXPECT_THAT(in_root({"dpkg", "-s", "switchboard"}).output, HasSubstr("Status: install ok installed"));
  RunResult user = in_root({"getent", "passwd", "switchboard"});
  ASSERT_EQ(user.exit_code, 0) << user.output;
  EXPECT_THAT(user.output, HasSubstr("/usr/sbin/nologin"));

  // The etcd cluster production runs, and the files an operator puts in
  // /etc/switchboard/ for it, readable by the user switchboard only.
  auto secure = SecureEtcdCluster::Start(work_->File("etcd"), {.user = "switchboard", .prefix = "sb/"});
  ASSERT_TRUE(secure.ok()) << secure.status();
  const TestCertificates& certs = (*secure)->certs();
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {certs.ca, "etcd-ca.pem"},
           {certs.client_cert, "etcd-client.pem"},
           {certs.client_key, "etcd-client.key"},
           {(*secure)->password_file(), "etcd-password"}}) {
    std::filesystem::copy(from, root.HostPath("/etc/switchboard/" + to));
    ASSERT_EQ(in_root({"chown", "root:switchboard", "/etc/switchboard/" + to}).exit_code, 0);
    ASSERT_EQ(in_root({"chmod", "0640", "/etc/switchboard/" + to}).exit_code, 0);
  }
  std::string https_endpoints;
  for (const std::string& endpoint : (*secure)->cluster().endpoints()) {
    absl::StrAppend(&https_endpoints, https_endpoints.empty() ? "" : ",", "https://", endpoint);
  }
  // StateDirectory= and RuntimeDirectory=, as systemd makes them.
  ASSERT_EQ(in_root({"install", "-d", "-o", "switchboard", "-g", "switchboard", "/var/lib/switchboard",
                     "/run/switchboard"})
                .exit_code,
            0);

  auto as_systemd_would = [&](const std::string& unit, const std::string& environment_file) {
    const std::string unit_text = ReadFile(root.HostPath("/usr/lib/systemd/system/" + unit));
    EXPECT_EQ(UnitSetting(unit_text, "User"), "switchboard") << unit;
    return root.Command(ExpandExecStart(UnitSetting(unit_text, "ExecStart"),
                                        ReadFile(root.HostPath(environment_file))),
                        "switchboard");
  };
  // The service manager's socket, abstract: the chroot sees no path of ours.
  auto notify_socket = [](const std::string& name) {
    return absl::StrCat("@switchboard-deb-test-", getpid(), "-", name);
  };

  // A server with no registration of its own, and its sidecar unit,
  // configured from the shipped example with its TLS lines.
  auto server = InProcessGreeter::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string example = ReadFile(root.HostPath("/etc/switchboard/register.conf.example"));
  const std::string register_tls = ExampleFlags(example, "With TLS");
  ASSERT_THAT(register_tls, HasSubstr("--etcd-password-file /etc/switchboard/etcd-password"));
  std::ofstream(root.HostPath("/etc/switchboard/register-greeter.conf"))
      << "REGISTER_ARGS=\"--service greeter --addr " << (*server)->address()
      << " --health tcp --etcd " << https_endpoints << " " << register_tls << "\"\n";
  NotifySocket register_notify(notify_socket("register"));
  ASSERT_TRUE(register_notify.bound()) << register_notify.path();
  auto sidecar = ChildProcess::Start(
      as_systemd_would("switchboard-register@.service", "/etc/switchboard/register-greeter.conf"),
      {.log_path = work_->File("register.log"), .env = {"NOTIFY_SOCKET=" + register_notify.path()}});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  ASSERT_TRUE(register_notify.WaitForLine("READY=1", absl::Seconds(15)))
      << absl::StrJoin(register_notify.messages(), " | ") << "\n" << ReadFile(work_->File("register.log"));

  // The xds unit, with xds.conf's TLS example line made the active one.
  const int xds_port = PickFreePort();
  std::string tls_line;
  for (absl::string_view line : absl::StrSplit(ReadFile(root.HostPath("/etc/switchboard/xds.conf")), '\n')) {
    if (absl::ConsumePrefix(&line, "# XDS_ARGS=") && absl::StrContains(line, "--etcd-ca")) {
      tls_line = absl::StrCat("XDS_ARGS=", line, "\n");
    }
  }
  ASSERT_THAT(tls_line, HasSubstr("https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379"));
  absl::StrReplaceAll({{"https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379", https_endpoints},
                       {"127.0.0.1:18000", absl::StrCat("127.0.0.1:", xds_port)}},
                      &tls_line);
  std::ofstream(root.HostPath("/etc/switchboard/xds.conf")) << tls_line;
  NotifySocket xds_notify(notify_socket("xds"));
  ASSERT_TRUE(xds_notify.bound()) << xds_notify.path();
  auto xds = ChildProcess::Start(as_systemd_would("switchboard-xds.service", "/etc/switchboard/xds.conf"),
                                 {.log_path = work_->File("xds.log"),
                                  .env = {"NOTIFY_SOCKET=" + xds_notify.path()}});
  ASSERT_TRUE(xds.ok()) << xds.status();
  ASSERT_TRUE(xds_notify.WaitForLine("READY=1", absl::Seconds(15)))
      << absl::StrJoin(xds_notify.messages(), " | ") << "\n" << ReadFile(work_->File("xds.log"));
  EXPECT_TRUE(xds_notify.WaitForLine(absl::StrCat("STATUS=serving xDS on 127.0.0.1:", xds_port),
                                     absl::Seconds(1)))
      << absl::StrJoin(xds_notify.messages(), " | ");

  // A client in another process, by xds:///greeter, with the packaged
  // `switchboard bootstrap`.
  RunResult bootstrap = in_root({"/bin/sh", "-c",
                                 absl::StrCat("/usr/bin/switchboard bootstrap --xds 127.0.0.1:", xds_port,
                                              " > /tmp/bootstrap.json")});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.output;
  const std::string client_log = work_->File("client.log");
  RunResult client = RunToCompletion(
      {BuiltBinary("bin/greeter_client"), "--service=greeter", "--calls=20"}, client_log,
      {"GRPC_XDS_BOOTSTRAP_CONFIG=" + ReadFile(root.HostPath("/tmp/bootstrap.json"))},
      absl::Seconds(30));
  EXPECT_EQ(client.exit_code, 0) << client.output << "\n" << ReadFile(work_->File("xds.log"));
  EXPECT_THAT(client.output, HasSubstr("20 replies, 0 failed"));
  EXPECT_THAT(client.output, HasSubstr((*server)->address()));
  EXPECT_EQ((*server)->calls(), 20u);

  // systemctl stop: SIGTERM, STOPPING=1, a clean exit; the sidecar
  // deregisters its instance.
  (*xds)->Signal(SIGTERM);
  EXPECT_TRUE(xds_notify.WaitForLine("STOPPING=1", absl::Seconds(10)))
      << absl::StrJoin(xds_notify.messages(), " | ");
  ASSERT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
  EXPECT_TRUE(WIFEXITED((*xds)->exit_status()) && WEXITSTATUS((*xds)->exit_status()) == 0)
      << (*xds)->DescribeExit() << "\n" << ReadFile(work_->File("xds.log"));
  (*sidecar)->Signal(SIGTERM);
  EXPECT_TRUE(register_notify.WaitForLine("STOPPING=1", absl::Seconds(10)))
      << absl::StrJoin(register_notify.messages(), " | ");
  ASSERT_TRUE((*sidecar)->WaitExit(absl::Seconds(10))) << ReadFile(work_->File("register.log"));
  std::vector<std::string> ls = {BuiltBinary("bin/switchboard"), "ls", "greeter", "--json"};
  for (const std::string& flag : (*secure)->ClientFlags()) ls.push_back(flag);
  RunResult listed = RunToCompletion(ls, work_->File("ls.log"), {}, absl::Seconds(20));
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, ::testing::Not(HasSubstr((*server)->address())));
}

}  // namespace
}  // namespace switchboard::testing
