#include "switchboard/xds/snapshot_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path, int error) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

absl::Status WriteAll(int fd, absl::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SnapshotCache::PathFor(absl::string_view source) const {
  return absl::StrCat(dir_, "/", SnapshotCacheFileName(source));
}

absl::StatusOr<SnapshotCacheEntry> SnapshotCache::Load(absl::string_view source) const {
  const std::string path = PathFor(source);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no cache file ", path));
    return ErrnoError("cannot read", path, errno);
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoError("cannot read", path, errno);
  absl::StatusOr<SnapshotCacheEntry> entry = DecodeSnapshotCache(text.str(), path);
  if (!entry.ok()) return entry.status();
  if (entry->source != source) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": written for source \"", entry->source,
                                                   "\", not \"", source, "\""));
  }
  return entry;
}

absl::Status SnapshotCache::Save(const SnapshotCacheEntry& entry) const {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the cache directory ", dir_, ": ", error.message()));
  }
  const std::string path = PathFor(entry.source);
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp, errno);
  absl::Status written = WriteAll(fd, EncodeSnapshotCache(entry), tmp);
  // Flushed before the rename: after a power cut the name points at a
  // whole file, not an empty one.
  if (written.ok() && ::fsync(fd) != 0) written = ErrnoError("cannot flush", tmp, errno);
  if (::close(fd) != 0 && written.ok()) written = ErrnoError("cannot close", tmp, errno);
  if (written.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    written = ErrnoError(absl::StrCat("cannot rename ", tmp, " to"), path, errno);
  }
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

}  // namespace switchboard::xds
