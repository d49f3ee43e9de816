#include "testing/ads_watch_stream.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace switchboard::testing {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr char kRouteType[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kEndpointsType[] =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

void AddClustersOf(const RouteConfiguration& config, std::set<std::string>& clusters) {
  for (const auto& host : config.virtual_hosts()) {
    for (const auto& route : host.routes()) {
      if (!route.has_route()) continue;
      if (!route.route().cluster().empty()) clusters.insert(route.route().cluster());
      for (const auto& weighted : route.route().weighted_clusters().clusters()) {
        clusters.insert(weighted.name());
      }
    }
  }
}

}  // namespace

AdsWatchStream::AdsWatchStream(AggregatedDiscoveryService::Stub* stub, std::string node_id,
                               std::vector<std::string> services, EndpointsCallback on_endpoints)
    : stub_(stub), node_id_(std::move(node_id)), on_endpoints_(std::move(on_endpoints)) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.insert(services.begin(), services.end());
}

AdsWatchStream::~AdsWatchStream() {
  Cancel();
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_) return;
  cv_.wait(lock, [this] { return done_; });
}

void AdsWatchStream::Start() {
  stub_->async()->StreamAggregatedResources(&context_, this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
    Send(Request(kListenerType, listeners_));
  }
  StartRead(&response_);
  StartCall();
}

void AdsWatchStream::Cancel() { context_.TryCancel(); }

bool AdsWatchStream::WaitEndpoints(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [this] { return got_endpoints_ || done_; }) &&
         got_endpoints_;
}

bool AdsWatchStream::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

uint64_t AdsWatchStream::responses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return responses_;
}

DiscoveryRequest AdsWatchStream::Request(const std::string& type_url,
                                         const std::set<std::string>& names) {
  DiscoveryRequest request;
  // gRPC sends the node on the first request of a stream only.
  if (!node_sent_) {
    request.mutable_node()->set_id(node_id_);
    request.mutable_node()->set_user_agent_name("switchboard-bench");
    node_sent_ = true;
  }
  request.set_type_url(type_url);
  for (const std::string& name : names) request.add_resource_names(name);
  return request;
}

void AdsWatchStream::Send(DiscoveryRequest request) {
  if (done_) return;
  if (write_in_flight_) {
    outbox_.push_back(std::move(request));
    return;
  }
  writing_ = std::move(request);
  write_in_flight_ = true;
  StartWrite(&writing_);
}

void AdsWatchStream::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  write_in_flight_ = false;
  if (!ok) {
    outbox_.clear();
    return;
  }
  if (outbox_.empty()) return;
  DiscoveryRequest next = std::move(outbox_.front());
  outbox_.pop_front();
  Send(std::move(next));
}

void AdsWatchStream::OnReadDone(bool ok) {
  if (!ok) return;  // OnDone follows
  Handle(response_, absl::GetCurrentTimeNanos());
  StartRead(&response_);
}

void AdsWatchStream::Handle(const DiscoveryResponse& response, int64_t arrived_nanos) {
  const std::string& type = response.type_url();
  std::vector<ClusterLoadAssignment> assignments;
  std::set<std::string> next_names;
  bool ask_next = false;
  std::string next_type;
  if (type == kListenerType) {
    for (const auto& any : response.resources()) {
      Listener listener;
      HttpConnectionManager manager;
      if (!any.UnpackTo(&listener) || !listener.api_listener().api_listener().UnpackTo(&manager)) {
        continue;
      }
      if (manager.has_rds()) next_names.insert(manager.rds().route_config_name());
    }
    next_type = kRouteType;
  } else if (type == kRouteType) {
    for (const auto& any : response.resources()) {
      RouteConfiguration config;
      if (any.UnpackTo(&config)) AddClustersOf(config, next_names);
    }
    next_type = kClusterType;
  } else if (type == kClusterType) {
    for (const auto& any : response.resources()) {
      Cluster cluster;
      if (!any.UnpackTo(&cluster) || cluster.type() != Cluster::EDS) continue;
      const std::string& name = cluster.eds_cluster_config().service_name();
      next_names.insert(name.empty() ? cluster.name() : name);
    }
    next_type = kEndpointsType;
  } else if (type == kEndpointsType) {
    for (const auto& any : response.resources()) {
      ClusterLoadAssignment assignment;
      if (any.UnpackTo(&assignment)) assignments.push_back(std::move(assignment));
    }
  }

  {
    std::lock_guard<std::mutex> lock(mu_);
    responses_++;
    std::set<std::string>* names = type == kListenerType ? &listeners_
                                   : type == kRouteType  ? &routes_
                                   : type == kClusterType ? &clusters_
                                                          : &endpoints_;
    // ACK: the same names, the version and nonce just received.
    DiscoveryRequest ack = Request(type, *names);
    ack.set_version_info(response.version_info());
    ack.set_response_nonce(response.nonce());
    Send(std::move(ack));
    std::set<std::string>* next = next_type == kRouteType     ? &routes_
                                  : next_type == kClusterType ? &clusters_
                                  : next_type == kEndpointsType ? &endpoints_
                                                                : nullptr;
    if (next != nullptr && *next != next_names) {
      *next = next_names;
      ask_next = true;
    }
    if (ask_next) Send(Request(next_type, *next));
    if (type == kEndpointsType && !got_endpoints_) {
      got_endpoints_ = true;
      cv_.notify_all();
    }
  }
  if (type == kEndpointsType && on_endpoints_) on_endpoints_(assignments, arrived_nanos);
}

void AdsWatchStream::OnDone(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = true;
  cv_.notify_all();
}

bool WaitForEndpointOverAds(const std::string& xds_address, const std::string& service,
                            const std::string& endpoint, absl::Duration timeout,
                            std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  auto channel = grpc::CreateChannel(xds_address, credentials);
  auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
  std::mutex mu;
  std::condition_variable seen_it;
  bool seen = false;
  AdsWatchStream stream(stub.get(), absl::StrCat("wait-for-", endpoint), {service},
                        [&](const std::vector<ClusterLoadAssignment>& assignments, int64_t) {
                          for (const auto& cla : assignments) {
                            for (const auto& locality : cla.endpoints()) {
                              for (const auto& e : locality.lb_endpoints()) {
                                const auto& socket = e.endpoint().address().socket_address();
                                if (absl::StrCat(socket.address(), ":", socket.port_value()) ==
                                    endpoint) {
                                  std::lock_guard<std::mutex> lock(mu);
                                  seen = true;
                                  seen_it.notify_all();
                                }
                              }
                            }
                          }
                        });
  stream.Start();
  bool found;
  {
    std::unique_lock<std::mutex> lock(mu);
    found = seen_it.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return seen; });
  }
  stream.Cancel();
  return found;
}

}  // namespace switchboard::testing
