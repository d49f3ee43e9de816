// The DNS source's logic over a fake client: no sockets.
#include "switchboard/lookup/dns/dns_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "switchboard/lookup/dns/dns_factory.h"
#include "switchboard/lookup/dns/dns_records.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DnsRecordsTest, SrvWeightIsClampedToInstanceWeights) {
  EXPECT_EQ(WeightFromSrv(0), 1u);
  EXPECT_EQ(WeightFromSrv(1), 1u);
  EXPECT_EQ(WeightFromSrv(250), 250u);
  EXPECT_EQ(WeightFromSrv(10000), 10000u);
  EXPECT_EQ(WeightFromSrv(65535), InstanceMetadata::kMaxWeight);
}

TEST(DnsRecordsTest, SrvRecordsBecomeInstancesWithWeightAndPriority) {
  std::vector<SrvRecord> records = {
      {.target = "a.test", .port = 50051, .priority = 10, .weight = 5},
      {.target = "b.test", .port = 50052, .priority = 20, .weight = 0},
      {.target = ".", .port = 1, .priority = 0, .weight = 1},           // "not available"
      {.target = "gone.test", .port = 50053, .priority = 0, .weight = 1},  // did not resolve
  };
  std::map<std::string, std::vector<std::string>> addresses = {
      {"a.test", {"10.0.0.1", "fd00::1"}}, {"b.test", {"10.0.0.2"}}};
  std::vector<Instance> instances = InstancesFromSrv("greeter", records, addresses);
  ASSERT_EQ(instances.size(), 3u);
  EXPECT_EQ(instances[0].address, "10.0.0.1:50051");
  EXPECT_EQ(instances[0].metadata.weight, 5u);
  EXPECT_EQ(instances[0].metadata.labels.at("priority"), "10");
  EXPECT_EQ(instances[1].address, "10.0.0.2:50052");
  EXPECT_EQ(instances[1].metadata.weight, 1u);
  EXPECT_EQ(instances[1].metadata.labels.at("priority"), "20");
  EXPECT_EQ(instances[2].address, "[fd00::1]:50051");
  EXPECT_EQ(instances[2].service, "greeter");
}

TEST(DnsRecordsTest, LowestPriorityOnlyAndDuplicateAddressesPreferLowerPriority) {
  std::vector<SrvRecord> records = {
      {.target = "backup.test", .port = 1, .priority = 5, .weight = 1},
      {.target = "main.test", .port = 1, .priority = 1, .weight = 7},
  };
  std::map<std::string, std::vector<std::string>> addresses = {
      {"backup.test", {"10.0.0.1", "10.0.0.9"}}, {"main.test", {"10.0.0.1"}}};
  std::vector<Instance> all = InstancesFromSrv("s", records, addresses);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].address, "10.0.0.1:1");
  EXPECT_EQ(all[0].metadata.labels.at("priority"), "1");
  EXPECT_EQ(all[0].metadata.weight, 7u);

  std::vector<Instance> lowest = InstancesFromSrv("s", records, addresses, true);
  ASSERT_EQ(lowest.size(), 1u);
  EXPECT_EQ(lowest[0].address, "10.0.0.1:1");
}

TEST(DnsRecordsTest, ServiceFromSrvName) {
  EXPECT_EQ(ServiceFromSrvName("_grpc._tcp.greeter.example.com"), "greeter.example.com");
  EXPECT_EQ(ServiceFromSrvName("_grpc._tcp.greeter.example.com."), "greeter.example.com");
  EXPECT_EQ(ServiceFromSrvName("plain.example.com"), "plain.example.com");
}

