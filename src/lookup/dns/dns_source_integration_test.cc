// The DNS source against a real dnsmasq on a loopback port: A/AAAA records
// from a hosts directory dnsmasq watches, SRV records from its command line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "harness/child_process.h"
#include "lookup/dns/dns_source.h"
#include "lookup/source_registry.h"

namespace switchboard {
namespace {

using ::switchboard::testing::ChildProcess;
using ::switchboard::testing::PickFreePort;
using ::switchboard::testing::TempDir;
using ::switchboard::testing::WaitFor;
using ::switchboard::testing::WaitForPort;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

// A dnsmasq answering for *.sb.test only (NXDOMAIN for unknown names in it),
// from <dir>/hosts.d (re-read by dnsmasq when files there change) and
// the SRV records given at start.
class Dnsmasq {
 public:
  Dnsmasq() : port_(PickFreePort()) { std::filesystem::create_directories(HostsDir()); }

  void Start(const std::vector<std::string>& srv_records = {}) {
    std::vector<std::string> argv = {"/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
                                     absl::StrCat("--port=", port_), "--listen-address=127.0.0.1",
                                     "--bind-interfaces", absl::StrCat("--hostsdir=", HostsDir()),
                                     "--local=/sb.test/", "--conf-file=/dev/null", "--pid-file=",
                                     "--cache-size=0", "--user=", "--group="};
    for (const std::string& srv : srv_records) argv.push_back(absl::StrCat("--srv-host=", srv));
    absl::StatusOr<std::unique_ptr<ChildProcess>> child =
        ChildProcess::Start(argv, {.log_path = dir_.File("dnsmasq.log"), .env = {}, .cwd = ""});
    ASSERT_TRUE(child.ok()) << child.status();
    process_ = *std::move(child);
    ASSERT_TRUE(WaitForPort(port_, kWait)) << "dnsmasq did not listen on " << port_;
  }
  void Stop() { process_.reset(); }

  // Replaces the hosts file atomically; dnsmasq picks it up by itself.
  void WriteHosts(const std::string& lines) {
    std::string temp = dir_.File("hosts.tmp");
    std::ofstream(temp) << lines;
    std::filesystem::rename(temp, HostsDir() + "/hosts");
  }

  int port() const { return port_; }
  std::string Uri(absl::string_view scheme, absl::string_view name_and_query) const {
    return absl::StrCat(scheme, "://127.0.0.1:", port_, "/", name_and_query);
  }

 private:
  std::string HostsDir() const { return dir_.File("hosts.d"); }

  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

std::unique_ptr<LookupSource> Make(const std::string& uri) {
  static bool registered = [] {
    SetLogLevel(LogLevel::kError);
    return RegisterBuiltinLookupSources().ok();
  }();
  EXPECT_TRUE(registered);
  absl::StatusOr<std::unique_ptr<LookupSource>> source = MakeLookupSource(uri);
  EXPECT_TRUE(source.ok()) << source.status();
  return source.ok() ? *std::move(source) : nullptr;
}

std::vector<std::string> Addresses(const LookupSource& source) {
  std::vector<std::string> out;
  for (const Instance& i : source.Current()->All()) out.push_back(i.address);
  return out;
}

bool HasAddresses(const LookupSource& source, std::vector<std::string> expected) {
  return WaitFor([&] { return Addresses(source) == expected; }, kWait);
}

TEST(DnsSourceIntegrationTest, AddressRecordsFollowAddsAndRemovals) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 greeter.sb.test\n127.0.0.11 greeter.sb.test\n::1 greeter.sb.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> source =
      Make(dns.Uri("dns", "greeter.sb.test:50051?interval=100ms&service=greeter"));
  source->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*source, {"127.0.0.10:50051", "127.0.0.11:50051", "[::1]:50051"}))
      << source->Health();
  EXPECT_EQ(source->Current()->Instances("greeter").size(), 3u);

  dns.WriteHosts("127.0.0.11 greeter.sb.test\n127.0.0.12 greeter.sb.test\n");
  EXPECT_TRUE(HasAddresses(*source, {"127.0.0.11:50051", "127.0.0.12:50051"})) << source->Health();
  EXPECT_TRUE(source->Health().ok());
  source->Stop();
}

TEST(DnsSourceIntegrationTest, NxdomainEmptiesTheSetUnlessConfiguredToKeepIt) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 greeter.sb.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> emptying = Make(dns.Uri("dns", "greeter.sb.test:1?interval=100ms"));
  std::unique_ptr<LookupSource> keeping =
      Make(dns.Uri("dns", "greeter.sb.test:1?interval=100ms&empty_on_nxdomain=false"));
  emptying->Start(nullptr);
  keeping->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*emptying, {"127.0.0.10:1"})) << emptying->Health();
  ASSERT_TRUE(HasAddresses(*keeping, {"127.0.0.10:1"})) << keeping->Health();

  dns.WriteHosts("127.0.0.99 other.sb.test\n");
  EXPECT_TRUE(HasAddresses(*emptying, {})) << emptying->Health();
  EXPECT_TRUE(emptying->Health().ok());
  ASSERT_TRUE(WaitFor([&] { return keeping->Health().code() == absl::StatusCode::kNotFound; }, kWait))
      << keeping->Health();
  EXPECT_THAT(keeping->Health().message(), HasSubstr("NXDOMAIN"));
  EXPECT_THAT(Addresses(*keeping), ElementsAre("127.0.0.10:1"));
}

