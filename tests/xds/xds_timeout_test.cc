// A route timeout from the policy, end to end with the gRPC C++ client
// through `xds:///`: a call slower than the timeout fails with
// DEADLINE_EXCEEDED once the timeout has passed, not before; a faster call
// succeeds; a wait-for-ready call to a stopped server, retried, gives up at
// the timeout too. Sub-second values included, because gRPC C++ starts the
// clock of a route timeout 1 to 2 s before the call (grpc#34547) and the
// control plane has to make up for it (client_capabilities.h).
//
// One process, one bootstrap: the control plane lives for the whole binary.
// The Node.js client's side of the same check is in xds_node_client_test.cc.
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::PickFreePort;
using switchboard::testing::WaitFor;
using testing::GreeterInstance;
using testing::InProcessGreeter;
using testing::ManualSource;

const absl::Duration kTimeouts[] = {absl::Milliseconds(300), absl::Milliseconds(500),
                                    absl::Milliseconds(1500), absl::Seconds(3)};
const absl::Duration kStoppedServerTimeouts[] = {absl::Milliseconds(500), absl::Milliseconds(1500)};

// A call may end this much before its timeout (timer granularity)...
constexpr absl::Duration kEarly = absl::Milliseconds(30);
// ...and this much after it: gRPC C++ cannot be told a timeout it keeps to
// better than a second (see kCoreTimeoutPadding), plus scheduling.
constexpr absl::Duration kLate = absl::Milliseconds(1150);

std::string LiveService(absl::Duration timeout) {
  return absl::StrCat("greeter-", absl::FormatDuration(timeout));
}
std::string StoppedService(absl::Duration timeout) {
  return absl::StrCat("stopped-", absl::FormatDuration(timeout));
}

// The control plane, one greeter, and a service per timeout: live ones on
// the greeter, "stopped" ones on a port where nothing listens.
class TimeoutEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto greeter = InProcessGreeter::Start();
    ASSERT_TRUE(greeter.ok()) << greeter.status();
    greeter_ = std::move(*greeter);
    int dead_port = PickFreePort();
    ASSERT_GT(dead_port, 0);
    PolicyTable policies;
    std::vector<Instance> instances;
    for (absl::Duration timeout : kTimeouts) {
      policies.per_service[LiveService(timeout)].timeout = timeout;
      instances.push_back(GreeterInstance(LiveService(timeout), *greeter_));
    }
    for (absl::Duration timeout : kStoppedServerTimeouts) {
      ServicePolicy& policy = policies.per_service[StoppedService(timeout)];
      policy.timeout = timeout;
      policy.retry = RetryPolicy{.num_retries = 3};
      Instance stopped = GreeterInstance(StoppedService(timeout), *greeter_);
      stopped.address = absl::StrCat("127.0.0.1:", dead_port);
      instances.push_back(stopped);
    }
    socket_path_ = absl::StrCat("/tmp/sb-xds-timeout-", getpid(), ".sock");
    auto plane = XdsControlPlane::Start(
        testing::MakeSources(std::make_unique<ManualSource>(instances)),
        {.listen_address = absl::StrCat("unix:", socket_path_), .policies = policies});
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = std::move(*plane);
    auto bootstrap =
        MakeBootstrapJson({.server_address = plane_->address(), .node_id = "xds-timeout-test"});
    ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
  }
  void TearDown() override {
    plane_.reset();
    greeter_.reset();
    unlink(socket_path_.c_str());
  }

 private:
  std::string socket_path_;
  std::unique_ptr<InProcessGreeter> greeter_;
  std::unique_ptr<XdsControlPlane> plane_;
};

[[maybe_unused]] ::testing::Environment* const env =
    ::testing::AddGlobalTestEnvironment(new TimeoutEnvironment());

struct TimedCall {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  absl::Duration elapsed;
};

// One call asking the server to wait `delay`, with a client deadline far
// beyond any timeout under test, so that only the route's timeout can end it.
TimedCall Call(Greeter::Stub* stub, absl::Duration delay, bool wait_for_ready = false) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  context.set_wait_for_ready(wait_for_ready);
  switchboard::examples::HelloRequest request;
  request.set_name("timeout-test");
  request.set_delay_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(delay)));
  switchboard::examples::HelloReply reply;
  absl::Time start = absl::Now();
  grpc::Status status = stub->SayHello(&context, request, &reply);
  return {status.error_code(), absl::Now() - start};
}

