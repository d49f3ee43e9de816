#include "xds/bootstrap.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace switchboard::xds {

absl::StatusOr<std::string> MakeBootstrapJson(const BootstrapOptions& options) {
  if (options.server_address.empty()) {
    return absl::InvalidArgumentError("bootstrap: the xDS server address is empty");
  }
  if (options.node_id.empty()) {
    return absl::InvalidArgumentError("bootstrap: the node id is empty");
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

std::string DefaultNodeId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "unknown-host");
  }
  return absl::StrCat("switchboard-client-", host, "-", getpid());
}

}  // namespace switchboard::xds
