#include "testing/secure_etcd_cluster.h"

#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/child_process.h"

namespace switchboard::testing {

absl::StatusOr<std::unique_ptr<SecureEtcdCluster>> SecureEtcdCluster::Start(
    const std::string& dir, SecureEtcdClusterOptions options) {
  std::unique_ptr<SecureEtcdCluster> secure(new SecureEtcdCluster());
  secure->options_ = options;
  std::filesystem::create_directories(dir);
  absl::StatusOr<TestCertificates> certs = MakeTestCertificateSet(dir);
  if (!certs.ok()) return certs.status();
  secure->certs_ = *certs;
  absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster =
      EtcdCluster::Start({.cert_file = certs->server_cert,
                          .key_file = certs->server_key,
                          .client_ca_file = certs->ca,
                          .ca_file = certs->ca,
                          .client_cert_file = certs->client_cert,
                          .client_key_file = certs->client_key});
  if (!cluster.ok()) return cluster.status();
  secure->cluster_ = std::move(*cluster);
  secure->password_file_ = dir + "/password";
  std::ofstream(secure->password_file_) << options.password << "\n";

  // etcd wants a root user with the root role before auth goes on.
  const std::string etcdctl =
      absl::StrCat("etcdctl --endpoints=", secure->endpoints_csv(), " --cacert=", certs->ca,
                   " --cert=", certs->client_cert, " --key=", certs->client_key, " ");
  const std::string& user = options.user;
  CommandResult setup = RunToCompletion(
      {"/bin/bash", "-c",
       absl::StrCat("set -e\n", etcdctl, "user add root:root-password\n", etcdctl,
                    "role add root || true\n", etcdctl, "user grant-role root root\n", etcdctl,
                    "user add ", user, ":", options.password, "\n", etcdctl, "role add ", user,
                    "\n", etcdctl, "role grant-permission ", user, " --prefix=true readwrite ",
                    options.prefix, "\n", etcdctl, "user grant-role ", user, " ", user, "\n",
                    etcdctl, "auth enable\n")},
      dir + "/etcd-auth-setup.log", {}, absl::Seconds(30));
  if (setup.exit_code != 0) {
    return absl::InternalError(absl::StrCat("enabling etcd auth failed: ", setup.output));
  }
  return secure;
}

std::vector<std::string> SecureEtcdCluster::ClientFlags() const {
  return {"--etcd",      endpoints_csv(),      "--prefix",     options_.prefix,
          "--etcd-ca",   certs_.ca,            "--etcd-cert",  certs_.client_cert,
          "--etcd-key",  certs_.client_key,    "--etcd-user",  options_.user,
          "--etcd-password-file", password_file_};
}

}  // namespace switchboard::testing
