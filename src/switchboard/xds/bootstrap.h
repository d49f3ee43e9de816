// The bootstrap JSON a gRPC client needs to use a Switchboard xDS server:
// what `switchboard bootstrap --xds ADDR` prints and what embedded mode puts
// in GRPC_XDS_BOOTSTRAP_CONFIG.
//
// Example:
//   std::string json = MakeBootstrapJson({.server_address = "127.0.0.1:18000",
//                                         .node_id = "checkout-7f9c"});
//   // {"xds_servers":[{"server_uri":"127.0.0.1:18000",
//   //   "channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
//   //  "node":{"id":"checkout-7f9c","locality":{}}}
//
// A bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG is read verbatim by every client
// process started with it, node id included (gRPC C++ and grpc-js add
// nothing of their own). So a bootstrap made once for many processes, as
// `switchboard bootstrap` is, carries SharedNodeId(): an id that says it is
// shared, and the control plane tells the processes apart by their ADS
// streams (peer address and stream number, ads_stream_state.h).
//
// With TLS to the xDS server (`switchboard xds --tls-cert ...`), the
// channel credentials are gRFC A65's "tls" type, which names files the
// client reads itself (so absolute paths):
//   "channel_creds":[{"type":"tls","config":{"ca_certificate_file":"/etc/sb/xds-ca.pem",
//     "certificate_file":"/etc/sb/client.pem","private_key_file":"/etc/sb/client.key"}}]
// Only clients that implement A65 read it (gRPC-Go since v1.61.0; see
// docs/deployment.md); gRPC C++ 1.51 and grpc-js-xds 1.14 refuse it.
//
// MakeBootstrapJson and CheckXdsServerAddress are pure; DefaultNodeId and
// SharedNodeId read the host name (and the pid, or a random number);
// ResolveBootstrapTls reads the files it is given.
#ifndef SWITCHBOARD_XDS_BOOTSTRAP_H_
#define SWITCHBOARD_XDS_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::xds {

// TLS to the xDS server, as PEM file names; all empty: "insecure".
struct BootstrapTls {
  // The CA the server's certificate must be signed by; turns TLS on.
  std::string ca_file;
  // The client's certificate and key, for a server that requires one
  // (mTLS); together, and only with ca_file.
  std::string cert_file;
  std::string key_file;

  bool enabled() const { return !ca_file.empty() || !cert_file.empty() || !key_file.empty(); }
};

struct BootstrapOptions {
  // host:port, [v6]:port, or unix:/path — as gRPC target syntax accepts.
  std::string server_address;
  // Identifies the client in the server's logs (NACKs, stuck streams).
  std::string node_id;
  // Optional: the client's own cluster, informational.
  std::string node_cluster;
  // Optional: the client's zone, written as the node's locality {zone}: the
  // control plane sends that zone's instances first (docs/zones.md).
  std::string node_zone;
  // Empty: "channel_creds":[{"type":"insecure"}].
  BootstrapTls tls;
};

// An error names the missing field when server_address or node_id is
// empty, the address when it is not one (CheckXdsServerAddress()), and the
// TLS file when it is not an absolute path, a certificate comes without
// its key (or the reverse), or either without the CA.
absl::StatusOr<std::string> MakeBootstrapJson(const BootstrapOptions& options);

// How the TLS settings are named in errors: `switchboard bootstrap`'s
// flags by default.
struct BootstrapTlsNames {
  absl::string_view ca, cert, key;
};
inline constexpr BootstrapTlsNames kBootstrapTlsFlagNames = {"--xds-ca", "--xds-cert",
                                                            "--xds-key"};

// `tls` with each path made absolute (against the working directory), once
// each file is read and found to hold a PEM certificate (CA, certificate)
// or private key: a bootstrap never names a file its clients cannot use.
// InvalidArgument naming the setting and the file when one cannot be read
// or is not PEM, and the setting when half a pair or the CA is missing.
absl::StatusOr<BootstrapTls> ResolveBootstrapTls(
    const BootstrapTls& tls, const BootstrapTlsNames& names = kBootstrapTlsFlagNames);

// OK for "unix:<path>" and for "host:port" / "[v6]:port" with a port in
// 1..65535 (ParseHostPort); else an error naming the address and why
// ("'bogus': missing ':port' (want HOST:PORT or unix:PATH)").
absl::Status CheckXdsServerAddress(absl::string_view address);

// "switchboard-client-<hostname>-<pid>": unique per process on a host, for
// a bootstrap made inside the process that uses it (embedded mode).
std::string DefaultNodeId();

// "switchboard-client@<hostname>/shared-<8 hex digits>", random per call:
// for a bootstrap that many processes share. Two bootstraps made apart have
// different ids; the processes of one are told apart by their streams.
std::string SharedNodeId();

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_BOOTSTRAP_H_
