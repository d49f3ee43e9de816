// The etcd watcher against a real etcd: exact snapshots and changesets,
// restarts, compaction, and garbage under the prefix.
#include "switchboard/lookup/etcd/etcd_watcher.h"

#include <deque>

#include <gtest/gtest.h>

#include "testing/etcd_process.h"
#include "testing/etcd_test.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

using testing::EtcdProcess;
using testing::WaitFor;

// Records every update and error the watcher delivers.
class Recorder : public LookupObserver {
 public:
  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    std::lock_guard<std::mutex> lock(mu_);
    updates_.push_back({std::move(snapshot), changes});
  }
  void OnError(const absl::Status& error) override {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(error);
  }
  // Waits for the next update not yet taken.
  std::optional<std::pair<SnapshotPtr, Changeset>> Next(absl::Duration timeout = absl::Seconds(5)) {
    std::optional<std::pair<SnapshotPtr, Changeset>> next;
    WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu_);
      if (taken_ < updates_.size()) next = updates_[taken_++];
      return next.has_value();
    }, timeout, absl::Milliseconds(2));
    return next;
  }
  size_t errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_.size();
  }

 private:
  std::mutex mu_;
  std::deque<std::pair<SnapshotPtr, Changeset>> updates_;
  size_t taken_ = 0;
  std::vector<absl::Status> errors_;
};

Instance Greeter(int port, uint32_t weight = 1) {
  return {"greeter", absl::StrCat("127.0.0.1:", port), {.weight = weight}};
}

class EtcdWatcherTest : public testing::EtcdTest {
 protected:
  EtcdWatcherTest() : EtcdTest(absl::Milliseconds(500)) {}
  void Put(const Instance& instance) {
    auto put = client_->Put(RegistryKey("", instance), EncodeInstanceValue(instance));
    ASSERT_TRUE(put.ok()) << put.status();
  }
  void Delete(const Instance& instance) {
    ASSERT_TRUE(client_->Delete(RegistryKey("", instance)).ok());
  }
};

TEST_F(EtcdWatcherTest, ExactSnapshotsAndChangesets) {
  Put(Greeter(1));
  Put({"other", "127.0.0.1:9", {}});
  EtcdWatcher watcher(NewClient(), {.service = "greeter"});
  Recorder recorder;
  watcher.Start(&recorder);

  auto first = recorder.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first->All(), (std::vector<Instance>{Greeter(1)}));
  EXPECT_EQ(first->second.added.size(), 1u);

  Put(Greeter(2));
  auto added = recorder.Next();
  ASSERT_TRUE(added);
  EXPECT_EQ(added->second.added, (std::vector<Instance>{Greeter(2)}));
  EXPECT_TRUE(added->second.removed.empty());
  EXPECT_EQ(added->first->size(), 2u);

  Put(Greeter(2, 5));
  auto updated = recorder.Next();
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->second.updated, (std::vector<Instance>{Greeter(2, 5)}));
  EXPECT_EQ(updated->second.size(), 1u);

  Delete(Greeter(1));
  auto removed = recorder.Next();
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->second.removed, (std::vector<Instance>{Greeter(1)}));
  EXPECT_EQ(removed->first->All(), (std::vector<Instance>{Greeter(2, 5)}));

  // Another service's changes are not this watcher's business.
  Put({"other", "127.0.0.1:10", {}});
  EXPECT_FALSE(recorder.Next(absl::Milliseconds(300)));
  EXPECT_EQ(watcher.Activity().lists, 1u);
  EXPECT_EQ(watcher.Activity().watch_restarts, 0u);
}

TEST_F(EtcdWatcherTest, WholePrefixSeesEveryService) {
  EtcdWatcher watcher(NewClient(), {.prefix = "sb/"});
  Recorder recorder;
  watcher.Start(&recorder);
  ASSERT_TRUE(recorder.Next());  // the first, empty snapshot
  ASSERT_TRUE(client_->Put("sb/a/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  ASSERT_TRUE(client_->Put("sb/b/127.0.0.1:2", R"({"Addr":"127.0.0.1:2"})").ok());
  ASSERT_TRUE(client_->Put("elsewhere/127.0.0.1:3", R"({"Addr":"127.0.0.1:3"})").ok());
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)));
  EXPECT_EQ(watcher.Current()->services().size(), 2u);
  EXPECT_TRUE(watcher.Current()->HasService("a"));
}

// "a/b/<addr>" is an instance of service "a/b", not of "a": an event on
// one leaves the other as it was.
TEST_F(EtcdWatcherTest, NestedServiceNamesStayApart) {
  EtcdWatcher watcher(NewClient(), {.prefix = "sb/"});
  Recorder recorder;
  watcher.Start(&recorder);
  ASSERT_TRUE(recorder.Next());  // the first, empty snapshot
  ASSERT_TRUE(client_->Put("sb/a/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  ASSERT_TRUE(client_->Put("sb/a/b/127.0.0.1:2", R"({"Addr":"127.0.0.1:2"})").ok());
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)));
  ASSERT_TRUE(client_->Put("sb/a/127.0.0.1:3", R"({"Addr":"127.0.0.1:3"})").ok());
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 3; }, absl::Seconds(5)));
  SnapshotPtr now = watcher.Current();
  ASSERT_EQ(now->Instances("a").size(), 2u);
  EXPECT_EQ(now->Instances("a")[1].address, "127.0.0.1:3");
  ASSERT_EQ(now->Instances("a/b").size(), 1u);
  EXPECT_EQ(now->Instances("a/b")[0].address, "127.0.0.1:2");
}

