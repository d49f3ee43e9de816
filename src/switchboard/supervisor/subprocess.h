// A child process owned by a Switchboard command (`up` supervising etcd, the
// demo running greeter servers): started with fork/exec, in its own process
// group so that a Ctrl-C at the terminal reaches only the parent (which then
// stops its children in order), and killed by the kernel if the parent dies
// (PR_SET_PDEATHSIG), so nothing is ever left behind.
//
// Example:
//   auto server = Subprocess::Start({"greeter_server", "--listen=127.0.0.1:50051"},
//                                   {.log_path = "/tmp/greeter-1.log"});
//   if (!server.ok()) return server.status();   // names the binary
//   (*server)->Stop(absl::Seconds(5));            // SIGTERM, then SIGKILL
//
// Threading: a Subprocess is used from one thread at a time. Start children
// from a thread that outlives them: the kernel sends PR_SET_PDEATHSIG when
// the *thread* that forked the child exits, not only the process.
#ifndef SWITCHBOARD_SUPERVISOR_SUBPROCESS_H_
#define SWITCHBOARD_SUPERVISOR_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::supervisor {

struct SubprocessOptions {
  // Where stdout and stderr go (appended); empty: /dev/null.
  std::string log_path;
  // Extra environment ("NAME=value") on top of the parent's; a name the
  // parent has too takes this value.
  std::vector<std::string> env;
};

class Subprocess {
 public:
  // Starts argv[0] (searched in PATH when it has no '/'). NotFound, naming
  // the binary, when it cannot be executed.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(std::vector<std::string> argv,
                                                          SubprocessOptions options = {});
  ~Subprocess();  // Kill()s a child still running.

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has exited (reaps it when it has).
  bool Running();
  void Signal(int signal);
  // SIGTERM, up to `grace` to exit, then SIGKILL. Returns the wait status.
  int Stop(absl::Duration grace = absl::Seconds(5));
  // SIGKILL and reap. Returns the wait status.
  int Kill();
  // Waits up to `timeout` for the child to exit by itself.
  bool WaitExit(absl::Duration timeout);
  // The wait status once exited, -1 while running.
  int exit_status() const { return status_; }
  // "exited with 1", "killed by signal 9".
  std::string DescribeExit() const;

 private:
  Subprocess(pid_t pid, std::vector<std::string> argv) : pid_(pid), argv_(std::move(argv)) {}

  pid_t pid_;
  std::vector<std::string> argv_;
  int status_ = -1;
};

// Last-resort cleanup from a signal-handling thread that is about to end
// the process: SIGKILLs every Subprocess child still running and reaps it.
// Thread-safe; the Subprocess objects must not be used afterwards.
void KillAllSubprocessesForExit();

// A TCP port on 127.0.0.1 that was free a moment ago; an error when none.
absl::StatusOr<int> PickFreeLoopbackPort();
// True when a TCP connect to host:port succeeds within a short timeout.
bool CanConnect(const std::string& host, int port, absl::Duration timeout = absl::Milliseconds(200));

}  // namespace switchboard::supervisor

#endif  // SWITCHBOARD_SUPERVISOR_SUBPROCESS_H_
