#include "harness/child_process.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {

int PickFreePort() { return fleet::PickFreeLoopbackPort().value_or(-1); }

bool WaitForPort(int port, absl::Duration timeout) {
  return WaitFor([port] { return fleet::CanConnect("127.0.0.1", port); }, timeout,
                 absl::Milliseconds(5));
}

bool WaitForPortClosed(int port, absl::Duration timeout) {
  return WaitFor([port] { return !fleet::CanConnect("127.0.0.1", port); }, timeout,
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

std::string BuiltBinary(const std::string& relative_path) {
  const char* dir = std::getenv("SWITCHBOARD_BUILD_DIR");
  return absl::StrCat(dir != nullptr ? dir : ".", "/", relative_path);
}

}  // namespace switchboard::testing
