#include "switchboard/fleet/closed_loop_caller.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "greeter.grpc.pb.h"

namespace switchboard::fleet {

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
  examples::HelloRequest request;
  request.set_name(absl::StrCat("caller-", thread_index));
  while (!stopping_.load(std::memory_order_relaxed)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    context.set_wait_for_ready(options_.wait_for_ready);
    examples::HelloReply reply;
    grpc::Status status = stub.SayHello(&context, request, &reply);
    const absl::Time now = absl::Now();
    if (status.ok()) {
      tally_.RecordReply(now, reply.served_by());
      if (options_.pause > absl::ZeroDuration()) absl::SleepFor(options_.pause);
    } else {
      tally_.RecordFailure(now, StatusCodeName(status.error_code()), status.error_message());
      absl::SleepFor(options_.pause_after_failure);
    }
  }
}

GreeterCallOutcome CallGreeterOnce(grpc::Channel& channel, absl::Duration deadline,
                                   bool wait_for_ready) {
  // A Stub needs a shared_ptr; the caller keeps the channel alive.
  std::shared_ptr<grpc::Channel> borrowed(&channel, [](grpc::Channel*) {});
  examples::Greeter::Stub stub(borrowed);
  examples::HelloRequest request;
  request.set_name("probe");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  context.set_wait_for_ready(wait_for_ready);
  examples::HelloReply reply;
  const absl::Time start = absl::Now();
  grpc::Status status = stub.SayHello(&context, request, &reply);
  return {.code = status.error_code(),
          .message = status.error_message(),
          .served_by = reply.served_by(),
          .took = absl::Now() - start};
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

}  // namespace switchboard::fleet
