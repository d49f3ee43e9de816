#include "switchboard/lookup/etcd/config_watcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "switchboard/common/backoff.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/watch_runner.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "config";
}  // namespace

ConfigWatcher::ConfigWatcher(std::shared_ptr<EtcdClient> client, std::string prefix,
                             Callback callback)
    : client_(std::move(client)), prefix_(std::move(prefix)), callback_(std::move(callback)) {}

ConfigWatcher::~ConfigWatcher() { Stop(); }

void ConfigWatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  canceller_.Reset();
  thread_ = std::thread([this] { Run(); });
}

void ConfigWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  canceller_.Cancel();
  if (thread_.joinable()) thread_.join();
}

bool ConfigWatcher::Stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void ConfigWatcher::Run() {
  Backoff backoff({.initial = absl::Milliseconds(50), .max = absl::Milliseconds(500)});
  bool reported = false;
  while (true) {
    absl::Status status = ListAndWatch();
    if (Stopping()) return;
    if (!reported) {
      SB_LOG(kWarn, kComponent, "watching etcd keys ", prefix_, ": ", status.ToString(),
             "; keeping the last ", kvs_.size(), " key(s) and retrying");
      reported = true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff.Next()), [this] { return stopping_; });
    if (stopping_) return;
  }
}

absl::Status ConfigWatcher::ListAndWatch() {
  if (revision_ == 0) {
    absl::StatusOr<RangeResult> range = client_->GetPrefix(prefix_);
    if (!range.ok()) return range.status();
    kvs_.clear();
    for (const KeyValue& kv : range->kvs) kvs_[kv.key] = kv.value;
    revision_ = range->revision;
    callback_(kvs_);
  }
  etcdserverpb::WatchCreateRequest create;
  create.set_key(prefix_);
  create.set_range_end(PrefixRangeEnd(prefix_));
  create.set_start_revision(revision_ + 1);
  WatchRunOptions run;
  run.seen_revision = revision_;
  absl::Status status = RunWatch(*client_, create, canceller_, run,
                                 [&](const etcdserverpb::WatchResponse& response) {
    if (response.events_size() == 0) return absl::OkStatus();  // progress
    for (const mvccpb::Event& event : response.events()) {
      if (event.type() == mvccpb::Event::PUT) {
        kvs_[event.kv().key()] = event.kv().value();
      } else {
        kvs_.erase(event.kv().key());
      }
      revision_ = std::max(revision_, event.kv().mod_revision());
    }
    callback_(kvs_);
    return absl::OkStatus();
  });
  // History gone or the store behind: only a new list tells the truth.
  if (status.code() == absl::StatusCode::kOutOfRange ||
      status.code() == absl::StatusCode::kDataLoss) {
    revision_ = 0;
  }
  return status;
}

}  // namespace switchboard