TEST_F(EtcdWatcherTest, ConvergesAfterEtcdRestartsWithWipedData) {
  EtcdWatcher watcher(NewClient(), {.service = "greeter"});
  Recorder recorder;
  watcher.Start(&recorder);
  // Listed first, then written: the instances come through the watch, so
  // the watch the restart ends was created (and a new one is a restart).
  ASSERT_TRUE(WaitFor([&] { return watcher.Ready(); }, absl::Seconds(5)));
  Put(Greeter(1));
  Put(Greeter(2));
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)));

  etcd_->Kill();
  ASSERT_TRUE(WaitFor([&] { return !watcher.Health().ok(); }, absl::Seconds(5)));
  // While etcd is down the last good set stays.
  EXPECT_EQ(watcher.Current()->size(), 2u);
  ASSERT_TRUE(etcd_->Restart(/*wipe_data=*/true).ok());
  // The truth now: only 3 (1 and 2 died with the data).
  Put(Greeter(3));
  ASSERT_TRUE(WaitFor([&] {
    return watcher.Current()->All() == std::vector<Instance>{Greeter(3)};
  }, absl::Seconds(5))) << watcher.Current()->size();
  EXPECT_TRUE(WaitFor([&] { return watcher.Health().ok(); }, absl::Seconds(1)));
  EXPECT_GE(watcher.Activity().lists, 2u);
  // The snapshot comes with the list; the watch is created after it.
  EXPECT_TRUE(WaitFor([&] { return watcher.Activity().watch_restarts >= 1; }, absl::Seconds(5)));
  // And it keeps following.
  Put(Greeter(4));
  EXPECT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)));
}

TEST_F(EtcdWatcherTest, KeepsLastSnapshotWhileEtcdIsStopped) {
  EtcdWatcher watcher(NewClient(), {.service = "greeter"});
  Recorder recorder;
  watcher.Start(&recorder);
  // As above: written after the list, seen through a created watch.
  ASSERT_TRUE(WaitFor([&] { return watcher.Ready(); }, absl::Seconds(5)));
  Put(Greeter(1));
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 1; }, absl::Seconds(5)));
  etcd_->Stop();
  ASSERT_TRUE(WaitFor([&] { return recorder.errors() >= 3; }, absl::Seconds(10)));
  EXPECT_EQ(watcher.Current()->size(), 1u);
  EXPECT_NE(watcher.Health().message().find(etcd_->endpoint()), std::string::npos)
      << watcher.Health();
  ASSERT_TRUE(etcd_->Restart().ok());
  Delete(Greeter(1));
  EXPECT_TRUE(WaitFor([&] { return watcher.Current()->empty(); }, absl::Seconds(5)))
      << watcher.Current()->size() << " at revision " << watcher.Current()->revision() << " health " << watcher.Health();
  // Resumed from the last revision seen: a new watch, no new list.
  // The snapshot comes with the list; the watch is created after it.
  EXPECT_TRUE(WaitFor([&] { return watcher.Activity().watch_restarts >= 1; }, absl::Seconds(5)));
  EXPECT_EQ(watcher.Activity().lists, 1u);
}

TEST_F(EtcdWatcherTest, RecoversByListingAgainAfterCompaction) {
  Put(Greeter(1));
  std::shared_ptr<EtcdClient> writer = NewClient();
  // The first time, changes land and history is compacted between the list
  // and the watch, so the watch starts behind the compaction.
  class CompactAfterFirstList : public EtcdWatcherProgress {
   public:
    CompactAfterFirstList(Instance two, std::shared_ptr<EtcdClient> writer)
        : two_(std::move(two)), writer_(std::move(writer)) {}
    void OnListed(int64_t) override {
      if (compacted_.exchange(true)) return;
      ASSERT_TRUE(writer_->Put(RegistryKey("", two_), EncodeInstanceValue(two_)).ok());
      auto now = writer_->Put("unrelated", "x");
      ASSERT_TRUE(now.ok());
      ASSERT_TRUE(writer_->Compact(*now).ok());
    }

   private:
    const Instance two_;
    const std::shared_ptr<EtcdClient> writer_;
    std::atomic<bool> compacted_{false};
  };
  CompactAfterFirstList compact_after_first_list(Greeter(2), writer);
  EtcdWatcher watcher(NewClient(), {.service = "greeter"}, &compact_after_first_list);
  Recorder recorder;
  watcher.Start(&recorder);
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)))
      << watcher.Current()->size();
  EXPECT_EQ(watcher.Activity().lists, 2u);
  // The snapshot comes with the list; the watch is created after it.
  EXPECT_TRUE(WaitFor([&] { return watcher.Activity().watch_restarts >= 1; }, absl::Seconds(5)));
  EXPECT_NE(watcher.Health().code(), absl::StatusCode::kOutOfRange);
  Put(Greeter(3));
  EXPECT_TRUE(WaitFor([&] { return watcher.Current()->size() == 3; }, absl::Seconds(5)));
}

