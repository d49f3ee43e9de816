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
// MakeBootstrapJson is pure; DefaultNodeId reads the host name and pid.
#ifndef SWITCHBOARD_XDS_BOOTSTRAP_H_
#define SWITCHBOARD_XDS_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::xds {

struct BootstrapOptions {
  // host:port, [v6]:port, or unix:/path — as gRPC target syntax accepts.
  std::string server_address;
  // Identifies the client in the server's logs (NACKs, stuck streams).
  std::string node_id;
  // Optional: the client's own cluster and zone, informational.
  std::string node_cluster;
  std::string node_zone;
};

// An error names the missing field when server_address or node_id is empty.
absl::StatusOr<std::string> MakeBootstrapJson(const BootstrapOptions& options);

// "switchboard-client-<hostname>-<pid>": unique per process on a host.
std::string DefaultNodeId();

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_BOOTSTRAP_H_
