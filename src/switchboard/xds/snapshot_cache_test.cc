#include "switchboard/xds/snapshot_cache.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/xds/snapshot_cache_file.h"

namespace switchboard::xds {
namespace {

using ::testing::HasSubstr;

SnapshotCacheEntry Sample() {
  Instance full{.service = "greeter",
                .address = "[::1]:50052",
                .metadata = {.weight = 7,
                             .zone = "eu-west-1a",
                             .version = "1.4.2",
                             .draining = true,
                             .labels = {{"canary", "true"}, {"team", "search"}}}};
  Instance plain{.service = "billing", .address = "10.0.0.1:443"};
  return {.source = "etcd://127.0.0.1:2379/services/",
          .written_at = absl::FromUnixMillis(1764582600123),
          .snapshot = Snapshot::Create({full, plain}, 42)};
}

TEST(SnapshotCacheFileTest, RoundTripKeepsEveryField) {
  SnapshotCacheEntry entry = Sample();
  std::string text = EncodeSnapshotCache(entry);
  absl::StatusOr<SnapshotCacheEntry> back = DecodeSnapshotCache(text, "/c/x.json");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_EQ(back->source, entry.source);
  EXPECT_EQ(back->written_at, entry.written_at);
  EXPECT_EQ(back->snapshot->revision(), 42);
  EXPECT_EQ(back->snapshot->All(), entry.snapshot->All());
  // One instance per line, for people reading the file.
  EXPECT_THAT(text, HasSubstr("\n  {\"address\":\"10.0.0.1:443\""));
}

TEST(SnapshotCacheFileTest, EmptySnapshotRoundTrips) {
  SnapshotCacheEntry entry{.source = "file:///tmp/s.json", .written_at = absl::UnixEpoch()};
  absl::StatusOr<SnapshotCacheEntry> back =
      DecodeSnapshotCache(EncodeSnapshotCache(entry), "/c/x.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->snapshot->empty());
}

TEST(SnapshotCacheFileTest, InstanceFieldsOtherThanServiceAndAddressAreOptional) {
  auto back = DecodeSnapshotCache(
      R"({"format_version":1,"source":"s","written_at":"2026-12-01T09:50:00Z",
          "instances":[{"service":"greeter","address":"127.0.0.1:1"}]})",
      "/c/x.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->snapshot->size(), 1u);
  EXPECT_EQ(back->snapshot->All()[0].metadata, InstanceMetadata{});
}

TEST(SnapshotCacheFileTest, ErrorsNameTheFileAndTheField) {
  const std::string head = R"({"format_version":1,"source":"s","written_at":"2026-12-01T09:50:00Z",)";
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", "/c/x.json"},
      {"{\"format_version\":1,", "/c/x.json:1:"},
      {"[]", "top level: must be an object"},
      {R"({"source":"s"})", "missing \"format_version\""},
      {R"({"format_version":2,"source":"s"})", "format_version: must be 1, got 2"},
      {R"({"format_version":1,"written_at":"2026-12-01T09:50:00Z","instances":[]})",
       "missing \"source\""},
      {R"({"format_version":1,"source":"s","written_at":"yesterday","instances":[]})",
       "written_at: not an RFC 3339 time"},
      {head + R"("revision":"7","instances":[]})", "revision: must be an integer"},
      {head + "\"instances\":{}}", "instances: must be a list"},
      {head + "\"instances\":[3]}", "instances[0]: must be an object"},
      {head + R"("instances":[{"address":"a:1"}]})", "instances[0]: missing \"service\""},
      {head + R"("instances":[{"service":"g","address":""}]})",
       "instances[0].address: must be a non-empty string"},
      {head + R"("instances":[{"service":"g","address":"a:1","weight":0}]})",
       "instances[0].weight: must be an integer in 1..10000, got 0"},
      {head + R"("instances":[{"service":"g","address":"a:1","weight":1.5}]})",
       "instances[0].weight"},
      {head + R"("instances":[{"service":"g","address":"a:1","draining":"no"}]})",
       "instances[0].draining: must be true or false"},
      {head + R"("instances":[{"service":"g","address":"a:1","labels":{"k":1}}]})",
       "instances[0].labels.k: must be a string"},
      {head + R"("instances":[{"service":"g","address":"a:1","zone":5}]})",
       "instances[0].zone: must be a string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SnapshotCacheEntry> entry = DecodeSnapshotCache(c.text, "/c/x.json");
    ASSERT_FALSE(entry.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(entry.status())) << entry.status();
    EXPECT_THAT(entry.status().message(), HasSubstr("/c/x.json")) << c.text;
    EXPECT_THAT(entry.status().message(), HasSubstr(c.error)) << c.text;
  }
}

TEST(SnapshotCacheFileTest, FileNamesAreStableAndTellSourcesApart) {
  EXPECT_EQ(SnapshotCacheFileName("etcd://127.0.0.1:2379/"),
            SnapshotCacheFileName("etcd://127.0.0.1:2379/"));
  EXPECT_NE(SnapshotCacheFileName("etcd://127.0.0.1:2379/"),
            SnapshotCacheFileName("etcd://127.0.0.1:2379/other/"));
  EXPECT_THAT(SnapshotCacheFileName("dns:///a/b?c"), ::testing::MatchesRegex("source-[0-9a-f]{16}\\.json"));
}

class SnapshotCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/snapshot-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
};

TEST_F(SnapshotCacheTest, SavedEntryLoadsBackAndLeavesNoTemporaryFile) {
  SnapshotCache cache(dir_ + "/nested/cache");  // created on the first save
  SnapshotCacheEntry entry = Sample();
  ASSERT_TRUE(cache.Save(entry).ok());
  absl::StatusOr<SnapshotCacheEntry> back = cache.Load(entry.source);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->snapshot->All(), entry.snapshot->All());
  // A second save replaces the first.
  entry.snapshot = Snapshot::Create({});
  ASSERT_TRUE(cache.Save(entry).ok());
  EXPECT_TRUE(cache.Load(entry.source)->snapshot->empty());
  int files = 0;
  for (const auto& file : std::filesystem::directory_iterator(cache.dir())) {
    EXPECT_EQ(file.path().filename().string(), SnapshotCacheFileName(entry.source));
    files++;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(SnapshotCacheTest, MissingIsNotFoundAndCorruptOrForeignIsRefused) {
  SnapshotCache cache(dir_);
  EXPECT_TRUE(absl::IsNotFound(cache.Load("etcd://a:1/").status()));

  std::ofstream(cache.PathFor("etcd://a:1/")) << "{\"format_version\":1, truncated";
  absl::StatusOr<SnapshotCacheEntry> corrupt = cache.Load("etcd://a:1/");
  EXPECT_TRUE(absl::IsInvalidArgument(corrupt.status())) << corrupt.status();
  EXPECT_THAT(corrupt.status().message(), HasSubstr(cache.PathFor("etcd://a:1/")));

  // Another source's file under this source's name (copied by hand).
  SnapshotCacheEntry other = Sample();
  ASSERT_TRUE(cache.Save(other).ok());
  std::filesystem::rename(cache.PathFor(other.source), cache.PathFor("etcd://a:1/"));
  absl::StatusOr<SnapshotCacheEntry> foreign = cache.Load("etcd://a:1/");
  EXPECT_TRUE(absl::IsInvalidArgument(foreign.status())) << foreign.status();
  EXPECT_THAT(foreign.status().message(), HasSubstr(other.source));
}

TEST_F(SnapshotCacheTest, UnwritableDirectoryIsAnError) {
  std::ofstream(dir_ + "/file") << "x";
  SnapshotCache cache(dir_ + "/file/cache");  // a directory under a file
  absl::Status saved = cache.Save(Sample());
  EXPECT_FALSE(saved.ok());
  EXPECT_THAT(saved.message(), HasSubstr(dir_ + "/file/cache"));
}

}  // namespace
}  // namespace switchboard::xds
