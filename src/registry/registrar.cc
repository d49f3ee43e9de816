#include "registry/registrar.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/backoff.h"
#include "common/log.h"
#include "registry/naming_codec.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "registrar";
}  // namespace

const char* PhaseName(RegistrationPhase phase) {
  switch (phase) {
    case RegistrationPhase::kIdle: return "idle";
    case RegistrationPhase::kRegistering: return "registering";
    case RegistrationPhase::kRegistered: return "registered";
    case RegistrationPhase::kRetrying: return "retrying";
    case RegistrationPhase::kStopped: return "stopped";
  }
  return "unknown";
}

Registrar::Registrar(std::shared_ptr<EtcdClient> client, RegistrarOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

Registrar::~Registrar() { Stop(); }

absl::Status Registrar::Start(std::vector<Instance> instances) {
  if (instances.empty()) return absl::InvalidArgumentError("nothing to register");
  for (const Instance& instance : instances) {
    if (absl::Status s = ValidateInstance(instance); !s.ok()) return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return absl::FailedPreconditionError("registrar already started");
  instances_ = std::move(instances);
  ++generation_;
  state_ = {.phase = RegistrationPhase::kRegistering, .since = absl::Now()};
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

bool Registrar::WaitRegistered(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + timeout), [this] {
    return state_.phase == RegistrationPhase::kRegistered && written_ == generation_;
  });
}

RegistrationState Registrar::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::vector<Instance> Registrar::instances() const {
  std::lock_guard<std::mutex> lock(mu_);
  return instances_;
}

void Registrar::SetPhase(RegistrationPhase phase, absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.phase != phase) state_.since = absl::Now();
  state_.phase = phase;
  state_.last_error = std::move(error);
  state_.lease_id = lease_;
  cv_.notify_all();
}

bool Registrar::WaitForWork(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + timeout),
                 [this] { return stopping_ || written_ != generation_; });
  return stopping_;
}

void Registrar::Run() {
  Backoff backoff({.initial = absl::Milliseconds(50), .max = options_.max_retry_delay});
  while (true) {
    absl::Status status = RegisterAndKeepAlive();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    bool was_registered = state().phase == RegistrationPhase::kRegistered;
    if (was_registered) {
      backoff.Reset();
      SB_LOG(kWarn, kComponent, "registration interrupted: ", status.ToString(), "; retrying");
    } else if (backoff.attempts() == 0 || backoff.attempts() % 20 == 0) {
      SB_LOG(kWarn, kComponent, "cannot register (attempt ", backoff.attempts() + 1,
             "): ", status.ToString());
    }
    SetPhase(RegistrationPhase::kRetrying, status);
    if (WaitForWork(backoff.Next())) return;
  }
}

absl::Status Registrar::EnsureLease() {
  if (lease_ != 0) {
    absl::StatusOr<absl::Duration> ttl = client_->LeaseTimeToLive(lease_);
    if (!ttl.ok()) return ttl.status();
    if (*ttl > absl::ZeroDuration()) return absl::OkStatus();
    SB_LOG(kWarn, kComponent, "lease ", absl::Hex(lease_), " is gone (expired, revoked, or etcd lost its data); registering under a new one");
    lease_ = 0;
  }
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(options_.ttl);
  if (!lease.ok()) return lease.status();
  lease_ = *lease;
  std::lock_guard<std::mutex> lock(mu_);
  ++state_.registrations;
  written_ = 0;  // a new lease needs every key written again
  return absl::OkStatus();
}

