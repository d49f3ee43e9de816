// The Debian package as a user gets it: cpack builds it from this build
// tree (once, for every test here), dpkg-deb shows what it holds, dpkg -x
// extracts it into a temporary root (no chroot, no network), systemd-analyze
// verifies its units there when it can, and the xds unit's ExecStart line,
// with its EnvironmentFile's variable expanded, runs as systemd would start
// it: with NOTIFY_SOCKET on a datagram socket this test reads. READY=1 must
// arrive, and the control plane must serve an instance a `switchboard
// register` (the register@ unit's ExecStart, from the same package) wrote
// into a real etcd.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
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
#include "testing/ads_watch_stream.h"
#include "testing/child_process.h"
#include "testing/etcd_process.h"

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
// collects what the service sends.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
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

TEST_F(DebPackageTest, XdsUnitCommandNotifiesReadyAndServesTheRegistry) {
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string packaged = *root_ + "/usr/bin/switchboard";
  auto as_systemd_would = [&](const std::string& unit, const std::string& environment_file) {
    std::vector<std::string> argv =
        ExpandExecStart(UnitSetting(ReadFile(Unit(unit)), "ExecStart"), environment_file);
    if (!argv.empty() && argv[0] == "/usr/bin/switchboard") argv[0] = packaged;
    return argv;
  };

  // The register@ unit's command: ready once the instance is registered.
  const int server_port = PickFreePort();
  const std::string addr = absl::StrCat("127.0.0.1:", server_port);
  NotifySocket register_notify(work_->File("register.notify"));
  ASSERT_TRUE(register_notify.bound()) << register_notify.path();
  std::vector<std::string> register_argv = as_systemd_would(
      "switchboard-register@.service",
      absl::StrCat("REGISTER_ARGS=\"--service greeter --addr ", addr, " --health none --etcd ",
                   (*etcd)->endpoint(), "\"\n"));
  ASSERT_EQ(register_argv.at(0), packaged) << absl::StrJoin(register_argv, " ");
  auto sidecar = ChildProcess::Start(register_argv, {.log_path = work_->File("register.log"),
                                                     .env = {"NOTIFY_SOCKET=" + register_notify.path()}});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  ASSERT_TRUE(register_notify.WaitForLine("READY=1", absl::Seconds(15)))
      << absl::StrJoin(register_notify.messages(), " | ") << "\n" << ReadFile(work_->File("register.log"));

  // The xds unit's command, with the shipped xds.conf's flags but this
  // test's etcd, port and cache directory.
  std::string conf = ReadFile(*root_ + "/etc/switchboard/xds.conf");
  ASSERT_THAT(conf, HasSubstr("XDS_ARGS=\"--listen 127.0.0.1:18000 --etcd 127.0.0.1:2379 "
                              "--cache-dir /var/lib/switchboard/xds-cache\""));
  const int xds_port = PickFreePort();
  absl::StrReplaceAll({{"127.0.0.1:18000", absl::StrCat("127.0.0.1:", xds_port)},
                       {"127.0.0.1:2379", (*etcd)->endpoint()},
                       {"/var/lib/switchboard", work_->File("state")}},
                      &conf);
  NotifySocket xds_notify(work_->File("xds.notify"));
  ASSERT_TRUE(xds_notify.bound()) << xds_notify.path();
  std::vector<std::string> xds_argv = as_systemd_would("switchboard-xds.service", conf);
  ASSERT_EQ(xds_argv.at(0), packaged) << absl::StrJoin(xds_argv, " ");
  auto xds = ChildProcess::Start(xds_argv, {.log_path = work_->File("xds.log"),
                                            .env = {"NOTIFY_SOCKET=" + xds_notify.path()}});
  ASSERT_TRUE(xds.ok()) << xds.status();
  ASSERT_TRUE(xds_notify.WaitForLine("READY=1", absl::Seconds(15)))
      << absl::StrJoin(xds_notify.messages(), " | ") << "\n" << ReadFile(work_->File("xds.log"));
  EXPECT_TRUE(xds_notify.WaitForLine(absl::StrCat("STATUS=serving xDS on 127.0.0.1:", xds_port),
                                     absl::Seconds(1)))
      << absl::StrJoin(xds_notify.messages(), " | ");

  // Ready means serving: the registered instance comes over ADS.
  EXPECT_TRUE(WaitForEndpointOverAds(absl::StrCat("127.0.0.1:", xds_port), "greeter", addr,
                                     absl::Seconds(15)))
      << ReadFile(work_->File("xds.log"));

  // systemctl stop: SIGTERM, STOPPING=1, a clean exit.
  (*xds)->Signal(SIGTERM);
  EXPECT_TRUE(xds_notify.WaitForLine("STOPPING=1", absl::Seconds(10)))
      << absl::StrJoin(xds_notify.messages(), " | ");
  ASSERT_TRUE((*xds)->WaitExit(absl::Seconds(10)));
  EXPECT_TRUE(WIFEXITED((*xds)->exit_status()) && WEXITSTATUS((*xds)->exit_status()) == 0)
      << (*xds)->DescribeExit();
  (*sidecar)->Signal(SIGTERM);
  EXPECT_TRUE(register_notify.WaitForLine("STOPPING=1", absl::Seconds(10)))
      << absl::StrJoin(register_notify.messages(), " | ");
  (*sidecar)->Stop();
}

}  // namespace
}  // namespace switchboard::testing
