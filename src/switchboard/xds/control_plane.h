// The xDS control plane: watches one or more lookup sources, turns their
// merged snapshot into xDS resources, and serves them over ADS so that any
// gRPC client with target `xds:///<service>` balances across the service's
// live instances. Backs `switchboard xds` (standalone) and embedded mode
// (client/embedded_discovery.h).
//
// Example:
//   std::vector<std::unique_ptr<LookupSource>> sources;
//   sources.push_back(*MakeLookupSource("etcd://127.0.0.1:2379/services/"));
//   auto plane = XdsControlPlane::Start(std::move(sources),
//                                       {.listen_address = "127.0.0.1:18000"});
//   if (!plane.ok()) return plane.status();
//   std::string bootstrap = *MakeBootstrapJson({.server_address = (*plane)->address(),
//                                               .node_id = "client-1"});
//   ...
//   (*plane)->Stop();  // or let it go out of scope
//
// Data flow: sources call OnUpdate on their own threads; that only records
// the snapshot and wakes the control plane's worker thread, which merges,
// builds the catalog and pushes it to the ADS streams. Nothing else runs on
// a source's thread, so a slow stream never stalls a source.
//
// When the registry is down (see docs/architecture.md): with a cache_dir,
// each source's last good snapshot is saved there by the worker (at most
// once a second, and on Stop()), and at Start() a source that has a cache
// counts as answered at once: its cached instances are served, marked
// stale in the log, until the source's own first snapshot replaces them.
// A source with neither a snapshot nor a cache never makes a service look
// deleted: requests for services the others do not know stay unanswered.
//
// Threading: all methods are thread-safe. Start() and Stop() block (binding,
// joining); the rest return at once.
#ifndef SWITCHBOARD_XDS_CONTROL_PLANE_H_
#define SWITCHBOARD_XDS_CONTROL_PLANE_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/xds/ads_server.h"
#include "switchboard/xds/load_report_table.h"
#include "switchboard/xds/load_reporting_server.h"
#include "switchboard/xds/resource_catalog.h"
#include "switchboard/xds/service_policy.h"
#include "switchboard/xds/snapshot_cache.h"
#include "switchboard/xds/xds_observer.h"
#include "switchboard/xds/xds_server_tls.h"

namespace grpc {
class Server;
}

namespace switchboard::xds {

struct XdsControlPlaneOptions {
  // Where ADS is served: "host:port" (port 0 picks a free one, see port()),
  // "[::]:18000", or "unix:/path/to.sock".
  std::string listen_address = "127.0.0.1:18000";
  // TLS (and mTLS) for ADS and LRS (xds_server_tls.h); empty: plaintext,
  // which is what gRPC C++ 1.51 and grpc-js-xds 1.14 clients can dial.
  XdsServerTls tls;
  PolicyTable policies;
  // Requests are held unanswered until every source delivered its first
  // snapshot (or has a cache), or this long after Start(), whichever comes
  // first: a client starting with the control plane then sees the services
  // rather than "does not exist". After it, what is known is served, and
  // requests for other services stay held while a source has neither
  // answered nor a cache (ResourceCatalog::Coverage).
  absl::Duration initial_sync_timeout = absl::Seconds(3);
  // Directory of the sources' snapshot caches (snapshot_cache.h), created
  // when missing; empty: no cache.
  // Example: "/var/lib/switchboard/cache".
  std::string cache_dir;
  // A response unacknowledged this long is reported as a stuck client.
  absl::Duration ack_timeout = absl::Seconds(30);
  // Told what the plane does (metrics, status, events); may be null.
  std::shared_ptr<XdsObserver> observer;
};

// One source's health, for status pages and metrics.
struct SourceStatus {
  std::string source;  // LookupSource::Describe()
  // Health() is OK; else `error` says why.
  bool up = false;
  std::string error;
  // Delivered a snapshot of its own since start.
  bool answered = false;
  // Its instances come from the on-disk cache now (it has not answered).
  bool from_cache = false;
  size_t instances = 0;
  // The last time it delivered a snapshot or was seen healthy (checked
  // every second); InfinitePast when never.
  absl::Time last_success = absl::InfinitePast();
  // Errors reported since it was last healthy.
  uint64_t consecutive_errors = 0;
  uint64_t updates = 0;
  // The source's own counters (LookupSource::Activity()).
  SourceActivity activity;
};

struct XdsControlPlaneStats {
  size_t streams = 0;
  size_t services = 0;
  size_t instances = 0;
  uint64_t catalogs_published = 0;
  uint64_t responses_sent = 0;
  uint64_t nacks_received = 0;
  // Sources served from their cache, and sources with neither a snapshot
  // nor a cache, in the catalog served now.
  size_t sources_from_cache = 0;
  size_t sources_missing = 0;
};

class XdsControlPlane {
 public:
  // Starts the sources, binds `listen_address` and serves. Errors: no
  // source given; bad `tls` settings (InvalidArgument naming the setting
  // and the file, before anything starts); the address cannot be bound
  // (the message names it).
  static absl::StatusOr<std::unique_ptr<XdsControlPlane>> Start(
      std::vector<std::unique_ptr<LookupSource>> sources, XdsControlPlaneOptions options);

