#include "switchboard/lookup/etcd/etcd_watcher.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/common/backoff.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/watch_runner.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "watcher";

}  // namespace

EtcdWatcher::EtcdWatcher(std::shared_ptr<EtcdClient> client, EtcdWatcherOptions options,
                         EtcdWatcherProgress* progress)
    : client_(std::move(client)),
      options_(std::move(options)),
      progress_(progress),
      watch_prefix_(options_.service.empty() ? options_.prefix
                                             : ServiceKeyPrefix(options_.prefix, options_.service)) {}

EtcdWatcher::~EtcdWatcher() { Stop(); }

std::string EtcdWatcher::Describe() const {
  return absl::StrCat("etcd://", absl::StrJoin(client_->options().endpoints, ","), "/",
                      watch_prefix_);
}

void EtcdWatcher::Start(LookupObserver* observer) {
  SetObserver(observer);
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  canceller_.Reset();
  thread_ = std::thread([this] { Run(); });
}

void EtcdWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  canceller_.Cancel();
  if (thread_.joinable()) thread_.join();
  SetObserver(nullptr);
}

bool EtcdWatcher::Stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void EtcdWatcher::Run() {
  Backoff backoff({.initial = absl::Milliseconds(50), .max = options_.max_retry_delay});
  while (true) {
    int64_t lists_before = lists_.load();
    absl::Status status = ListAndWatch();
    if (Stopping()) return;
    bool first_failure;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first_failure = degraded_since_ == absl::InfiniteFuture();
      if (first_failure) degraded_since_ = absl::Now();
    }
    // A list or watch that went through means etcd answered: start backing
    // off anew, and say once that the view may now be stale.
    if (lists_.load() != lists_before || first_failure) backoff.Reset();
    SB_LOG(kDebug, kComponent, Describe(), ": ", status.ToString());
    if (first_failure || backoff.attempts() % 20 == 0) {
      SB_LOG(kWarn, kComponent, Describe(), ": ", status.ToString(),
             "; serving the last ", Current()->size(), " instance(s), which may be stale, and retrying");
    }
    ReportError(status);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff.Next()), [this] { return stopping_; });
    if (stopping_) return;
  }
}

void EtcdWatcher::Apply(const std::string& key, const std::string& value, int64_t mod_revision) {
  // Route overrides and other configuration kept beside the registry.
  if (IsConfigKey(options_.prefix, key)) return;
  absl::StatusOr<Instance> instance = DecodeInstance(options_.prefix, key, value);
  if (instance.ok() && !options_.service.empty() && instance->service != options_.service) {
    // "<service>/x/<addr>" lies under the watched "<service>/" but is an
    // instance of "<service>/x": not asked for.
    Erase(key);
    return;
  }
  if (instance.ok()) {
    auto [it, inserted] = records_.try_emplace(key);
    // A key keeps its service, but note the old one should it ever differ.
    if (!inserted) touched_.insert(it->second.service);
    touched_.insert(instance->service);
    it->second = std::move(*instance);
    reported_skips_.erase(key);
    return;
  }
  // A malformed record describes no instance: whatever the key held before
  // is gone, and nothing else is touched.
  Erase(key);
  ++skipped_;
  auto [it, inserted] = reported_skips_.try_emplace(key, mod_revision);
  if (inserted || it->second != mod_revision) {
    it->second = mod_revision;
    SB_LOG(kWarn, kComponent, "skipping ", instance.status().message());
  }
}

void EtcdWatcher::Erase(const std::string& key) {
  auto it = records_.find(key);
  if (it == records_.end()) return;
  touched_.insert(it->second.service);
  records_.erase(it);
}

void EtcdWatcher::PublishTouched(int64_t revision) {
  // One event touches one service: rebuild its list only and diff only it,
  // not 10,000 instances per event.
  std::map<std::string, std::vector<Instance>> replaced;
  for (const std::string& service : touched_) {
    std::vector<Instance>& list = replaced[service];
    // A service's keys all start with "<prefix><service>/" (DecodeInstance
    // takes the service from the key), so they sit together in records_.
    std::string first_key = absl::StrCat(options_.prefix, service, "/");
    for (auto it = records_.lower_bound(first_key);
         it != records_.end() && absl::StartsWith(it->first, first_key); ++it) {
      // "<service>/x/<addr>" belongs to service "<service>/x".
      if (it->second.service == service) list.push_back(it->second);
    }
  }
  SnapshotPtr before = Current();
  SnapshotPtr after = Snapshot::WithServices(*before, std::move(replaced), revision);
  Changeset changes = Publish(after, DiffServices(*before, *after, touched_));
  touched_.clear();
  if (!changes.empty()) {
    SB_LOG(kDebug, kComponent, Describe(), " at revision ", revision, ": ", changes.Summary());
  }
}

