// The file in which the control plane keeps a source's last good snapshot,
// so that after a restart during a registry outage it serves what it knew
// instead of telling clients their services do not exist. Pure: text in,
// a cache entry or an error out, and back; the I/O is in snapshot_cache.h.
//
//   {
//     "format_version": 1,
//     "source": "etcd://127.0.0.1:2379/",
//     "written_at": "2026-12-01T09:50:00.123Z",
//     "revision": 42,
//     "instances": [
//       {"service": "greeter", "address": "127.0.0.1:50051", "weight": 2,
//        "zone": "eu-west-1a", "version": "1.4.2", "draining": false,
//        "labels": {"canary": "true"}}
//     ]
//   }
//
// Every field of Instance is written. On reading, "format_version" must be
// 1 (a newer file is refused, not half understood), "source" must be the
// source's Describe() text, "service" and "address" are required non-empty
// strings, weight is 1..10000; the other instance fields may be left out
// (their defaults). Errors name the file and the field:
// "<path>: instances[3].weight: must be an integer in 1..10000".
//
// Example:
//   std::string text = EncodeSnapshotCache({.source = source->Describe(),
//                                           .written_at = absl::Now(),
//                                           .snapshot = snapshot});
//   absl::StatusOr<SnapshotCacheEntry> entry = DecodeSnapshotCache(text, path);
#ifndef SWITCHBOARD_XDS_SNAPSHOT_CACHE_FILE_H_
#define SWITCHBOARD_XDS_SNAPSHOT_CACHE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "switchboard/core/snapshot.h"

namespace switchboard::xds {

inline constexpr int kSnapshotCacheFormatVersion = 1;

struct SnapshotCacheEntry {
  // The Describe() of the source the snapshot came from.
  std::string source;
  absl::Time written_at;
  SnapshotPtr snapshot = Snapshot::Empty();
};

// The file's text for `entry` (JSON, one instance per line).
std::string EncodeSnapshotCache(const SnapshotCacheEntry& entry);

// Parses a cache file's `text`; `path` only names the file in errors.
absl::StatusOr<SnapshotCacheEntry> DecodeSnapshotCache(absl::string_view text,
                                                       absl::string_view path);

// The file name (no directory) of the cache of the source described as
// `source`: "source-<16 hex digits of a hash of it>.json", so that sources
// do not collide and no URI character reaches the file system.
std::string SnapshotCacheFileName(absl::string_view source);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_SNAPSHOT_CACHE_FILE_H_
