#include "testing/greeter_fleet.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace switchboard::testing {

GreeterFleet::GreeterFleet(GreeterFleetOptions options) : options_(std::move(options)) {}

GreeterFleet::~GreeterFleet() {
  for (Server& server : servers_) {
    if (server.process) server.process->Kill();
  }
}

absl::StatusOr<int> GreeterFleet::Add() {
  Server server;
  absl::StatusOr<int> port = supervisor::PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  server.port = *port;
  server.address = absl::StrCat("127.0.0.1:", *port);
  if (!options_.log_dir.empty()) {
    server.log_path = absl::StrCat(options_.log_dir, "/greeter-", servers_.size() + 1, ".log");
  }
  if (absl::Status s = Launch(server); !s.ok()) return s;
  servers_.push_back(std::move(server));
  return static_cast<int>(servers_.size() - 1);
}

absl::Status GreeterFleet::Launch(Server& server) {
  std::vector<std::string> argv = {
      options_.server_binary,
      absl::StrCat("--service=", options_.service),
      absl::StrCat("--listen=", server.address),
      absl::StrCat("--etcd=", options_.etcd),
      absl::StrCat("--prefix=", options_.prefix),
      absl::StrCat("--ttl=", absl::FormatDuration(options_.ttl)),
      absl::StrCat("--drain_timeout=", absl::FormatDuration(options_.drain_timeout)),
  };
  if (!options_.zone.empty()) argv.push_back(absl::StrCat("--zone=", options_.zone));
  auto process = ChildProcess::Start(argv, {.log_path = server.log_path});
  if (!process.ok()) return process.status();
  server.process = std::move(*process);
  bool listening = false;
  WaitFor(
      [&] {
        listening = supervisor::CanConnect("127.0.0.1", server.port);
        return listening || !server.process->Running();
      },
      options_.listen_timeout);
  if (listening) return absl::OkStatus();
  if (!server.process->Running()) {
    return absl::UnavailableError(absl::StrCat("greeter server at ", server.address, " ",
                                               server.process->DescribeExit(), "; see ",
                                               server.log_path));
  }
  server.process->Kill();
  return absl::DeadlineExceededError(absl::StrCat("greeter server at ", server.address,
                                                  " not listening after ",
                                                  absl::FormatDuration(options_.listen_timeout)));
}

absl::Status GreeterFleet::Restart(int index) {
  Server& server = servers_.at(index);
  if (server.process && server.process->Running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("greeter server at ", server.address, " is still running"));
  }
  return Launch(server);
}

void GreeterFleet::Kill(int index) {
  Server& server = servers_.at(index);
  if (server.process) server.process->Kill();
}

void GreeterFleet::Freeze(int index) {
  Server& server = servers_.at(index);
  if (server.process) server.process->Signal(SIGSTOP);
}

void GreeterFleet::Thaw(int index) {
  Server& server = servers_.at(index);
  if (server.process) server.process->Signal(SIGCONT);
}

void GreeterFleet::Stop(int index) {
  Server& server = servers_.at(index);
  if (server.process) server.process->Stop(options_.drain_timeout + absl::Seconds(5));
}

void GreeterFleet::BeginStop(int index) {
  Server& server = servers_.at(index);
  if (server.process) server.process->Signal(SIGTERM);
}

void GreeterFleet::StopAll() {
  for (Server& server : servers_) {
    if (server.process) server.process->Signal(SIGTERM);
  }
  for (Server& server : servers_) {
    if (server.process) server.process->Stop(options_.drain_timeout + absl::Seconds(5));
  }
}

bool GreeterFleet::Running(int index) {
  Server& server = servers_.at(index);
  return server.process != nullptr && server.process->Running();
}

std::vector<std::string> GreeterFleet::Addresses() const {
  std::vector<std::string> out;
  for (const Server& server : servers_) out.push_back(server.address);
  return out;
}

absl::StatusOr<std::string> LocateGreeterServer(const std::string& explicit_path) {
  namespace fs = std::filesystem;
  std::vector<std::string> tried;
  auto usable = [&](const fs::path& path) {
    tried.push_back(path.string());
    return access(path.c_str(), X_OK) == 0;
  };
  if (!explicit_path.empty()) {
    if (usable(explicit_path)) return explicit_path;
    return absl::NotFoundError(absl::StrCat("greeter server binary ", explicit_path,
                                            " does not exist or is not executable"));
  }
  if (const char* env = std::getenv("SWITCHBOARD_GREETER_SERVER"); env != nullptr && *env) {
    if (usable(env)) return std::string(env);
  }
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    // <build>/bin/switchboard or <build>/tests/scenarios/x: walk up to
    // the build root, which holds bin/greeter_server.
    for (fs::path dir = self.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (usable(dir / "bin/greeter_server")) {
        return (dir / "bin/greeter_server").string();
      }
    }
    if (usable(self.parent_path() / "greeter_server")) {
      return (self.parent_path() / "greeter_server").string();
    }
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      fs::path candidate = fs::path(std::string(dir)) / "greeter_server";
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    tried.push_back("greeter_server on PATH");
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot find the greeter_server binary (build it: cmake --build build --target "
      "greeter_server; or pass --greeter-server PATH); tried: ",
      absl::StrJoin(tried, ", ")));
}

}  // namespace switchboard::testing