void EtcdWatcher::PublishRecords(int64_t revision) {
  touched_.clear();
  std::vector<Instance> instances;
  instances.reserve(records_.size());
  for (const auto& [key, instance] : records_) instances.push_back(instance);
  Changeset changes = Publish(Snapshot::Create(std::move(instances), revision));
  if (!changes.empty()) {
    SB_LOG(kDebug, kComponent, Describe(), " at revision ", revision, ": ", changes.Summary());
  }
}

absl::Status EtcdWatcher::List() {
  absl::StatusOr<RangeResult> range = client_->GetPrefix(watch_prefix_);
  if (!range.ok()) return range.status();
  ++lists_;
  records_.clear();
  for (const KeyValue& kv : range->kvs) Apply(kv.key, kv.value, kv.mod_revision);
  PublishRecords(range->revision);
  revision_ = range->revision;
  if (progress_ != nullptr) progress_->OnListed(range->revision);
  return absl::OkStatus();
}

absl::Status EtcdWatcher::ListAndWatch() {
  if (revision_ == 0) {
    if (absl::Status s = List(); !s.ok()) return s;
  }
  etcdserverpb::WatchCreateRequest create;
  create.set_key(watch_prefix_.empty() ? std::string(1, '\0') : watch_prefix_);
  create.set_range_end(PrefixRangeEnd(watch_prefix_));
  create.set_start_revision(revision_ + 1);
  create.set_prev_kv(true);
  WatchRunOptions run = options_.watch;
  run.seen_revision = revision_;
  run.on_created = [this] { ++watches_; };
  bool resumed = false;
  absl::Status status = RunWatch(*client_, create, canceller_, run,
                                 [&](const etcdserverpb::WatchResponse& response) {
    if (!resumed) {
      resumed = true;
      OnWatching();
    }
    if (response.events_size() == 0) return absl::OkStatus();  // progress
    for (const mvccpb::Event& event : response.events()) {
      if (event.type() == mvccpb::Event::PUT) {
        Apply(event.kv().key(), event.kv().value(), event.kv().mod_revision());
      } else {
        Erase(event.kv().key());
        reported_skips_.erase(event.kv().key());
      }
      // Not the header's revision: a batch that catches up may stop short
      // of it, and resuming past it would skip events.
      revision_ = std::max(revision_, event.kv().mod_revision());
    }
    PublishTouched(response.header().revision());
    return absl::OkStatus();
  });
  // History gone (compaction) or the store behind what was seen (data
  // lost): only a new list tells the truth. Otherwise the next attempt
  // resumes from revision_, on another member if this one failed.
  if (status.code() == absl::StatusCode::kOutOfRange ||
      status.code() == absl::StatusCode::kDataLoss) {
    revision_ = 0;
  }
  return status;
}

SourceActivity EtcdWatcher::Activity() const {
  const int64_t watches = watches_.load();
  return {.lists = static_cast<uint64_t>(lists_.load()),
          .watch_restarts = static_cast<uint64_t>(watches > 0 ? watches - 1 : 0),
          .skipped_records = static_cast<uint64_t>(skipped_.load())};
}

void EtcdWatcher::OnWatching() {
  absl::Time since;
  {
    std::lock_guard<std::mutex> lock(mu_);
    since = degraded_since_;
    degraded_since_ = absl::InfiniteFuture();
  }
  if (since != absl::InfiniteFuture()) {
    SB_LOG(kInfo, kComponent, Describe(), ": watching again on ", client_->current_endpoint(),
           " from revision ", revision_ + 1, " after ", absl::FormatDuration(absl::Now() - since),
           " of a stale view");
  }
}

}  // namespace switchboard