absl::Status Registrar::WriteKeys(uint64_t generation) {
  std::vector<Instance> instances;
  {
    std::lock_guard<std::mutex> lock(mu_);
    instances = instances_;
  }
  // One transaction: a server's instances appear together or not at all.
  etcdserverpb::TxnRequest txn;
  for (const Instance& instance : instances) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(RegistryKey(options_.prefix, instance));
    put->set_value(EncodeInstanceValue(instance));
    put->set_lease(lease_);
  }
  absl::StatusOr<etcdserverpb::TxnResponse> response = client_->Txn(txn);
  std::lock_guard<std::mutex> lock(mu_);
  if (!response.ok()) {
    last_write_error_ = response.status();
    cv_.notify_all();
    return response.status();
  }
  written_ = generation;
  last_write_error_ = absl::OkStatus();
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status Registrar::RegisterAndKeepAlive() {
  if (absl::Status s = EnsureLease(); !s.ok()) return s;
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
  }
  // Written on every (re)connection, not only for a new lease: this also
  // restores keys deleted by hand while the lease lived on.
  if (absl::Status s = WriteKeys(generation); !s.ok()) return s;
  if (state().phase != RegistrationPhase::kRegistered) {
    SB_LOG(kInfo, kComponent, "registered ", instances().size(), " instance(s) under lease ",
           absl::Hex(lease_), " on ", client_->current_endpoint());
  }
  SetPhase(RegistrationPhase::kRegistered, absl::OkStatus());

  absl::StatusOr<std::unique_ptr<LeaseKeepAliveStream>> stream = client_->LeaseKeepAlive();
  if (!stream.ok()) return stream.status();
  if (!canceller_.Attach(stream->get())) return absl::CancelledError("stopping");
  auto detach = absl::MakeCleanup([this] { canceller_.Detach(); });

  const absl::Duration interval = std::max(absl::Milliseconds(100), options_.ttl / 3);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease_);
  while (true) {
    if (absl::Status s = (*stream)->Write(request); !s.ok()) return s;
    absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> response = (*stream)->Read();
    if (!response.ok()) return response.status();
    if (response->ttl() <= 0) {
      SB_LOG(kWarn, kComponent, "lease ", absl::Hex(lease_), " expired; registering again");
      lease_ = 0;
      return absl::NotFoundError(absl::StrCat("lease expired on ", (*stream)->endpoint()));
    }
    absl::Time next = absl::Now() + interval;
    while (absl::Now() < next) {
      if (WaitForWork(next - absl::Now())) return absl::CancelledError("stopping");
      uint64_t wanted;
      {
        std::lock_guard<std::mutex> lock(mu_);
        wanted = generation_;
        if (written_ == generation_) continue;
      }
      if (absl::Status s = WriteKeys(wanted); !s.ok()) return s;
    }
  }
}

absl::Status Registrar::SetDraining(bool draining) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!thread_.joinable()) return absl::FailedPreconditionError("registrar not running");
  for (Instance& instance : instances_) instance.metadata.draining = draining;
  uint64_t wanted = ++generation_;
  cv_.notify_all();
  bool written = cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + client_->options().request_timeout),
                                [&] { return written_ >= wanted || stopping_; });
  if (written && written_ >= wanted) return absl::OkStatus();
  return last_write_error_.ok()
             ? absl::DeadlineExceededError("draining flag not written yet; still retrying")
             : last_write_error_;
}

void Registrar::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  canceller_.Cancel();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  state_.phase = RegistrationPhase::kStopped;
}

absl::Status Registrar::Deregister() {
  Stop();
  std::vector<Instance> instances = this->instances();
  etcdserverpb::TxnRequest txn;
  for (const Instance& instance : instances) {
    txn.add_success()->mutable_request_delete_range()->set_key(RegistryKey(options_.prefix, instance));
  }
  // A busy or briefly unreachable etcd gets a few more tries: a record left
  // behind keeps drawing calls to a server that is going away.
  absl::Time deadline = absl::Now() + options_.deregister_timeout;
  Backoff backoff({.initial = absl::Milliseconds(50), .max = options_.max_retry_delay});
  absl::Status status;
  while (true) {
    status = client_->Txn(txn).status();
    if (status.ok() && lease_ != 0) {
      absl::Status revoke = client_->LeaseRevoke(lease_);
      // The keys are gone; a lease that cannot be revoked just expires.
      if (!revoke.ok()) SB_LOG(kDebug, kComponent, "lease revoke: ", revoke.ToString());
    }
    absl::Duration pause = backoff.Next();
    if (status.ok() || absl::Now() + pause >= deadline) break;
    absl::SleepFor(pause);
  }
  if (status.ok()) {
    SB_LOG(kInfo, kComponent, "deregistered ", instances.size(), " instance(s)");
  } else {
    SB_LOG(kWarn, kComponent, "deregistration failed (keys expire with the lease): ", status.ToString());
  }
  return status;
}

}  // namespace switchboard
