#include "core/snapshot.h"

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

}  // namespace
}  // namespace switchboard
