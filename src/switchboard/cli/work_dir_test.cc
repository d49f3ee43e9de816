#include "switchboard/cli/work_dir.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard::cli {
namespace {

TEST(WorkDirTest, PidComesFromTheName) {
  EXPECT_EQ(WorkDirPid("switchboard-demo-1234-abcDEF", "switchboard-demo"), 1234);
  EXPECT_EQ(WorkDirPid("switchboard-demo-abcDEF", "switchboard-demo"), std::nullopt);
  EXPECT_EQ(WorkDirPid("switchboard-demo-0-abc", "switchboard-demo"), std::nullopt);
  EXPECT_EQ(WorkDirPid("switchboard-demo-12-", "switchboard-demo"), std::nullopt);
  EXPECT_EQ(WorkDirPid("other-12-abc", "switchboard-demo"), std::nullopt);
}

// A pid that surely belongs to no process: a child that has exited and
// been reaped.
pid_t DeadPid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST(WorkDirTest, StaleDirsOfGoneProcessesAreRemovedOthersKept) {
  std::string parent = absl::StrCat(::testing::TempDir(), "/work_dir_test_", getpid());
  std::filesystem::create_directories(parent);
  std::string stale = absl::StrCat(parent, "/switchboard-demo-", DeadPid(), "-abc123");
  std::filesystem::create_directories(stale + "/etcd");
  std::ofstream(stale + "/etcd/log") << "left behind by a SIGKILL";
  absl::StatusOr<std::string> mine = MakeWorkDir(parent, "switchboard-demo");
  ASSERT_TRUE(mine.ok()) << mine.status();
  std::string unrelated = parent + "/switchboard-demo-notapid";
  std::filesystem::create_directories(unrelated);

  std::vector<std::string> removed = RemoveStaleWorkDirs(parent, "switchboard-demo");
  EXPECT_EQ(removed, std::vector<std::string>{stale});
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(*mine)) << "this process is alive";
  EXPECT_TRUE(std::filesystem::exists(unrelated));
  std::filesystem::remove_all(parent);
}

}  // namespace
}  // namespace switchboard::cli
