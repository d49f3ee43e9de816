// Load for the greeter: a few threads each calling SayHello in a closed loop
// (the next call starts when the previous one ends) over one channel, e.g.
// `xds:///greeter`, counting replies per serving instance and failures per
// status code in a CallTally.
//
// Example:
//   ClosedLoopCaller caller(grpc::CreateChannel("xds:///greeter", creds), {.threads = 4});
//   caller.Start();
//   ...
//   CallCounts last_second = caller.tally().Window(absl::Now(), absl::Seconds(1));
//   caller.Stop();
//
// Threading: Start() and Stop() from one thread; tally() is thread-safe.
#ifndef SWITCHBOARD_FLEET_CLOSED_LOOP_CALLER_H_
#define SWITCHBOARD_FLEET_CLOSED_LOOP_CALLER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "switchboard/fleet/call_tally.h"

namespace switchboard::fleet {

struct ClosedLoopCallerOptions {
  int threads = 4;
  absl::Duration deadline = absl::Seconds(2);
  bool wait_for_ready = false;
  // Pause after each call; keeps a demo from eating every core.
  absl::Duration pause = absl::ZeroDuration();
  // Pause after a failed call, so that fast failures do not spin.
  absl::Duration pause_after_failure = absl::Milliseconds(20);
};

class ClosedLoopCaller {
 public:
  ClosedLoopCaller(std::shared_ptr<grpc::Channel> channel, ClosedLoopCallerOptions options);
  ~ClosedLoopCaller();  // Stop()s

  void Start();
  // Joins the threads; calls in flight finish first (bounded by the deadline).
  void Stop();
  CallTally& tally() { return tally_; }

 private:
  void Loop(int thread_index);

  std::shared_ptr<grpc::Channel> channel_;
  const ClosedLoopCallerOptions options_;
  CallTally tally_;
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

// One SayHello over `channel` with the given deadline.
GreeterCallOutcome CallGreeterOnce(grpc::Channel& channel, absl::Duration deadline,
                                   bool wait_for_ready);

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ...
std::string StatusCodeName(grpc::StatusCode code);

// Channel arguments for a client that should notice a server coming back
// quickly: reconnect backoff of 100 ms up to 1 s instead of gRPC's 1 s up
// to 120 s, so a restarted server gets calls within about a second.
grpc::ChannelArguments FastReconnectChannelArguments();

}  // namespace switchboard::fleet

#endif  // SWITCHBOARD_FLEET_CLOSED_LOOP_CALLER_H_
