#include "harness/etcd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  return StartImpl(std::unique_ptr<EtcdProcess>(new EtcdProcess()), ready_timeout);
}

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::StartWithTls(
    EtcdTls tls, absl::Duration ready_timeout) {
  std::unique_ptr<EtcdProcess> etcd(new EtcdProcess());
  etcd->tls_ = std::move(tls);
  return StartImpl(std::move(etcd), ready_timeout);
}

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::StartImpl(
    std::unique_ptr<EtcdProcess> etcd, absl::Duration ready_timeout) {
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
  bool tls = !tls_.cert_file.empty();
  std::string client = absl::StrCat(tls ? "https" : "http", "://127.0.0.1:", client_port_);
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
  if (tls) {
    argv.insert(argv.end(), {"--cert-file", tls_.cert_file, "--key-file", tls_.key_file});
    if (!tls_.trusted_ca_file.empty()) {
      argv.insert(argv.end(), {"--client-cert-auth", "--trusted-ca-file", tls_.trusted_ca_file});
    }
  }
  auto process = ChildProcess::Start(argv, {.log_path = dir_.File("etcd.log")});
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  ChildProcess* child = process_.get();
  bool ready = WaitFor([&] { return !child->Running() || Healthy(); }, ready_timeout,
                       absl::Milliseconds(10));
  if (!ready || !child->Running()) {
    return absl::UnavailableError(
        absl::StrCat("etcd on ", endpoint(), " did not become healthy; log:\n", Log()));
  }
  return absl::OkStatus();
}

bool EtcdProcess::Healthy() {
  if (tls_.cert_file.empty()) return EtcdHealthy(client_port_);
  // Over TLS, ask etcdctl (it speaks the client protocol with certificates).
  if (!WaitForPort(client_port_, absl::ZeroDuration())) return false;
  std::vector<std::string> argv = {"etcdctl", absl::StrCat("--endpoints=https://", endpoint()),
                                   "--cacert=" + tls_.trusted_ca_file,
                                   "--command-timeout=1s", "endpoint", "health"};
  if (!tls_.trusted_ca_file.empty()) {
    std::string dir = tls_.trusted_ca_file.substr(0, tls_.trusted_ca_file.rfind('/'));
    argv.push_back("--cert=" + dir + "/client.pem");
    argv.push_back("--key=" + dir + "/client-key.pem");
  }
  auto process = ChildProcess::Start(argv, {.log_path = "/dev/null", .env = {"ETCDCTL_API=3"}});
  if (!process.ok() || !(*process)->WaitExit(absl::Seconds(5))) return false;
  int status = (*process)->exit_status();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

namespace {
absl::Status RunQuietly(std::vector<std::string> argv, const std::string& log) {
  auto process = ChildProcess::Start(argv, {.log_path = log});
  if (!process.ok()) return process.status();
  if (!(*process)->WaitExit(absl::Seconds(30))) return absl::DeadlineExceededError(argv[0]);
  int status = (*process)->exit_status();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " failed; see ", log));
}
}  // namespace

absl::Status MakeTestCertificates(const std::string& dir) {
  std::string log = dir + "/openssl.log";
  auto path = [&](const char* name) { return absl::StrCat(dir, "/", name); };
  std::ofstream(path("san.cnf")) << "subjectAltName=IP:127.0.0.1\n";
  std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
       "-subj", "/CN=switchboard-test-ca", "-keyout", path("ca-key.pem"), "-out", path("ca.pem")},
  };
  for (const char* who : {"server", "client"}) {
    std::string key = absl::StrCat(dir, "/", who, "-key.pem");
    std::string csr = absl::StrCat(dir, "/", who, ".csr");
    std::string pem = absl::StrCat(dir, "/", who, ".pem");
    steps.push_back({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                     absl::StrCat("/CN=", who), "-keyout", key, "-out", csr});
    steps.push_back({"openssl", "x509", "-req", "-in", csr, "-CA", path("ca.pem"), "-CAkey",
                     path("ca-key.pem"), "-CAcreateserial", "-days", "2", "-extfile",
                     path("san.cnf"), "-out", pem});
  }
  for (auto& step : steps) {
    if (absl::Status s = RunQuietly(step, log); !s.ok()) return s;
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
