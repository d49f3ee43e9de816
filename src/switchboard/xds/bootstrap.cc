#include "switchboard/xds/bootstrap.h"

#include <unistd.h>

#include <cstdio>
#include <tuple>
#include <filesystem>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/pem_file.h"
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

// The pairing rules, shared by the pure check and the resolver.
absl::Status CheckTlsPairing(const BootstrapTls& tls, const BootstrapTlsNames& names) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        tls.cert_file.empty()
            ? absl::StrCat(names.key, " needs ", names.cert, " (the certificate of that key)")
            : absl::StrCat(names.cert, " needs ", names.key, " (the certificate's private key)"));
  }
  if (tls.ca_file.empty() && !tls.cert_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        names.cert, " and ", names.key, " need ", names.ca,
        " (the CA that signed the xDS server's certificate): they are for TLS to it"));
  }
  return absl::OkStatus();
}

// The A65 "tls" channel credentials; only the files that are set.
nlohmann::json TlsChannelCreds(const BootstrapTls& tls) {
  nlohmann::json config = nlohmann::json::object();
  config["ca_certificate_file"] = tls.ca_file;
  if (!tls.cert_file.empty()) {
    config["certificate_file"] = tls.cert_file;
    config["private_key_file"] = tls.key_file;
  }
  return {{"type", "tls"}, {"config", config}};
}

}  // namespace

absl::StatusOr<BootstrapTls> ResolveBootstrapTls(const BootstrapTls& tls,
                                                 const BootstrapTlsNames& names) {
  if (absl::Status s = CheckTlsPairing(tls, names); !s.ok()) return s;
  BootstrapTls resolved;
  for (auto [name, path, kind, out] :
       {std::tuple{names.ca, &tls.ca_file, PemKind::kCertificate, &resolved.ca_file},
        std::tuple{names.cert, &tls.cert_file, PemKind::kCertificate, &resolved.cert_file},
        std::tuple{names.key, &tls.key_file, PemKind::kPrivateKey, &resolved.key_file}}) {
    if (path->empty()) continue;
    if (absl::StatusOr<std::string> pem = ReadPemFile(name, *path, kind); !pem.ok()) {
      return pem.status();
    }
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(*path, error);
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "=", *path, ": cannot make it an absolute path: ", error.message()));
    }
    *out = absolute.lexically_normal().string();
  }
  return resolved;
}

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
  nlohmann::json channel_creds = nlohmann::json::array({{{"type", "insecure"}}});
  if (options.tls.enabled()) {
    if (absl::Status s = CheckTlsPairing(options.tls, {"the CA file", "the certificate file",
                                                       "the key file"});
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", s.message()));
    }
    for (const std::string* path : {&options.tls.ca_file, &options.tls.cert_file,
                                     &options.tls.key_file}) {
      // The client reads the file from its own working directory.
      if (!path->empty() && !absl::StartsWith(*path, "/")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "bootstrap: TLS file '", *path, "' is not an absolute path (clients read it from "
            "their own working directory)"));
      }
    }
    channel_creds = nlohmann::json::array({TlsChannelCreds(options.tls)});
  }
  // grpc-js-xds rejects a node without "locality", even an empty one.
  nlohmann::json node = {{"id", options.node_id}, {"locality", nlohmann::json::object()}};
  if (!options.node_cluster.empty()) node["cluster"] = options.node_cluster;
  if (!options.node_zone.empty()) node["locality"]["zone"] = options.node_zone;
  nlohmann::json bootstrap = {
      {"xds_servers",
       nlohmann::json::array({{{"server_uri", options.server_address},
                               {"channel_creds", channel_creds},
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
