// Everything the six scenarios act on, on free loopback ports under one work
// directory: a private etcd, the xDS control plane fed by it (in this
// process), a fleet of greeter servers registered in that etcd, and a client
// under load calling `xds:///greeter` through the control plane. In the
// proxy model, the client instead calls `ipv4:127.0.0.1:<port>`, a plain
// channel to HAProxy, which a HaproxyDriver keeps equal to the same etcd.
//
// The process must be prepared for the xDS client before gRPC starts
// (PrepareXdsClientProcess() first thing in main), because gRPC reads its
// polling interval once, at initialisation.
//
// Example:
//   PrepareXdsClientProcess();
//   auto stage = ScenarioStage::Start({.greeter_server = *testing::LocateGreeterServer(""),
//                                      .work_dir = "/tmp/sb-demo"});
//   if (!stage.ok()) return stage.status();
//   (*stage)->fleet().Kill(0);
//   testing::CallCounts last_second = (*stage)->caller().tally().Window(absl::Now(), absl::Seconds(1));
//
// Threading: one thread drives the stage; the caller's tally may be read
// from any thread.
#ifndef SWITCHBOARD_DEMO_SCENARIO_STAGE_H_
#define SWITCHBOARD_DEMO_SCENARIO_STAGE_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/closed_loop_caller.h"
#include "testing/greeter_fleet.h"
#include "switchboard/supervisor/local_etcd.h"
#include "switchboard/proxy/haproxy_driver.h"
#include "switchboard/xds/control_plane.h"

namespace switchboard::demo {

// How the stage's client finds the servers.
enum class BalancingModel {
  kXds,    // xds:///greeter, balanced by the client's gRPC channel
  kProxy,  // a plain channel to HAProxy (docs/proxy.md), which balances
};

struct ScenarioStageOptions {
  std::string greeter_server;
  BalancingModel model = BalancingModel::kXds;
  // etcd data and every log go here; the caller creates and removes it.
  std::string work_dir;
  std::string service = "greeter";
  int servers = 3;
  // Registration TTL of the greeter servers.
  absl::Duration ttl = absl::Seconds(2);
  testing::ClosedLoopCallerOptions load = {.threads = 4, .deadline = absl::Seconds(2),
                                  .pause = absl::Milliseconds(1)};
};

class ScenarioStage {
 public:
  static absl::StatusOr<std::unique_ptr<ScenarioStage>> Start(ScenarioStageOptions options);
  ~ScenarioStage();  // stops the load, the servers, the control plane and etcd

  supervisor::LocalEtcd& etcd() { return *etcd_; }
  testing::GreeterFleet& fleet() { return *fleet_; }
  testing::ClosedLoopCaller& caller() { return *caller_; }
  grpc::Channel& channel() { return *channel_; }
  // A client of the stage's etcd, for checking and editing registrations.
  EtcdClient& registry() { return *registry_; }
  const std::string& xds_address() const { return plane_->address(); }
  // What the client dials: "xds:///greeter", "ipv4:127.0.0.1:41234".
  const std::string& client_target() const { return client_target_; }
  const ScenarioStageOptions& options() const { return options_; }
  // The registry key of `address` in the stage's service.
  std::string RegistryKeyOf(const std::string& address) const;

 private:
  explicit ScenarioStage(ScenarioStageOptions options) : options_(std::move(options)) {}

  const ScenarioStageOptions options_;
  std::unique_ptr<supervisor::LocalEtcd> etcd_;
  std::unique_ptr<EtcdClient> registry_;
  std::unique_ptr<xds::XdsControlPlane> plane_;
  std::unique_ptr<proxy::HaproxyDriver> proxy_;
  std::string client_target_;
  std::unique_ptr<testing::GreeterFleet> fleet_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::ClosedLoopCaller> caller_;
};

// Sets what gRPC's xDS client needs from the environment before gRPC
// initialises: a short backup polling interval, without which an idle 1.51
// client applies control-plane updates late. Keeps a value already set.
void PrepareXdsClientProcess();

// Points this process's xDS client at `xds_address` (sets
// GRPC_XDS_BOOTSTRAP_CONFIG). Takes effect for xDS channels created after it
// while no other xDS channel is alive.
absl::Status UseXdsServer(const std::string& xds_address);

}  // namespace switchboard::demo

#endif  // SWITCHBOARD_DEMO_SCENARIO_STAGE_H_
