#include "testing/closed_loop_caller.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/child_process.h"

namespace switchboard::testing {

ClosedLoopCaller::ClosedLoopCaller(std::shared_ptr<grpc::Channel> channel,
                                   ClosedLoopCallerOptions options)
    : channel_(std::move(channel)), options_(options) {}

ClosedLoopCaller::~ClosedLoopCaller() { Stop(); }

void ClosedLoopCaller::Start() {
  stopping_ = false;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void ClosedLoopCaller::Stop() {
  stopping_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void ClosedLoopCaller::Loop(int thread_index) {
  examples::Greeter::Stub stub(channel_);
  const std::string name = absl::StrCat("caller-", thread_index);
  while (!stopping_.load(std::memory_order_relaxed)) {
    GreeterCallOutcome outcome =
        CallGreeterOnce(stub, options_.deadline, options_.wait_for_ready, name);
    RecordOutcome(outcome, absl::Now(), tally_);
    if (outcome.code == grpc::StatusCode::OK) {
      if (options_.pause > absl::ZeroDuration()) absl::SleepFor(options_.pause);
    } else if (options_.pause_after_failure > absl::ZeroDuration()) {
      absl::SleepFor(options_.pause_after_failure);
    }
  }
}

void ClosedLoopCaller::BeginWindow() {
  tally_.StartRecording(absl::Now());
  window_start_cpu_ = ProcessCpuTime();
}

LoadWindow ClosedLoopCaller::EndWindow() {
  LoadWindow window;
  static_cast<CallRecording&>(window) = tally_.StopRecording(absl::Now());
  window.process_cpu = ProcessCpuTime() - window_start_cpu_;
  return window;
}

absl::Duration ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

GreeterCallOutcome CallGreeterOnce(examples::Greeter::Stub& stub, absl::Duration deadline,
                                   bool wait_for_ready, const std::string& name) {
  examples::HelloRequest request;
  request.set_name(name);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  context.set_wait_for_ready(wait_for_ready);
  examples::HelloReply reply;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = stub.SayHello(&context, request, &reply);
  const auto end = std::chrono::steady_clock::now();
  return {.code = status.error_code(),
          .message = status.error_message(),
          .served_by = reply.served_by(),
          .took = absl::FromChrono(end - start)};
}

GreeterCallOutcome CallGreeterOnce(grpc::Channel& channel, absl::Duration deadline,
                                   bool wait_for_ready) {
  // A Stub needs a shared_ptr; the caller keeps the channel alive.
  std::shared_ptr<grpc::Channel> borrowed(&channel, [](grpc::Channel*) {});
  examples::Greeter::Stub stub(borrowed);
  return CallGreeterOnce(stub, deadline, wait_for_ready);
}

void RecordOutcome(const GreeterCallOutcome& outcome, absl::Time now, CallTally& tally) {
  if (outcome.code == grpc::StatusCode::OK) {
    tally.RecordReply(now, outcome.served_by, outcome.took);
  } else {
    tally.RecordFailure(now, StatusCodeName(outcome.code), outcome.message);
  }
}

namespace {
absl::StatusOr<std::string> ServedByOrError(const GreeterCallOutcome& outcome) {
  if (outcome.code != grpc::StatusCode::OK) {
    return absl::Status(static_cast<absl::StatusCode>(outcome.code), outcome.message);
  }
  return outcome.served_by;
}
}  // namespace

absl::StatusOr<std::string> CallOnce(examples::Greeter::Stub* stub, absl::Duration deadline) {
  return ServedByOrError(CallGreeterOnce(*stub, deadline));
}

absl::StatusOr<std::string> CallOnce(grpc::Channel& channel, absl::Duration deadline) {
  return ServedByOrError(CallGreeterOnce(channel, deadline));
}

CallCounts CallGreeter(examples::Greeter::Stub* stub, int calls, CallTally& tally,
                       absl::Duration deadline) {
  const CallCounts before = tally.Total();
  for (int i = 0; i < calls; ++i) {
    RecordOutcome(CallGreeterOnce(*stub, deadline), absl::Now(), tally);
  }
  return tally.Total().Minus(before);
}

CallCounts CallGreeter(examples::Greeter::Stub* stub, int calls, absl::Duration deadline) {
  CallTally tally;
  return CallGreeter(stub, calls, tally, deadline);
}

bool WaitUntilAllServe(grpc::Channel& channel, const std::vector<std::string>& addresses,
                       absl::Duration timeout) {
  std::set<std::string> seen;
  return WaitFor(
      [&] {
        absl::StatusOr<std::string> served_by = CallOnce(channel);
        if (served_by.ok()) seen.insert(*served_by);
        return std::all_of(addresses.begin(), addresses.end(),
                           [&](const std::string& a) { return seen.count(a) > 0; });
      },
      timeout, absl::Milliseconds(1));
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

grpc::ChannelArguments FastReconnectChannelArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

}  // namespace switchboard::testing