TEST_F(EtcdWatcherTest, GarbageIsSkippedAndValidInstancesAreUnaffected) {
  Put(Greeter(1));
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:2", "not json at all").ok());
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:3", R"({"Op":0,"Metadata":null})").ok());
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:4", R"({"Addr":["x"]})").ok());
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:5", R"({"Addr":"127.0.0.1:5","Metadata":{"weight":"heavy"}})").ok());
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:6", std::string(1 << 20, 'x')).ok());
  EtcdWatcher watcher(NewClient(), {});
  Recorder recorder;
  watcher.Start(&recorder);
  auto first = recorder.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first->All(), (std::vector<Instance>{Greeter(1)}));
  EXPECT_EQ(watcher.Activity().skipped_records, 5u);

  // Garbage arriving through the watch: skipped too, nothing else moves.
  ASSERT_TRUE(client_->Put("greeter-no-address-part", R"({"Addr":"127.0.0.1:7"})").ok());
  ASSERT_TRUE(client_->Put("greeter/127.0.0.1:8", "{").ok());
  Put(Greeter(9));
  auto next = recorder.Next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->second.added, (std::vector<Instance>{Greeter(9)}));
  EXPECT_TRUE(next->second.removed.empty());
  EXPECT_EQ(watcher.Current()->size(), 2u);
  EXPECT_EQ(watcher.Activity().skipped_records, 7u);

  // A valid key overwritten with garbage no longer describes an instance.
  ASSERT_TRUE(client_->Put(RegistryKey("", Greeter(9)), "garbage").ok());
  auto broken = recorder.Next();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->second.removed, (std::vector<Instance>{Greeter(9)}));
  EXPECT_EQ(watcher.Current()->All(), (std::vector<Instance>{Greeter(1)}));
}

// A stray key carrying a live instance's Addr does not take it over: its
// address part is not its Addr, so it is refused and counted, and the live
// instance keeps its weight.
TEST_F(EtcdWatcherTest, KeyThatIsNotServiceSlashAddrDoesNotOverrideTheInstance) {
  Put(Greeter(50061));
  EtcdWatcher watcher(NewClient(), {});
  Recorder recorder;
  watcher.Start(&recorder);
  ASSERT_TRUE(recorder.Next());
  ASSERT_TRUE(client_->Put("greeter/dup-of-50061",
                           R"({"Addr":"127.0.0.1:50061","Metadata":{"weight":10000}})").ok());
  Put(Greeter(50062));  // a later event, so the stray one has been applied
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->Instances("greeter").size() == 2; },
                      absl::Seconds(5)));
  EXPECT_EQ(watcher.Current()->All(), (std::vector<Instance>{Greeter(50061), Greeter(50062)}));
  EXPECT_EQ(watcher.Activity().skipped_records, 1u);
}

// Watching "a" reads keys under "a/", among them "a/b/<addr>": those are
// instances of "a/b", not of "a".
TEST_F(EtcdWatcherTest, OneServiceWatchLeavesOutNestedServices) {
  ASSERT_TRUE(client_->Put("a/127.0.0.1:1", R"({"Addr":"127.0.0.1:1"})").ok());
  ASSERT_TRUE(client_->Put("a/b/127.0.0.1:2", R"({"Addr":"127.0.0.1:2"})").ok());
  EtcdWatcher watcher(NewClient(), {.service = "a"});
  Recorder recorder;
  watcher.Start(&recorder);
  auto first = recorder.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first->All(), (std::vector<Instance>{{"a", "127.0.0.1:1", {}}}));
  ASSERT_TRUE(client_->Put("a/b/127.0.0.1:3", R"({"Addr":"127.0.0.1:3"})").ok());
  ASSERT_TRUE(client_->Put("a/127.0.0.1:4", R"({"Addr":"127.0.0.1:4"})").ok());
  ASSERT_TRUE(WaitFor([&] { return watcher.Current()->size() == 2; }, absl::Seconds(5)));
  EXPECT_FALSE(watcher.Current()->HasService("a/b"));
}

TEST_F(EtcdWatcherTest, ReadsWhatTheRegistrarWrites) {
  // Values with metadata travel intact.
  Instance rich{"greeter", "127.0.0.1:7000",
                {.weight = 3, .zone = "z", .version = "v2", .labels = {{"a", "b"}}}};
  Put(rich);
  EtcdWatcher watcher(NewClient(), {.service = "greeter"});
  watcher.Start(nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher.Ready(); }, absl::Seconds(5)));
  EXPECT_EQ(watcher.Current()->All(), (std::vector<Instance>{rich}));
}

}  // namespace
}  // namespace switchboard
