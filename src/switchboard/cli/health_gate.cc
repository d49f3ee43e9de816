#include "switchboard/cli/health_gate.h"

#include "absl/strings/str_cat.h"

namespace switchboard::cli {

HealthGate::HealthGate(HealthGateOptions options) : options_(std::move(options)) {}

HealthGate::Decision HealthGate::OnHealthCheck(const absl::Status& health) {
  Decision decision;
  failures_in_a_row_ = health.ok() ? 0 : failures_in_a_row_ + 1;
  if (health.ok()) {
    if (!registered_) {
      decision.action = Action::kRegister;
      registered_ = true;
      reported_ = RegistrationPhase::kIdle;
    }
    return decision;
  }
  if (registered_ && failures_in_a_row_ < options_.unhealthy_after) {
    decision.messages.push_back(absl::StrCat("health check failed (", failures_in_a_row_, " of ",
                                             options_.unhealthy_after,
                                             " before withdrawal): ", health.message()));
  } else if (registered_) {
    decision.messages.push_back(
        absl::StrCat("unhealthy: ", health.message(), "; withdrawing ", who()));
    decision.action = Action::kWithdraw;
    registered_ = false;
  } else if (!said_waiting_) {
    decision.messages.push_back(absl::StrCat("waiting for ", options_.address, " to pass its ",
                                             options_.health_kind,
                                             " health check: ", health.message()));
    said_waiting_ = true;
  }
  return decision;
}

std::optional<std::string> HealthGate::OnRegistrationState(const RegistrationState& state) {
  if (!registered_ || state.phase == reported_) return std::nullopt;
  reported_ = state.phase;
  if (state.phase == RegistrationPhase::kRegistered) {
    said_waiting_ = false;
    return absl::StrCat("registered ", who(), " in etcd ", options_.endpoints, " (lease ttl ",
                        absl::FormatDuration(options_.ttl), ")");
  }
  if (state.phase == RegistrationPhase::kRetrying) {
    return absl::StrCat("etcd unreachable, retrying: ", state.last_error.message());
  }
  return std::nullopt;
}

}  // namespace switchboard::cli
