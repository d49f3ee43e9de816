// The DNS source against a real dnsmasq on a loopback port: A/AAAA records
// from a hosts directory dnsmasq watches, SRV records from its command line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "testing/child_process.h"
#include "switchboard/lookup/dns/dns_source.h"
#include "switchboard/lookup/builtin_sources.h"
#include "testing/dnsmasq_process.h"

namespace switchboard {
namespace {

using ::switchboard::testing::PickFreePort;
using ::switchboard::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

// A dnsmasq whose start is checked by the test.
class Dnsmasq : public switchboard::testing::DnsmasqProcess {
 public:
  void Start(const std::vector<std::string>& srv_records = {}) {
    absl::Status started = DnsmasqProcess::Start(srv_records);
    ASSERT_TRUE(started.ok()) << started;
  }
};

std::unique_ptr<LookupSource> Make(const std::string& uri) {
  static bool quiet = [] {
    SetLogLevel(LogLevel::kError);
    return true;
  }();
  (void)quiet;
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

// dnsmasq refuses names outside sb.test: that is the server refusing the
// query, not a connection refused.
TEST(DnsSourceIntegrationTest, RefusedAnswerIsReportedAsARefusedQuery) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 greeter.sb.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> source =
      Make(dns.Uri("dns", "greeter.elsewhere.test:1?interval=100ms&timeout=300ms"));
  source->Start(nullptr);
  ASSERT_TRUE(WaitFor([&] { return !source->Health().ok(); }, kWait));
  EXPECT_THAT(source->Health().message(), HasSubstr("refused by the DNS server (REFUSED)"));
  EXPECT_THAT(source->Health().message(), ::testing::Not(HasSubstr("connection refused")));
}

// A name outside sb.test that dnsmasq knows from its hosts directory, by an
// IPv4 address only: the A question is answered, the AAAA one (which it
// would have to forward, and has no upstream for) is REFUSED. The A answer
// stands; only when every question is refused does the lookup fail.
TEST(DnsSourceIntegrationTest, ARefusedAaaaKeepsTheAAnswers) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 greeter.elsewhere.test\n");
  dns.Start();
  std::unique_ptr<LookupSource> source =
      Make(dns.Uri("dns", "greeter.elsewhere.test:1?interval=100ms&timeout=300ms"));
  source->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*source, {"127.0.0.10:1"})) << source->Health();
  EXPECT_TRUE(source->Health().ok()) << source->Health();

  // Neither question answered: an error, and the last good set stays.
  dns.WriteHosts("127.0.0.10 other.elsewhere.test\n");
  ASSERT_TRUE(WaitFor([&] { return !source->Health().ok(); }, kWait));
  EXPECT_THAT(source->Health().message(), HasSubstr("refused by the DNS server (REFUSED)"));
  EXPECT_THAT(Addresses(*source), ElementsAre("127.0.0.10:1"));
  source->Stop();
}

TEST(DnsSourceIntegrationTest, SrvTargetsWithARefusedAaaaKeepTheirAAnswers) {
  Dnsmasq dns;
  dns.WriteHosts("127.0.0.10 a.elsewhere.test\n127.0.0.20 b.sb.test\n");
  dns.Start({"_grpc._tcp.greeter.sb.test,a.elsewhere.test,50051,0,10",
             "_grpc._tcp.greeter.sb.test,b.sb.test,50052,0,10"});
  std::unique_ptr<LookupSource> source =
      Make(dns.Uri("dns+srv", "_grpc._tcp.greeter.sb.test?interval=100ms&timeout=300ms"));
  source->Start(nullptr);
  ASSERT_TRUE(HasAddresses(*source, {"127.0.0.10:50051", "127.0.0.20:50052"})) << source->Health();
  EXPECT_TRUE(source->Health().ok()) << source->Health();
  source->Stop();
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