std::unique_ptr<Greeter::Stub> StubFor(const std::string& service) {
  return Greeter::NewStub(
      grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials()));
}

void ExpectEndsAtTimeout(const TimedCall& call, grpc::StatusCode code, absl::Duration timeout,
                         const std::string& what) {
  EXPECT_EQ(call.code, code) << what << " ended after " << call.elapsed;
  EXPECT_GE(call.elapsed, timeout - kEarly) << what << ": ended before its timeout";
  EXPECT_LE(call.elapsed, timeout + kLate) << what << ": ended long after its timeout";
}

TEST(XdsTimeoutTest, SlowCallsFailAtTheTimeoutAndFastOnesSucceed) {
  struct Probe {
    bool resolved = false;
    TimedCall fast;
    TimedCall slow;
  };
  std::vector<Probe> probes(std::size(kTimeouts));
  std::vector<std::thread> threads;
  // One thread per timeout: the slow calls overlap, so the test takes as
  // long as its longest timeout.
  for (size_t i = 0; i < std::size(kTimeouts); ++i) {
    threads.emplace_back([&probes, i] {
      const absl::Duration timeout = kTimeouts[i];
      auto stub = StubFor(LiveService(timeout));
      Probe& probe = probes[i];
      // Until the channel has its resources (first calls wait for them).
      probe.resolved = WaitFor(
          [&] { return Call(stub.get(), absl::ZeroDuration()).code == grpc::StatusCode::OK; },
          absl::Seconds(10), absl::Milliseconds(50));
      if (!probe.resolved) return;
      probe.fast = Call(stub.get(), timeout / 2);
      // Longer than the timeout plus any lateness allowed.
      probe.slow = Call(stub.get(), timeout + kLate + absl::Milliseconds(500));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < std::size(kTimeouts); ++i) {
    const absl::Duration timeout = kTimeouts[i];
    const Probe& probe = probes[i];
    std::string what = absl::StrCat("timeout ", absl::FormatDuration(timeout));
    if (!probe.resolved) {
      ADD_FAILURE() << what << ": no call with no delay succeeded within 10s";
      continue;
    }
    std::printf("  %s: a call of %s took %s (status %d); a slower one failed after %s (status %d)\n",
                what.c_str(), absl::FormatDuration(timeout / 2).c_str(),
                absl::FormatDuration(probe.fast.elapsed).c_str(), probe.fast.code,
                absl::FormatDuration(probe.slow.elapsed).c_str(), probe.slow.code);
    EXPECT_EQ(probe.fast.code, grpc::StatusCode::OK)
        << what << ": a call of half the timeout failed after " << probe.fast.elapsed;
    ExpectEndsAtTimeout(probe.slow, grpc::StatusCode::DEADLINE_EXCEEDED, timeout,
                        what + ", slow call");
  }
}

TEST(XdsTimeoutTest, RetriedCallsToAStoppedServerKeepToTheTimeout) {
  for (absl::Duration timeout : kStoppedServerTimeouts) {
    std::string what = absl::StrCat("timeout ", absl::FormatDuration(timeout), ", stopped server");
    auto stub = StubFor(StoppedService(timeout));
    // Fails fast while the channel has no resources too: wait until the
    // failure is the server's (retries spent), not the resolution's.
    TimedCall fail_fast;
    ASSERT_TRUE(WaitFor(
        [&] {
          fail_fast = Call(stub.get(), absl::ZeroDuration());
          return fail_fast.code == grpc::StatusCode::UNAVAILABLE;
        },
        absl::Seconds(10), absl::Milliseconds(50)))
        << what << ": last call ended with " << fail_fast.code;
    EXPECT_LT(fail_fast.elapsed, timeout) << what;
    // Wait-for-ready: retried until the timeout ends it.
    TimedCall waiting = Call(stub.get(), absl::ZeroDuration(), /*wait_for_ready=*/true);
    std::printf("  %s: UNAVAILABLE after %s; wait-for-ready: status %d after %s\n", what.c_str(),
                absl::FormatDuration(fail_fast.elapsed).c_str(), waiting.code,
                absl::FormatDuration(waiting.elapsed).c_str());
    ExpectEndsAtTimeout(waiting, grpc::StatusCode::DEADLINE_EXCEEDED, timeout,
                        what + ", wait-for-ready call");
  }
}

}  // namespace
}  // namespace switchboard::xds
