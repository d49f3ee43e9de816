// A real single-node etcd (Debian's etcd-server) for tests: free loopback
// ports, a temporary data dir, fast raft timings, and every way a registry
// can fail — stop, kill -9, freeze, restart on the same ports with the same or
// a wiped data dir. Always cleaned up. Built on the product's LocalEtcd.
//
// Example:
//   auto etcd = EtcdProcess::Start();
//   ASSERT_TRUE(etcd.ok()) << etcd.status();
//   std::string endpoint = etcd->endpoint();  // "127.0.0.1:PORT"
//   (*etcd)->Kill();
//   ASSERT_TRUE((*etcd)->Restart(/*wipe_data=*/true).ok());
//
// Threading: used from one thread at a time.
#ifndef SWITCHBOARD_TESTING_ETCD_PROCESS_H_
#define SWITCHBOARD_TESTING_ETCD_PROCESS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/supervisor/local_etcd.h"
#include "testing/child_process.h"

namespace switchboard::testing {

class EtcdProcess {
 public:
  // Starts etcd and waits until it serves (leader elected, /health true).
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> Start(
      absl::Duration ready_timeout = absl::Seconds(20));
  ~EtcdProcess();

  // "127.0.0.1:PORT", the client endpoint.
  std::string endpoint() const { return etcd_->endpoint(); }
  int client_port() const { return etcd_->options().client_port; }
  bool running() const { return etcd_->Running(); }

  // Graceful stop (SIGTERM).
  void Stop() { etcd_->Stop(); }
  // kill -9.
  void Kill() { etcd_->Kill(); }
  // SIGSTOP / SIGCONT: etcd keeps its sockets but answers nothing.
  void Freeze();
  void Thaw();
  // Starts again on the same ports, with the data kept or wiped. The process
  // must be stopped or killed first.
  absl::Status Restart(bool wipe_data = false);
  // The etcd log, for failure messages.
  std::string Log() const { return etcd_->LogTail(1 << 20); }

 private:
  EtcdProcess() = default;

  TempDir dir_;
  std::unique_ptr<supervisor::LocalEtcd> etcd_;
};

// Writes a CA, and a server certificate (for 127.0.0.1) and a client
// certificate signed by it, into `dir` with openssl: ca.pem, server.pem,
// server-key.pem, client.pem, client-key.pem.
absl::Status MakeTestCertificates(const std::string& dir);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_ETCD_PROCESS_H_
