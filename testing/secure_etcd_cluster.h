// A 3-member etcd cluster set up as production runs one: TLS on every
// client port with client certificates required, and user/password auth on,
// with one user that may read and write one key prefix. Certificates are
// made by openssl (test_certificates.h) in the given directory, beside a
// password file. For the tests of TLS and auth, and of the Debian package.
//
// Example:
//   TempDir dir;
//   auto secure = SecureEtcdCluster::Start(dir.path());
//   ASSERT_TRUE(secure.ok()) << secure.status();
//   std::vector<std::string> argv = {"switchboard", "ls"};
//   for (const std::string& flag : (*secure)->ClientFlags()) argv.push_back(flag);
//
// Blocks while it starts (one to two seconds). Threading: as EtcdCluster.
#ifndef SWITCHBOARD_TESTING_SECURE_ETCD_CLUSTER_H_
#define SWITCHBOARD_TESTING_SECURE_ETCD_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/etcd_cluster.h"
#include "testing/test_certificates.h"

namespace switchboard::testing {

struct SecureEtcdClusterOptions {
  // The user (and its role) that may read and write `prefix`; root exists
  // too, as etcd needs one before auth is enabled.
  std::string user = "sb";
  std::string password = "sb-password";
  std::string prefix = "sb/";
};

class SecureEtcdCluster {
 public:
  // Makes `dir`, the certificates and `<dir>/password` in it, starts the cluster, adds
  // the users and enables auth. Errors carry openssl's, etcd's or
  // etcdctl's output.
  static absl::StatusOr<std::unique_ptr<SecureEtcdCluster>> Start(
      const std::string& dir, SecureEtcdClusterOptions options = {});

  const TestCertificates& certs() const { return certs_; }
  EtcdCluster& cluster() { return *cluster_; }
  const SecureEtcdClusterOptions& options() const { return options_; }
  // "127.0.0.1:A,127.0.0.1:B,127.0.0.1:C".
  std::string endpoints_csv() const { return cluster_->endpoints_csv(); }
  // A file holding the user's password (and a newline).
  const std::string& password_file() const { return password_file_; }
  // The switchboard flags of a client with the right certificate and user:
  // --etcd, --prefix, --etcd-ca, --etcd-cert, --etcd-key, --etcd-user,
  // --etcd-password-file.
  std::vector<std::string> ClientFlags() const;

 private:
  SecureEtcdCluster() = default;
  SecureEtcdClusterOptions options_;
  TestCertificates certs_;
  std::unique_ptr<EtcdCluster> cluster_;
  std::string password_file_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_SECURE_ETCD_CLUSTER_H_
