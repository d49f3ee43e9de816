#include "switchboard/registry/registrar.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/common/backoff.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/stream_watchdog.h"
#include "switchboard/etcd/watch_runner.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "registrar";

// A value quoted in a log line: short and printable, whatever it holds.
std::string Excerpt(absl::string_view value) {
  constexpr size_t kMax = 120;
  std::string out;
  for (char c : value.substr(0, kMax)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  if (value.size() > kMax) absl::StrAppend(&out, "... (", value.size(), " bytes)");
  return out;
}

absl::Duration KeepAliveAnswerTimeout(const RegistrarOptions& options) {
  if (options.keepalive_answer_timeout > absl::ZeroDuration()) return options.keepalive_answer_timeout;
  return std::clamp(options.ttl / 5, absl::Milliseconds(200), absl::Seconds(2));
}

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

absl::Status ValidateRegistrarOptions(const RegistrarOptions& options) {
  if (options.ttl < kMinRegistrationTtl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TTL ", absl::FormatDuration(options.ttl), " is too short: etcd grants leases of at least ",
        absl::FormatDuration(kMinRegistrationTtl)));
  }
  if (absl::Trunc(options.ttl, absl::Seconds(1)) != options.ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TTL ", absl::FormatDuration(options.ttl),
        " is not a whole number of seconds: etcd grants leases in seconds"));
  }
  return absl::OkStatus();
}

Registrar::Registrar(std::shared_ptr<EtcdClient> client, RegistrarOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

Registrar::~Registrar() { Stop(); }

absl::Status Registrar::Start(std::vector<Instance> instances) {
  if (instances.empty()) return absl::InvalidArgumentError("nothing to register");
  if (absl::Status s = ValidateRegistrarOptions(options_); !s.ok()) return s;
  for (const Instance& instance : instances) {
    if (absl::Status s = ValidateInstance(instance); !s.ok()) return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return absl::FailedPreconditionError("registrar already started");
  instances_ = std::move(instances);
  ++generation_;
  state_ = {.phase = RegistrationPhase::kRegistering, .since = absl::Now()};
  thread_ = std::thread([this] { Run(); });
  guard_thread_ = std::thread([this] { GuardKeys(); });
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
  RegistrationState state = state_;
  state.conflicts.assign(conflicts_.begin(), conflicts_.end());
  return state;
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
    // The first retry after losing a member goes at once: another member
    // may answer, and the lease is running out.
    if (WaitForWork(was_registered ? absl::ZeroDuration() : backoff.Next())) return;
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
  absl::Duration granted;
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(options_.ttl, &granted);
  if (!lease.ok()) return lease.status();
  if (granted != options_.ttl && !warned_granted_ttl_) {
    warned_granted_ttl_ = true;
    SB_LOG(kWarn, kComponent, "etcd granted a TTL of ", absl::FormatDuration(granted), " for the ",
           absl::FormatDuration(options_.ttl), " asked (its minimum lease TTL): a dead server's "
           "record lingers that long");
  }
  lease_ = *lease;
  std::lock_guard<std::mutex> lock(mu_);
  ++state_.registrations;
  own_leases_.insert(lease_);
  written_ = 0;  // a new lease needs every key written again
  return absl::OkStatus();
}

absl::Status Registrar::WriteKeys(uint64_t generation) {
  std::vector<Instance> instances;
  std::set<std::string> conflicts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    instances = instances_;
    conflicts = conflicts_;
  }
  // One transaction: a server's instances appear together or not at all.
  etcdserverpb::TxnRequest txn;
  for (const Instance& instance : instances) {
    std::string key = RegistryKey(options_.prefix, instance);
    if (conflicts.count(key) != 0) continue;  // another registrant's now
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(key);
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
  if (written_revision_ == 0) written_revision_ = response->header().revision();
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
  // restores keys deleted while the guard could not see it.
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
  // Destroyed before the stream.
  StreamWatchdog watchdog(stream->get());

  const absl::Duration interval = std::max(absl::Milliseconds(100), options_.ttl / 3);
  const absl::Duration answer_timeout = KeepAliveAnswerTimeout(options_);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease_);
  while (true) {
    const absl::Time sent = absl::Now();
    if (absl::Status s = (*stream)->Write(request); !s.ok()) return s;
    watchdog.ExpectAnswerWithin(answer_timeout);
    absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> response = (*stream)->Read();
    watchdog.Answered();
    if (response.ok() && options_.on_keepalive_answer) options_.on_keepalive_answer(absl::Now() - sent);
    if (!response.ok()) {
      if (canceller_.cancelled()) return absl::CancelledError("stopping");
      std::string why = watchdog.fired()
          ? absl::StrCat("no keep-alive answer within ", absl::FormatDuration(answer_timeout),
                         " (member frozen, overloaded or cut off)")
          : std::string(response.status().message());
      client_->ReportFailure((*stream)->endpoint(), why);
      return absl::UnavailableError(absl::StrCat("etcd ", (*stream)->endpoint(), ": lease ",
                                                 absl::Hex(lease_), ": ", why));
    }
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

void Registrar::GuardKeys() {
  Backoff backoff({.initial = absl::Milliseconds(50), .max = absl::Seconds(1)});
  int64_t seen = 0;  // the last revision inspected
  while (true) {
    std::set<std::string> keys;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || written_revision_ != 0; });
      if (stopping_) return;
      if (seen == 0) seen = written_revision_;
      for (const Instance& instance : instances_) keys.insert(RegistryKey(options_.prefix, instance));
    }
    // One watch over the range spanning the keys; events on other keys in
    // it are ignored.
    etcdserverpb::WatchCreateRequest create;
    create.set_key(*keys.begin());
    create.set_range_end(*keys.rbegin() + std::string(1, '\0'));
    create.set_start_revision(seen + 1);
    absl::Status status = RunWatch(*client_, create, guard_canceller_, {.seen_revision = seen},
                                   [&](const etcdserverpb::WatchResponse& response) {
      for (const mvccpb::Event& event : response.events()) {
        if (keys.count(event.kv().key()) != 0) Inspect(event);
        seen = std::max(seen, event.kv().mod_revision());
      }
      backoff.Reset();
      return absl::OkStatus();
    });
    if (status.code() == absl::StatusCode::kCancelled) return;
    if (status.code() == absl::StatusCode::kOutOfRange ||
        status.code() == absl::StatusCode::kDataLoss) {
      // History gone: what it held cannot be inspected; write the keys again.
      std::lock_guard<std::mutex> lock(mu_);
      seen = 0;
      written_revision_ = 0;
      written_ = 0;
      cv_.notify_all();
    }
    SB_LOG(kDebug, kComponent, "key guard: ", status.ToString());
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff.Next()), [this] { return stopping_; });
    if (stopping_) return;
  }
}

