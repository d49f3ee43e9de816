#include "switchboard/core/lookup_source.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

class ManualSource : public PublishingSource {
 public:
  std::string Describe() const override { return "manual"; }
  void Start(LookupObserver* observer) override { SetObserver(observer); }
  void Stop() override { SetObserver(nullptr); }
  using PublishingSource::Publish;
  using PublishingSource::ReportError;
};

class Recorder : public LookupObserver {
 public:
  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    snapshots.push_back(snapshot);
    changesets.push_back(changes);
  }
  void OnError(const absl::Status& error) override { errors.push_back(error); }
  std::vector<SnapshotPtr> snapshots;
  std::vector<Changeset> changesets;
  std::vector<absl::Status> errors;
};

TEST(PublishingSourceTest, PublishesFirstSnapshotEvenIfEmptyThenOnlyChanges) {
  ManualSource source;
  Recorder recorder;
  source.Start(&recorder);
  EXPECT_FALSE(source.Ready());
  source.Publish(Snapshot::Empty());
  EXPECT_TRUE(source.Ready());
  ASSERT_EQ(recorder.snapshots.size(), 1u);
  source.Publish(Snapshot::Create({}, 5));
  EXPECT_EQ(recorder.snapshots.size(), 1u);
  EXPECT_EQ(source.Current()->revision(), 5);
  source.Publish(Snapshot::Create({Instance{"a", "h:1", {}}}));
  ASSERT_EQ(recorder.snapshots.size(), 2u);
  EXPECT_EQ(recorder.changesets[1].added.size(), 1u);
}

TEST(PublishingSourceTest, ErrorKeepsLastSnapshot) {
  ManualSource source;
  Recorder recorder;
  source.Start(&recorder);
  source.Publish(Snapshot::Create({Instance{"a", "h:1", {}}}));
  source.ReportError(absl::UnavailableError("etcd down"));
  EXPECT_EQ(source.Current()->size(), 1u);
  EXPECT_EQ(source.Health().code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(recorder.errors.size(), 1u);
  source.Publish(Snapshot::Create({Instance{"a", "h:1", {}}}));
  EXPECT_TRUE(source.Health().ok());
}

TEST(PublishingSourceTest, KnownChangesetIsPublishedAsGiven) {
  ManualSource source;
  Recorder recorder;
  source.Start(&recorder);
  auto first = Snapshot::Create({Instance{"a", "h:1", {}}}, 1);
  source.Publish(first);
  auto second = Snapshot::WithServices(*first, {{"a", {Instance{"a", "h:1", {.weight = 3}}}}}, 2);
  source.Publish(second, DiffServices(*first, *second, {"a"}));
  ASSERT_EQ(recorder.changesets.size(), 2u);
  ASSERT_EQ(recorder.changesets[1].updated.size(), 1u);
  EXPECT_EQ(recorder.changesets[1].updated[0].metadata.weight, 3u);
  EXPECT_EQ(source.Current(), second);
  // Nothing changed: not announced, but the newest revision is kept.
  auto third = Snapshot::WithServices(*second, {}, 3);
  source.Publish(third, Changeset{});
  EXPECT_EQ(recorder.changesets.size(), 2u);
  EXPECT_EQ(source.Current()->revision(), 3);
}

}  // namespace
}  // namespace switchboard
