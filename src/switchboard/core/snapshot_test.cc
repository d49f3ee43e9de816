#include "switchboard/core/snapshot.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

Instance Make(std::string service, std::string address, uint32_t weight = 1) {
  return Instance{std::move(service), std::move(address), {.weight = weight}};
}

TEST(SnapshotTest, GroupsSortsAndDeduplicates) {
  auto s = Snapshot::Create({Make("b", "h:2"), Make("a", "h:3"), Make("a", "h:1"),
                             Make("a", "h:3", 7)},
                            42);
  EXPECT_EQ(s->revision(), 42);
  EXPECT_EQ(s->size(), 3u);
  ASSERT_EQ(s->Instances("a").size(), 2u);
  EXPECT_EQ(s->Instances("a")[0].address, "h:1");
  EXPECT_EQ(s->Instances("a")[1].metadata.weight, 7u);  // last one wins
  EXPECT_TRUE(s->Instances("missing").empty());
  EXPECT_FALSE(s->HasService("missing"));
}

TEST(SnapshotTest, DiffFindsAddedRemovedUpdated) {
  auto before = Snapshot::Create({Make("a", "h:1"), Make("a", "h:2"), Make("b", "h:1")});
  auto after = Snapshot::Create({Make("a", "h:2", 5), Make("a", "h:3"), Make("b", "h:1")});
  Changeset c = Diff(*before, *after);
  ASSERT_EQ(c.added.size(), 1u);
  EXPECT_EQ(c.added[0].address, "h:3");
  ASSERT_EQ(c.removed.size(), 1u);
  EXPECT_EQ(c.removed[0].address, "h:1");
  EXPECT_EQ(c.removed[0].service, "a");
  ASSERT_EQ(c.updated.size(), 1u);
  EXPECT_EQ(c.updated[0].metadata.weight, 5u);
  EXPECT_EQ(c.Services(), (std::set<std::string>{"a"}));
  EXPECT_EQ(c.Summary(), "+1 -1 ~1");
}

TEST(SnapshotTest, DiffOfEqualSnapshotsIsEmpty) {
  auto a = Snapshot::Create({Make("a", "h:1")}, 1);
  auto b = Snapshot::Create({Make("a", "h:1")}, 2);
  EXPECT_TRUE(Diff(*a, *b).empty());
  EXPECT_TRUE(a->SameInstances(*b));
}

TEST(SnapshotTest, SameAddressInTwoServicesIsTwoInstances) {
  auto before = Snapshot::Empty();
  auto after = Snapshot::Create({Make("a", "h:1"), Make("b", "h:1")});
  EXPECT_EQ(Diff(*before, *after).added.size(), 2u);
  EXPECT_EQ(Diff(*after, *before).removed.size(), 2u);
}

bool SameChanges(const Changeset& a, const Changeset& b) {
  return a.added == b.added && a.removed == b.removed && a.updated == b.updated;
}

// Replacing some services in place gives what a full rebuild gives: the
// same snapshot and, restricted to those services, the same changeset.
TEST(SnapshotTest, WithServicesEqualsFullRebuild) {
  std::vector<Instance> all = {Make("a", "h:1"), Make("a", "h:2"), Make("b", "h:1"),
                               Make("c", "h:1"), Make("c", "h:2")};
  auto before = Snapshot::Create(all, 1);
  // a: one updated, one removed, one added (given unsorted, with a
  // duplicate); b: gone; d: new; c untouched.
  std::map<std::string, std::vector<Instance>> replaced = {
      {"a", {Make("a", "h:3"), Make("a", "h:1", 9), Make("a", "h:3", 4)}},
      {"b", {}},
      {"d", {Make("d", "h:1")}}};
  auto incremental = Snapshot::WithServices(*before, replaced, 2);
  auto full = Snapshot::Create({Make("a", "h:1", 9), Make("a", "h:3", 4), Make("c", "h:1"),
                                Make("c", "h:2"), Make("d", "h:1")},
                               2);
  EXPECT_TRUE(incremental->SameInstances(*full));
  EXPECT_EQ(incremental->size(), full->size());
  EXPECT_EQ(incremental->revision(), 2);
  EXPECT_FALSE(incremental->HasService("b"));
  EXPECT_EQ(before->size(), 5u);  // the base is untouched

  Changeset partial = DiffServices(*before, *incremental, {"a", "b", "d"});
  EXPECT_TRUE(SameChanges(partial, Diff(*before, *full)));
  EXPECT_EQ(partial.Summary(), "+2 -2 ~1");
}

// What lets a catalog built from the next snapshot skip the unchanged
// services by comparing pointers.
TEST(SnapshotTest, WithServicesSharesTheListsOfUntouchedServices) {
  auto before = Snapshot::Create({Make("a", "h:1"), Make("b", "h:1")});
  auto after = Snapshot::WithServices(*before, {{"a", {Make("a", "h:2")}}}, 2);
  EXPECT_EQ(after->SharedInstances("b"), before->SharedInstances("b"));
  EXPECT_NE(after->SharedInstances("a"), before->SharedInstances("a"));
  EXPECT_EQ(after->SharedInstances("missing"), nullptr);
  EXPECT_FALSE(after->SameInstances(*before));
  EXPECT_TRUE(after->SameInstances(*Snapshot::Create({Make("a", "h:2"), Make("b", "h:1")})));
}

TEST(SnapshotTest, DiffServicesOfUntouchedServicesIsEmpty) {
  auto before = Snapshot::Create({Make("a", "h:1")});
  auto after = Snapshot::WithServices(*before, {{"a", {Make("a", "h:1")}}}, 3);
  EXPECT_TRUE(DiffServices(*before, *after, {"a"}).empty());
  EXPECT_TRUE(DiffServices(*before, *after, {"missing"}).empty());
}

TEST(MergeSnapshotsTest, UnionWithFirstSourceWinning) {
  auto first = Snapshot::Create({Make("greeter", "127.0.0.1:1", 2)});
  auto second = Snapshot::Create({Make("greeter", "127.0.0.1:1", 9), Make("greeter", "127.0.0.1:2")});
  auto merged = MergeSnapshots({first, nullptr, second});
  ASSERT_EQ(merged->Instances("greeter").size(), 2u);
  EXPECT_EQ(merged->Instances("greeter")[0].metadata.weight, 2u);
  EXPECT_TRUE(MergeSnapshots({nullptr})->empty());
  EXPECT_EQ(MergeSnapshots({first}), first);
}

}  // namespace
}  // namespace switchboard
