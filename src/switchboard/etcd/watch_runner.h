// Runs one etcd watch stream until it fails, noticing what a blocking read
// alone does not: a member that stopped answering (frozen, overloaded),
// found by progress requests that must be answered in time, and a member
// that lost its raft leader, which etcd itself reports by ending the
// require-leader stream ("etcdserver: no leader"). Either way the client is
// told to prefer another member, and the caller resumes from the last
// revision it saw. Shared by everything that watches: the registry watcher
// and the registrar's guard over its own keys.
//
// Example:
//   etcdserverpb::WatchCreateRequest create;
//   create.set_key(prefix); create.set_range_end(PrefixRangeEnd(prefix));
//   create.set_start_revision(revision + 1);
//   absl::Status status = RunWatch(*client, create, canceller, {},
//       [&](const etcdserverpb::WatchResponse& r) { ...; return absl::OkStatus(); });
//   // kOutOfRange: compacted past start_revision, list again; else resume.
//
// Threading: blocks the calling thread until the stream ends; `canceller`
// lets another thread end it.
#ifndef SWITCHBOARD_ETCD_WATCH_RUNNER_H_
#define SWITCHBOARD_ETCD_WATCH_RUNNER_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {

struct WatchRunOptions {
  // How often the stream is asked for its progress.
  absl::Duration probe_interval = absl::Seconds(1);
  // How long an answer (creation, progress, events) may take before the
  // member is taken for frozen and the stream is abandoned.
  absl::Duration answer_timeout = absl::Seconds(2);
  // The store revision the caller has already seen (0: none). A member
  // whose store is behind it lost its data or was restored from a backup:
  // a watch resumed there would wait for revisions that never come.
  int64_t seen_revision = 0;
  // Called on the caller's thread once a member has created the watch
  // (before any event): counts watches that really started.
  std::function<void()> on_created;
};

// Opens the watch and calls `on_response` for every response after the
// watch is created (events and progress notifications alike: the header's
// revision says how far the member has seen). Returns:
//   - the error of `on_response`, when it returns one;
//   - OutOfRange when start_revision was compacted away (list again);
//   - DataLoss when the member's store is behind `seen_revision` (list again);
//   - Aborted when etcd cancelled the watch (reason in the message);
//   - Unavailable when the member stopped answering, lost its leader or
//     the connection (the client then prefers another member);
//   - Cancelled when `canceller` ended it.
absl::Status RunWatch(EtcdClient& client, const etcdserverpb::WatchCreateRequest& create,
                      StreamCanceller& canceller, const WatchRunOptions& options,
                      const std::function<absl::Status(const etcdserverpb::WatchResponse&)>& on_response);

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_WATCH_RUNNER_H_
