#include "switchboard/cli/health_gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard::cli {
namespace {

using Action = HealthGate::Action;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Status kRefused = absl::UnavailableError("connection refused");

HealthGate MakeGate(int64_t unhealthy_after = 2) {
  return HealthGate({.service = "greeter",
                     .address = "127.0.0.1:50051",
                     .health_kind = "tcp",
                     .endpoints = "127.0.0.1:2379",
                     .ttl = absl::Seconds(10),
                     .unhealthy_after = unhealthy_after});
}

RegistrationState Phase(RegistrationPhase phase, absl::Status error = absl::OkStatus()) {
  RegistrationState state;
  state.phase = phase;
  state.last_error = std::move(error);
  return state;
}

TEST(HealthGateTest, APassingCheckRegistersOnce) {
  HealthGate gate = MakeGate();
  HealthGate::Decision first = gate.OnHealthCheck(absl::OkStatus());
  EXPECT_EQ(first.action, Action::kRegister);
  EXPECT_THAT(first.messages, IsEmpty());
  EXPECT_TRUE(gate.registered());
  EXPECT_EQ(gate.OnHealthCheck(absl::OkStatus()).action, Action::kNothing);
}

TEST(HealthGateTest, WaitingForAFirstPassIsSaidOnce) {
  HealthGate gate = MakeGate();
  HealthGate::Decision first = gate.OnHealthCheck(kRefused);
  EXPECT_EQ(first.action, Action::kNothing);
  EXPECT_THAT(first.messages,
              ElementsAre("waiting for 127.0.0.1:50051 to pass its tcp health check: "
                          "connection refused"));
  HealthGate::Decision second = gate.OnHealthCheck(kRefused);
  EXPECT_EQ(second.action, Action::kNothing);
  EXPECT_THAT(second.messages, IsEmpty());
  EXPECT_FALSE(gate.registered());
  EXPECT_EQ(gate.OnHealthCheck(absl::OkStatus()).action, Action::kRegister);
}

TEST(HealthGateTest, FailuresBelowTheThresholdAreCountedNotActedOn) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/3);
  gate.OnHealthCheck(absl::OkStatus());
  HealthGate::Decision one = gate.OnHealthCheck(kRefused);
  EXPECT_EQ(one.action, Action::kNothing);
  EXPECT_THAT(one.messages, ElementsAre("health check failed (1 of 3 before withdrawal): "
                                        "connection refused"));
  EXPECT_THAT(gate.OnHealthCheck(kRefused).messages,
              ElementsAre("health check failed (2 of 3 before withdrawal): connection refused"));
  EXPECT_EQ(gate.failures_in_a_row(), 2);
  EXPECT_TRUE(gate.registered());
}

TEST(HealthGateTest, APassResetsTheCount) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/2);
  gate.OnHealthCheck(absl::OkStatus());
  gate.OnHealthCheck(kRefused);
  EXPECT_EQ(gate.OnHealthCheck(absl::OkStatus()).action, Action::kNothing);
  EXPECT_EQ(gate.failures_in_a_row(), 0);
  // One failure again: a blip, not the second in a row.
  EXPECT_EQ(gate.OnHealthCheck(kRefused).action, Action::kNothing);
  EXPECT_TRUE(gate.registered());
}

TEST(HealthGateTest, TheThresholdWithdrawsAndARecoveryRegistersAgain) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/2);
  gate.OnHealthCheck(absl::OkStatus());
  gate.OnHealthCheck(kRefused);
  HealthGate::Decision withdraw = gate.OnHealthCheck(kRefused);
  EXPECT_EQ(withdraw.action, Action::kWithdraw);
  EXPECT_THAT(withdraw.messages,
              ElementsAre("unhealthy: connection refused; withdrawing greeter 127.0.0.1:50051"));
  EXPECT_FALSE(gate.registered());
  EXPECT_EQ(gate.OnHealthCheck(absl::OkStatus()).action, Action::kRegister);
  EXPECT_TRUE(gate.registered());
}

TEST(HealthGateTest, UnhealthyAfterOneWithdrawsOnTheFirstFailure) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/1);
  gate.OnHealthCheck(absl::OkStatus());
  EXPECT_EQ(gate.OnHealthCheck(kRefused).action, Action::kWithdraw);
}

TEST(HealthGateTest, AfterARegistrationAndAWithdrawalWaitingIsSaidAgain) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/1);
  gate.OnHealthCheck(kRefused);  // "waiting for ..."
  gate.OnHealthCheck(absl::OkStatus());
  EXPECT_EQ(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)),
            "registered greeter 127.0.0.1:50051 in etcd 127.0.0.1:2379 (lease ttl 10s)");
  EXPECT_EQ(gate.OnHealthCheck(kRefused).action, Action::kWithdraw);
  // The registration cleared "waiting was said": the user hears it again.
  EXPECT_THAT(gate.OnHealthCheck(kRefused).messages,
              ElementsAre("waiting for 127.0.0.1:50051 to pass its tcp health check: "
                          "connection refused"));
  EXPECT_THAT(gate.OnHealthCheck(kRefused).messages, IsEmpty());
}

TEST(HealthGateTest, WithoutARegistrationInBetweenWaitingIsNotRepeated) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/1);
  gate.OnHealthCheck(kRefused);  // "waiting for ..."
  gate.OnHealthCheck(absl::OkStatus());
  gate.OnRegistrationState(Phase(RegistrationPhase::kRetrying, absl::UnavailableError("down")));
  EXPECT_EQ(gate.OnHealthCheck(kRefused).action, Action::kWithdraw);
  EXPECT_THAT(gate.OnHealthCheck(kRefused).messages, IsEmpty());
}

TEST(HealthGateTest, RegistrarPhasesAreReportedOnChangeOnly) {
  HealthGate gate = MakeGate();
  // Nothing registered: nothing to report.
  EXPECT_EQ(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)), std::nullopt);
  gate.OnHealthCheck(absl::OkStatus());
  EXPECT_EQ(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistering)), std::nullopt);
  EXPECT_TRUE(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)).has_value());
  EXPECT_EQ(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)), std::nullopt);
  EXPECT_EQ(gate.OnRegistrationState(
                Phase(RegistrationPhase::kRetrying, absl::UnavailableError("etcd down"))),
            "etcd unreachable, retrying: etcd down");
  EXPECT_EQ(gate.OnRegistrationState(Phase(RegistrationPhase::kRetrying)), std::nullopt);
  EXPECT_TRUE(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)).has_value());
}

TEST(HealthGateTest, ANewRegistrationReportsItsPhaseAfresh) {
  HealthGate gate = MakeGate(/*unhealthy_after=*/1);
  gate.OnHealthCheck(absl::OkStatus());
  EXPECT_TRUE(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)).has_value());
  gate.OnHealthCheck(kRefused);  // withdrawn
  gate.OnHealthCheck(absl::OkStatus());  // registered again: a new registrar
  EXPECT_TRUE(gate.OnRegistrationState(Phase(RegistrationPhase::kRegistered)).has_value());
}

}  // namespace
}  // namespace switchboard::cli
