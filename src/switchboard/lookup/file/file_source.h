// A pull source that reads a JSON file of services (format: services_file.h),
// the way a deployment tool publishes a fleet it placed itself.
//
// The file is re-read as soon as it changes: inotify watches its directory,
// so both in-place writes and atomic replacement (write a temporary file,
// rename it over the old one) are seen. Every `interval` the file is also
// checked (inode, size, mtime) as a fallback where inotify is unavailable.
//
// A missing, unreadable, empty or invalid file is an error: the last good set
// stays and the error (path, line and column for JSON syntax) is reported.
// A valid file publishes exactly what it lists; an empty list empties that
// service.
//
// Example:
//   FileSource source({.path = "/etc/switchboard/services.json"});
//   source.Start(&observer);   // from a URI: lookup/file/file_factory.h
//
// Threading: as PeriodicSource; the inotify watch runs on a second thread
// that only wakes the loop.
#ifndef SWITCHBOARD_LOOKUP_FILE_FILE_SOURCE_H_
#define SWITCHBOARD_LOOKUP_FILE_FILE_SOURCE_H_

#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "switchboard/lookup/periodic_source.h"

namespace switchboard {

struct FileSourceOptions {
  // Absolute path of the JSON file.
  std::string path;
  // Reload on inotify events; false: only the periodic check.
  bool watch = true;
  PeriodicOptions periodic;
};

class FileSource : public PeriodicSource {
 public:
  explicit FileSource(FileSourceOptions options);
  ~FileSource() override;

  void Start(LookupObserver* observer) override;
  void Stop() override;

 protected:
  absl::StatusOr<FetchResult> Fetch(const FetchContext& context) override;

 private:
  // Identity of the file's content as stat() sees it.
  struct FileStamp {
    ino_t inode = 0;
    off_t size = 0;
    timespec mtime = {};
    bool operator==(const FileStamp& o) const {
      return inode == o.inode && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec;
    }
  };

  void WatchDirectory(int inotify_fd, int stop_fd);

  const FileSourceOptions options_;

  // Start/Stop only.
  std::mutex watch_mu_;
  std::thread watch_thread_;
  int stop_fd_ = -1;

  // Set by the watch thread, taken by Fetch(): the next fetch must re-read
  // even if the stamp looks unchanged (mtime has coarse granularity).
  std::atomic<bool> changed_{true};

  // Loop thread only: the last good read, to skip re-parsing an unchanged file.
  bool have_last_good_ = false;
  FileStamp last_good_stamp_;
  std::vector<Instance> last_good_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_FILE_FILE_SOURCE_H_
