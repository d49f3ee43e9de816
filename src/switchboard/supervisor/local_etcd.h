// A single-node etcd on loopback, run as a child process from Debian's
// etcd-server binary: what `switchboard up` supervises and what the demo
// stops and starts again to show that calls survive a registry outage.
//
// Raft timings are shortened (heartbeat 10 ms, election 50 ms) and fsync is
// off unless LocalEtcdOptions::fsync, so a start takes well under a second:
// fit for a developer machine and a demo, not for data that must survive a
// power cut.
//
// Example:
//   LocalEtcd etcd({.data_dir = "/tmp/sb/etcd", .client_port = 2379, .peer_port = 2380});
//   if (absl::Status s = etcd.Start(); !s.ok()) return s;  // waits for /health
//   std::string endpoint = etcd.endpoint();              // "127.0.0.1:2379"
//   etcd.Stop();                                          // SIGTERM, data kept
//   etcd.Start();                                         // same ports, same data
//
// Threading: one thread at a time (EtcdSupervisor serialises its own use).
#ifndef SWITCHBOARD_SUPERVISOR_LOCAL_ETCD_H_
#define SWITCHBOARD_SUPERVISOR_LOCAL_ETCD_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/supervisor/subprocess.h"

namespace switchboard::supervisor {

struct LocalEtcdOptions {
  // Holds the member's data ("member/") and its log (etcd.log).
  std::string data_dir;
  std::string host = "127.0.0.1";
  int client_port = 2379;
  int peer_port = 2380;
  std::string binary = "etcd";
  std::string name = "switchboard";
  absl::Duration ready_timeout = absl::Seconds(20);
  // A member of a larger cluster: "name=http://host:port,..." naming every
  // member by its advertised peer URL. Empty: a cluster of this one member.
  std::string initial_cluster;
  // Keeps clusters started side by side apart; empty: etcd's default.
  std::string initial_cluster_token;
  // The peer port the other members are told to dial, when something (a
  // test's network bridge) forwards it to peer_port. 0: peer_port itself.
  int advertise_peer_port = 0;
  // fsync off (the default) makes writes fast but loses the last writes on
  // a power cut or kernel crash; true makes etcd sync its log to disk.
  bool fsync = false;
  // TLS on the client port (PEM files): etcd's --cert-file and --key-file;
  // with client_ca_file also --trusted-ca-file and --client-cert-auth
  // (clients must show a certificate signed by it). /health is then asked
  // on metrics_port, plain HTTP on `host` (etcd's --listen-metrics-urls),
  // which TLS needs.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  int metrics_port = 0;
};

class LocalEtcd {
 public:
  explicit LocalEtcd(LocalEtcdOptions options);
  ~LocalEtcd();  // kills a running etcd

  // Launches etcd and waits until /health says true. Errors name the
  // endpoint and carry the tail of etcd's log (e.g. "address already in use").
  absl::Status Start();
  // Launches etcd without waiting: a member of a new cluster cannot be
  // healthy before a majority of its peers run too. Then WaitHealthy().
  absl::Status Launch();
  // Waits up to `timeout` until /health says true; errors as Start()'s.
  absl::Status WaitHealthy(absl::Duration timeout);
  // SIGTERM, a few seconds' grace, then SIGKILL. The data is kept.
  void Stop();
  // kill -9.
  void Kill();
  // Any other signal: SIGSTOP freezes etcd with its sockets open, SIGCONT
  // thaws it.
  void Signal(int signal);
  // Deletes the member's data, as if the machine had been replaced. Refused
  // while etcd runs.
  absl::Status WipeData();
  // True while the process runs (it may not be healthy yet).
  bool Running();
  // GET /health on the client port answers {"health":"true"}.
  bool Healthy() const;
  // "127.0.0.1:2379".
  std::string endpoint() const;
  std::string log_path() const;
  // The last lines of etcd's log, for error messages.
  std::string LogTail(size_t max_bytes = 1500) const;
  // "exited with 1" etc., once the process has stopped.
  std::string DescribeExit() const;
  const LocalEtcdOptions& options() const { return options_; }
  // The process id while running (for finding its sockets), else -1.
  pid_t pid();

 private:
  const LocalEtcdOptions options_;
  std::unique_ptr<Subprocess> process_;
};

// True once GET /health on host:port answers {"health":"true"}.
bool EtcdHealthy(const std::string& host, int port);

// Keeps a LocalEtcd running: starts it, watches it, and starts it again
// (with exponential backoff) whenever it dies, for `switchboard up`.
//
// Threading: thread-safe. Start() blocks until the first start succeeded or
// failed; the supervision runs on its own thread; Stop() joins it.
class EtcdSupervisor {
 public:
  // Called on the supervisor's thread after each restart (or failed one).
  using EventCallback = std::function<void(const std::string& message)>;

  EtcdSupervisor(LocalEtcdOptions options, EventCallback on_event);
  ~EtcdSupervisor();

  absl::Status Start();
  // Launches etcd without waiting: a member of a new cluster cannot be
  // healthy before a majority of its peers run too. Then WaitHealthy().
  absl::Status Launch();
  // Waits up to `timeout` until /health says true; errors as Start()'s.
  absl::Status WaitHealthy(absl::Duration timeout);
  void Stop();
  std::string endpoint() const { return etcd_.endpoint(); }
  int restarts() const;

 private:
  void Run();

  LocalEtcd etcd_;
  EventCallback on_event_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int restarts_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace switchboard::supervisor

#endif  // SWITCHBOARD_SUPERVISOR_LOCAL_ETCD_H_
