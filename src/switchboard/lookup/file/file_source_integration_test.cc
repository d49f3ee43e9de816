// The file source on real files: in-place edits, atomic replacement,
// truncation, invalid JSON, deletion, and the polling fallback.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/file/file_factory.h"
#include "testing/child_process.h"
#include "switchboard/lookup/file/file_source.h"

namespace switchboard {
namespace {

using ::switchboard::testing::TempDir;
using ::switchboard::testing::WaitFor;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

class ErrorLog : public LookupObserver {
 public:
  void OnUpdate(SnapshotPtr, const Changeset&) override {
    absl::MutexLock lock(&mu_);
    ++updates_;
  }
  void OnError(const absl::Status& error) override {
    absl::MutexLock lock(&mu_);
    errors_.push_back(std::string(error.message()));
  }
  std::vector<std::string> errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  int updates() {
    absl::MutexLock lock(&mu_);
    return updates_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> errors_;
  int updates_ = 0;
};

void WriteInPlace(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

void ReplaceAtomically(const std::string& path, const std::string& text) {
  std::string temp = path + ".tmp";
  WriteInPlace(temp, text);
  std::filesystem::rename(temp, path);
}

std::string Services(const std::string& greeter_addresses) {
  return absl::StrCat(R"({"services": {"greeter": [)", greeter_addresses, R"(]}})");
}

std::vector<std::string> Addresses(const LookupSource& source) {
  std::vector<std::string> out;
  for (const Instance& i : source.Current()->All()) out.push_back(i.address);
  return out;
}

bool HasAddresses(const LookupSource& source, const std::vector<std::string>& expected) {
  return WaitFor([&] { return Addresses(source) == expected; }, kWait);
}

// Long interval: only the directory watch can make these tests pass in time.
FileSource WatchedSource(const std::string& path) {
  SetLogLevel(LogLevel::kError);
  return FileSource(FileSourceOptions{
      .path = path, .watch = true, .periodic = {.interval = absl::Hours(1), .max_backoff = absl::Hours(1)}});
}

TEST(FileSourceIntegrationTest, FollowsEditsAndAtomicReplacement) {
  TempDir dir;
  std::string path = dir.File("services.json");
  WriteInPlace(path, Services(R"("127.0.0.1:50051")"));
  FileSource source = WatchedSource(path);
  source.Start(nullptr);
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051"})) << source.Health();

  WriteInPlace(path, Services(R"("127.0.0.1:50051", {"address": "127.0.0.1:50052", "weight": 4})"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051", "127.0.0.1:50052"})) << source.Health();
  EXPECT_EQ(source.Current()->Instances("greeter")[1].metadata.weight, 4u);

  ReplaceAtomically(path, Services(R"("127.0.0.1:50053")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50053"})) << source.Health();

  ReplaceAtomically(path, Services(""));
  ASSERT_TRUE(HasAddresses(source, {})) << source.Health();
  EXPECT_TRUE(source.Health().ok());
  source.Stop();
}

TEST(FileSourceIntegrationTest, InvalidTruncatedOrMissingFileKeepsLastGoodSet) {
  TempDir dir;
  std::string path = dir.File("services.json");
  WriteInPlace(path, Services(R"("127.0.0.1:50051")"));
  FileSource source = WatchedSource(path);
  ErrorLog log;
  source.Start(&log);
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051"})) << source.Health();

  WriteInPlace(path, "{\n  \"services\": {\n    \"greeter\": [\"127.0.0.1:50052\",]\n  }\n}\n");
  ASSERT_TRUE(WaitFor([&] { return !source.Health().ok(); }, kWait));
  EXPECT_THAT(source.Health().message(), HasSubstr(absl::StrCat(path, ":3:")));
  EXPECT_EQ(Addresses(source), std::vector<std::string>{"127.0.0.1:50051"});

  ReplaceAtomically(path, Services(R"("127.0.0.1:50052")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50052"})) << source.Health();
  EXPECT_TRUE(source.Health().ok());

  ASSERT_EQ(truncate(path.c_str(), 0), 0);
  WriteInPlace(path, "");  // a close after writing: what the watch reacts to
  ASSERT_TRUE(WaitFor([&] { return !source.Health().ok(); }, kWait));
  EXPECT_THAT(source.Health().message(), HasSubstr("file is empty"));
  EXPECT_EQ(Addresses(source), std::vector<std::string>{"127.0.0.1:50052"});

  ReplaceAtomically(path, Services(R"("127.0.0.1:50053")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50053"})) << source.Health();

  std::filesystem::remove(path);
  ASSERT_TRUE(WaitFor([&] { return !source.Health().ok(); }, kWait));
  EXPECT_THAT(source.Health().message(), HasSubstr(path));
  EXPECT_EQ(source.Health().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Addresses(source), std::vector<std::string>{"127.0.0.1:50053"});

  ReplaceAtomically(path, Services(R"("127.0.0.1:50054")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50054"})) << source.Health();
  source.Stop();
  EXPECT_GE(log.errors().size(), 3u);
}

TEST(FileSourceIntegrationTest, MissingAtStartThenCreated) {
  TempDir dir;
  std::string path = dir.File("services.json");
  FileSource source = WatchedSource(path);
  source.Start(nullptr);
  ASSERT_TRUE(WaitFor([&] { return !source.Health().ok(); }, kWait));
  EXPECT_FALSE(source.Ready());
  ReplaceAtomically(path, Services(R"("127.0.0.1:50051")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051"})) << source.Health();
  EXPECT_TRUE(source.Ready());
}

TEST(FileSourceIntegrationTest, PollingFallbackWithoutWatch) {
  TempDir dir;
  std::string path = dir.File("services.json");
  WriteInPlace(path, Services(R"("127.0.0.1:50051")"));
  SetLogLevel(LogLevel::kError);
  FileSource source(FileSourceOptions{
      .path = path, .watch = false, .periodic = {.interval = absl::Milliseconds(100), .jitter = 0}});
  source.Start(nullptr);
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051"})) << source.Health();
  ReplaceAtomically(path, Services(R"("127.0.0.1:50052")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50052"})) << source.Health();
  WriteInPlace(path, Services(R"("127.0.0.1:50053", "127.0.0.1:50054")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50053", "127.0.0.1:50054"})) << source.Health();
}

