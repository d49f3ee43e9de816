#include "switchboard/observability/registration_metrics.h"

#include <string>

namespace switchboard::observability {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return *buckets;
}

// Every phase a gauge shows (1 for the current one).
constexpr const char* kPhases[] = {"idle",     "registering", "registered",
                                   "retrying", "stopped",     "withdrawn"};

}  // namespace

RegistrationMetrics::RegistrationMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      state_(prometheus::BuildGauge()
                 .Name("switchboard_registration_state")
                 .Help("1 for the registration's current phase (idle, registering, registered, "
                       "retrying, stopped, withdrawn), 0 for the others")
                 .Register(*registry_)),
      health_checks_(prometheus::BuildCounter()
                         .Name("switchboard_health_checks_total")
                         .Help("Health checks of the instance, by result (pass, fail)")
                         .Register(*registry_)),
      health_latency_(prometheus::BuildHistogram()
                          .Name("switchboard_health_check_duration_seconds")
                          .Help("Time one health check of the instance took")
                          .Register(*registry_)
                          .Add({}, Buckets())),
      keepalive_latency_(prometheus::BuildHistogram()
                             .Name("switchboard_lease_keepalive_latency_seconds")
                             .Help("Round trip of each etcd lease keep-alive")
                             .Register(*registry_)
                             .Add({}, Buckets())),
      registrations_(prometheus::BuildCounter()
                         .Name("switchboard_registrations_total")
                         .Help("Times the instance was written under a new lease")
                         .Register(*registry_)
                         .Add({})),
      reregistrations_(prometheus::BuildCounter()
                           .Name("switchboard_reregistrations_total")
                           .Help("Registrations after the first: lease lost, etcd wiped, or the "
                                 "instance healthy again after a withdrawal")
                           .Register(*registry_)
                           .Add({})),
      restored_(prometheus::BuildCounter()
                    .Name("switchboard_registration_restored_total")
                    .Help("Records found deleted or overwritten behind the registrar's back, "
                          "and written again")
                    .Register(*registry_)
                    .Add({})),
      conflicts_(prometheus::BuildGauge()
                     .Name("switchboard_registration_conflicts")
                     .Help("Records another live registrant holds now (left to it)")
                     .Register(*registry_)
                     .Add({})) {
  for (const char* result : {"pass", "fail"}) health_checks_.Add({{"result", result}});
  std::lock_guard<std::mutex> lock(mu_);
  SetPhase("idle");
}

void RegistrationMetrics::SetPhase(const std::string& phase) {
  for (const char* name : kPhases) state_.Add({{"phase", name}}).Set(phase == name ? 1 : 0);
}

void RegistrationMetrics::OnHealthCheck(bool passed, absl::Duration latency) {
  health_checks_.Add({{"result", passed ? "pass" : "fail"}}).Increment();
  health_latency_.Observe(absl::ToDoubleSeconds(latency));
}

void RegistrationMetrics::OnKeepAlive(absl::Duration latency) {
  keepalive_latency_.Observe(absl::ToDoubleSeconds(latency));
}

void RegistrationMetrics::OnState(const RegistrationState& state) {
  std::lock_guard<std::mutex> lock(mu_);
  SetPhase(PhaseName(state.phase));
  // A new registrar starts its counts at zero.
  if (state.registrations < last_registrations_) last_registrations_ = 0;
  if (state.restored < last_restored_) last_restored_ = 0;
  for (int i = last_registrations_; i < state.registrations; ++i) {
    registrations_.Increment();
    if (ever_registered_) reregistrations_.Increment();
    ever_registered_ = true;
  }
  restored_.Increment(state.restored - last_restored_);
  last_registrations_ = state.registrations;
  last_restored_ = state.restored;
  conflicts_.Set(static_cast<double>(state.conflicts.size()));
}

void RegistrationMetrics::OnWithdrawn() {
  std::lock_guard<std::mutex> lock(mu_);
  SetPhase("withdrawn");
  last_registrations_ = 0;
  last_restored_ = 0;
}

}  // namespace switchboard::observability
