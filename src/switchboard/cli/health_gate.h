// The rules of `switchboard register`, the health-gated sidecar, without
// its loop: after each health check, whether to register the instance,
// withdraw it or leave things as they are, and what to tell the user.
// The CLI owns the probe, the Registrar, the clock and the signals; this
// class owns the decisions, so that each of them is unit-tested.
//
// The rules:
//   - a passing check registers an instance that is not registered;
//   - one failed check is often a blip (a GC pause, a full accept queue):
//     a registered instance is withdrawn only after `unhealthy_after`
//     failed checks in a row, each failure before that is reported with
//     its count;
//   - a passing check resets the count; after a withdrawal the next passing
//     check registers the instance again;
//   - while the instance has never passed (or failed since a withdrawal),
//     "waiting for it" is said once, not on every check;
//   - the registrar's phase is reported when it changes: registered, or
//     etcd unreachable and retrying;
//   - on termination a registered instance is deregistered (registered()).
//
// Example:
//   HealthGate gate({.service = "greeter", .address = "127.0.0.1:50051",
//                    .health_kind = "grpc", .endpoints = "127.0.0.1:2379",
//                    .ttl = absl::Seconds(10), .unhealthy_after = 2});
//   HealthGate::Decision d = gate.OnHealthCheck(probe.Check(timeout));
//   for (const std::string& line : d.messages) Say(line);
//   if (d.action == HealthGate::Action::kRegister) registrar->Start({instance});
//   if (d.action == HealthGate::Action::kWithdraw) registrar->Deregister();
//   if (auto line = gate.OnRegistrationState(registrar->state())) Say(*line);
//
// Not thread-safe: owned by the command's loop (or a test). Pure: no I/O.
#ifndef SWITCHBOARD_CLI_HEALTH_GATE_H_
#define SWITCHBOARD_CLI_HEALTH_GATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/registry/registrar.h"

namespace switchboard::cli {

struct HealthGateOptions {
  std::string service;
  std::string address;
  // "grpc", "tcp" or "none", for messages.
  std::string health_kind;
  // The etcd endpoints and the lease TTL, for messages.
  std::string endpoints;
  absl::Duration ttl = absl::Seconds(10);
  // Failed checks in a row before a registered instance is withdrawn, >= 1.
  int64_t unhealthy_after = 2;
};

class HealthGate {
 public:
  enum class Action {
    kNothing,   // keep the current state
    kRegister,  // start a registration of the instance
    kWithdraw,  // delete the registration: the instance is unhealthy
  };
  struct Decision {
    Action action = Action::kNothing;
    // Lines for the user, in order, before the action is taken.
    std::vector<std::string> messages;
  };

  explicit HealthGate(HealthGateOptions options);

  // The outcome of one health check (OK: healthy). Assumes the action is
  // taken: after kRegister the instance counts as registered, after
  // kWithdraw as not.
  Decision OnHealthCheck(const absl::Status& health);
  // The registrar's state, seen after each check while registered: a line
  // to say when its phase changed to one the user should know of.
  std::optional<std::string> OnRegistrationState(const RegistrationState& state);

  bool registered() const { return registered_; }
  int64_t failures_in_a_row() const { return failures_in_a_row_; }
  // "greeter 127.0.0.1:50051", for messages.
  std::string who() const { return options_.service + " " + options_.address; }

 private:
  const HealthGateOptions options_;
  bool registered_ = false;
  int64_t failures_in_a_row_ = 0;
  // "waiting for ..." was said and the instance has not registered since.
  bool said_waiting_ = false;
  // The registrar phase last reported (reset with each new registration).
  RegistrationPhase reported_ = RegistrationPhase::kIdle;
};

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_HEALTH_GATE_H_
