// Real child processes for integration and scenario tests, and the waits
// that go with them: start, signal, stop, and always reap. Children die with
// the test process (PDEATHSIG), so a crashed test leaves nothing behind.
//
// Example:
//   int port = PickFreePort();
//   auto server = ChildProcess::Start({"greeter_server", "--port", std::to_string(port)});
//   ASSERT_TRUE(server.ok()) << server.status();
//   ASSERT_TRUE(WaitForPort(port, absl::Seconds(5)));
//   (*server)->Kill();
//
// Threading: a ChildProcess is used from one thread at a time.
#ifndef SWITCHBOARD_TESTING_CHILD_PROCESS_H_
#define SWITCHBOARD_TESTING_CHILD_PROCESS_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "switchboard/supervisor/subprocess.h"

namespace switchboard::testing {

// Test processes are the product's own child processes: in their own
// process group, killed with the test (PR_SET_PDEATHSIG), reaped always.
using ChildOptions = supervisor::SubprocessOptions;
using ChildProcess = supervisor::Subprocess;

// A TCP port on 127.0.0.1 that was free a moment ago (-1 if none).
int PickFreePort();
// A port P on 127.0.0.1 such that P and P + 1 could both be bound a moment
// ago (-1 if none found): for `switchboard up --etcd-listen`, whose etcd
// takes P + 1 for its peers. A bind (CheckCanListen), not a connect, is the
// test, since a socket merely bound there blocks a listener too.
int PickFreePortPair();
// True once a TCP connect to 127.0.0.1:port succeeds, false at the timeout.
bool WaitForPort(int port, absl::Duration timeout);
// True once nothing listens on 127.0.0.1:port any more.
bool WaitForPortClosed(int port, absl::Duration timeout);

// Polls `condition` every `poll` until it holds (true) or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                    absl::Duration poll = absl::Milliseconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
  }
}

// A fresh directory under $TMPDIR, removed with everything in it on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole of a file ("" when it cannot be read): a child's log, a file
// a command wrote.
std::string ReadFile(const std::string& path);

// What a command run to its end returned and said.
struct CommandResult {
  // Its exit code; 128 + the signal when a signal ended it; -1 when it did
  // not start or did not end in time.
  int exit_code = -1;
  // Its stdout and stderr together, after "(timed out) " when it was killed.
  std::string output;
};
// Runs `argv` to its end, killing it after `timeout`; its output goes to
// `log_path` (overwritten) and into the result.
CommandResult RunToCompletion(const std::vector<std::string>& argv, const std::string& log_path,
                              std::vector<std::string> env = {},
                              absl::Duration timeout = absl::Seconds(20));

// The build tree: $SWITCHBOARD_BUILD_DIR (CTest sets it), else the nearest
// directory above this executable that holds CMakeCache.txt (a benchmark
// run by hand), else ".".
std::string BuildDir();
// Path of a binary built by this project: <BuildDir()>/relative.
std::string BuiltBinary(const std::string& relative_path);
// The same, checked: NotFound, naming the path and the target to build,
// when it is not there.
absl::StatusOr<std::string> LocateBuiltBinary(const std::string& relative_path);
// The source tree: $SWITCHBOARD_SOURCE_DIR (CTest sets it), else ".".
std::string SourceDir();

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_CHILD_PROCESS_H_
