// A hand-driven ADS stream for tests: the test writes requests (a NACK is a
// request with error_detail) and waits for responses, which a reader thread
// collects. Speaks to any control plane on a real socket.
//
// Example:
//   RawAdsStream stream(plane->address());
//   stream.Send(AdsRequest(xds::ResourceKind::kListener, {"greeter"}, "nacking-client"));
//   std::optional<xds::DiscoveryResponse> listener = stream.Next();
//
// Threading: Send() from one thread at a time; Next() from any.
#ifndef SWITCHBOARD_TESTING_RAW_ADS_STREAM_H_
#define SWITCHBOARD_TESTING_RAW_ADS_STREAM_H_

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "switchboard/xds/ads_stream_state.h"
#include "switchboard/xds/resource_names.h"
#include "testing/child_process.h"

namespace switchboard::testing {

// A request for `names` of `kind`; with a node (id, user agent
// "raw-test-client") when `node_id` is given.
inline xds::DiscoveryRequest AdsRequest(xds::ResourceKind kind, std::vector<std::string> names,
                         const std::string& node_id = "") {
  xds::DiscoveryRequest request;
  request.set_type_url(std::string(xds::TypeUrl(kind)));
  for (auto& name : names) request.add_resource_names(name);
  if (!node_id.empty()) {
    request.mutable_node()->set_id(node_id);
    request.mutable_node()->set_user_agent_name("raw-test-client");
  }
  return request;
}

// The NACK of `rejected` (a response to a request for `names` of `kind`):
// its nonce, no version accepted, and the client's error `message`.
inline xds::DiscoveryRequest AdsNack(xds::ResourceKind kind, std::vector<std::string> names,
                                     const xds::DiscoveryResponse& rejected,
                                     const std::string& message, int code = 3) {
  xds::DiscoveryRequest nack = AdsRequest(kind, std::move(names));
  nack.set_response_nonce(rejected.nonce());
  nack.mutable_error_detail()->set_code(code);
  nack.mutable_error_detail()->set_message(message);
  return nack;
}

// A hand-driven ADS stream: the test writes requests and waits for
// responses, which a reader thread collects.
class RawAdsStream {
 public:
  explicit RawAdsStream(const std::string& address)
      : stub_(envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        stream_(stub_->StreamAggregatedResources(&context_)) {
    reader_ = std::thread([this] {
      xds::DiscoveryResponse response;
      while (stream_->Read(&response)) {
        std::lock_guard<std::mutex> lock(mu_);
        responses_.push_back(response);
      }
    });
  }
  ~RawAdsStream() {
    context_.TryCancel();
    reader_.join();
  }
  bool Send(const xds::DiscoveryRequest& request) { return stream_->Write(request); }
  // The next response not yet taken, waiting up to `timeout`.
  std::optional<xds::DiscoveryResponse> Next(absl::Duration timeout = absl::Seconds(5)) {
    std::optional<xds::DiscoveryResponse> out;
    WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          if (responses_.empty()) return false;
          out = responses_.front();
          responses_.pop_front();
          return true;
        },
        timeout);
    return out;
  }

 private:
  std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<xds::DiscoveryRequest, xds::DiscoveryResponse>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::deque<xds::DiscoveryResponse> responses_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_RAW_ADS_STREAM_H_
