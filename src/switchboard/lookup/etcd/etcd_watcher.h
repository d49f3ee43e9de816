// The push lookup source: a consistent, live view of the instances
// registered in etcd under a prefix (every service) or of one service.
//
// It ranges the prefix at revision R, publishes that snapshot, then watches
// from R+1 and publishes a new snapshot after each batch of events. The
// watch is etcd's require-leader kind and is probed for progress
// (etcd/watch_runner.h), so a member that froze or lost its leader is left
// within seconds, and the watch resumes on another member from the last
// revision seen. After a compaction, or on a member whose store is behind
// what was seen (etcd restarted with its data wiped), it lists again, so
// that it converges to the truth with no lost and no phantom instance.
// While etcd is unreachable it keeps its last good snapshot, says once that
// it may be stale, and retries with backoff.
//
// Malformed records (not the naming format, bad metadata) are skipped with
// a logged reason naming the key; they never disturb other instances.
//
// Example:
//   auto client = EtcdClient::Create({.endpoints = {"127.0.0.1:2379"}});
//   EtcdWatcher watcher(std::move(*client), {.service = "greeter"});
//   watcher.Start(&observer);  // observer->OnUpdate(snapshot, changes)
//
// Threading: see LookupSource. One thread per watcher talks to etcd and
// calls the observer.
#ifndef SWITCHBOARD_LOOKUP_ETCD_ETCD_WATCHER_H_
#define SWITCHBOARD_LOOKUP_ETCD_ETCD_WATCHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/etcd/watch_runner.h"

namespace switchboard {

struct EtcdWatcherOptions {
  // Registry key prefix ("" as grpc-go).
  std::string prefix;
  // One service only; empty: every service under the prefix.
  std::string service;
  // Longest pause between attempts while etcd is unreachable.
  absl::Duration max_retry_delay = absl::Milliseconds(500);
  // Progress probes: how often, and how long an answer may take.
  WatchRunOptions watch;
};

// Told where the watcher is between its steps, so that a caller can act at
// a precise point: a test compacts etcd's history between the list and the
// watch to make the watch start behind the compaction.
//
// Threading: called on the watcher's thread, which waits for it; it must
// not call back into the watcher.
class EtcdWatcherProgress {
 public:
  virtual ~EtcdWatcherProgress() = default;
  // After each list of the prefix (published), before the watch from
  // `revision` + 1 is created.
  virtual void OnListed(int64_t revision) = 0;
};

class EtcdWatcher : public PublishingSource {
 public:
  // `progress`, when given, must outlive the watcher (or its Stop()).
  EtcdWatcher(std::shared_ptr<EtcdClient> client, EtcdWatcherOptions options,
              EtcdWatcherProgress* progress = nullptr);
  ~EtcdWatcher() override;

  std::string Describe() const override;
  void Start(LookupObserver* observer) override;
  void Stop() override;

  // Lists of the prefix (1 + recoveries), watches created again, records
  // skipped as malformed over all lists and events.
  SourceActivity Activity() const override;

 private:
  void Run();
  // Lists (unless a watch can resume from revision_), publishes, then
  // watches until an error; returns that error.
  absl::Status ListAndWatch();
  absl::Status List();
  // The first answer of a (re)created watch: logs the end of a stale spell.
  void OnWatching();
  // Decodes one record into records_ (or drops the key when malformed).
  void Apply(const std::string& key, const std::string& value, int64_t mod_revision);
  // Publishes a snapshot of every record (after a list).
  void PublishRecords(int64_t revision);
  // Publishes the current snapshot with only the services in touched_
  // rebuilt from records_ (after watch events), then clears touched_.
  void PublishTouched(int64_t revision);
  // Drops `key` from records_, noting its service as touched.
  void Erase(const std::string& key);
  bool Stopping();

  const std::shared_ptr<EtcdClient> client_;
  const EtcdWatcherOptions options_;
  EtcdWatcherProgress* const progress_;
  // What is watched: options_.prefix, plus "<service>/" for one service.
  const std::string watch_prefix_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Since when the view may be stale (a failed list or watch); InfiniteFuture while watching.
  absl::Time degraded_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  StreamCanceller canceller_;
  std::thread thread_;

  // Owned by the watcher's thread.
  // The last revision applied; 0: list before watching.
  int64_t revision_ = 0;
  std::map<std::string, Instance> records_;         // key -> instance
  std::map<std::string, int64_t> reported_skips_;   // key -> mod revision logged
  // Services whose records changed since the last publish.
  std::set<std::string> touched_;

  std::atomic<int64_t> lists_{0};
  std::atomic<int64_t> skipped_{0};
  // Watches a member created, over all members and recoveries.
  std::atomic<int64_t> watches_{0};
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_ETCD_ETCD_WATCHER_H_