TEST(FileSourceIntegrationTest, UnchangedFileIsNotAnnouncedAgain) {
  TempDir dir;
  std::string path = dir.File("services.json");
  WriteInPlace(path, Services(R"("127.0.0.1:50051")"));
  SetLogLevel(LogLevel::kError);
  FileSource source(FileSourceOptions{
      .path = path, .watch = true, .periodic = {.interval = absl::Milliseconds(20), .jitter = 0}});
  ErrorLog log;
  source.Start(&log);
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50051"}));
  // Same content, new file: a reload, but nothing to announce.
  ReplaceAtomically(path, Services(R"("127.0.0.1:50051")"));
  ReplaceAtomically(path, Services(R"("127.0.0.1:50052")"));
  ASSERT_TRUE(HasAddresses(source, {"127.0.0.1:50052"}));
  source.Stop();
  EXPECT_EQ(log.updates(), 2);
  EXPECT_TRUE(log.errors().empty());
}

TEST(FileSourceIntegrationTest, FactoryOptions) {
  absl::StatusOr<FileSourceOptions> options =
      FileSourceOptionsFromUri(*ParseSourceUri("file:///etc/sb/services.json?watch=false&interval=250ms"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->path, "/etc/sb/services.json");
  EXPECT_FALSE(options->watch);
  EXPECT_EQ(options->periodic.interval, absl::Milliseconds(250));
  EXPECT_THAT(FileSourceOptionsFromUri(*ParseSourceUri("file:///x.json?service=a")).status().message(),
              HasSubstr("unknown parameter 'service'"));
}

}  // namespace
}  // namespace switchboard
