// `switchboard proxy`'s engine: runs HAProxy from Debian's package as a
// supervised child (restarted with backoff when it dies), and keeps the
// servers of its backends equal to what the lookup sources say: the same
// sources and snapshots as the xDS control plane, a third output beside
// xDS and embedded discovery.
//
// Each round (at once after a source's update or a restart of HAProxy,
// else every `resync_interval`) the driver reads every backend's servers
// from the runtime API, plans the smallest change (runtime_plan.h) and
// sends it. Planning from what HAProxy reports, not from what was sent
// before, is what makes a restarted HAProxy (which has lost every dynamic
// server) get all of them again, and a refused `del server` (calls still in
// flight) be tried again.
//
// Example:
//   auto driver = HaproxyDriver::Start(std::move(sources),
//       {.config = {.listens = {{"greeter", {"127.0.0.1", 9001}}}}, .data_dir = "/tmp/p"});
//   if (!driver.ok()) return driver.status();   // haproxy missing, port taken...
//   (*driver)->WaitUntilInSync(absl::Seconds(5));
//   (*driver)->Stop();
//
// Threading: thread-safe. Start() and Stop() block; sources call in on
// their own threads and only wake the driver's one worker thread, which
// alone talks to HAProxy and restarts it.
#ifndef SWITCHBOARD_PROXY_HAPROXY_DRIVER_H_
#define SWITCHBOARD_PROXY_HAPROXY_DRIVER_H_

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/common/backoff.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/proxy/haproxy_config.h"
#include "switchboard/proxy/runtime_plan.h"
#include "switchboard/supervisor/subprocess.h"

namespace switchboard::proxy {

struct HaproxyDriverOptions {
  // Listeners and services; runtime_socket is set to <data_dir>/haproxy.sock
  // when empty.
  ProxyConfig config;
  // Holds haproxy.cfg, haproxy.sock and haproxy.log; created if missing.
  std::string data_dir;
  std::string binary = "haproxy";
  PlanOptions plan;
  absl::Duration resync_interval = absl::Seconds(1);
  // Changes are held until every source has answered once, or this long.
  absl::Duration initial_sync_timeout = absl::Seconds(3);
  BackoffOptions restart_backoff{.initial = absl::Milliseconds(100), .max = absl::Seconds(5)};
  absl::Duration ready_timeout = absl::Seconds(10);
  // Restarts, refused commands, services nobody proxies and source errors,
  // for the log. Called on the worker thread, or a source's.
  std::function<void(const std::string&)> on_event;
};

struct HaproxyDriverStats {
  pid_t haproxy_pid = -1;
  int restarts = 0;
  // Rounds after which every backend equalled its service.
  uint64_t rounds_in_sync = 0;
  uint64_t commands_sent = 0;
  uint64_t commands_refused = 0;
  bool in_sync = false;
  std::string last_error;
};

class HaproxyDriver {
 public:
  // Validates the configuration, writes haproxy.cfg, starts HAProxy and
  // waits until its runtime API answers, then starts the sources. Errors:
  // InvalidArgument (the configuration), NotFound (no haproxy binary),
  // FailedPrecondition (HAProxy older than 2.6),
  // Unavailable (a listen address in use, or HAProxy exited: its log's tail).
  static absl::StatusOr<std::unique_ptr<HaproxyDriver>> Start(
      std::vector<std::unique_ptr<LookupSource>> sources, HaproxyDriverOptions options);
  ~HaproxyDriver();  // Stop()s.
  HaproxyDriver(const HaproxyDriver&) = delete;
  HaproxyDriver& operator=(const HaproxyDriver&) = delete;

  // Stops the sources and the worker, then HAProxy. Idempotent.
  void Stop();

  // True once a round found every backend equal to its service (after
  // `since_round` such rounds), false at the timeout.
  bool WaitUntilInSync(absl::Duration timeout, uint64_t since_round = 0);
  HaproxyDriverStats Stats() const;
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }

 private:
  class SourceObserver;

  HaproxyDriver(std::vector<std::unique_ptr<LookupSource>> sources, HaproxyDriverOptions options);
  // `haproxy -v` is 2.6 or later; NotFound when it does not run.
  absl::Status CheckVersion();
  absl::Status Launch();
  void WorkerLoop();
  // One round; true when every backend was already equal or was made so.
  bool SyncOnce(const Snapshot& snapshot);
  void Event(const std::string& message);
  void Wake();

  HaproxyDriverOptions options_;
  std::string config_path_;
  std::string log_path_;
  std::vector<std::unique_ptr<LookupSource>> sources_;
  std::vector<std::unique_ptr<SourceObserver>> observers_;
  absl::Time started_at_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  HaproxyDriverStats stats_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> reported_ ABSL_GUARDED_BY(mu_);

  // Worker thread only (and Start()/Stop() outside it).
  std::unique_ptr<supervisor::Subprocess> haproxy_;
  Backoff restart_backoff_;
  std::thread worker_;
};

}  // namespace switchboard::proxy

#endif  // SWITCHBOARD_PROXY_HAPROXY_DRIVER_H_
