#include "registry/etcd_watcher.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/backoff.h"
#include "common/log.h"
#include "registry/naming_codec.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "watcher";

}  // namespace

EtcdWatcher::EtcdWatcher(std::shared_ptr<EtcdClient> client, EtcdWatcherOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
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
    // A list that went through means etcd answered: start backing off anew.
    if (lists_.load() != lists_before) backoff.Reset();
    SB_LOG(kDebug, kComponent, Describe(), ": ", status.ToString());
    if (backoff.attempts() == 0 || backoff.attempts() % 20 == 0) {
      SB_LOG(kWarn, kComponent, Describe(), ": ", status.ToString(),
             "; keeping the last ", Current()->size(), " instance(s) and retrying");
    }
    ReportError(status);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff.Next()), [this] { return stopping_; });
    if (stopping_) return;
  }
}

void EtcdWatcher::Apply(const std::string& key, const std::string& value, int64_t mod_revision) {
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

absl::Status EtcdWatcher::ListAndWatch() {
  absl::StatusOr<RangeResult> range = client_->GetPrefix(watch_prefix_);
  if (!range.ok()) return range.status();
  ++lists_;
  records_.clear();
  for (const KeyValue& kv : range->kvs) Apply(kv.key, kv.value, kv.mod_revision);
  PublishRecords(range->revision);
  if (options_.after_list_for_testing) options_.after_list_for_testing(range->revision);

  etcdserverpb::WatchCreateRequest create;
  create.set_key(watch_prefix_.empty() ? std::string(1, '\0') : watch_prefix_);
  create.set_range_end(PrefixRangeEnd(watch_prefix_));
  create.set_start_revision(range->revision + 1);
  create.set_prev_kv(true);
  create.set_progress_notify(true);
  absl::StatusOr<std::unique_ptr<WatchStream>> stream = client_->Watch(create);
  if (!stream.ok()) return stream.status();
  if (!canceller_.Attach(stream->get())) return absl::CancelledError("stopping");
  auto detach = absl::MakeCleanup([this] { canceller_.Detach(); });

  while (true) {
    absl::StatusOr<etcdserverpb::WatchResponse> response = (*stream)->Read();
    if (!response.ok()) return response.status();
    if (response->compact_revision() > 0) {
      return absl::OutOfRangeError(absl::StrCat(
          "watch from revision ", range->revision + 1, " fell behind compaction at revision ",
          response->compact_revision(), "; listing again"));
    }
    if (response->canceled()) {
      return absl::AbortedError(absl::StrCat("etcd cancelled the watch: ", response->cancel_reason()));
    }
    if (response->events_size() == 0) continue;  // created or progress notification
    for (const mvccpb::Event& event : response->events()) {
      if (event.type() == mvccpb::Event::PUT) {
        Apply(event.kv().key(), event.kv().value(), event.kv().mod_revision());
      } else {
        Erase(event.kv().key());
        reported_skips_.erase(event.kv().key());
      }
    }
    PublishTouched(response->header().revision());
  }
}

}  // namespace switchboard
