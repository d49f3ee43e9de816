// A real single-node etcd (Debian's etcd-server) for tests: free loopback
// ports, a temporary data dir, fast raft timings, and every way a registry
// can fail — stop, kill -9, freeze, restart on the same ports with the same or
// a wiped data dir. Always cleaned up.
//
// Example:
//   auto etcd = EtcdProcess::Start();
//   ASSERT_TRUE(etcd.ok()) << etcd.status();
//   std::string endpoint = (*etcd)->endpoint();  // "127.0.0.1:PORT"
//   (*etcd)->Kill();
//   ASSERT_TRUE((*etcd)->Restart(/*wipe_data=*/true).ok());
//
// Threading: used from one thread at a time.
#ifndef SWITCHBOARD_TESTS_HARNESS_ETCD_PROCESS_H_
#define SWITCHBOARD_TESTS_HARNESS_ETCD_PROCESS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/child_process.h"

namespace switchboard::testing {

// Client TLS for the etcd under test: PEM files. With a CA, clients must
// present a certificate it signed.
struct EtcdTls {
  std::string cert_file;
  std::string key_file;
  std::string trusted_ca_file;
};

class EtcdProcess {
 public:
  // Starts etcd and waits until it serves (leader elected, healthy).
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> Start(
      absl::Duration ready_timeout = absl::Seconds(20));
  // The same, serving clients over TLS.
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> StartWithTls(
      EtcdTls tls, absl::Duration ready_timeout = absl::Seconds(20));
  ~EtcdProcess();

  // "127.0.0.1:PORT", the client endpoint.
  std::string endpoint() const;
  int client_port() const { return client_port_; }
  const std::string& data_dir() const { return data_dir_; }
  bool running() const { return process_ != nullptr && process_->Running(); }

  // Graceful stop (SIGTERM).
  void Stop();
  // kill -9.
  void Kill();
  // SIGSTOP / SIGCONT: etcd keeps its sockets but answers nothing.
  void Freeze();
  void Thaw();
  // Starts again on the same ports, with the data kept or wiped. The process
  // must be stopped or killed first.
  absl::Status Restart(bool wipe_data = false,
                       absl::Duration ready_timeout = absl::Seconds(20));
  // The etcd log, for failure messages.
  std::string Log() const;

 private:
  EtcdProcess() = default;
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> StartImpl(
      std::unique_ptr<EtcdProcess> etcd, absl::Duration ready_timeout);
  absl::Status Launch(absl::Duration ready_timeout);
  bool Healthy();

  TempDir dir_;
  std::string data_dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  EtcdTls tls_;
  std::unique_ptr<ChildProcess> process_;
};

// True once etcd's /health on 127.0.0.1:port answers {"health":"true"}.
bool EtcdHealthy(int port);

// Writes a CA, and a server certificate (for 127.0.0.1) and a client
// certificate signed by it, into `dir` with openssl: ca.pem, server.pem,
// server-key.pem, client.pem, client-key.pem.
absl::Status MakeTestCertificates(const std::string& dir);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_HARNESS_ETCD_PROCESS_H_
