// The Prometheus metrics of an xDS control plane, on prometheus-cpp's data
// model. Events (responses written, ACKs, NACKs, catalogs published, source
// errors) arrive as an XdsObserver and go into counters and histograms;
// levels (streams by client, services, instances, each source's health)
// are read from the control plane when the metrics are collected, so they
// are never out of date. docs/observability.md lists every metric.
//
// An application embedding the control plane exposes the same metrics by
// serializing Collect() (prometheus::TextSerializer) on its own HTTP
// server, or by handing this Collectable to its own exposer.
//
// Example:
//   auto metrics = std::make_shared<ControlPlaneMetrics>();
//   auto plane = XdsControlPlane::Start(std::move(sources), {.observer = metrics});
//   metrics->Attach(plane->get());
//   std::string text = prometheus::TextSerializer().Serialize(metrics->Collect());
//   ...
//   metrics->Attach(nullptr);  // before the plane goes away
//
// Threading: all methods are thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_CONTROL_PLANE_METRICS_H_
#define SWITCHBOARD_OBSERVABILITY_CONTROL_PLANE_METRICS_H_

#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "switchboard/xds/control_plane.h"
#include "switchboard/xds/xds_observer.h"

namespace switchboard::observability {

class ControlPlaneMetrics : public xds::XdsObserver, public prometheus::Collectable {
 public:
  ControlPlaneMetrics();

  // The plane whose levels Collect() reads; null detaches (then only the
  // event metrics are collected). The plane must stay alive while attached.
  void Attach(const xds::XdsControlPlane* plane);

  // The counters and histograms of the events.
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // Those, and the levels read from the attached plane now.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // XdsObserver:
  void OnResponseWritten(xds::ResourceKind kind) override;
  void OnAck(xds::ResourceKind kind, absl::Duration latency) override;
  void OnNack(const xds::NackEvent& nack) override;
  void OnCatalogPublished(const xds::CatalogPublishedEvent& event) override;
  void OnSourceUpdate(const std::string& source, const Changeset& changes) override;
  void OnSourceError(const std::string& source, const absl::Status& error) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& responses_;
  prometheus::Family<prometheus::Counter>& acks_;
  prometheus::Family<prometheus::Counter>& nacks_;
  prometheus::Family<prometheus::Histogram>& ack_latency_;
  prometheus::Histogram& push_latency_;
  prometheus::Histogram& build_time_;
  prometheus::Counter& catalogs_;
  prometheus::Family<prometheus::Counter>& instance_changes_;
  prometheus::Family<prometheus::Counter>& source_updates_;
  prometheus::Family<prometheus::Counter>& source_errors_;

  mutable std::mutex mu_;
  const xds::XdsControlPlane* plane_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_CONTROL_PLANE_METRICS_H_
