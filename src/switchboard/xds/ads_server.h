// The transport of the ADS server: the gRPC service
// envoy.service.discovery.v3.AggregatedDiscoveryService, state of the world,
// on the callback API (no thread per stream; a thousand idle streams cost a
// thousand small objects). Each stream's protocol logic lives in
// AdsStreamState; this class moves requests in and responses out, fans
// catalog changes out to the streams, and logs what the streams report.
//
// Example:
//   AdsServer ads;
//   grpc::ServerBuilder builder;
//   builder.RegisterService(ads.service());
//   ... server = builder.BuildAndStart();
//   ads.Publish(ResourceCatalog::Build(*snapshot, policies, {}));
//   ...
//   ads.FinishAll();        // ends the streams so Shutdown() need not wait
//   server->Shutdown();
//
// Threading: every method is thread-safe. Publish() runs the state machine
// of every stream on the calling thread (with many streams, half of them on
// one short-lived helper thread it joins) and does not block on the network
// (writes are queued; an unsent response of the same type is replaced by a
// newer one). Streams live on gRPC's callback threads.
#ifndef SWITCHBOARD_XDS_ADS_SERVER_H_
#define SWITCHBOARD_XDS_ADS_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "switchboard/xds/ads_stream_state.h"
#include "switchboard/xds/resource_catalog.h"
#include "switchboard/xds/xds_observer.h"

namespace switchboard::xds {

struct AdsServerOptions {
  // A response not acknowledged within this time is reported (once).
  absl::Duration ack_timeout = absl::Seconds(30);
  // Told of writes, ACKs and NACKs; may be null. Must outlive the server.
  XdsObserver* observer = nullptr;
};

// What the server knows of one open stream, for status pages.
struct ClientStatus {
  // Numbers streams from 1 in this process (several may share a node id).
  uint64_t stream = 0;
  std::string peer;
  // From the node of its first request ("" until then).
  std::string node_id;
  std::string user_agent_name;     // "gRPC C-core linux", "gRPC Node Pure JS"
  std::string user_agent_version;  // "C-core 29.0.0", "1.14.1"
  std::string zone;                // node locality's zone
  std::string client_class;        // ClientClass::description
  absl::Time connected_since;
  // Per resource type the client subscribed to.
  std::map<ResourceKind, AdsStreamState::TypeStatus> types;
};

class AdsServer {
 public:
  explicit AdsServer(AdsServerOptions options = {});
  // FinishAll()s; the grpc::Server must be shut down before (or the service
  // unregistered) so no new stream arrives.
  ~AdsServer();
  AdsServer(const AdsServer&) = delete;
  AdsServer& operator=(const AdsServer&) = delete;

  // Register this on a grpc::ServerBuilder; owned by the AdsServer.
  grpc::Service* service();

  // Serves `catalog` from now on and pushes what changed to the streams
  // subscribed to it. Until the first call, requests are held unanswered;
  // while the catalog is incomplete, those for services it lacks are.
  // Returns the services whose resources changed (ChangedServices()).
  std::set<std::string> Publish(CatalogPtr catalog);
  // The catalog served; null before the first Publish().
  CatalogPtr catalog() const;

  // Reports responses unacknowledged longer than ack_timeout. Call
  // periodically (the control plane's worker does, every second).
  void CheckUnacked(absl::Time now);

  // Ends every open stream with UNAVAILABLE; clients reconnect elsewhere
  // or later. New streams are refused after it.
  void FinishAll();

  size_t stream_count() const;
  // Every open stream, in no particular order.
  std::vector<ClientStatus> Clients() const;
  // Responses written and NACKs received since start, over all streams.
  uint64_t responses_sent() const;
  uint64_t nacks_received() const;

 private:
  class Stream;
  class Service;
  struct Outgoing;
  friend class Stream;
  // The serialized form of each shared push of one Publish().
  using SharedBytes = std::map<const DiscoveryResponse*, grpc::ByteBuffer>;

  static grpc::ByteBuffer Serialize(const DiscoveryResponse& response);

  // False once FinishAll() ran: the stream must end at once.
  bool Register(Stream* stream);
  void Unregister(Stream* stream);

  const AdsServerOptions options_;
  std::unique_ptr<Service> service_;

  mutable std::mutex catalog_mu_;
  CatalogPtr catalog_ ABSL_GUARDED_BY(catalog_mu_);

  // Serialises Publish() so streams see catalogs in order.
  std::mutex publish_mu_;
  // Numbers the published catalogs (nonces of shared pushes).
  uint64_t generation_ ABSL_GUARDED_BY(publish_mu_) = 0;
  // Lock order: streams_mu_, then a stream's own mutex, then catalog_mu_.
  mutable std::mutex streams_mu_;
  // Each stream knows its index here (O(1) removal); a vector because every
  // push walks all of them.
  std::vector<Stream*> streams_ ABSL_GUARDED_BY(streams_mu_);
  std::condition_variable streams_gone_;
  bool finishing_ ABSL_GUARDED_BY(streams_mu_) = false;

  std::atomic<uint64_t> responses_sent_{0};
  std::atomic<uint64_t> nacks_received_{0};
  // Numbers streams from 1 in the logs (AdsStreamState's `number`).
  std::atomic<uint64_t> next_stream_number_{1};
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_ADS_SERVER_H_
