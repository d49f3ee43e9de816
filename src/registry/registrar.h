// Keeps a server's instances registered in etcd, the way a production server
// needs it: under a lease (TTL) kept alive over the keep-alive stream;
// registered again, under a fresh lease, after the lease is lost (expired,
// revoked, or etcd restarted with its data wiped); retrying for as long as
// etcd is down and registering again within a second of it coming back;
// drained and deregistered on shutdown.
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
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/instance.h"
#include "etcd/etcd_client.h"

namespace switchboard {

struct RegistrarOptions {
  // Key prefix: keys are "<prefix><service>/<address>" (grpc-go uses "").
  std::string prefix;
  // Lease TTL; keep-alives go out every ttl/3.
  absl::Duration ttl = absl::Seconds(10);
  // Longest pause between attempts while etcd is unreachable.
  absl::Duration max_retry_delay = absl::Milliseconds(250);
  // How long Deregister() keeps trying to delete the keys.
  absl::Duration deregister_timeout = absl::Seconds(5);
};

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
  absl::Time since;
};

class Registrar {
 public:
  Registrar(std::shared_ptr<EtcdClient> client, RegistrarOptions options);
  ~Registrar();

  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Validates the instances and starts registering them in the background;
  // returns at once. InvalidArgument for a bad service name or address.
  absl::Status Start(std::vector<Instance> instances);
  // Blocks until registered (true) or the timeout passes (false).
  bool WaitRegistered(absl::Duration timeout);
  // Marks every instance draining (or not) and writes it. Waits up to the
  // client's request timeout for the write; on error the registrar keeps
  // retrying in the background.
  absl::Status SetDraining(bool draining);
  // Stops keep-alives, deletes the keys and revokes the lease, retrying for
  // up to `deregister_timeout`. Returns the etcd error when it could not
  // (the keys then expire with the lease).
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
  StreamCanceller canceller_;
  std::thread thread_;

  // Owned by the registrar's thread.
  int64_t lease_ = 0;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_REGISTRY_REGISTRAR_H_
