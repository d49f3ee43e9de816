// Keeps a server's instances registered in etcd, the way a production server
// needs it: under a lease (TTL) kept alive over the keep-alive stream;
// registered again, under a fresh lease, after the lease is lost (expired,
// revoked, or etcd restarted with its data wiped); retrying for as long as
// etcd is down and registering again within a second of it coming back;
// drained and deregistered on shutdown.
//
// Against a cluster it keeps the lease alive through a slow, frozen or
// partitioned member: every keep-alive must be answered within
// `keepalive_answer_timeout`, or the registrar moves to another member and
// keeps the same lease alive there, well before the TTL runs out.
//
// It also guards its keys (anti-entropy): a watch on them sees a record
// deleted or overwritten behind its back while the lease lives, and writes
// it again at once, logging what it found. A record taken over by another
// live registrant (another lease: a server and a sidecar registering the
// same address) is reported and left alone, never fought over; it is
// written again once that registrant's record goes away. Deregistering
// revokes the lease, which removes only the keys still under it.
//
// Example:
//   auto client = EtcdClient::Create({.endpoints = {"127.0.0.1:2379"}});
//   Registrar registrar(std::move(*client), {.ttl = absl::Seconds(10)});
//   registrar.Start({{"greeter", "10.0.0.1:50051", {.weight = 2}}});
//   ...
//   registrar.SetDraining(true);   // clients move away
//   registrar.Deregister();        // keys deleted, lease revoked
//
// Threading: all methods are thread-safe. The registrar owns one thread
// that talks to etcd; Deregister() and the destructor join it. The
// destructor does not delete the keys: they expire with the lease, as they
// would if the process died.
#ifndef SWITCHBOARD_REGISTRY_REGISTRAR_H_
#define SWITCHBOARD_REGISTRY_REGISTRAR_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/core/instance.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {

struct RegistrarOptions {
  // Key prefix: keys are "<prefix><service>/<address>" (grpc-go uses "").
  std::string prefix;
  // Lease TTL, whole seconds, at least kMinRegistrationTtl; keep-alives go
  // out every ttl/3.
  absl::Duration ttl = absl::Seconds(10);
  // How long a keep-alive may go unanswered before the member is taken for
  // frozen and another one is used; 0: ttl/5, between 200 ms and 2 s.
  absl::Duration keepalive_answer_timeout = absl::ZeroDuration();
  // Longest pause between attempts while etcd is unreachable.
  absl::Duration max_retry_delay = absl::Milliseconds(250);
  // How long Deregister() keeps trying to delete the keys.
  absl::Duration deregister_timeout = absl::Seconds(5);
  // Told each answered keep-alive's round trip, on the registrar's thread
  // (metrics); must be quick. May be empty.
  std::function<void(absl::Duration)> on_keepalive_answer;
};

// etcd grants leases in whole seconds; under a second it silently grants
// one second, so shorter TTLs are refused rather than misreported.
inline constexpr absl::Duration kMinRegistrationTtl = absl::Seconds(1);

// Checks `options` (the TTL) before a registrar starts.
absl::Status ValidateRegistrarOptions(const RegistrarOptions& options);

enum class RegistrationPhase {
  kIdle,        // not started
  kRegistering, // first attempt under way
  kRegistered,  // keys written under a live lease
  kRetrying,    // etcd unreachable or the lease lost; trying again
  kStopped,     // deregistered or stopped
};

const char* PhaseName(RegistrationPhase phase);

struct RegistrationState {
  RegistrationPhase phase = RegistrationPhase::kIdle;
  // Why the last attempt failed (OK once registered).
  absl::Status last_error;
  int64_t lease_id = 0;
  // How many times the keys were written under a new lease.
  int registrations = 0;
  // Keys found deleted or overwritten behind the registrar's back, and
  // written again.
  int restored = 0;
  // Keys another live registrant holds now (left to it, see above).
  std::vector<std::string> conflicts;
  absl::Time since;
};

class Registrar {
 public:
  Registrar(std::shared_ptr<EtcdClient> client, RegistrarOptions options);
  ~Registrar();

  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Validates the instances and starts registering them in the background;
  // returns at once. InvalidArgument for a bad service name or address, or
  // a TTL that etcd cannot grant.
  absl::Status Start(std::vector<Instance> instances);
  // Blocks until registered (true) or the timeout passes (false).
  bool WaitRegistered(absl::Duration timeout);
  // Marks every instance draining (or not) and writes it. Waits up to the
  // client's request timeout for the write; on error the registrar keeps
  // retrying in the background.
  absl::Status SetDraining(bool draining);
  // Stops keep-alives and revokes the lease (which deletes the keys still
  // under it), retrying for up to `deregister_timeout`. Returns the etcd
  // error when it could not (the keys then expire with the lease).
  absl::Status Deregister();
  // Stops keep-alives without deleting anything.
  void Stop();

  RegistrationState state() const;
  std::vector<Instance> instances() const;
  const RegistrarOptions& options() const { return options_; }

 private:
  void Run();
  // Makes sure a lease exists and the keys are written under it, then keeps
  // the lease alive until something fails; returns that failure.
  absl::Status RegisterAndKeepAlive();
  absl::Status EnsureLease();
  absl::Status WriteKeys(uint64_t generation);
  // The guard's thread: watches the keys once written, and asks for them
  // to be written again when they are deleted or overwritten.
  void GuardKeys();
  // One event on a guarded key.
  void Inspect(const mvccpb::Event& event);
  void SetPhase(RegistrationPhase phase, absl::Status error);
  // Waits up to `timeout` for a stop or a new generation; true if stopping.
  bool WaitForWork(absl::Duration timeout);

  const std::shared_ptr<EtcdClient> client_;
  const RegistrarOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Instance> instances_ ABSL_GUARDED_BY(mu_);
  // Bumped when instances_ changes; written_ says which one etcd holds.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_write_error_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  RegistrationState state_ ABSL_GUARDED_BY(mu_);
  // Every lease this registrar wrote keys under: events under them are its own.
  std::set<int64_t> own_leases_ ABSL_GUARDED_BY(mu_);
  // Keys another registrant holds: not written until they are deleted.
  std::set<std::string> conflicts_ ABSL_GUARDED_BY(mu_);
  // The store revision of the last write of the keys; the guard watches
  // from just after it. 0 until the first write.
  int64_t written_revision_ ABSL_GUARDED_BY(mu_) = 0;
  StreamCanceller canceller_;
  StreamCanceller guard_canceller_;
  std::thread thread_;
  std::thread guard_thread_;

  // Owned by the registrar's thread.
  int64_t lease_ = 0;
  bool warned_granted_ttl_ = false;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_REGISTRY_REGISTRAR_H_
