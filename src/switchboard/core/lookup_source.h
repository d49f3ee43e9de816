// The one lookup interface behind which every discovery source sits: the
// etcd watcher (push), and the periodic DNS and file sources (pull). The rest
// of Switchboard (xDS control plane, CLI, demo) sees only snapshots.
//
// Example:
//   class Printer : public LookupObserver {
//     void OnUpdate(SnapshotPtr s, const Changeset& c) override { ... }
//   };
//   std::unique_ptr<LookupSource> source = ...;  // see lookup/builtin_sources.h
//   Printer printer;
//   source->Start(&printer);
//   ...
//   source->Stop();
#ifndef SWITCHBOARD_CORE_LOOKUP_SOURCE_H_
#define SWITCHBOARD_CORE_LOOKUP_SOURCE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "switchboard/core/snapshot.h"

namespace switchboard {

// Receives what a source learns.
//
// Threading: called on the source's own thread, one call at a time per
// source. Callbacks should return quickly (hand work to another thread if it
// blocks); they must not call Stop() on the source that calls them.
class LookupObserver {
 public:
  virtual ~LookupObserver() = default;
  // A snapshot that differs from the previous one by `changes` (never empty,
  // except for the first delivery, which may carry an empty snapshot).
  virtual void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) = 0;
  // A refresh failed; the source goes on serving its last good snapshot.
  virtual void OnError(const absl::Status& error) {}
};

// What a source did to keep its view, since it started: for metrics and
// status, so that an operator sees a source that keeps losing its watch or
// re-reading everything. Pull sources (DNS, file) count each lookup as a
// list and have no watch.
struct SourceActivity {
  // Full reads of what the source covers (the first one included).
  uint64_t lists = 0;
  // Watches created again after one ended (a member failed, was left for
  // another, or lost its history).
  uint64_t watch_restarts = 0;
  // Records skipped as malformed.
  uint64_t skipped_records = 0;
};

// A source of instances.
//
// Threading: all methods are thread-safe. Start() and Stop() may block
// briefly (joining the source's thread); they are not for hot paths.
class LookupSource {
 public:
  virtual ~LookupSource() = default;

  // The URI or description this source was built from, for logs and errors.
  virtual std::string Describe() const = 0;
  // Starts the source's thread. `observer` may be null and must outlive
  // Stop(). The first OnUpdate() comes once the first lookup is done.
  virtual void Start(LookupObserver* observer) = 0;
  // Stops delivering; no callback runs after it returns. Idempotent.
  virtual void Stop() = 0;
  // The latest snapshot; Snapshot::Empty() before the first lookup.
  virtual SnapshotPtr Current() const = 0;
  // OK while the last refresh succeeded, else that refresh's error.
  virtual absl::Status Health() const = 0;
  // True once the source has delivered its first snapshot.
  virtual bool Ready() const = 0;
  // Counters of the work done to keep the view; zeros unless the source
  // keeps them.
  virtual SourceActivity Activity() const { return {}; }
};

// The state every source keeps and the rules it publishes by: a new
// snapshot is announced only when its instances differ from the current
// one, together with the changeset. Sources derive from it and call
// Publish()/ReportError() from their own thread.
class PublishingSource : public LookupSource {
 public:
  SnapshotPtr Current() const override;
  absl::Status Health() const override;
  bool Ready() const override;

 protected:
  void SetObserver(LookupObserver* observer);
  // Replaces the current snapshot if its instances differ (or if this is
  // the first); tells the observer. Returns the changeset published.
  Changeset Publish(SnapshotPtr snapshot);
  // The same, for a source that already knows what changed: `changes` must
  // equal Diff(*Current(), *snapshot). Spares a diff of every instance when
  // one event touched one service.
  Changeset Publish(SnapshotPtr snapshot, Changeset changes);
  // Records `error` as the source's health and tells the observer; the
  // current snapshot is kept.
  void ReportError(const absl::Status& error);

 private:
  // `known`: the caller's changeset, else computed by Diff().
  Changeset PublishLocked(SnapshotPtr snapshot, std::optional<Changeset> known)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(callback_mu_);

  mutable std::mutex mu_;
  SnapshotPtr current_ ABSL_GUARDED_BY(mu_) = Snapshot::Empty();
  absl::Status health_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  LookupObserver* observer_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Serialises callbacks: held while calling the observer, never with mu_.
  std::mutex callback_mu_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_CORE_LOOKUP_SOURCE_H_
