// Load for the greeter, the one load generator of tests, benchmarks and the
// demo: a few threads each calling SayHello in a closed loop (the next call
// starts when the previous one ends) over one channel, e.g.
// `xds:///greeter`, counting replies per serving instance and failures per
// status code in a CallTally; a benchmark's window adds every latency and
// the process's CPU. CallGreeter() is the same calls, a given number, one
// after another on the caller's thread.
//
// Example:
//   ClosedLoopCaller caller(grpc::CreateChannel("xds:///greeter", creds), {.threads = 4});
//   caller.Start();
//   CallCounts last_second = caller.tally().Window(absl::Now(), absl::Seconds(1));
//   caller.BeginWindow();
//   LoadWindow window = caller.EndWindow();   // qps, p99_us, failures in order
//   caller.Stop();
//   CallCounts counts = CallGreeter(stub.get(), 3000);   // sequential
//
// Threading: Start(), Stop() and the windows from one thread; tally() is
// thread-safe.
#ifndef SWITCHBOARD_TESTING_CLOSED_LOOP_CALLER_H_
#define SWITCHBOARD_TESTING_CLOSED_LOOP_CALLER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "greeter.grpc.pb.h"
#include "testing/call_tally.h"

namespace switchboard::testing {

struct ClosedLoopCallerOptions {
  int threads = 4;
  absl::Duration deadline = absl::Seconds(2);
  bool wait_for_ready = false;
  // Pause after each call; keeps a demo from eating every core.
  absl::Duration pause = absl::ZeroDuration();
  // Pause after a failed call, so that fast failures do not spin.
  absl::Duration pause_after_failure = absl::Milliseconds(20);
};

// What the load did between BeginWindow() and EndWindow().
struct LoadWindow : CallRecording {
  // CPU time this whole process used during the window (user + system).
  absl::Duration process_cpu;
  // Process CPU per successful call, microseconds: what the client side of
  // a call costs, much less sensitive than QPS to other work on the machine.
  double cpu_us_per_call() const {
    return ok() == 0 ? 0 : absl::ToDoubleMicroseconds(process_cpu) / ok();
  }
};

// User + system CPU time used by this process so far.
absl::Duration ProcessCpuTime();

class ClosedLoopCaller {
 public:
  ClosedLoopCaller(std::shared_ptr<grpc::Channel> channel, ClosedLoopCallerOptions options);
  ~ClosedLoopCaller();  // Stop()s

  void Start();
  // Joins the threads; calls in flight finish first (bounded by the deadline).
  void Stop();
  CallTally& tally() { return tally_; }
  // Starts keeping every call's latency and failure (and the CPU used)...
  void BeginWindow();
  // ...and returns what was kept since BeginWindow().
  LoadWindow EndWindow();

 private:
  void Loop(int thread_index);

  std::shared_ptr<grpc::Channel> channel_;
  const ClosedLoopCallerOptions options_;
  CallTally tally_;
  absl::Duration window_start_cpu_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

// The outcome of one SayHello.
struct GreeterCallOutcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;    // the error message when not OK
  std::string served_by;  // when OK
  absl::Duration took;
};

// One SayHello with the given deadline.
GreeterCallOutcome CallGreeterOnce(examples::Greeter::Stub& stub, absl::Duration deadline,
                                   bool wait_for_ready = false, const std::string& name = "probe");
GreeterCallOutcome CallGreeterOnce(grpc::Channel& channel, absl::Duration deadline,
                                   bool wait_for_ready = false);
// Counts `outcome`, ended at `now`, in `tally`.
void RecordOutcome(const GreeterCallOutcome& outcome, absl::Time now, CallTally& tally);

// One call; the address that served it, or the error.
absl::StatusOr<std::string> CallOnce(examples::Greeter::Stub* stub,
                                     absl::Duration deadline = absl::Seconds(5));
absl::StatusOr<std::string> CallOnce(grpc::Channel& channel,
                                     absl::Duration deadline = absl::Seconds(2));

// `calls` calls one after another on this thread, each with `deadline`,
// recorded in `tally` (whose LastFailure() says why a call failed); returns
// what these calls did.
CallCounts CallGreeter(examples::Greeter::Stub* stub, int calls, CallTally& tally,
                       absl::Duration deadline = absl::Seconds(5));
CallCounts CallGreeter(examples::Greeter::Stub* stub, int calls,
                       absl::Duration deadline = absl::Seconds(5));

// Calls until every one of `addresses` has served at least once; false at
// the timeout.
bool WaitUntilAllServe(grpc::Channel& channel, const std::vector<std::string>& addresses,
                       absl::Duration timeout);

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ...
std::string StatusCodeName(grpc::StatusCode code);

// Channel arguments for a client that should notice a server coming back
// quickly: reconnect backoff of 100 ms up to 1 s instead of gRPC's 1 s up
// to 120 s, so a restarted server gets calls within about a second.
grpc::ChannelArguments FastReconnectChannelArguments();

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_CLOSED_LOOP_CALLER_H_
