#include "switchboard/client/embedded_discovery.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "switchboard/client/route_override_feed.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"

namespace switchboard {
namespace {

constexpr absl::string_view kLog = "embedded";

// One embedded server per process: gRPC reads one bootstrap per process.
std::atomic<bool> alive{false};

std::string DefaultSocketPath() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string dir = (runtime != nullptr && *runtime != '\0' && access(runtime, W_OK) == 0)
                        ? runtime
                        : "/tmp";
  return absl::StrCat(dir, "/switchboard-xds-", getpid(), ".sock");
}

bool IsSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

absl::Status AddUriSources(const std::vector<std::string>& uris,
                           std::vector<std::unique_ptr<LookupSource>>& sources) {
  if (uris.empty()) return absl::OkStatus();
  for (const std::string& uri : uris) {
    absl::StatusOr<std::unique_ptr<LookupSource>> source = BuiltinLookupSources().Make(uri);
    if (!source.ok()) return source.status();
    sources.push_back(std::move(*source));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedDiscovery>> StartEmbeddedDiscovery(
    EmbeddedDiscoveryOptions options) {
  std::vector<std::unique_ptr<LookupSource>> sources = std::move(options.sources);
  absl::Status uris = AddUriSources(options.source_uris, sources);
  if (!uris.ok()) return uris;
  if (sources.empty()) {
    return absl::InvalidArgumentError("embedded discovery: no source URI and no source given");
  }
  if (alive.exchange(true)) {
    return absl::FailedPreconditionError(
        "embedded discovery is already running in this process (gRPC reads one xDS "
        "bootstrap per process)");
  }

  std::unique_ptr<EmbeddedDiscovery> discovery(new EmbeddedDiscovery());
  discovery->socket_path_ =
      options.socket_path.empty() ? DefaultSocketPath() : options.socket_path;
  auto plane = xds::XdsControlPlane::Start(
      std::move(sources), {.listen_address = absl::StrCat("unix:", discovery->socket_path_),
                           .policies = std::move(options.policies),
                           .initial_sync_timeout = options.initial_sync_timeout,
                           .cache_dir = options.cache_dir});
  if (!plane.ok()) {
    alive = false;
    return plane.status();
  }
  discovery->plane_ = std::move(*plane);
  auto routes = RouteOverrideFeed::Start(options.source_uris, *discovery->plane_);
  if (!routes.ok()) return routes.status();  // ~EmbeddedDiscovery cleans up
  discovery->routes_ = std::move(*routes);

  auto bootstrap = xds::MakeBootstrapJson(
      {.server_address = discovery->plane_->address(),
       .node_id = options.node_id.empty() ? xds::DefaultNodeId() : options.node_id,
       .node_zone = options.zone});
  if (!bootstrap.ok()) return bootstrap.status();  // ~EmbeddedDiscovery cleans up

  if (IsSet("GRPC_XDS_BOOTSTRAP") || IsSet("GRPC_XDS_BOOTSTRAP_CONFIG")) {
    SB_LOG(kWarn, kLog,
           "GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG is already set; xds:/// channels "
           "use that bootstrap, not the embedded server on ",
           discovery->plane_->address());
    const char* config = std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG");
    discovery->bootstrap_json_ = config != nullptr ? config : "";
  } else {
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 0);
    discovery->bootstrap_json_ = *bootstrap;
    discovery->bootstrap_installed_ = true;
  }
  if (!IsSet("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS")) {
    std::string interval =
        absl::StrCat(absl::ToInt64Milliseconds(options.backup_poll_interval));
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", interval.c_str(), 0);
  }
  SB_LOG(kInfo, kLog, "embedded xDS server on ", discovery->plane_->address());
  return discovery;
}

absl::StatusOr<std::unique_ptr<EmbeddedDiscovery>> StartEmbeddedDiscovery(
    std::vector<std::string> source_uris) {
  EmbeddedDiscoveryOptions options;
  options.source_uris = std::move(source_uris);
  return StartEmbeddedDiscovery(std::move(options));
}

const std::string& EmbeddedDiscovery::server_address() const { return plane_->address(); }

EmbeddedDiscovery::~EmbeddedDiscovery() {
  routes_.reset();
  if (plane_ != nullptr) plane_->Stop();
  plane_.reset();
  unlink(socket_path_.c_str());
  alive = false;
}

}  // namespace switchboard
