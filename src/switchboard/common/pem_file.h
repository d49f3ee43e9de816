// Reading a PEM file that a setting names (a flag, a URI parameter, an
// options field), so that a missing, unreadable or non-PEM file is refused
// where it is given, naming the setting and the file, rather than found
// later by a TLS handshake that only says it failed.
//
// Example:
//   absl::StatusOr<std::string> cert = ReadPemFile("--tls-cert", "/etc/switchboard/xds.pem",
//                                                   PemKind::kCertificate);
//   // !ok: "--tls-cert=/etc/switchboard/xds.pem: cannot read: No such file or directory"
//
// Reads the file; thread-safe.
#ifndef SWITCHBOARD_COMMON_PEM_FILE_H_
#define SWITCHBOARD_COMMON_PEM_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard {

// What the file must hold: a "-----BEGIN CERTIFICATE-----" block, or a
// "-----BEGIN ... PRIVATE KEY-----" block (PKCS#8, EC, RSA).
enum class PemKind { kCertificate, kPrivateKey };

// The file's text. InvalidArgument "<setting>=<path>: ..." when it cannot be
// read (with the system's reason), is empty, or holds no block of `kind`.
absl::StatusOr<std::string> ReadPemFile(absl::string_view setting, const std::string& path,
                                        PemKind kind);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_PEM_FILE_H_
