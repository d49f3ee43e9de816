#include "switchboard/cli/up_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace switchboard::cli {

std::string EncodeUpState(const UpState& state) {
  return nlohmann::json{{"pid", state.pid},
                        {"etcd", state.etcd},
                        {"xds", state.xds},
                        {"managed_etcd", state.managed_etcd},
                        {"data_dir", state.data_dir},
                        {"http", state.http}}
      .dump(2);
}

absl::StatusOr<UpState> DecodeUpState(absl::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("up state is not a JSON object");
  }
  UpState state;
  if (!j.contains("pid") || !j["pid"].is_number_integer()) {
    return absl::InvalidArgumentError("up state has no integer \"pid\"");
  }
  state.pid = j["pid"].get<pid_t>();
  for (const char* field : {"etcd", "xds"}) {
    if (!j.contains(field) || !j[field].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("up state has no string \"", field, "\""));
    }
  }
  state.etcd = j["etcd"].get<std::string>();
  state.xds = j["xds"].get<std::string>();
  if (j.contains("managed_etcd") && j["managed_etcd"].is_boolean()) {
    state.managed_etcd = j["managed_etcd"].get<bool>();
  }
  if (j.contains("data_dir") && j["data_dir"].is_string()) {
    state.data_dir = j["data_dir"].get<std::string>();
  }
  if (j.contains("http") && j["http"].is_string()) state.http = j["http"].get<std::string>();
  return state;
}

std::string DefaultDataDir(const char* xdg_state_home, const char* home) {
  if (xdg_state_home != nullptr && *xdg_state_home == '/') {
    return absl::StrCat(xdg_state_home, "/switchboard");
  }
  if (home != nullptr && *home != '\0') return absl::StrCat(home, "/.local/state/switchboard");
  return ".switchboard";
}

std::string DefaultDataDir() {
  return DefaultDataDir(std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
}

std::string UpStatePath(absl::string_view data_dir) { return absl::StrCat(data_dir, "/up.json"); }
std::string UpLockPath(absl::string_view data_dir) { return absl::StrCat(data_dir, "/up.lock"); }

absl::StatusOr<UpLock> UpLock::Acquire(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create data dir ", data_dir, ": ", error.message()));
  }
  const std::string path = UpLockPath(data_dir);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    std::optional<UpState> running = FindRunningUp(data_dir);
    std::string who = running.has_value()
                          ? absl::StrCat(" (pid ", running->pid, ", etcd ", running->etcd,
                                         ", xDS ", running->xds, ")")
                          : "";
    return absl::AlreadyExistsError(absl::StrCat(
        "switchboard up is already running on ", data_dir, who,
        "; use it, stop it first, or pick another --data-dir"));
  }
  return UpLock(fd);
}

UpLock::~UpLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

absl::Status WriteUpState(const std::string& data_dir, const UpState& state) {
  const std::string path = UpStatePath(data_dir);
  const std::string temp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << EncodeUpState(state) << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", temp));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", temp, " to ", path, ": ",
                                            strerror(errno)));
  }
  return absl::OkStatus();
}

void RemoveUpState(const std::string& data_dir) {
  std::error_code ignored;
  std::filesystem::remove(UpStatePath(data_dir), ignored);
}

std::optional<UpState> FindRunningUp(const std::string& data_dir) {
  std::ifstream in(UpStatePath(data_dir));
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<UpState> state = DecodeUpState(text.str());
  if (!state.ok()) return std::nullopt;
  // The lock tells whether its owner still lives; a pid may have been reused.
  int fd = open(UpLockPath(data_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  if (!held) return std::nullopt;
  return *std::move(state);
}

std::string ResolveEtcdEndpoints(const std::string& flag, const std::string& data_dir) {
  if (!flag.empty()) return flag;
  if (std::optional<UpState> up = FindRunningUp(data_dir); up.has_value()) return up->etcd;
  return "127.0.0.1:2379";
}

}  // namespace switchboard::cli
