// Private work directories of commands such as `demo`, named
// "<prefix>-<pid>-XXXXXX" so that one left behind by a run that was killed
// outright (SIGKILL: no chance to clean up) is found and removed by the
// next run once its pid is gone.
//
// Example:
//   std::vector<std::string> removed = RemoveStaleWorkDirs("/tmp", "switchboard-demo");
//   absl::StatusOr<std::string> dir = MakeWorkDir("/tmp", "switchboard-demo");
#ifndef SWITCHBOARD_CLI_WORK_DIR_H_
#define SWITCHBOARD_CLI_WORK_DIR_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::cli {

// Pure: the pid in a work dir's name "<prefix>-<pid>-<suffix>"; nullopt for
// any other name.
std::optional<pid_t> WorkDirPid(absl::string_view name, absl::string_view prefix);

// Creates "<parent>/<prefix>-<this pid>-XXXXXX" and returns its path.
absl::StatusOr<std::string> MakeWorkDir(const std::string& parent, absl::string_view prefix);

// Removes the work dirs under `parent` whose process no longer exists;
// returns their paths. Dirs of live processes (and other names) are kept.
std::vector<std::string> RemoveStaleWorkDirs(const std::string& parent, absl::string_view prefix);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_WORK_DIR_H_