  ~XdsControlPlane();  // Stop()s.
  XdsControlPlane(const XdsControlPlane&) = delete;
  XdsControlPlane& operator=(const XdsControlPlane&) = delete;

  // Ends the ADS streams, stops the server, the worker and the sources.
  // Idempotent.
  void Stop();

  // The address clients should use, with the port actually bound
  // ("127.0.0.1:41234", "unix:/run/sb.sock").
  const std::string& address() const { return address_; }
  // The TCP port bound; 0 for unix sockets.
  int port() const { return port_; }

  // Replaces the policies; the change reaches subscribed clients at once.
  void SetPolicies(PolicyTable policies);
  // Replaces the route overrides (service -> its routing, from etcd: see
  // route_override_feed.h). A service's override replaces the routing of
  // its policy (file or defaults), and the other fields stay; the change
  // reaches subscribed clients at once. The log says which services'
  // routes come from an override.
  void SetRouteOverrides(std::map<std::string, RoutingPolicy> overrides);

  // True once a first catalog is served (see initial_sync_timeout), false
  // when `timeout` passes first. For tests and readiness probes.
  bool WaitUntilServing(absl::Duration timeout);
  XdsControlPlaneStats Stats() const;
  std::vector<SourceStatus> Sources() const;
  // The merged snapshot served now (null before the first catalog).
  SnapshotPtr Served() const;
  // The open ADS streams (AdsServer::Clients()).
  std::vector<ClientStatus> Clients() const { return ads_.Clients(); }
  // The load clients report over LRS, per service and zone.
  std::vector<ServiceZoneLoad> Load() const { return load_.Snapshot(absl::Now()); }

 private:
  class SourceObserver;

  XdsControlPlane(std::vector<std::unique_ptr<LookupSource>> sources,
                  XdsControlPlaneOptions options);
  void OnSourceUpdate(size_t index, SnapshotPtr snapshot);
  void OnSourceError(size_t index, const absl::Status& error);
  void WorkerLoop();
  // True once a first catalog is served.
  bool serving_now();
  // Merges, builds and publishes. Worker thread only.
  void Rebuild();
  // Reads every source's cache file. Before the worker starts.
  void LoadCaches();
  // Saves the snapshots that changed since they were last saved, those
  // saved less than a second ago only when `now_or_never`. Worker thread,
  // or Stop() once the worker is joined.
  void SaveCaches(bool now_or_never);
  // Logs, once each, the errors of sources served from their cache or
  // held for. Worker thread only.
  void ReportSilentSources();

  const XdsControlPlaneOptions options_;
  std::vector<std::unique_ptr<LookupSource>> sources_;
  std::vector<std::unique_ptr<SourceObserver>> observers_;
  AdsServer ads_;
  LoadReportTable load_;
  LoadReportingServer lrs_{&load_};
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  absl::Time started_at_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  // Latest snapshot of each source, null until its first delivery.
  std::vector<SnapshotPtr> latest_ ABSL_GUARDED_BY(mu_);
  // Last error each source reported; OK if none.
  std::vector<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  PolicyTable policies_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RoutingPolicy> route_overrides_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  XdsControlPlaneStats stats_ ABSL_GUARDED_BY(mu_);
  SnapshotPtr served_ ABSL_GUARDED_BY(mu_);
  // The first source update not yet folded into a published catalog.
  absl::Time unserved_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // Per source, for Sources().
  struct SourceTally {
    absl::Time last_success = absl::InfinitePast();
    uint64_t consecutive_errors = 0;
    uint64_t updates = 0;
    bool up = false;
    std::string error;
    bool from_cache = false;
  };
  std::vector<SourceTally> tallies_ ABSL_GUARDED_BY(mu_);

  // Worker thread only (and Stop() after joining it).
  std::set<std::string> retained_services_;
  // Retained services that have no instance now (reported once).
  std::set<std::string> emptied_services_;
  // Each source's health when the served catalog was built.
  std::vector<bool> served_health_;
  std::vector<std::string> last_problems_;
  // Per source: what stands in for it while it has not answered (its
  // cache, or a hold), and what of it was saved to the cache.
  struct Standin {
    // From the cache file, until the source's first snapshot; null if none.
    SnapshotPtr cached;
    absl::Time cached_at;
    // "Serving from the cache" was logged.
    bool cache_announced = false;
    // Served without a snapshot or a cache (requests held for it).
    bool held = false;
    // Its error was logged for the current stand-in state.
    bool error_reported = false;
    // The last snapshot saved to the cache, and when.
    SnapshotPtr saved;
    absl::Time saved_at = absl::InfinitePast();
    std::string last_save_error;
  };
  std::optional<SnapshotCache> cache_;
  std::vector<Standin> standins_;

  std::mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread worker_;
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_CONTROL_PLANE_H_
