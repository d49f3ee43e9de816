#include "switchboard/cli/health_probe.h"

#include <grpcpp/generic/generic_stub.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/common/host_port.h"
#include "switchboard/supervisor/subprocess.h"

namespace switchboard::cli {

absl::StatusOr<HealthCheckKind> ParseHealthCheckKind(absl::string_view text) {
  if (text == "grpc") return HealthCheckKind::kGrpc;
  if (text == "tcp") return HealthCheckKind::kTcp;
  if (text == "none") return HealthCheckKind::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("--health=", text, ": want grpc, tcp or none"));
}

absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes) {
  // proto3: an absent field is 0 (UNKNOWN). Field 1 varint: tag byte 0x08.
  uint64_t status = 0;
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t tag = static_cast<uint8_t>(bytes[i++]);
    if (tag != 0x08) return absl::InvalidArgumentError("health response: unexpected field");
    uint64_t value = 0;
    int shift = 0;
    while (true) {
      if (i >= bytes.size() || shift > 63) {
        return absl::InvalidArgumentError("health response: truncated varint");
      }
      const uint8_t b = static_cast<uint8_t>(bytes[i++]);
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    status = value;
  }
  if (status > 3) return ServingStatus::kUnknown;
  return static_cast<ServingStatus>(status);
}

HealthProbe::HealthProbe(HealthCheckKind kind, std::string address)
    : kind_(kind), address_(std::move(address)) {}

absl::Status HealthProbe::Check(absl::Duration timeout) {
  switch (kind_) {
    case HealthCheckKind::kNone:
      return absl::OkStatus();
    case HealthCheckKind::kTcp: {
      absl::StatusOr<HostPort> target = ParseHostPort(address_);
      if (!target.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("bad address: ", target.status().message()));
      }
      std::string host = target->host == "localhost" ? "127.0.0.1" : target->host;
      if (!supervisor::CanConnect(host, target->port, timeout)) {
        return absl::UnavailableError(absl::StrCat("tcp connect to ", address_, " failed"));
      }
      return absl::OkStatus();
    }
    case HealthCheckKind::kGrpc: {
      if (channel_ == nullptr) {
        channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
      }
      grpc::GenericStub stub(channel_);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
      grpc::ByteBuffer request;  // HealthCheckRequest{service: ""}: zero bytes
      grpc::Slice empty;
      request = grpc::ByteBuffer(&empty, 1);
      grpc::ByteBuffer response;
      grpc::Status status;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                     &response, [&](grpc::Status s) {
                       std::lock_guard<std::mutex> lock(mu);
                       status = std::move(s);
                       done = true;
                       cv.notify_all();
                     });
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done; });
      if (!status.ok()) {
        return absl::UnavailableError(absl::StrCat("grpc health check of ", address_, ": ",
                                                   status.error_message().empty()
                                                       ? absl::StrCat("code ", status.error_code())
                                                       : status.error_message()));
      }
      std::vector<grpc::Slice> slices;
      if (!response.Dump(&slices).ok()) return absl::InternalError("health response unreadable");
      std::string bytes;
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      absl::StatusOr<ServingStatus> serving = DecodeHealthCheckResponse(bytes);
      if (!serving.ok()) return serving.status();
      if (*serving != ServingStatus::kServing) {
        return absl::UnavailableError(absl::StrCat("grpc health of ", address_, ": ",
                                                   *serving == ServingStatus::kNotServing
                                                       ? "NOT_SERVING"
                                                       : "not SERVING"));
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown health check");
}

}  // namespace switchboard::cli
