// Real child processes for integration and scenario tests: start, signal,
// stop, and always reap. Children die with the test process (PDEATHSIG), so a
// crashed test leaves nothing behind.
//
// Example:
//   int port = PickFreePort();
//   auto server = ChildProcess::Start({"greeter_server", "--port", std::to_string(port)});
//   ASSERT_TRUE(server.ok()) << server.status();
//   ASSERT_TRUE(WaitForPort(port, absl::Seconds(5)));
//   (*server)->Kill();
//
// Threading: a ChildProcess is used from one thread at a time.
#ifndef SWITCHBOARD_TESTS_HARNESS_CHILD_PROCESS_H_
#define SWITCHBOARD_TESTS_HARNESS_CHILD_PROCESS_H_

#include <sys/types.h>

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

namespace switchboard::testing {

struct ChildOptions {
  // Where stdout and stderr go; empty: inherited from the test.
  std::string log_path;
  // Extra environment ("NAME=value"), on top of the test's own.
  std::vector<std::string> env;
  // Working directory; empty: the test's.
  std::string cwd;
};

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH when it has no '/').
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(std::vector<std::string> argv,
                                                             ChildOptions options = {});
  ~ChildProcess();  // Kill()s and reaps a child still running.

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  // True until the child has exited (reaps it when it has).
  bool Running();
  void Signal(int signal);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status.
  int Stop(absl::Duration grace = absl::Seconds(5));
  // SIGKILL and reap. Returns the wait status.
  int Kill();
  // Waits up to `timeout` for the child to exit by itself; true if it did.
  bool WaitExit(absl::Duration timeout);
  // The wait status once exited (see <sys/wait.h>), -1 while running.
  int exit_status() const { return status_; }

 private:
  ChildProcess(pid_t pid, std::vector<std::string> argv) : pid_(pid), argv_(std::move(argv)) {}

  pid_t pid_;
  std::vector<std::string> argv_;
  int status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();
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

// Path of a binary built by this project (SWITCHBOARD_BUILD_DIR/relative).
std::string BuiltBinary(const std::string& relative_path);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_HARNESS_CHILD_PROCESS_H_
