// The health check of `switchboard register`: is the server at an address
// fit to get calls? `grpc` asks grpc.health.v1.Health/Check (service ""),
// `tcp` only connects, `none` always says yes.
//
// Debian's gRPC packages do not ship health.proto, and the request and
// response are one-field messages, so they are encoded here by hand
// (HealthCheckRequest{} is empty; HealthCheckResponse is field 1, a varint).
//
// Example:
//   absl::StatusOr<HealthCheckKind> kind = ParseHealthCheckKind("grpc");
//   absl::Status healthy = ProbeHealth(*kind, "127.0.0.1:50051", absl::Seconds(1));
//
// Threading: ProbeHealth blocks up to `timeout`; call it from one thread.
#ifndef SWITCHBOARD_CLI_HEALTH_PROBE_H_
#define SWITCHBOARD_CLI_HEALTH_PROBE_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::cli {

enum class HealthCheckKind { kGrpc, kTcp, kNone };

absl::StatusOr<HealthCheckKind> ParseHealthCheckKind(absl::string_view text);

// grpc.health.v1 ServingStatus values.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// Decodes a serialized HealthCheckResponse. InvalidArgument on bytes that
// are not one.
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes);

// Probes one address again and again, keeping its gRPC channel between
// probes so that a healthy server is not reconnected every second.
class HealthProbe {
 public:
  HealthProbe(HealthCheckKind kind, std::string address);
  // OK when healthy; otherwise why not ("connect 127.0.0.1:50051: refused",
  // "grpc health: NOT_SERVING").
  absl::Status Check(absl::Duration timeout);

 private:
  const HealthCheckKind kind_;
  const std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_HEALTH_PROBE_H_
