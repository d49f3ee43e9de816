// TLS on the xDS (ADS) server, for clients whose gRPC can dial their xDS
// server over TLS (gRFC A65 "tls" channel credentials in the bootstrap:
// gRPC-Go since v1.61.0, see docs/deployment.md); and the matching client
// side, for `switchboard bootstrap`'s check that the server answers.
//
// gRPC C++ 1.51 and @grpc/grpc-js-xds 1.14 cannot use TLS to their xDS
// server: their control plane stays on loopback or a unix socket, without
// TLS (the default, an empty XdsServerTls).
//
// Example:
//   XdsServerTls tls{.cert_file = "/etc/switchboard/xds.pem",
//                    .key_file = "/etc/switchboard/xds.key",
//                    .client_ca_file = "/etc/switchboard/clients-ca.pem"};  // mTLS
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
//       MakeXdsServerCredentials(tls);
//   if (!credentials.ok()) return credentials.status();  // names the flag and the file
//   builder.AddListeningPort("0.0.0.0:18000", *credentials);
//
// Thread-safe; the Make functions read the files they are given.
#ifndef SWITCHBOARD_XDS_XDS_SERVER_TLS_H_
#define SWITCHBOARD_XDS_XDS_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace grpc {
class ChannelCredentials;
class ServerCredentials;
}  // namespace grpc

namespace switchboard::xds {

// PEM files; all empty: plaintext.
struct XdsServerTls {
  // The server's certificate (chain) and its private key; together.
  std::string cert_file;
  std::string key_file;
  // With it, clients must present a certificate signed by this CA (mTLS).
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty(); }
};

// How the settings are named in errors: `switchboard xds`'s flags by
// default.
struct XdsServerTlsNames {
  absl::string_view cert, key, client_ca;
};
inline constexpr XdsServerTlsNames kXdsServerTlsFlagNames = {"--tls-cert", "--tls-key",
                                                             "--tls-client-ca"};

// Plaintext credentials when `tls` is empty; else TLS with the certificate
// and key, requiring and verifying a client certificate when a client CA is
// given. InvalidArgument, naming the setting (and the file): a certificate
// without its key or the reverse; a client CA without them; a file that
// cannot be read or holds no certificate / private key in PEM.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeXdsServerCredentials(
    const XdsServerTls& tls, const XdsServerTlsNames& names = kXdsServerTlsFlagNames);

// A short description for logs: "plaintext", "TLS", "TLS, client
// certificates required (mTLS)".
std::string DescribeXdsServerTls(const XdsServerTls& tls);

// The client side: TLS trusting `ca_file` (PEM), presenting `cert_file` and
// `key_file` when given (both or neither). Errors name the setting as
// `names` says and the file. For callers that dial the xDS server
// themselves (the bootstrap check); gRPC's own xDS client reads the
// bootstrap's channel_creds instead.
struct XdsClientTlsNames {
  absl::string_view ca, cert, key;
};
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeXdsChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file,
    const XdsClientTlsNames& names);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_XDS_SERVER_TLS_H_
