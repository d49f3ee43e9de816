#include "switchboard/supervisor/local_etcd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/common/backoff.h"

namespace switchboard::supervisor {

bool EtcdHealthy(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{0, 300000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return false;
  }
  const std::string request =
      absl::StrCat("GET /health HTTP/1.1\r\nHost: ", host, "\r\nConnection: close\r\n\r\n");
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

LocalEtcd::LocalEtcd(LocalEtcdOptions options) : options_(std::move(options)) {}

LocalEtcd::~LocalEtcd() {
  if (process_) process_->Kill();
}

std::string LocalEtcd::endpoint() const {
  return absl::StrCat(options_.host, ":", options_.client_port);
}

std::string LocalEtcd::log_path() const { return options_.data_dir + "/etcd.log"; }

absl::Status LocalEtcd::Start() {
  if (Running()) return absl::OkStatus();
  if (absl::Status s = Launch(); !s.ok()) return s;
  return WaitHealthy(options_.ready_timeout);
}

absl::Status LocalEtcd::Launch() {
  if (Running()) return absl::OkStatus();
  std::error_code error;
  std::filesystem::create_directories(options_.data_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create etcd data dir ", options_.data_dir, ": ", error.message()));
  }
  // Something else on the port would answer /health for us: refuse it.
  if (CanConnect(options_.host, options_.client_port)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "something already listens on ", endpoint(),
        "; stop it, or pick other ports (--etcd-listen), or use it with --etcd ", endpoint()));
  }
  const bool tls = !options_.cert_file.empty();
  if (tls && options_.metrics_port == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd on ", endpoint(), ": TLS needs a metrics port for /health"));
  }
  const std::string client =
      absl::StrCat(tls ? "https://" : "http://", options_.host, ":", options_.client_port);
  const std::string peer = absl::StrCat("http://", options_.host, ":", options_.peer_port);
  const std::string advertised_peer =
      options_.advertise_peer_port == 0
          ? peer
          : absl::StrCat("http://", options_.host, ":", options_.advertise_peer_port);
  std::vector<std::string> argv = {
      options_.binary,
      "--name", options_.name,
      "--data-dir", options_.data_dir + "/member-data",
      "--listen-client-urls", client,
      "--advertise-client-urls", client,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", advertised_peer,
      "--initial-cluster", options_.initial_cluster.empty()
                               ? absl::StrCat(options_.name, "=", advertised_peer)
                               : options_.initial_cluster,
      "--initial-cluster-state", "new",
      // Loopback: fast elections are safe.
      "--heartbeat-interval", "10",
      "--election-timeout", "50",
      "--logger", "zap",
      "--log-level", "warn",
  };
  if (tls) {
    argv.insert(argv.end(), {"--cert-file", options_.cert_file, "--key-file", options_.key_file});
    if (!options_.client_ca_file.empty()) {
      argv.insert(argv.end(),
                  {"--trusted-ca-file", options_.client_ca_file, "--client-cert-auth"});
    }
  }
  if (options_.metrics_port != 0) {
    argv.insert(argv.end(), {"--listen-metrics-urls",
                             absl::StrCat("http://", options_.host, ":", options_.metrics_port)});
  }
  if (!options_.initial_cluster_token.empty()) {
    argv.insert(argv.end(), {"--initial-cluster-token", options_.initial_cluster_token});
  }
  // A development registry needs no fsync unless asked (options_.fsync).
  if (!options_.fsync) argv.push_back("--unsafe-no-fsync");
  auto process = Subprocess::Start(argv, {.log_path = log_path()});
  if (!process.ok()) {
    return absl::NotFoundError(absl::StrCat(process.status().message(),
                                            " (Debian: apt-get install etcd-server)"));
  }
  process_ = std::move(*process);
  return absl::OkStatus();
}

absl::Status LocalEtcd::WaitHealthy(absl::Duration timeout) {
  if (process_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("etcd on ", endpoint(), " not started"));
  }
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (!process_->Running()) {
      return absl::UnavailableError(absl::StrCat("etcd on ", endpoint(), " ",
                                                 process_->DescribeExit(), "; log tail:\n",
                                                 LogTail()));
    }
    if (Healthy()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      process_->Kill();
      return absl::DeadlineExceededError(absl::StrCat(
          "etcd on ", endpoint(), " not healthy after ",
          absl::FormatDuration(timeout), "; log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void LocalEtcd::Stop() {
  if (process_) process_->Stop(absl::Seconds(5));
}

void LocalEtcd::Kill() {
  if (process_) process_->Kill();
}

void LocalEtcd::Signal(int signal) {
  if (process_) process_->Signal(signal);
}

absl::Status LocalEtcd::WipeData() {
  if (Running()) return absl::FailedPreconditionError(absl::StrCat("etcd on ", endpoint(), " is running"));
  std::error_code error;
  std::filesystem::remove_all(options_.data_dir + "/member-data", error);
  if (error) return absl::InternalError(absl::StrCat("cannot wipe ", options_.data_dir, ": ", error.message()));
  return absl::OkStatus();
}

bool LocalEtcd::Running() { return process_ != nullptr && process_->Running(); }

pid_t LocalEtcd::pid() { return Running() ? process_->pid() : -1; }

bool LocalEtcd::Healthy() const {
  return EtcdHealthy(options_.host,
                     options_.metrics_port != 0 ? options_.metrics_port : options_.client_port);
}

std::string LocalEtcd::DescribeExit() const {
  return process_ ? process_->DescribeExit() : "not started";
}

std::string LocalEtcd::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path());
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

EtcdSupervisor::EtcdSupervisor(LocalEtcdOptions options, EventCallback on_event)
    : etcd_(std::move(options)), on_event_(std::move(on_event)) {}

EtcdSupervisor::~EtcdSupervisor() { Stop(); }

absl::Status EtcdSupervisor::Start() {
  if (absl::Status s = etcd_.Start(); !s.ok()) return s;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

int EtcdSupervisor::restarts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return restarts_;
}

void EtcdSupervisor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  etcd_.Stop();
}

void EtcdSupervisor::Run() {
  Backoff backoff({.initial = absl::Milliseconds(200), .max = absl::Seconds(10)});
  absl::Time healthy_since = absl::Now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (stopping_) break;
    lock.unlock();
    bool running = etcd_.Running();
    if (running && absl::Now() - healthy_since > absl::Seconds(30)) backoff.Reset();
    if (!running) {
      std::string why = etcd_.DescribeExit();
      absl::Duration delay = backoff.Next();
      if (on_event_) {
        on_event_(absl::StrCat("etcd ", why, "; restarting in ", absl::FormatDuration(delay)));
      }
      lock.lock();
      if (cv_.wait_for(lock, absl::ToChronoNanoseconds(delay), [this] { return stopping_; })) break;
      ++restarts_;
      lock.unlock();
      absl::Status s = etcd_.Start();
      healthy_since = absl::Now();
      if (on_event_) {
        on_event_(s.ok() ? absl::StrCat("etcd restarted on ", etcd_.endpoint())
                         : absl::StrCat("etcd restart failed: ", s.message()));
      }
    }
    lock.lock();
  }
}

}  // namespace switchboard::supervisor
