#include "switchboard/lookup/file/file_source.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/file/services_file.h"

namespace switchboard {

namespace {

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseNameOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

absl::Status ErrnoError(absl::string_view what, const std::string& path, int error) {
  std::string message = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

}  // namespace

FileSource::FileSource(FileSourceOptions options)
    : PeriodicSource(absl::StrCat("file://", options.path), options.periodic),
      options_(std::move(options)) {}

FileSource::~FileSource() { Stop(); }

void FileSource::Start(LookupObserver* observer) {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    if (options_.watch && !watch_thread_.joinable()) {
      int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      std::string directory = DirectoryOf(options_.path);
      if (inotify_fd < 0 ||
          inotify_add_watch(inotify_fd, directory.c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
        SB_LOG(kWarn, "lookup", Describe(), ": cannot watch ", directory, " (",
               std::strerror(errno), "); checking every ",
               absl::FormatDuration(options_.periodic.interval), " instead");
        if (inotify_fd >= 0) close(inotify_fd);
      } else {
        stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        watch_thread_ = std::thread([this, inotify_fd, stop_fd = stop_fd_] {
          WatchDirectory(inotify_fd, stop_fd);
          close(inotify_fd);
        });
      }
    }
  }
  PeriodicSource::Start(observer);
}

void FileSource::Stop() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    if (watch_thread_.joinable()) {
      uint64_t one = 1;
      (void)!write(stop_fd_, &one, sizeof(one));
      watch_thread_.join();
      close(stop_fd_);
      stop_fd_ = -1;
    }
  }
  PeriodicSource::Stop();
}

void FileSource::WatchDirectory(int inotify_fd, int stop_fd) {
  const std::string name = BaseNameOf(options_.path);
  alignas(struct inotify_event) char buffer[8192];
  while (true) {
    pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    bool relevant = false;
    ssize_t n;
    while ((n = read(inotify_fd, buffer, sizeof(buffer))) > 0) {
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<struct inotify_event*>(p);
        // Events on the directory itself (deleted, moved) carry no name.
        if (event->len == 0 || name == event->name) relevant = true;
        if (event->mask & IN_IGNORED) {
          SB_LOG(kWarn, "lookup", Describe(), ": directory watch lost; checking every ",
                 absl::FormatDuration(options_.periodic.interval), " instead");
          return;
        }
        p += sizeof(struct inotify_event) + event->len;
      }
    }
    if (relevant) {
      changed_ = true;
      RequestRefresh();
    }
  }
}

absl::StatusOr<FetchResult> FileSource::Fetch(const FetchContext& context) {
  bool changed = changed_.exchange(false);
  int fd = open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", options_.path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int error = errno;
    close(fd);
    return ErrnoError("stat", options_.path, error);
  }
  FileStamp stamp{st.st_ino, st.st_size, st.st_mtim};
  if (!changed && have_last_good_ && stamp == last_good_stamp_) {
    close(fd);
    FetchResult unchanged;
    unchanged.instances = last_good_;
    return unchanged;
  }
  std::string text;
  char chunk[65536];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      close(fd);
      return ErrnoError("read", options_.path, error);
    }
    text.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  absl::StatusOr<std::vector<Instance>> instances = ParseServicesFile(text, options_.path);
  if (!instances.ok()) {
    have_last_good_ = false;
    return instances.status();
  }
  have_last_good_ = true;
  last_good_stamp_ = stamp;
  last_good_ = *instances;
  FetchResult result;
  result.instances = *std::move(instances);
  return result;
}

}  // namespace switchboard
