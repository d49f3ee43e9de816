#include "switchboard/cli/work_dir.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::cli {

std::optional<pid_t> WorkDirPid(absl::string_view name, absl::string_view prefix) {
  std::string lead = absl::StrCat(prefix, "-");
  if (name.substr(0, lead.size()) != lead) return std::nullopt;
  name.remove_prefix(lead.size());
  size_t dash = name.find('-');
  if (dash == absl::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int pid = 0;
  if (!absl::SimpleAtoi(name.substr(0, dash), &pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

absl::StatusOr<std::string> MakeWorkDir(const std::string& parent, absl::string_view prefix) {
  std::string pattern = absl::StrCat(parent, "/", prefix, "-", getpid(), "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create ", pattern, ": ", strerror(errno)));
  }
  return pattern;
}

std::vector<std::string> RemoveStaleWorkDirs(const std::string& parent, absl::string_view prefix) {
  std::vector<std::string> removed;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
    std::optional<pid_t> pid = WorkDirPid(entry.path().filename().string(), prefix);
    if (!pid.has_value() || !entry.is_directory(error)) continue;
    // ESRCH: no such process. EPERM means it lives (another user's).
    if (kill(*pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    if (std::filesystem::remove_all(entry.path(), ignored) > 0) removed.push_back(entry.path());
  }
  return removed;
}

}  // namespace switchboard::cli
