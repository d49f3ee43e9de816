// One consumer, unchanged, over every kind of source: etcd (push), DNS and
// file (pull). Each backend can set the instances of service "greeter"; the
// consumer only sees a LookupSource built from a URI, and rebuilds the set
// from the changesets it is given, which must always match the snapshot.
#include <fstream>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/lookup/builtin_sources.h"
#include "testing/child_process.h"
#include "testing/dnsmasq_process.h"
#include "testing/etcd_process.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

using ::switchboard::testing::WaitFor;

constexpr absl::Duration kWait = absl::Seconds(15);

// Where instances of "greeter" are published. Addresses are 127.0.0.x:50051
// so that every backend, DNS included, can carry them.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual absl::Status Start() = 0;
  virtual std::string Uri() const = 0;
  virtual void SetInstances(const std::set<std::string>& addresses) = 0;
};

class EtcdBackend : public Backend {
 public:
  absl::Status Start() override {
    auto etcd = testing::EtcdProcess::Start();
    if (!etcd.ok()) return etcd.status();
    etcd_ = *std::move(etcd);
    auto client = EtcdClient::Create({.endpoints = {etcd_->endpoint()}});
    if (!client.ok()) return client.status();
    client_ = *std::move(client);
    return absl::OkStatus();
  }
  std::string Uri() const override {
    return absl::StrCat("etcd://", etcd_->endpoint(), "/conformance/?service=greeter");
  }
  void SetInstances(const std::set<std::string>& addresses) override {
    for (const std::string& old : current_) {
      if (!addresses.count(old)) {
        EXPECT_TRUE(client_->Delete(RegistryKey("conformance/", Instance{"greeter", old, {}})).ok());
      }
    }
    for (const std::string& address : addresses) {
      Instance instance{"greeter", address, {}};
      EXPECT_TRUE(client_->Put(RegistryKey("conformance/", instance), EncodeInstanceValue(instance)).ok());
    }
    current_ = addresses;
  }

 private:
  std::unique_ptr<testing::EtcdProcess> etcd_;
  std::unique_ptr<EtcdClient> client_;
  std::set<std::string> current_;
};

class DnsBackend : public Backend {
 public:
  absl::Status Start() override { return dns_.Start(); }
  std::string Uri() const override {
    return dns_.Uri("dns", "greeter.sb.test:50051?service=greeter&interval=100ms");
  }
  void SetInstances(const std::set<std::string>& addresses) override {
    std::string hosts;
    for (const std::string& address : addresses) {
      absl::StrAppend(&hosts, address.substr(0, address.find(':')), " greeter.sb.test\n");
    }
    dns_.WriteHosts(hosts);
  }

 private:
  testing::DnsmasqProcess dns_;
};

class FileBackend : public Backend {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  std::string Uri() const override { return absl::StrCat("file://", path_, "?interval=100ms"); }
  void SetInstances(const std::set<std::string>& addresses) override {
    std::string list;
    for (const std::string& address : addresses) {
      absl::StrAppend(&list, list.empty() ? "" : ", ", "\"", address, "\"");
    }
    std::ofstream(path_ + ".tmp") << R"({"services": {"greeter": [)" << list << "]}}";
    std::filesystem::rename(path_ + ".tmp", path_);
  }

 private:
  testing::TempDir dir_;
  std::string path_ = dir_.File("services.json");
};

// The consumer: keeps its own view of "greeter" from changesets alone.
class ChangesetFollower : public LookupObserver {
 public:
  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    absl::MutexLock lock(&mu_);
    for (const Instance& i : changes.removed) view_.erase(i.address);
    for (const Instance& i : changes.added) view_.insert(i.address);
    std::set<std::string> truth;
    for (const Instance& i : snapshot->Instances("greeter")) truth.insert(i.address);
    if (truth != view_) consistent_ = false;
  }
  std::set<std::string> view() {
    absl::MutexLock lock(&mu_);
    return view_;
  }
  bool consistent() {
    absl::MutexLock lock(&mu_);
    return consistent_;
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> view_;
  bool consistent_ = true;
};

std::set<std::string> Addresses(const LookupSource& source) {
  std::set<std::string> out;
  for (const Instance& i : source.Current()->Instances("greeter")) out.insert(i.address);
  return out;
}

using BackendMaker = std::function<std::unique_ptr<Backend>()>;

class LookupSourceConformanceTest : public ::testing::TestWithParam<std::pair<std::string, BackendMaker>> {
 protected:
  static void SetUpTestSuite() {
    SetLogLevel(LogLevel::kError);
  }
};

TEST_P(LookupSourceConformanceTest, SameConsumerFollowsEverySource) {
  std::unique_ptr<Backend> backend = GetParam().second();
  absl::Status started = backend->Start();
  ASSERT_TRUE(started.ok()) << started;
  backend->SetInstances({"127.0.0.10:50051", "127.0.0.11:50051"});

  absl::StatusOr<std::unique_ptr<LookupSource>> made = MakeLookupSource(backend->Uri());
  ASSERT_TRUE(made.ok()) << made.status();
  LookupSource& source = **made;
  ChangesetFollower follower;
  source.Start(&follower);

  const std::vector<std::set<std::string>> steps = {
      {"127.0.0.10:50051", "127.0.0.11:50051"},
      {"127.0.0.11:50051", "127.0.0.12:50051", "127.0.0.13:50051"},
      {},
      {"127.0.0.10:50051"},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i > 0) backend->SetInstances(steps[i]);
    ASSERT_TRUE(WaitFor([&] { return follower.view() == steps[i] && Addresses(source) == steps[i]; }, kWait))
        << source.Describe() << " step " << i << ": " << source.Health();
    EXPECT_TRUE(source.Ready());
  }
  source.Stop();
  EXPECT_TRUE(follower.consistent()) << "a changeset did not match its snapshot";
}

INSTANTIATE_TEST_SUITE_P(
    AllSources, LookupSourceConformanceTest,
    ::testing::Values(
        std::make_pair(std::string("etcd"), BackendMaker([] { return std::make_unique<EtcdBackend>(); })),
        std::make_pair(std::string("dns"), BackendMaker([] { return std::make_unique<DnsBackend>(); })),
        std::make_pair(std::string("file"), BackendMaker([] { return std::make_unique<FileBackend>(); }))),
    [](const auto& info) { return info.param.first; });

}  // namespace
}  // namespace switchboard
