// TLS and user/password auth to etcd, as a command line or a source URI
// gives them: file names and a user, never the password itself. The
// password comes from a file or from the environment
// (SWITCHBOARD_ETCD_PASSWORD), so that it shows up in no process list and
// no shell history.
//
// Example:
//   EtcdSecurity security{.ca_file = "/etc/switchboard/etcd-ca.pem", .user = "switchboard",
//                         .password_file = "/etc/switchboard/etcd-password"};
//   absl::StatusOr<EtcdClientOptions> options = ParseEtcdEndpoints("10.0.0.1:2379");
//   absl::Status s = ApplyEtcdSecurity(security, kEtcdFlagNames, *options);
//   // s names the flag and the file when one cannot be read.
//
// Thread-safe; ApplyEtcdSecurity reads the files it is given.
#ifndef SWITCHBOARD_ETCD_ETCD_SECURITY_H_
#define SWITCHBOARD_ETCD_ETCD_SECURITY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {

// The environment variable the password is read from when a user is given
// and no password file.
inline constexpr char kEtcdPasswordEnv[] = "SWITCHBOARD_ETCD_PASSWORD";

struct EtcdSecurity {
  // PEM files. A CA or a client certificate turns TLS on; the certificate
  // and the key come together.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // TLS with the system's CAs and no client certificate.
  bool tls = false;
  // etcd auth: the user, and the file holding its password (one line; a
  // trailing newline is dropped). Empty file: SWITCHBOARD_ETCD_PASSWORD.
  std::string user;
  std::string password_file;

  bool empty() const {
    return ca_file.empty() && cert_file.empty() && key_file.empty() && !tls && user.empty() &&
           password_file.empty();
  }
};

// How the settings are named in errors: the flags of the CLI, or the
// parameters of an etcd:// URI.
struct EtcdSecurityNames {
  absl::string_view ca, cert, key, user, password_file;
};
inline constexpr EtcdSecurityNames kEtcdFlagNames = {
    "--etcd-ca", "--etcd-cert", "--etcd-key", "--etcd-user", "--etcd-password-file"};
inline constexpr EtcdSecurityNames kEtcdUriParamNames = {"ca", "cert", "key", "user",
                                                         "password-file"};

// Checks `security` and writes it into `options` (TLS files, user,
// password). InvalidArgument, naming the setting and the file, when: a
// certificate comes without its key or the reverse; a file cannot be
// read; a password file comes without a user; a user has no password
// (neither file nor SWITCHBOARD_ETCD_PASSWORD).
absl::Status ApplyEtcdSecurity(const EtcdSecurity& security, const EtcdSecurityNames& names,
                               EtcdClientOptions& options);

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_ETCD_SECURITY_H_