TEST(DnsSourceIntegrationTest, ServerDownKeepsLastSetAndReportsUntilItIsBack) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 greeter.sb.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> source =
      Make(dns.Uri("dns", "greeter.sb.test:1?interval=100ms&timeout=300ms"));
  source->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*source, {"127.0.0.10:1"})) << source->Health();

  dns.Stop();
  ASSERT_TRUE(WaitFor([&] { return !source->Health().ok(); }, kWait));
  EXPECT_THAT(source->Health().message(), HasSubstr(absl::StrCat("127.0.0.1:", dns.port())));
  EXPECT_THAT(Addresses(*source), ElementsAre("127.0.0.10:1"));

  dns.WriteHosts("127.0.0.10 greeter.sb.test\n127.0.0.11 greeter.sb.test\n");
  dns.Start();
  EXPECT_TRUE(HasAddresses(*source, {"127.0.0.10:1", "127.0.0.11:1"})) << source->Health();
  EXPECT_TRUE(source->Health().ok());
}

TEST(DnsSourceIntegrationTest, SrvRecordsGiveHostsPortsWeightsAndPriorities) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 a.sb.test\n127.0.0.11 a.sb.test\n127.0.0.20 b.sb.test\n");
  dns.Start({"_grpc._tcp.greeter.sb.test,a.sb.test,50051,0,30",
             "_grpc._tcp.greeter.sb.test,b.sb.test,50052,1,0"});
  std::unique_ptr<LookupSource> source = Make(dns.Uri("dns+srv", "_grpc._tcp.greeter.sb.test?interval=100ms"));
  source->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*source, {"127.0.0.10:50051", "127.0.0.11:50051", "127.0.0.20:50052"}))
      << source->Health();
  const std::vector<Instance>& instances = source->Current()->Instances("greeter.sb.test");
  ASSERT_EQ(instances.size(), 3u);
  EXPECT_EQ(instances[0].metadata.weight, 30u);
  EXPECT_EQ(instances[0].metadata.labels.at("priority"), "0");
  EXPECT_EQ(instances[2].metadata.weight, 1u);  // SRV weight 0
  EXPECT_EQ(instances[2].metadata.labels.at("priority"), "1");

  // A target's addresses change: the hosts directory is watched.
  dns.WriteHosts("127.0.0.10 a.sb.test\n127.0.0.20 b.sb.test\n");
  EXPECT_TRUE(HasAddresses(*source, {"127.0.0.10:50051", "127.0.0.20:50052"})) << source->Health();

  // The SRV set changes: dnsmasq takes SRV records from its command line.
  dns.Stop();
  dns.Start({"_grpc._tcp.greeter.sb.test,b.sb.test,50053,0,7"});
  EXPECT_TRUE(HasAddresses(*source, {"127.0.0.20:50053"})) << source->Health();
  EXPECT_EQ(source->Current()->Instances("greeter.sb.test")[0].metadata.weight, 7u);
}

TEST(DnsSourceIntegrationTest, SrvNameThatDoesNotExistIsEmpty) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 a.sb.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> source = Make(dns.Uri("dns+srv", "_grpc._tcp.nothing.sb.test?interval=100ms"));
  source->Start(nullptr);
  ASSERT_TRUE(WaitFor([&] { return source->Ready(); }, kWait)) << source->Health();
  EXPECT_TRUE(source->Current()->empty());
  EXPECT_TRUE(source->Health().ok());
}

// A UDP socket on loopback that receives queries and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }
  // True once a query has arrived.
  bool WaitForQuery(absl::Duration timeout) {
    pollfd fd{fd_, POLLIN, 0};
    return poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1;
  }

 private:
  int fd_;
  int port_ = 0;
};

TEST(DnsSourceIntegrationTest, SilentServerTimesOutAsAnError) {
  SilentServer silent;
  std::unique_ptr<LookupSource> source =
      Make(absl::StrCat("dns://127.0.0.1:", silent.port(), "/greeter.sb.test:1?interval=100ms&timeout=300ms"));
  source->Start(nullptr);
  ASSERT_TRUE(WaitFor([&] { return !source->Health().ok(); }, kWait));
  EXPECT_EQ(source->Health().code(), absl::StatusCode::kDeadlineExceeded) << source->Health();
  EXPECT_FALSE(source->Ready());
}

TEST(DnsSourceIntegrationTest, StopIsPromptWhileAQueryWaitsForAnAnswer) {
  SilentServer silent;
  std::unique_ptr<LookupSource> source =
      Make(absl::StrCat("dns://127.0.0.1:", silent.port(), "/greeter.sb.test:1?timeout=30s"));
  source->Start(nullptr);
  ASSERT_TRUE(silent.WaitForQuery(kWait));
  absl::Time before = absl::Now();
  source->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
}

}  // namespace
}  // namespace switchboard
