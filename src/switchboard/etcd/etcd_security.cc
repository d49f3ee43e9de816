#include "switchboard/etcd/etcd_security.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace switchboard {
namespace {

absl::StatusOr<std::string> ReadSetting(absl::string_view name, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=", path, ": cannot read: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::Status ApplyEtcdSecurity(const EtcdSecurity& security, const EtcdSecurityNames& names,
                               EtcdClientOptions& options) {
  if (security.cert_file.empty() != security.key_file.empty()) {
    return absl::InvalidArgumentError(
        security.cert_file.empty()
            ? absl::StrCat(names.key, " needs ", names.cert, " (the client certificate)")
            : absl::StrCat(names.cert, " needs ", names.key, " (the certificate's private key)"));
  }
  // Read now, so that an unreadable file is named by its setting rather
  // than found later by the client.
  for (const auto& [name, path] : {std::pair{names.ca, &security.ca_file},
                                   std::pair{names.cert, &security.cert_file},
                                   std::pair{names.key, &security.key_file}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> text = ReadSetting(name, *path);
    if (!text.ok()) return text.status();
    if (text->find("-----BEGIN") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "=", *path, ": not a PEM file (no -----BEGIN line)"));
    }
  }
  if (!security.ca_file.empty()) options.ca_file = security.ca_file;
  if (!security.cert_file.empty()) options.cert_file = security.cert_file;
  if (!security.key_file.empty()) options.key_file = security.key_file;
  if (security.tls || !security.ca_file.empty() || !security.cert_file.empty()) options.tls = true;

  if (security.user.empty()) {
    if (!security.password_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(names.password_file, " needs ", names.user, " (whose password it is)"));
    }
    return absl::OkStatus();
  }
  std::string password;
  if (!security.password_file.empty()) {
    absl::StatusOr<std::string> text = ReadSetting(names.password_file, security.password_file);
    if (!text.ok()) return text.status();
    absl::string_view line = *text;
    absl::ConsumeSuffix(&line, "\n");
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(names.password_file, "=", security.password_file, ": empty"));
    }
    password = std::string(line);
  } else if (const char* env = std::getenv(kEtcdPasswordEnv); env != nullptr && *env != '\0') {
    password = env;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        names.user, "=", security.user, " needs a password: give ", names.password_file,
        " FILE, or set ", kEtcdPasswordEnv, " (never on the command line)"));
  }
  options.username = security.user;
  options.password = std::move(password);
  return absl::OkStatus();
}

}  // namespace switchboard
