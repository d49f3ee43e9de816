// Fault injection from the policy, end to end with the gRPC C++ client
// through `xds:///`: a header route that aborts every call fails them with
// its status before they leave the client (the server sees none), the
// default route of the same service is untouched, and a service-wide delay
// holds each call at least that long. One process, one bootstrap.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "demo/scenario_stage.h"
#include "gtest/gtest.h"
#include "switchboard/xds/control_plane.h"
#include "testing/child_process.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::WaitFor;
using testing::GreeterInstance;
using testing::InProcessGreeter;
using testing::ManualSource;

constexpr absl::Duration kDelay = absl::Milliseconds(300);

class FaultEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto greeter = InProcessGreeter::Start();
    ASSERT_TRUE(greeter.ok()) << greeter.status();
    greeter_ = std::move(*greeter);
    PolicyTable policies;
    // "chaos": calls with x-chaos are aborted; the others go through.
    ServicePolicy& chaos = policies.per_service["chaos"];
    chaos.routing.subsets = SubsetPolicy{.by = "version"};
    chaos.routing.routes.push_back(
        {.match = HeaderMatch{.header = "x-chaos", .kind = HeaderMatch::Kind::kPresent},
         .split = {{"v1", 100}},
         .fault = std::optional<FaultPolicy>(FaultPolicy{.abort_percent = 100, .abort_code = 7})});
    // "slow": every call held kDelay.
    policies.per_service["slow"].fault = FaultPolicy{.delay_percent = 100, .delay = kDelay};
    Instance chaos_instance = GreeterInstance("chaos", *greeter_);
    chaos_instance.metadata.version = "v1";
    socket_path_ = absl::StrCat("/tmp/sb-xds-fault-", getpid(), ".sock");
    auto plane = XdsControlPlane::Start(
        testing::MakeSources(std::make_unique<ManualSource>(
            std::vector<Instance>{chaos_instance, GreeterInstance("slow", *greeter_)})),
        {.listen_address = absl::StrCat("unix:", socket_path_), .policies = policies});
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = std::move(*plane);
    ASSERT_TRUE(demo::UseXdsServer(plane_->address()).ok());
  }
  void TearDown() override {
    plane_.reset();
    greeter_.reset();
    unlink(socket_path_.c_str());
  }

  static InProcessGreeter& greeter() { return *greeter_; }

 private:
  std::string socket_path_;
  static std::unique_ptr<InProcessGreeter> greeter_;
  std::unique_ptr<XdsControlPlane> plane_;
};
std::unique_ptr<InProcessGreeter> FaultEnvironment::greeter_;

[[maybe_unused]] ::testing::Environment* const env =
    ::testing::AddGlobalTestEnvironment(new FaultEnvironment());

struct CallResult {
  grpc::Status status;
  absl::Duration elapsed;
};

CallResult Call(Greeter::Stub& stub, bool chaos_header) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  context.set_wait_for_ready(true);
  if (chaos_header) context.AddMetadata("x-chaos", "1");
  switchboard::examples::HelloRequest request;
  request.set_name("fault-test");
  switchboard::examples::HelloReply reply;
  absl::Time start = absl::Now();
  grpc::Status status = stub.SayHello(&context, request, &reply);
  return {status, absl::Now() - start};
}

std::unique_ptr<Greeter::Stub> StubFor(const std::string& service) {
  return Greeter::NewStub(
      grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials()));
}

TEST(XdsFaultTest, AHeaderRouteAbortsItsCallsAndTheDefaultRouteIsUntouched) {
  auto stub = StubFor("chaos");
  // The default route first: the channel has its configuration then.
  CallResult plain = Call(*stub, false);
  ASSERT_TRUE(plain.status.ok()) << plain.status.error_message();
  const uint64_t served = FaultEnvironment::greeter().calls();
  for (int i = 0; i < 20; ++i) {
    CallResult aborted = Call(*stub, true);
    EXPECT_EQ(aborted.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << aborted.status.error_message();
  }
  // Aborted in the client: none reached the server.
  EXPECT_EQ(FaultEnvironment::greeter().calls(), served);
  for (int i = 0; i < 5; ++i) {
    CallResult ok = Call(*stub, false);
    EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();
  }
  EXPECT_EQ(FaultEnvironment::greeter().calls(), served + 5);
}

TEST(XdsFaultTest, AServiceWideDelayHoldsEveryCall) {
  auto stub = StubFor("slow");
  for (int i = 0; i < 3; ++i) {
    CallResult held = Call(*stub, false);
    ASSERT_TRUE(held.status.ok()) << held.status.error_message();
    EXPECT_GE(held.elapsed, kDelay) << "call " << i << " was not delayed";
  }
}

}  // namespace
}  // namespace switchboard::xds
