#include "switchboard/common/pem_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchboard {

absl::StatusOr<std::string> ReadPemFile(absl::string_view setting, const std::string& path,
                                        PemKind kind) {
  const std::string named = absl::StrCat(setting, "=", path, ": ");
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(setting, ": give a file"));
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(named, "cannot read: it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(named, "cannot read: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat(named, "empty"));
  if (!absl::StrContains(pem, "-----BEGIN")) {
    return absl::InvalidArgumentError(absl::StrCat(named, "not a PEM file (no -----BEGIN line)"));
  }
  const bool has_kind = kind == PemKind::kCertificate
                            ? absl::StrContains(pem, "-----BEGIN CERTIFICATE-----")
                            : absl::StrContains(pem, "PRIVATE KEY-----");
  if (!has_kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        named, kind == PemKind::kCertificate
                   ? "holds no certificate (no -----BEGIN CERTIFICATE----- block)"
                   : "holds no private key (no -----BEGIN ... PRIVATE KEY----- block)"));
  }
  return pem;
}

}  // namespace switchboard
