// The Prometheus metrics of `switchboard register` (the health-gated
// sidecar): registration state, health-check results and latency, lease
// keep-alive latency, registrations and re-registrations. The sidecar's
// loop reports to it; docs/observability.md lists every metric.
//
// Example:
//   RegistrationMetrics metrics;
//   options.on_keepalive_answer = [&](absl::Duration d) { metrics.OnKeepAlive(d); };
//   metrics.OnHealthCheck(status.ok(), took);
//   metrics.OnState(registrar->state());
//   std::string text = prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
//
// Threading: all methods are thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_REGISTRATION_METRICS_H_
#define SWITCHBOARD_OBSERVABILITY_REGISTRATION_METRICS_H_

#include <memory>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "switchboard/registry/registrar.h"

namespace switchboard::observability {

class RegistrationMetrics {
 public:
  RegistrationMetrics();

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  void OnHealthCheck(bool passed, absl::Duration latency);
  void OnKeepAlive(absl::Duration latency);
  // The state of the current registrar (one registrar's counts start at
  // zero: after a withdrawal a new one counts on from where the last
  // stopped).
  void OnState(const RegistrationState& state);
  // The instance was withdrawn after failed health checks (no registrar).
  void OnWithdrawn();

 private:
  void SetPhase(const std::string& phase) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& state_;
  prometheus::Family<prometheus::Counter>& health_checks_;
  prometheus::Histogram& health_latency_;
  prometheus::Histogram& keepalive_latency_;
  prometheus::Counter& registrations_;
  prometheus::Counter& reregistrations_;
  prometheus::Counter& restored_;
  prometheus::Gauge& conflicts_;

  std::mutex mu_;
  // What the current registrar had reported, to count on from.
  int last_registrations_ ABSL_GUARDED_BY(mu_) = 0;
  int last_restored_ ABSL_GUARDED_BY(mu_) = 0;
  bool ever_registered_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_REGISTRATION_METRICS_H_
