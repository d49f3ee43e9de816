#include "switchboard/xds/xds_server_probe.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

absl::Status ProbeXdsServer(const std::string& address, absl::Duration timeout,
                            std::shared_ptr<grpc::ChannelCredentials> credentials) {
  using envoy::service::discovery::v3::AggregatedDiscoveryService;
  // A channel of its own: no connection shared with (or left to) others.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto stream = stub->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.mutable_node()->set_id("switchboard-bootstrap-check");
  request.set_type_url(std::string(kListenerType));
  envoy::service::discovery::v3::DiscoveryResponse response;
  if (stream->Write(request) && stream->Read(&response)) {
    context.TryCancel();
    stream->Finish().IgnoreError();
    return absl::OkStatus();
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  std::string why;
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      why = absl::StrCat("no xDS answer within ", absl::FormatDuration(timeout));
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      why = "the server there does not serve ADS (not an xDS server)";
      break;
    case grpc::StatusCode::OK:
      why = "the server ended the ADS stream without an answer";
      break;
    default:
      why = status.error_message();
  }
  return absl::UnavailableError(absl::StrCat("nothing serves xDS at ", address, ": ", why));
}

}  // namespace switchboard::xds
