// A metric whose value is read when it is collected, from a function: for
// levels another component already keeps (the etcd supervisor's restart
// count), so they need no second bookkeeping.
//
// Example:
//   auto restarts = std::make_shared<CallbackMetric>(
//       "switchboard_etcd_restarts_total", "Times the managed etcd was restarted",
//       prometheus::MetricType::Counter, [&] { return supervisor->restarts(); });
//   routes = ControlPlaneRoutes(plane, {metrics, restarts});
//
// Threading: Collect() calls the function on the collecting thread; it
// must be thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_CALLBACK_METRIC_H_
#define SWITCHBOARD_OBSERVABILITY_CALLBACK_METRIC_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace switchboard::observability {

class CallbackMetric : public prometheus::Collectable {
 public:
  // `type`: Counter or Gauge.
  CallbackMetric(std::string name, std::string help, prometheus::MetricType type,
                 std::function<double()> read)
      : name_(std::move(name)), help_(std::move(help)), type_(type), read_(std::move(read)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::ClientMetric metric;
    double value = read_();
    if (type_ == prometheus::MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    return {prometheus::MetricFamily{name_, help_, type_, {metric}}};
  }

 private:
  const std::string name_;
  const std::string help_;
  const prometheus::MetricType type_;
  const std::function<double()> read_;
};

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_CALLBACK_METRIC_H_
