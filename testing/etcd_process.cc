#include "testing/etcd_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard::testing {

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::Start(absl::Duration ready_timeout) {
  std::unique_ptr<EtcdProcess> etcd(new EtcdProcess());
  if (etcd->dir_.path().empty()) return absl::InternalError("cannot create a temp dir for etcd");
  // A port may be taken between picking and binding: try a few pairs.
  absl::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    int client_port = PickFreePort();
    int peer_port = PickFreePort();
    if (client_port == peer_port) continue;
    etcd->etcd_ = std::make_unique<supervisor::LocalEtcd>(supervisor::LocalEtcdOptions{
        .data_dir = etcd->dir_.File("etcd"),
        .client_port = client_port,
        .peer_port = peer_port,
        .name = "test",
        .ready_timeout = ready_timeout});
    status = etcd->etcd_->Start();
    if (status.ok()) return etcd;
    etcd->etcd_->Kill();
    etcd->etcd_->WipeData().IgnoreError();
  }
  return status;
}

EtcdProcess::~EtcdProcess() {
  if (etcd_) etcd_->Kill();
}

void EtcdProcess::Freeze() { etcd_->Signal(SIGSTOP); }

void EtcdProcess::Thaw() { etcd_->Signal(SIGCONT); }

absl::Status EtcdProcess::Restart(bool wipe_data) {
  if (running()) return absl::FailedPreconditionError("etcd is still running; stop it first");
  if (wipe_data) {
    if (absl::Status s = etcd_->WipeData(); !s.ok()) return s;
  }
  // The old process's ports may linger briefly.
  if (!WaitForPortClosed(client_port(), absl::Seconds(5))) {
    return absl::UnavailableError(absl::StrCat("port ", client_port(), " still busy"));
  }
  return etcd_->Start();
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

}  // namespace switchboard::testing
