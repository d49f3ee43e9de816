#include "switchboard/cli/up_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace switchboard::cli {
namespace {

TEST(UpStateTest, RoundTrip) {
  UpState state{.pid = 42, .etcd = "127.0.0.1:2379", .xds = "127.0.0.1:18000",
                .managed_etcd = false, .data_dir = "/x"};
  absl::StatusOr<UpState> back = DecodeUpState(EncodeUpState(state));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, state);
}

TEST(UpStateTest, DecodeErrorsNameTheField) {
  EXPECT_EQ(DecodeUpState("nope").status().message(), "up state is not a JSON object");
  EXPECT_EQ(DecodeUpState(R"({"etcd":"a","xds":"b"})").status().message(),
            "up state has no integer \"pid\"");
  EXPECT_EQ(DecodeUpState(R"({"pid":1,"xds":"b"})").status().message(),
            "up state has no string \"etcd\"");
}

TEST(DefaultDataDirTest, XdgThenHomeThenHere) {
  EXPECT_EQ(DefaultDataDir("/state", "/home/a"), "/state/switchboard");
  EXPECT_EQ(DefaultDataDir(nullptr, "/home/a"), "/home/a/.local/state/switchboard");
  EXPECT_EQ(DefaultDataDir("relative", "/home/a"), "/home/a/.local/state/switchboard");
  EXPECT_EQ(DefaultDataDir(nullptr, nullptr), ".switchboard");
}

class UpLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/switchboard-up-state-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(UpLockTest, SecondAcquireIsRefusedNamingTheRunningOne) {
  absl::StatusOr<UpLock> first = UpLock::Acquire(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(WriteUpState(dir_, {.pid = 7, .etcd = "127.0.0.1:2379", .xds = "127.0.0.1:18000"}).ok());
  absl::StatusOr<UpLock> second = UpLock::Acquire(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(second.status().message().find("pid 7"), std::string::npos) << second.status();
  EXPECT_NE(second.status().message().find("127.0.0.1:2379"), std::string::npos);
}

TEST_F(UpLockTest, RunningUpIsFoundOnlyWhileTheLockIsHeld) {
  ASSERT_TRUE(WriteUpState(dir_, {.pid = 7, .etcd = "10.0.0.1:2379", .xds = "x:1"}).ok());
  EXPECT_FALSE(FindRunningUp(dir_).has_value());  // stale: nobody holds the lock
  EXPECT_EQ(ResolveEtcdEndpoints("", dir_), "127.0.0.1:2379");
  {
    absl::StatusOr<UpLock> lock = UpLock::Acquire(dir_);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(FindRunningUp(dir_).has_value());
    EXPECT_EQ(ResolveEtcdEndpoints("", dir_), "10.0.0.1:2379");
    EXPECT_EQ(ResolveEtcdEndpoints("flag:1", dir_), "flag:1");
  }
  EXPECT_FALSE(FindRunningUp(dir_).has_value());
  absl::StatusOr<UpLock> again = UpLock::Acquire(dir_);
  EXPECT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace switchboard::cli
