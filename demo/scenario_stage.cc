#include "demo/scenario_stage.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/core/instance.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/bootstrap.h"

namespace switchboard::demo {

void PrepareXdsClientProcess() {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", /*overwrite=*/0);
}

absl::Status UseXdsServer(const std::string& xds_address) {
  absl::StatusOr<std::string> bootstrap =
      xds::MakeBootstrapJson({.server_address = xds_address, .node_id = xds::DefaultNodeId()});
  if (!bootstrap.ok()) return bootstrap.status();
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), /*overwrite=*/1);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ScenarioStage>> ScenarioStage::Start(ScenarioStageOptions options) {
  std::unique_ptr<ScenarioStage> stage(new ScenarioStage(std::move(options)));
  const ScenarioStageOptions& o = stage->options_;

  // etcd on free ports; a port may be taken between picking and binding.
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> client_port = supervisor::PickFreeLoopbackPort();
    absl::StatusOr<int> peer_port = supervisor::PickFreeLoopbackPort();
    if (!client_port.ok()) return client_port.status();
    if (!peer_port.ok()) return peer_port.status();
    if (*client_port == *peer_port) continue;
    stage->etcd_ = std::make_unique<supervisor::LocalEtcd>(supervisor::LocalEtcdOptions{
        .data_dir = o.work_dir + "/etcd", .client_port = *client_port, .peer_port = *peer_port});
    started = stage->etcd_->Start();
    if (started.ok()) break;
  }
  if (!started.ok()) return started;
  const std::string endpoint = stage->etcd_->endpoint();

  auto registry = EtcdClient::Create({.endpoints = {endpoint}});
  if (!registry.ok()) return registry.status();
  stage->registry_ = std::move(*registry);

  auto source = MakeLookupSource(EtcdSourceUri(endpoint));
  if (!source.ok()) return source.status();
  std::vector<std::unique_ptr<LookupSource>> sources;
  sources.push_back(std::move(*source));
  auto plane = xds::XdsControlPlane::Start(std::move(sources), {.listen_address = "127.0.0.1:0"});
  if (!plane.ok()) return plane.status();
  stage->plane_ = std::move(*plane);

  stage->fleet_ = std::make_unique<testing::GreeterFleet>(testing::GreeterFleetOptions{
      .server_binary = o.greeter_server, .etcd = endpoint, .service = o.service, .ttl = o.ttl,
      .log_dir = o.work_dir});
  for (int i = 0; i < o.servers; ++i) {
    if (absl::StatusOr<int> added = stage->fleet_->Add(); !added.ok()) return added.status();
  }

  stage->client_target_ = absl::StrCat("xds:///", o.service);
  if (absl::Status s = UseXdsServer(stage->plane_->address()); !s.ok()) return s;
  if (o.model == BalancingModel::kProxy) {
    absl::StatusOr<int> port = supervisor::PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    auto proxy_source = MakeLookupSource(EtcdSourceUri(endpoint));
    if (!proxy_source.ok()) return proxy_source.status();
    std::vector<std::unique_ptr<LookupSource>> proxy_sources;
    proxy_sources.push_back(std::move(*proxy_source));
    auto driver = proxy::HaproxyDriver::Start(
        std::move(proxy_sources),
        {.config = {.listens = {{o.service, {"127.0.0.1", static_cast<uint16_t>(*port)}}}},
         .data_dir = o.work_dir + "/proxy"});
    if (!driver.ok()) return driver.status();
    stage->proxy_ = std::move(*driver);
    stage->client_target_ = absl::StrCat("ipv4:127.0.0.1:", *port);
  }
  stage->channel_ = grpc::CreateCustomChannel(stage->client_target_,
                                              grpc::InsecureChannelCredentials(),
                                              testing::FastReconnectChannelArguments());
  stage->caller_ = std::make_unique<testing::ClosedLoopCaller>(stage->channel_, o.load);
  stage->caller_->Start();
  return stage;
}

ScenarioStage::~ScenarioStage() {
  // Load first (it uses the channel), then servers, then the control plane
  // and the registry they talk to.
  if (caller_) caller_->Stop();
  caller_.reset();
  channel_.reset();
  fleet_.reset();
  if (proxy_) proxy_->Stop();
  proxy_.reset();
  if (plane_) plane_->Stop();
  plane_.reset();
  registry_.reset();
  etcd_.reset();
}

std::string ScenarioStage::RegistryKeyOf(const std::string& address) const {
  return RegistryKey("", Instance{.service = options_.service, .address = address});
}

}  // namespace switchboard::demo
