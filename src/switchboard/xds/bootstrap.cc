#include "switchboard/xds/bootstrap.h"

#include <unistd.h>

#include <cstdio>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/common/host_port.h"
#include "nlohmann/json.hpp"

namespace switchboard::xds {
namespace {

std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "unknown-host");
  }
  return host;
}

}  // namespace

absl::Status CheckXdsServerAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:")) {
    if (address.size() > 5) return absl::OkStatus();
    return absl::InvalidArgumentError("'unix:': no socket path (want HOST:PORT or unix:PATH)");
  }
  // Its messages name the text: "'bogus': missing ':port'".
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.status().message(), " (want HOST:PORT or unix:PATH)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeBootstrapJson(const BootstrapOptions& options) {
  if (options.server_address.empty()) {
    return absl::InvalidArgumentError("bootstrap: the xDS server address is empty");
  }
  if (options.node_id.empty()) {
    return absl::InvalidArgumentError("bootstrap: the node id is empty");
  }
  if (absl::Status s = CheckXdsServerAddress(options.server_address); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bootstrap: xDS server address ", s.message()));
  }
  // grpc-js-xds rejects a node without "locality", even an empty one.
  nlohmann::json node = {{"id", options.node_id}, {"locality", nlohmann::json::object()}};
  if (!options.node_cluster.empty()) node["cluster"] = options.node_cluster;
  if (!options.node_zone.empty()) node["locality"]["zone"] = options.node_zone;
  nlohmann::json bootstrap = {
      {"xds_servers",
       nlohmann::json::array({{{"server_uri", options.server_address},
                               {"channel_creds", nlohmann::json::array({{{"type", "insecure"}}})},
                               {"server_features", nlohmann::json::array({"xds_v3"})}}})},
      {"node", node},
  };
  return bootstrap.dump();
}

std::string DefaultNodeId() { return absl::StrCat("switchboard-client-", HostName(), "-", getpid()); }

std::string SharedNodeId() {
  absl::BitGen random;
  return absl::StrFormat("switchboard-client@%s/shared-%08x", HostName(),
                         absl::Uniform<uint32_t>(random));
}

}  // namespace switchboard::xds
