#include "tests/package/clean_root.h"

#include <unistd.h>

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchboard::testing {

absl::StatusOr<std::unique_ptr<CleanRoot>> CleanRoot::Start(const std::string& dir) {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError("a clean root needs root (a mount namespace and overlayfs)");
  }
  std::unique_ptr<CleanRoot> root(new CleanRoot());
  for (const char* layer : {"upper", "work", "merged"}) {
    std::filesystem::create_directories(absl::StrCat(dir, "/", layer));
  }
  root->merged_ = dir + "/merged";
  const std::string ready = dir + "/ready";
  const std::string m = root->merged_;
  // unshare and sh exec into sleep: the holder's pid is the namespace's.
  const std::string script = absl::StrCat(
      "set -e\n",
      "mount -t overlay overlay -o lowerdir=/,upperdir=", dir, "/upper,workdir=", dir, "/work ", m,
      "\n", "mount -t proc proc ", m, "/proc\n", "mount --rbind /dev ", m, "/dev\n",
      "mount -t tmpfs tmpfs ", m, "/run\n", "mount -t tmpfs tmpfs ", m, "/tmp\n", "touch ", ready,
      "\n", "exec sleep infinity\n");
  const std::string log = dir + "/holder.log";
  auto holder = ChildProcess::Start(
      {"unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script},
      {.log_path = log});
  if (!holder.ok()) return holder.status();
  root->holder_ = std::move(*holder);
  if (!WaitFor([&] { return std::filesystem::exists(ready) || !root->holder_->Running(); },
               absl::Seconds(10)) ||
      !std::filesystem::exists(ready)) {
    return absl::InternalError(absl::StrCat("mounting the clean root at ", m,
                                            " failed: ", ReadFile(log)));
  }
  return root;
}

std::vector<std::string> CleanRoot::Command(const std::vector<std::string>& argv,
                                            const std::string& user) const {
  std::vector<std::string> command = {"nsenter", absl::StrCat("--target=", holder_->pid()),
                                      "--mount", "--", "chroot"};
  if (!user.empty()) command.push_back(absl::StrCat("--userspec=", user, ":", user));
  command.push_back(merged_);
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

CommandResult CleanRoot::Run(const std::vector<std::string>& argv, const std::string& log_path,
                             const std::string& user, absl::Duration timeout) const {
  return RunToCompletion(Command(argv, user), log_path, {}, timeout);
}

std::string CleanRoot::HostPath(const std::string& path) const {
  return absl::StrCat("/proc/", holder_->pid(), "/root", merged_, path);
}

}  // namespace switchboard::testing
