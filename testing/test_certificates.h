// Certificates for TLS tests, made by openssl (Debian's) in a directory: a
// CA, a server certificate for 127.0.0.1 / localhost, a client
// certificate, and a second CA with its own client certificate, which the
// first CA's servers must refuse. EC P-256 keys: quick to make.
//
// Example:
//   TempDir dir;
//   absl::StatusOr<TestCertificates> certs = MakeTestCertificateSet(dir.path());
//   ASSERT_TRUE(certs.ok()) << certs.status();
//   EtcdCluster::Start({.cert_file = certs->server_cert, .key_file = certs->server_key, ...});
//
// Blocks while openssl runs (well under a second).
#ifndef SWITCHBOARD_TESTING_TEST_CERTIFICATES_H_
#define SWITCHBOARD_TESTING_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/statusor.h"

namespace switchboard::testing {

// Paths of PEM files.
struct TestCertificates {
  std::string ca;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;  // CN=switchboard
  std::string client_key;
  std::string other_ca;  // a CA nobody trusts
  std::string other_client_cert;
  std::string other_client_key;
};

// Errors carry openssl's output. (etcd_process.h's MakeTestCertificates writes a
// smaller set with fixed names.)
absl::StatusOr<TestCertificates> MakeTestCertificateSet(const std::string& dir);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_TEST_CERTIFICATES_H_
