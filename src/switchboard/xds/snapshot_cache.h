// A directory of snapshot cache files (snapshot_cache_file.h), one per
// lookup source: the control plane saves each source's last good snapshot
// there and, after a restart, loads it for a source that cannot be reached.
//
// Example:
//   SnapshotCache cache("/var/lib/switchboard/cache");
//   absl::StatusOr<SnapshotCacheEntry> entry = cache.Load(source->Describe());
//   if (absl::IsNotFound(entry.status())) { ... no cache yet ... }
//   ...
//   absl::Status saved = cache.Save({.source = source->Describe(),
//                                    .written_at = absl::Now(), .snapshot = s});
//
// Threading: thread-safe (no state but the directory's name). Load() and
// Save() do file I/O and may block on the disk: not for a source's thread
// or a stream's; the control plane calls them on its worker thread.
#ifndef SWITCHBOARD_XDS_SNAPSHOT_CACHE_H_
#define SWITCHBOARD_XDS_SNAPSHOT_CACHE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/xds/snapshot_cache_file.h"

namespace switchboard::xds {

class SnapshotCache {
 public:
  explicit SnapshotCache(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  // The file holding the cache of the source described as `source`.
  std::string PathFor(absl::string_view source) const;

  // The cache of `source`. NotFound when there is none; InvalidArgument
  // when the file is corrupt, or was written for another source (a hash
  // collision or a hand-copied file), the message naming the file.
  absl::StatusOr<SnapshotCacheEntry> Load(absl::string_view source) const;

  // Writes `entry` to PathFor(entry.source) atomically: a temporary file in
  // the same directory, flushed, then renamed over the old one, so a crash
  // leaves the old file or the new one, never half of one. Creates the
  // directory when missing.
  absl::Status Save(const SnapshotCacheEntry& entry) const;

 private:
  std::string dir_;
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_SNAPSHOT_CACHE_H_