void Registrar::Inspect(const mvccpb::Event& event) {
  const std::string& key = event.kv().key();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (event.type() == mvccpb::Event::DELETE) {
    if (conflicts_.erase(key) != 0) {
      SB_LOG(kWarn, kComponent, "key ", key, ": the other registrant's record is gone; writing ours again");
    } else {
      SB_LOG(kWarn, kComponent, "key ", key, " was deleted while lease ", absl::Hex(lease_),
             " lives (by hand, or by a process that registered the same address); writing it again");
    }
    ++state_.restored;
    written_ = 0;
    cv_.notify_all();
    return;
  }
  int64_t lease = event.kv().lease();
  if (own_leases_.count(lease) != 0) return;  // our own write
  if (lease == 0) {
    SB_LOG(kWarn, kComponent, "key ", key, " was overwritten by a write with no lease (value: ",
           Excerpt(event.kv().value()), "); writing ours again");
    ++state_.restored;
    written_ = 0;
    cv_.notify_all();
    return;
  }
  // Another live registrant wrote it: two of them for one address. Writing
  // back would only start a tug of war; say so and leave it to the other.
  if (conflicts_.insert(key).second) {
    SB_LOG(kError, kComponent, "key ", key, " is also registered by another process (lease ",
           absl::Hex(lease), ", value: ", Excerpt(event.kv().value()),
           "); leaving it to that process while its record lives. Two registrants for one "
           "address: stop one of them (a sidecar and a server registering itself?)");
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
  guard_canceller_.Cancel();
  if (thread_.joinable()) thread_.join();
  if (guard_thread_.joinable()) guard_thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  state_.phase = RegistrationPhase::kStopped;
}

absl::Status Registrar::Deregister() {
  Stop();
  std::vector<Instance> instances = this->instances();
  std::vector<std::string> keys;
  for (const Instance& instance : instances) keys.push_back(RegistryKey(options_.prefix, instance));
  if (lease_ == 0) return absl::OkStatus();  // nothing was written under a live lease
  // Revoking the lease deletes every key still under it, and none that
  // another registrant took over. A busy or briefly unreachable etcd gets
  // a few more tries: a record left behind keeps drawing calls to a server
  // that is going away.
  absl::Time deadline = absl::Now() + options_.deregister_timeout;
  Backoff backoff({.initial = absl::Milliseconds(50), .max = options_.max_retry_delay});
  absl::Status status;
  while (true) {
    status = client_->LeaseRevoke(lease_, deadline - absl::Now());
    // A lease etcd no longer knows took its keys with it.
    if (absl::IsNotFound(status) || absl::StrContains(status.message(), "lease not found")) {
      status = absl::OkStatus();
    }
    absl::Duration pause = backoff.Next();
    if (status.ok() || absl::Now() + pause >= deadline) break;
    absl::SleepFor(pause);
  }
  if (status.ok()) {
    SB_LOG(kInfo, kComponent, "deregistered ", instances.size(), " instance(s)");
  } else {
    SB_LOG(kWarn, kComponent, "could not deregister ", absl::StrJoin(keys, ", "), " within ",
           absl::FormatDuration(options_.deregister_timeout), ": ", status.ToString(),
           "; the record stays until its lease expires, within ",
           absl::FormatDuration(options_.ttl));
  }
  return status;
}

}  // namespace switchboard