TEST(DnsSourceOptionsTest, FromUri) {
  absl::StatusOr<DnsSourceOptions> options = DnsSourceOptionsFromUri(*ParseSourceUri(
      "dns://127.0.0.1:5353/greeter.test:50051?interval=200ms&family=ipv4&empty_on_nxdomain=false"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->records, DnsSourceOptions::Records::kAddress);
  EXPECT_EQ(options->name, "greeter.test");
  EXPECT_EQ(options->port, 50051);
  EXPECT_EQ(options->service, "greeter.test");
  EXPECT_EQ(options->server, (HostPort{"127.0.0.1", 5353}));
  EXPECT_EQ(options->family, AddressFamily::kIpv4);
  EXPECT_EQ(options->periodic.interval, absl::Milliseconds(200));
  EXPECT_FALSE(options->periodic.empty_on_nonexistent);

  options = DnsSourceOptionsFromUri(*ParseSourceUri("dns+srv:///_grpc._tcp.greeter.test?priority=lowest"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->records, DnsSourceOptions::Records::kSrv);
  EXPECT_EQ(options->service, "greeter.test");
  EXPECT_FALSE(options->server.has_value());
  EXPECT_TRUE(options->lowest_priority_only);
  EXPECT_TRUE(options->periodic.empty_on_nonexistent);
}

TEST(DnsSourceOptionsTest, RejectsBadParameters) {
  EXPECT_THAT(DnsSourceOptionsFromUri(*ParseSourceUri("dns:///a.test:1?family=ipx")).status().message(),
              HasSubstr("family='ipx'"));
  EXPECT_THAT(DnsSourceOptionsFromUri(*ParseSourceUri("dns:///a.test:1?priority=lowest")).status().message(),
              HasSubstr("unknown parameter 'priority'"));
  EXPECT_THAT(DnsSourceOptionsFromUri(*ParseSourceUri("dns:///a.test:1?jitter=2")).status().message(),
              HasSubstr("jitter"));
  EXPECT_FALSE(DnsSourceOptionsFromUri(*ParseSourceUri("file:///x.json")).ok());
}

using Kind = AddressQuestionOutcome::Kind;

AddressQuestionOutcome Records(std::string name, std::vector<std::string> addresses) {
  return {.name = std::move(name), .kind = Kind::kRecords, .addresses = std::move(addresses)};
}
AddressQuestionOutcome Nxdomain(std::string name) {
  return {.name = std::move(name), .kind = Kind::kNonexistent};
}
AddressQuestionOutcome Failure(std::string name, std::string why) {
  return {.name = std::move(name), .kind = Kind::kFailed,
          .error = absl::UnavailableError(std::move(why))};
}

TEST(CombineAddressOutcomesTest, AFailedQuestionKeepsItsSiblingsAnswerAsAWarning) {
  absl::StatusOr<AddressAnswers> answers = CombineAddressOutcomes(
      {Records("a.test", {"10.0.0.1"}),
       Failure("a.test", "DNS query AAAA a.test at s: refused by the DNS server (REFUSED)")});
  ASSERT_TRUE(answers.ok()) << answers.status();
  const AddressAnswer& a = answers->at("a.test");
  EXPECT_FALSE(a.nonexistent);
  EXPECT_THAT(a.addresses, ElementsAre("10.0.0.1"));
  EXPECT_THAT(a.warnings,
              ElementsAre("DNS query AAAA a.test at s: refused by the DNS server (REFUSED)"));
}

TEST(CombineAddressOutcomesTest, AnEmptyAnswerIsAnAnswerToo) {
  // NODATA for A, AAAA refused: the name has no usable address, definitely.
  absl::StatusOr<AddressAnswers> answers =
      CombineAddressOutcomes({Records("a.test", {}), Failure("a.test", "refused")});
  ASSERT_TRUE(answers.ok());
  EXPECT_TRUE(answers->at("a.test").addresses.empty());
  EXPECT_EQ(answers->at("a.test").warnings.size(), 1u);
}

TEST(CombineAddressOutcomesTest, EveryQuestionOfANameFailedFailsTheLookupWithTheFirstError) {
  absl::StatusOr<AddressAnswers> answers = CombineAddressOutcomes(
      {Records("a.test", {"10.0.0.1"}), Failure("b.test", "A b.test refused"),
       Failure("b.test", "AAAA b.test refused")});
  ASSERT_FALSE(answers.ok());
  EXPECT_EQ(answers.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(answers.status().message(), "A b.test refused");
}

TEST(CombineAddressOutcomesTest, NonexistentWhenEveryAnsweredQuestionSaysSo) {
  absl::StatusOr<AddressAnswers> answers = CombineAddressOutcomes(
      {Nxdomain("gone.test"), Nxdomain("gone.test"), Nxdomain("half.test"),
       Failure("half.test", "AAAA refused"), Nxdomain("mixed.test"), Records("mixed.test", {"::1"})});
  ASSERT_TRUE(answers.ok());
  EXPECT_TRUE(answers->at("gone.test").nonexistent);
  EXPECT_TRUE(answers->at("gone.test").warnings.empty());
  EXPECT_TRUE(answers->at("half.test").nonexistent);
  EXPECT_FALSE(answers->at("mixed.test").nonexistent);
  EXPECT_THAT(answers->at("mixed.test").addresses, ElementsAre("::1"));
}

TEST(CombineAddressOutcomesTest, AddressesKeepTheOrderAsked) {
  absl::StatusOr<AddressAnswers> answers = CombineAddressOutcomes(
      {Records("a.test", {"10.0.0.1", "10.0.0.2"}), Records("a.test", {"::1"}),
       Records("b.test", {"10.0.0.3"})});
  ASSERT_TRUE(answers.ok());
  EXPECT_THAT(answers->at("a.test").addresses, ElementsAre("10.0.0.1", "10.0.0.2", "::1"));
  EXPECT_THAT(answers->at("b.test").addresses, ElementsAre("10.0.0.3"));
}

// Answers set by the test, read by the source's thread.
class FakeDnsClient : public DnsClient {
 public:
  struct State {
    absl::Mutex mu;
    absl::StatusOr<AddressAnswers> addresses = AddressAnswers{};
    absl::StatusOr<SrvAnswer> srv = SrvAnswer{};
    std::vector<std::vector<std::string>> asked;
  };
  explicit FakeDnsClient(State* state) : state_(state) {}
  absl::StatusOr<AddressAnswers> LookupAddresses(const std::vector<std::string>& names, AddressFamily,
                                                 const FetchContext&) override {
    absl::MutexLock lock(&state_->mu);
    state_->asked.push_back(names);
    return state_->addresses;
  }
  absl::StatusOr<SrvAnswer> LookupSrv(absl::string_view, const FetchContext&) override {
    absl::MutexLock lock(&state_->mu);
    return state_->srv;
  }
  std::string ServerName() const override { return "fake"; }

 private:
  State* state_;
};

bool Eventually(const std::function<bool()>& condition) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

std::vector<std::string> Addresses(const LookupSource& source) {
  std::vector<std::string> out;
  for (const Instance& i : source.Current()->All()) out.push_back(i.address);
  return out;
}

DnsSourceOptions FastOptions(absl::string_view uri) {
  DnsSourceOptions options = *DnsSourceOptionsFromUri(*ParseSourceUri(uri));
  options.periodic.interval = absl::Milliseconds(5);
  options.periodic.jitter = 0;
  return options;
}

TEST(DnsSourceTest, AddressRecordsFollowAnswersAndKeepLastGoodOnError) {
  FakeDnsClient::State state;
  state.addresses = AddressAnswers{{"greeter.test", {.addresses = {"10.0.0.1", "::1"}}}};
  DnsSource source(FastOptions("dns:///greeter.test:50051"), std::make_unique<FakeDnsClient>(&state));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Current()->size() == 2; }));
  EXPECT_THAT(Addresses(source), ElementsAre("10.0.0.1:50051", "[::1]:50051"));
  EXPECT_EQ(source.Current()->Instances("greeter.test").size(), 2u);

  {
    absl::MutexLock lock(&state.mu);
    state.addresses = absl::DeadlineExceededError("DNS query A greeter.test at fake timed out");
  }
  ASSERT_TRUE(Eventually([&] { return !source.Health().ok(); }));
  EXPECT_EQ(source.Current()->size(), 2u);

  {
    absl::MutexLock lock(&state.mu);
    state.addresses = AddressAnswers{{"greeter.test", {.nonexistent = true, .addresses = {}}}};
  }
  ASSERT_TRUE(Eventually([&] { return source.Current()->empty(); }));
  EXPECT_TRUE(source.Health().ok());
}

