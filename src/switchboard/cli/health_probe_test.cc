#include "switchboard/cli/health_probe.h"

#include <gtest/gtest.h>

namespace switchboard::cli {
namespace {

TEST(HealthCheckKindTest, Parse) {
  EXPECT_EQ(*ParseHealthCheckKind("grpc"), HealthCheckKind::kGrpc);
  EXPECT_EQ(*ParseHealthCheckKind("tcp"), HealthCheckKind::kTcp);
  EXPECT_EQ(*ParseHealthCheckKind("none"), HealthCheckKind::kNone);
  EXPECT_EQ(ParseHealthCheckKind("http").status().message(), "--health=http: want grpc, tcp or none");
}

TEST(HealthResponseTest, Decode) {
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x01", 2)), ServingStatus::kServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x02", 2)), ServingStatus::kNotServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(""), ServingStatus::kUnknown);  // proto3 default
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x63", 2)), ServingStatus::kUnknown);
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08", 1)).ok());
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x12\x00", 2)).ok());
}

TEST(HealthProbeTest, NoneIsAlwaysHealthyAndTcpFailsOnAClosedPort) {
  EXPECT_TRUE(HealthProbe(HealthCheckKind::kNone, "127.0.0.1:1").Check(absl::Seconds(1)).ok());
  // Port 1 on loopback is not listening on any sane test machine.
  absl::Status tcp = HealthProbe(HealthCheckKind::kTcp, "127.0.0.1:1").Check(absl::Seconds(1));
  EXPECT_EQ(tcp.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace switchboard::cli
