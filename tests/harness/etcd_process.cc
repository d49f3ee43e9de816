#include "harness/etcd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {

bool EtcdHealthy(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return false;
  }
  std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return false;
  }
  std::string response;
  char buf[1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, n);
  close(fd);
  return response.find("\"health\":\"true\"") != std::string::npos;
}

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::Start(absl::Duration ready_timeout) {
  std::unique_ptr<EtcdProcess> etcd(new EtcdProcess());
  if (etcd->dir_.path().empty()) return absl::InternalError("cannot create a temp dir for etcd");
  etcd->data_dir_ = etcd->dir_.File("data");
  // A port may be taken between picking and binding: try a few pairs.
  absl::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    etcd->client_port_ = PickFreePort();
    etcd->peer_port_ = PickFreePort();
    if (etcd->client_port_ == etcd->peer_port_) continue;
    status = etcd->Launch(ready_timeout);
    if (status.ok()) return etcd;
    if (etcd->process_) etcd->process_->Kill();
    std::filesystem::remove_all(etcd->data_dir_);
  }
  return status;
}

EtcdProcess::~EtcdProcess() {
  if (process_) process_->Kill();
}

std::string EtcdProcess::endpoint() const { return absl::StrCat("127.0.0.1:", client_port_); }

absl::Status EtcdProcess::Launch(absl::Duration ready_timeout) {
  std::string client = absl::StrCat("http://127.0.0.1:", client_port_);
  std::string peer = absl::StrCat("http://127.0.0.1:", peer_port_);
  std::vector<std::string> argv = {
      "etcd",
      "--name", "test",
      "--data-dir", data_dir_,
      "--listen-client-urls", client,
      "--advertise-client-urls", client,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", absl::StrCat("test=", peer),
      "--initial-cluster-state", "new",
      "--unsafe-no-fsync",
      "--heartbeat-interval", "10",
      "--election-timeout", "50",
      "--logger", "zap",
      "--log-level", "warn",
  };
  auto process = ChildProcess::Start(argv, {.log_path = dir_.File("etcd.log")});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  int port = client_port_;
  ChildProcess* child = process_.get();
  bool ready = WaitFor([&] { return !child->Running() || EtcdHealthy(port); }, ready_timeout,
                       absl::Milliseconds(10));
  if (!ready || !child->Running()) {
    return absl::UnavailableError(
        absl::StrCat("etcd on ", endpoint(), " did not become healthy; log:\n", Log()));
  }
  return absl::OkStatus();
}

void EtcdProcess::Stop() {
  if (process_) process_->Stop();
}

void EtcdProcess::Kill() {
  if (process_) process_->Kill();
}

void EtcdProcess::Freeze() {
  if (process_) process_->Signal(SIGSTOP);
}

void EtcdProcess::Thaw() {
  if (process_) process_->Signal(SIGCONT);
}

absl::Status EtcdProcess::Restart(bool wipe_data, absl::Duration ready_timeout) {
  if (running()) return absl::FailedPreconditionError("etcd is still running; stop it first");
  if (wipe_data) std::filesystem::remove_all(data_dir_);
  // The old process's ports may linger briefly.
  if (!WaitForPortClosed(client_port_, absl::Seconds(5))) {
    return absl::UnavailableError(absl::StrCat("port ", client_port_, " still busy"));
  }
  return Launch(ready_timeout);
}

std::string EtcdProcess::Log() const {
  std::ifstream in(dir_.File("etcd.log"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace switchboard::testing
