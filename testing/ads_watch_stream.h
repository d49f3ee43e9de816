// A minimal xDS client for load generation and timing: one ADS stream (state
// of the world) that subscribes to the listeners of some services and walks
// them as gRPC's client does — listener -> route configuration -> cluster ->
// endpoints — ACKing every response, and hands each endpoints response to a
// callback with the time it arrived. A thousand of them cost a thousand
// small objects (callback API, no thread per stream).
//
// Example:
//   auto stub = AggregatedDiscoveryService::NewStub(channel);
//   AdsWatchStream stream(stub.get(), "node-1", {"greeter"},
//       [](const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived_nanos) {...});
//   stream.Start();
//   stream.WaitEndpoints(absl::Seconds(5));   // subscribed all the way down
//   ...
//   stream.Cancel();                          // the destructor waits for the end
//
// Threading: the callback runs on gRPC's callback threads, one response at a
// time per stream. Start() and Cancel() from any one thread.
#ifndef SWITCHBOARD_TESTING_ADS_WATCH_STREAM_H_
#define SWITCHBOARD_TESTING_ADS_WATCH_STREAM_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"

namespace switchboard::testing {

using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

class AdsWatchStream : public grpc::ClientBidiReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  // Every endpoints response (all subscribed assignments, as state of the
  // world sends them) and when it arrived (absl::GetCurrentTimeNanos()).
  using EndpointsCallback =
      std::function<void(const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived_nanos)>;

  AdsWatchStream(AggregatedDiscoveryService::Stub* stub, std::string node_id,
                 std::vector<std::string> services, EndpointsCallback on_endpoints);
  ~AdsWatchStream() override;  // Cancel()s and waits for the stream to end

  void Start();
  void Cancel();
  // True once the first endpoints response came, false at the timeout.
  bool WaitEndpoints(absl::Duration timeout);
  // True once the stream has ended.
  bool done() const;
  // Responses received so far, of every type.
  uint64_t responses() const;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Decodes `response`, ACKs it, asks for the next type when the names it
  // leads to changed, and hands endpoints to the callback.
  void Handle(const DiscoveryResponse& response, int64_t arrived_nanos);
  void Send(DiscoveryRequest request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  DiscoveryRequest Request(const std::string& type_url, const std::set<std::string>& names)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AggregatedDiscoveryService::Stub* const stub_;
  const std::string node_id_;
  const EndpointsCallback on_endpoints_;
  grpc::ClientContext context_;
  DiscoveryResponse response_;  // owned by the read path

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool node_sent_ ABSL_GUARDED_BY(mu_) = false;
  // Names subscribed per type URL.
  std::set<std::string> listeners_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> routes_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> clusters_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> endpoints_ ABSL_GUARDED_BY(mu_);
  std::deque<DiscoveryRequest> outbox_ ABSL_GUARDED_BY(mu_);
  DiscoveryRequest writing_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool got_endpoints_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t responses_ ABSL_GUARDED_BY(mu_) = 0;
};

// True once the xDS server at `xds_address` sends `service`'s endpoints
// with `endpoint` ("host:port") among them, false at `timeout`: what a
// client would be told, seen over one ADS stream of its own, dialled with
// `credentials` (null: plaintext; grpc::SslCredentials for a TLS server).
bool WaitForEndpointOverAds(const std::string& xds_address, const std::string& service,
                            const std::string& endpoint, absl::Duration timeout,
                            std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_ADS_WATCH_STREAM_H_
