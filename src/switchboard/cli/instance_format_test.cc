#include "switchboard/cli/instance_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace switchboard::cli {
namespace {

Instance Full() {
  return {.service = "greeter",
          .address = "127.0.0.1:50051",
          .metadata = {.weight = 3, .zone = "eu-1a", .version = "1.2", .draining = true,
                       .labels = {{"canary", "true"}, {"team", "core"}}}};
}

TEST(InstanceTableTest, AlignsColumnsAndUsesDashesForEmpty) {
  std::string table = FormatInstanceTable(
      {Full(), {.service = "billing", .address = "10.0.0.1:1", .metadata = {}}});
  EXPECT_EQ(table,
            "SERVICE  ADDRESS          WEIGHT  ZONE   VERSION  DRAINING  LABELS\n"
            "greeter  127.0.0.1:50051  3       eu-1a  1.2      yes       canary=true,team=core\n"
            "billing  10.0.0.1:1       1       -      -        no        -\n");
}

// One 100,000-byte service name must not pad every row to its width, and
// a control character in a record must not reach the terminal raw.
TEST(InstanceTableTest, CapsColumnWidthsAndEscapesControlCharacters) {
  std::string table = FormatInstanceTable(
      {{.service = std::string(100000, 's'), .address = "10.0.0.1:1", .metadata = {}},
       {.service = "billing", .address = "10.0.0.2:1",
        .metadata = {.zone = "a\x1b[2Jb", .labels = {{"k", "line\nbreak"}}}}});
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    EXPECT_LT(line.size(), 200u) << line.substr(0, 200);
  }
  EXPECT_TRUE(absl::StrContains(table, std::string(45, 's') + "...")) << table.substr(0, 300);
  EXPECT_TRUE(absl::StrContains(table, "a\\x1b[2Jb")) << table;
  EXPECT_TRUE(absl::StrContains(table, "k=line\\nbreak")) << table;
  EXPECT_FALSE(absl::StrContains(table, "\x1b")) << table;
}

TEST(ChangeLineTest, EscapesAndCutsRecordFields) {
  std::string line = FormatChangeLine(
      ChangeKind::kAdded, {.service = "greeter", .address = "10.0.0.1:1", .metadata = {.zone = "\n" + std::string(40000, 'z')}},
      absl::Now());
  EXPECT_LT(line.size(), 400u);
  EXPECT_FALSE(absl::StrContains(line, "\n"));
}

TEST(InstanceTableTest, GroupsEachServiceByZone) {
  std::vector<Instance> instances = {
      {.service = "greeter", .address = "10.0.0.1:1", .metadata = {.zone = "b"}},
      {.service = "greeter", .address = "10.0.0.2:1", .metadata = {.zone = "a"}},
      {.service = "greeter", .address = "10.0.0.3:1", .metadata = {.zone = "b", .draining = true}},
      {.service = "billing", .address = "10.0.0.4:1", .metadata = {}}};
  EXPECT_EQ(FormatInstanceTable(instances),
            "SERVICE  ADDRESS     WEIGHT  ZONE  VERSION  DRAINING  LABELS\n"
            "greeter  10.0.0.2:1  1       a     -        no        -\n"
            "greeter  10.0.0.1:1  1       b     -        no        -\n"
            "greeter  10.0.0.3:1  1       b     -        yes       -\n"
            "billing  10.0.0.4:1  1       -     -        no        -\n");
  EXPECT_EQ(FormatZoneSummary(instances),
            "greeter  zone a: 1 serving; zone b: 1 serving, 1 draining\n"
            "billing  zone -: 1 serving\n");
  // No zone anywhere: no summary.
  EXPECT_EQ(FormatZoneSummary({instances[3]}), "");
}

TEST(InstanceTableTest, EmptyHasHeaderOnly) {
  EXPECT_EQ(FormatInstanceTable({}), "SERVICE  ADDRESS  WEIGHT  ZONE  VERSION  DRAINING  LABELS\n");
}

TEST(InstancesJsonTest, EveryField) {
  nlohmann::json j = nlohmann::json::parse(InstancesJson({Full()}));
  ASSERT_EQ(j["instances"].size(), 1u);
  const auto& i = j["instances"][0];
  EXPECT_EQ(i["service"], "greeter");
  EXPECT_EQ(i["address"], "127.0.0.1:50051");
  EXPECT_EQ(i["weight"], 3);
  EXPECT_EQ(i["zone"], "eu-1a");
  EXPECT_EQ(i["version"], "1.2");
  EXPECT_EQ(i["draining"], true);
  EXPECT_EQ(i["labels"]["canary"], "true");
  EXPECT_EQ(nlohmann::json::parse(InstancesJson({}))["instances"].size(), 0u);
}

TEST(ChangeLineTest, TextAndJson) {
  const absl::Time when = absl::FromUnixSeconds(0);
  std::string added = FormatChangeLine(ChangeKind::kAdded, Full(), when);
  EXPECT_NE(added.find(" + greeter 127.0.0.1:50051 weight=3 zone=eu-1a version=1.2 draining "
                       "labels=canary=true,team=core"),
            std::string::npos)
      << added;
  std::string removed = FormatChangeLine(ChangeKind::kRemoved, Full(), when);
  EXPECT_TRUE(absl::EndsWith(removed, " - greeter 127.0.0.1:50051")) << removed;
  nlohmann::json j = nlohmann::json::parse(ChangeJson(ChangeKind::kUpdated, Full(), when));
  EXPECT_EQ(j["change"], "updated");
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j["instance"]["weight"], 3);
}

TEST(ChangesetTest, AddedUpdatedRemovedInOrder) {
  Changeset c;
  c.removed.push_back({.service = "s", .address = "h:3"});
  c.added.push_back({.service = "s", .address = "h:1"});
  c.updated.push_back({.service = "s", .address = "h:2"});
  std::vector<std::string> lines = FormatChangeset(c, absl::Now(), /*json=*/true);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["change"], "added");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["change"], "updated");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["change"], "removed");
}

}  // namespace
}  // namespace switchboard::cli
