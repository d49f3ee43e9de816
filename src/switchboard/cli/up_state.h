// How the other subcommands find a running `switchboard up`: `up` holds an
// exclusive lock on <data-dir>/up.lock for as long as it runs and writes
// <data-dir>/up.json with its pid, etcd endpoint and xDS address. A second
// `up` finds the lock taken and says who holds it instead of fighting over
// ports; `ls`, `register`, `watch`, `xds` and `bootstrap` read up.json for
// their defaults.
//
// Example:
//   std::string dir = DefaultDataDir(std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
//   absl::StatusOr<UpLock> lock = UpLock::Acquire(dir);   // AlreadyExists: one runs
//   WriteUpState(dir, {.pid = getpid(), .etcd = "127.0.0.1:2379", .xds = "127.0.0.1:18000"});
//   std::optional<UpState> running = FindRunningUp(dir);
//
// Encode/Decode and DefaultDataDir are pure; the rest touch the file system.
#ifndef SWITCHBOARD_CLI_UP_STATE_H_
#define SWITCHBOARD_CLI_UP_STATE_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::cli {

struct UpState {
  pid_t pid = 0;
  // etcd client endpoints, "host:port[,host:port]".
  std::string etcd;
  // Where the xDS control plane listens, "host:port".
  std::string xds;
  // True when `up` runs etcd itself (false with --etcd).
  bool managed_etcd = true;
  std::string data_dir;
  // Where its HTTP server (dashboard, /metrics, /api/) listens, "host:port";
  // "" when it has none (an up.json from an older version).
  std::string http;

  friend bool operator==(const UpState&, const UpState&) = default;
};

std::string EncodeUpState(const UpState& state);
// InvalidArgument naming the problem when `text` is not an up.json.
absl::StatusOr<UpState> DecodeUpState(absl::string_view text);

// $XDG_STATE_HOME/switchboard, else $HOME/.local/state/switchboard, else
// ./.switchboard. Either argument may be null.
std::string DefaultDataDir(const char* xdg_state_home, const char* home);
// DefaultDataDir from this process's environment.
std::string DefaultDataDir();

std::string UpStatePath(absl::string_view data_dir);
std::string UpLockPath(absl::string_view data_dir);

// The exclusive lock that says "an `up` runs on this data dir". Released
// when destroyed (or when the process dies: it is an flock).
class UpLock {
 public:
  // Creates the data dir if needed. AlreadyExists (naming the pid and the
  // endpoints of the one running) when another `up` holds it.
  static absl::StatusOr<UpLock> Acquire(const std::string& data_dir);
  UpLock(UpLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UpLock& operator=(UpLock&&) = delete;
  ~UpLock();

 private:
  explicit UpLock(int fd) : fd_(fd) {}
  int fd_;
};

// Atomically replaces up.json.
absl::Status WriteUpState(const std::string& data_dir, const UpState& state);
void RemoveUpState(const std::string& data_dir);
// The state of the `up` running on `data_dir`: up.json exists, decodes, and
// its lock is held. nullopt otherwise (a stale file from a crashed `up` is
// ignored).
std::optional<UpState> FindRunningUp(const std::string& data_dir);

// The etcd endpoints a subcommand should use: `flag` when given, else the
// running up's, else 127.0.0.1:2379.
std::string ResolveEtcdEndpoints(const std::string& flag, const std::string& data_dir);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_UP_STATE_H_