TEST(DnsSourceTest, NxdomainKeepsLastGoodWhenConfigured) {
  FakeDnsClient::State state;
  state.addresses = AddressAnswers{{"greeter.test", {.addresses = {"10.0.0.1"}}}};
  DnsSource source(FastOptions("dns:///greeter.test:1?empty_on_nxdomain=false"),
                   std::make_unique<FakeDnsClient>(&state));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Current()->size() == 1; }));
  {
    absl::MutexLock lock(&state.mu);
    state.addresses = AddressAnswers{{"greeter.test", {.nonexistent = true, .addresses = {}}}};
  }
  ASSERT_TRUE(Eventually([&] { return !source.Health().ok(); }));
  EXPECT_EQ(source.Health().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(source.Health().message(), HasSubstr("greeter.test does not exist"));
  EXPECT_EQ(source.Current()->size(), 1u);
}

TEST(DnsSourceTest, SrvResolvesTargetsAsAbsoluteNamesAndSkipsNonexistentOnes) {
  FakeDnsClient::State state;
  state.srv = SrvAnswer{.records = {{.target = "a.test", .port = 7001, .priority = 0, .weight = 3},
                                    {.target = "gone.test", .port = 7002, .priority = 0, .weight = 3},
                                    {.target = "10.0.0.9", .port = 7003, .priority = 1, .weight = 0}}};
  state.addresses = AddressAnswers{{"a.test.", {.addresses = {"10.0.0.1"}}},
                                   {"gone.test.", {.nonexistent = true, .addresses = {}}}};
  DnsSource source(FastOptions("dns+srv:///_grpc._tcp.greeter.test"), std::make_unique<FakeDnsClient>(&state));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Ready(); }));
  source.Stop();
  EXPECT_THAT(Addresses(source), ElementsAre("10.0.0.1:7001", "10.0.0.9:7003"));
  EXPECT_EQ(source.Current()->Instances("greeter.test")[0].metadata.weight, 3u);
  absl::MutexLock lock(&state.mu);
  EXPECT_THAT(state.asked[0], ElementsAre("a.test.", "gone.test."));
}

TEST(DnsSourceTest, IpLiteralNeedsNoLookup) {
  FakeDnsClient::State state;
  DnsSource source(FastOptions("dns:///127.0.0.1:50051?service=greeter"), std::make_unique<FakeDnsClient>(&state));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Ready(); }));
  source.Stop();
  EXPECT_THAT(Addresses(source), ElementsAre("127.0.0.1:50051"));
  absl::MutexLock lock(&state.mu);
  EXPECT_TRUE(state.asked.empty());
}

}  // namespace
}  // namespace switchboard
