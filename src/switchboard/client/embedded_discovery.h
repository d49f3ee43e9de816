// Embedded mode: Switchboard inside a C++ client process, with no separate
// control plane to run. One call at start-up starts an ADS server on a
// private unix socket, fed by the given lookup sources, and points the
// process's gRPC xDS client at it. Afterwards plain channels balance:
//
// Example:
//   int main() {
//     auto discovery = switchboard::StartEmbeddedDiscovery(
//         {.source_uris = {"etcd://127.0.0.1:2379/services/"}});
//     if (!discovery.ok()) { std::cerr << discovery.status() << "\n"; return 1; }
//     auto channel = grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials());
//     auto stub = Greeter::NewStub(channel);   // generated stubs, unchanged
//     ...
//   }  // `discovery` lives as long as the channels that use it
//
// What it sets, only when the variable is not set already (the user's
// choice wins, and a warning says the embedded server is then unused):
//   GRPC_XDS_BOOTSTRAP_CONFIG   the bootstrap JSON for the private socket
//   GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS   short, so that a channel
//       with no call in flight still applies updates promptly
//
// Call it before creating the first xds:/// channel: gRPC reads the
// bootstrap once per process. At most one per process at a time.
//
// Threading: StartEmbeddedDiscovery() blocks briefly (binding the socket,
// starting sources); call it from main() or start-up code. The returned
// object's methods are thread-safe.
#ifndef SWITCHBOARD_CLIENT_EMBEDDED_DISCOVERY_H_
#define SWITCHBOARD_CLIENT_EMBEDDED_DISCOVERY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard {

// Internal: declared only, so that this public header needs no xDS internals.
namespace xds {
class XdsControlPlane;
}  // namespace xds
class RouteOverrideFeed;

struct EmbeddedDiscoveryOptions {
  // Where instances come from: source URIs (lookup/builtin_sources.h:
  // etcd://, dns:///, file:///...), source objects, or both. At least one in
  // all.
  std::vector<std::string> source_uris;
  std::vector<std::unique_ptr<LookupSource>> sources;
  // Timeouts, retries, outlier detection... per service.
  xds::PolicyTable policies;
  // The private socket; default "$XDG_RUNTIME_DIR or /tmp" +
  // "/switchboard-xds-<pid>.sock". Removed on destruction.
  std::string socket_path;
  // Names this process in the server's logs; default DefaultNodeId().
  std::string node_id;
  // The zone this process runs in (its node's locality): its calls go to
  // that zone's instances first and spill to the other zones only as the
  // policy's failover rule says (docs/zones.md). Empty: no zone, every
  // zone alike. Example: "eu-west-1a".
  std::string zone;
  absl::Duration backup_poll_interval = absl::Milliseconds(100);
  // See XdsControlPlaneOptions::initial_sync_timeout.
  absl::Duration initial_sync_timeout = absl::Seconds(3);
  // Opt-in: a directory where each source's last good snapshot is kept, so
  // that a process started while the registry is down still finds the
  // services it saw last (XdsControlPlaneOptions::cache_dir). Empty: off.
  // Example: "/var/cache/my-client/switchboard".
  std::string cache_dir;
};

class EmbeddedDiscovery {
 public:
  // Stops the server and removes the socket. Channels keep using the last
  // instances they learnt but see no further change.
  ~EmbeddedDiscovery();

  // The bootstrap this process's gRPC uses (ours, unless the user's own
  // GRPC_XDS_BOOTSTRAP / GRPC_XDS_BOOTSTRAP_CONFIG was set first).
  const std::string& bootstrap_json() const { return bootstrap_json_; }
  // True when GRPC_XDS_BOOTSTRAP_CONFIG was set by this call.
  bool bootstrap_installed() const { return bootstrap_installed_; }
  // "unix:/run/user/1000/switchboard-xds-4242.sock".
  const std::string& server_address() const;
  // The control plane itself, for code that includes
  // switchboard/xds/control_plane.h (internal: not part of the public API).
  xds::XdsControlPlane& control_plane() { return *plane_; }

 private:
  friend absl::StatusOr<std::unique_ptr<EmbeddedDiscovery>> StartEmbeddedDiscovery(
      EmbeddedDiscoveryOptions options);
  EmbeddedDiscovery() = default;

  std::unique_ptr<xds::XdsControlPlane> plane_;
  // The route overrides of the etcd sources (`switchboard route set`).
  std::unique_ptr<RouteOverrideFeed> routes_;
  std::string socket_path_;
  std::string bootstrap_json_;
  bool bootstrap_installed_ = false;
};

// Errors: no source; a source URI that does not parse or whose scheme is
// unknown (the message names it); the socket cannot be bound; another
// EmbeddedDiscovery is alive in this process.
absl::StatusOr<std::unique_ptr<EmbeddedDiscovery>> StartEmbeddedDiscovery(
    EmbeddedDiscoveryOptions options);

// Shorthand: StartEmbeddedDiscovery({.source_uris = source_uris}).
absl::StatusOr<std::unique_ptr<EmbeddedDiscovery>> StartEmbeddedDiscovery(
    std::vector<std::string> source_uris);

}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENT_EMBEDDED_DISCOVERY_H_
