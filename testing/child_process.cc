#include "testing/child_process.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "switchboard/common/listen_check.h"

namespace switchboard::testing {

int PickFreePort() { return supervisor::PickFreeLoopbackPort().value_or(-1); }

int PickFreePortPair() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = PickFreePort();
    if (port < 0) return -1;
    if (port < 65535 && CheckCanListen(absl::StrCat("127.0.0.1:", port + 1), "peer port").ok()) {
      return port;
    }
  }
  return -1;
}

bool WaitForPort(int port, absl::Duration timeout) {
  return WaitFor([port] { return supervisor::CanConnect("127.0.0.1", port); }, timeout,
                 absl::Milliseconds(5));
}

bool WaitForPortClosed(int port, absl::Duration timeout) {
  return WaitFor([port] { return !supervisor::CanConnect("127.0.0.1", port); }, timeout,
                 absl::Milliseconds(5));
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/switchboard-test-XXXXXX");
  char* made = mkdtemp(pattern.data());
  path_ = made != nullptr ? made : "";
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string BuildDir() {
  if (const char* dir = std::getenv("SWITCHBOARD_BUILD_DIR"); dir != nullptr) return dir;
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    for (std::filesystem::path dir = exe.parent_path(); dir != dir.root_path();
         dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "CMakeCache.txt", error)) return dir.string();
    }
  }
  return ".";
}

std::string BuiltBinary(const std::string& relative_path) {
  return absl::StrCat(BuildDir(), "/", relative_path);
}

absl::StatusOr<std::string> LocateBuiltBinary(const std::string& relative_path) {
  std::string binary = BuiltBinary(relative_path);
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        binary, " not found: build it first (cmake --build ", BuildDir(), " --target ",
        relative_path.substr(relative_path.rfind('/') + 1), ")"));
  }
  return binary;
}

std::string SourceDir() {
  const char* dir = std::getenv("SWITCHBOARD_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path,
                              std::vector<std::string> env, absl::Duration timeout) {
  std::filesystem::remove(log_path);
  auto child = ChildProcess::Start(argv, {.log_path = log_path, .env = std::move(env)});
  if (!child.ok()) return {.output = std::string(child.status().message())};
  CommandResult result;
  if (!(*child)->WaitExit(timeout)) {
    (*child)->Kill();
    result.output = "(timed out) ";
  } else {
    const int status = (*child)->exit_status();
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result.output += ReadFile(log_path);
  return result;
}

}  // namespace switchboard::testing
