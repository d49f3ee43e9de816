#include "switchboard/observability/control_plane_metrics.h"

#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include <utility>

namespace switchboard::observability {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// ACKs and pushes take milliseconds on a healthy client, seconds on a
// stuck or slow one.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

std::string KindLabel(xds::ResourceKind kind) { return absl::AsciiStrToLower(xds::ShortName(kind)); }

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

MetricFamily Gauge(std::string name, std::string help) {
  return MetricFamily{std::move(name), std::move(help), MetricType::Gauge, {}};
}

void AddGauge(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

void AddCounter(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  family.metric.push_back(std::move(metric));
}

}  // namespace

ControlPlaneMetrics::ControlPlaneMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      responses_(prometheus::BuildCounter()
                     .Name("switchboard_xds_responses_sent_total")
                     .Help("ADS responses written to clients, by resource type")
                     .Register(*registry_)),
      acks_(prometheus::BuildCounter()
                .Name("switchboard_xds_acks_total")
                .Help("ADS responses acknowledged (ACK) by clients, by resource type")
                .Register(*registry_)),
      nacks_(prometheus::BuildCounter()
                 .Name("switchboard_xds_nacks_total")
                 .Help("ADS responses rejected (NACK) by clients, by resource type and service")
                 .Register(*registry_)),
      ack_latency_(prometheus::BuildHistogram()
                       .Name("switchboard_xds_ack_latency_seconds")
                       .Help("Time from a response being sent to the client's ACK, by type")
                       .Register(*registry_)),
      push_latency_(prometheus::BuildHistogram()
                        .Name("switchboard_xds_push_latency_seconds")
                        .Help("Time from a registry event reaching the control plane to the "
                              "resulting pushes being queued on every stream")
                        .Register(*registry_)
                        .Add({}, LatencyBuckets())),
      build_time_(prometheus::BuildHistogram()
                      .Name("switchboard_xds_catalog_build_seconds")
                      .Help("Time to merge the sources' snapshots and build the xDS resources")
                      .Register(*registry_)
                      .Add({}, LatencyBuckets())),
      catalogs_(prometheus::BuildCounter()
                    .Name("switchboard_xds_catalogs_published_total")
                    .Help("Catalogs (sets of xDS resources) published to the ADS streams")
                    .Register(*registry_)
                    .Add({})),
      instance_changes_(prometheus::BuildCounter()
                            .Name("switchboard_source_instance_changes_total")
                            .Help("Instances added, removed or updated as sources reported them")
                            .Register(*registry_)),
      source_updates_(prometheus::BuildCounter()
                          .Name("switchboard_source_updates_total")
                          .Help("Snapshots delivered by each source")
                          .Register(*registry_)),
      source_errors_(prometheus::BuildCounter()
                         .Name("switchboard_source_errors_total")
                         .Help("Errors reported by each source (watch failures, lookups failing)")
                         .Register(*registry_)) {
  // Every type shows, at zero, before its first event.
  for (xds::ResourceKind kind : xds::kAllResourceKinds) {
    responses_.Add({{"type", KindLabel(kind)}});
    acks_.Add({{"type", KindLabel(kind)}});
    ack_latency_.Add({{"type", KindLabel(kind)}}, LatencyBuckets());
  }
  for (const char* change : {"added", "removed", "updated"}) {
    instance_changes_.Add({{"change", change}});
  }
}

void ControlPlaneMetrics::Attach(const xds::XdsControlPlane* plane) {
  std::lock_guard<std::mutex> lock(mu_);
  plane_ = plane;
}

void ControlPlaneMetrics::OnResponseWritten(xds::ResourceKind kind) {
  responses_.Add({{"type", KindLabel(kind)}}).Increment();
}

void ControlPlaneMetrics::OnAck(xds::ResourceKind kind, absl::Duration latency) {
  acks_.Add({{"type", KindLabel(kind)}}).Increment();
  ack_latency_.Add({{"type", KindLabel(kind)}}, LatencyBuckets()).Observe(Seconds(latency));
}

void ControlPlaneMetrics::OnNack(const xds::NackEvent& nack) {
  if (nack.services.empty()) {
    nacks_.Add({{"type", KindLabel(nack.kind)}, {"service", ""}}).Increment();
  }
  for (const std::string& service : nack.services) {
    nacks_.Add({{"type", KindLabel(nack.kind)}, {"service", service}}).Increment();
  }
}

void ControlPlaneMetrics::OnCatalogPublished(const xds::CatalogPublishedEvent& event) {
  catalogs_.Increment();
  build_time_.Observe(Seconds(event.build_time));
  if (event.since_source_event > absl::ZeroDuration()) {
    push_latency_.Observe(Seconds(event.since_source_event));
  }
}

void ControlPlaneMetrics::OnSourceUpdate(const std::string& source, const Changeset& changes) {
  source_updates_.Add({{"source", source}}).Increment();
  instance_changes_.Add({{"change", "added"}}).Increment(static_cast<double>(changes.added.size()));
  instance_changes_.Add({{"change", "removed"}})
      .Increment(static_cast<double>(changes.removed.size()));
  instance_changes_.Add({{"change", "updated"}})
      .Increment(static_cast<double>(changes.updated.size()));
}

void ControlPlaneMetrics::OnSourceError(const std::string& source, const absl::Status& error) {
  source_errors_.Add({{"source", source}}).Increment();
}

std::vector<MetricFamily> ControlPlaneMetrics::Collect() const {
  std::vector<MetricFamily> families = registry_->Collect();
  std::lock_guard<std::mutex> lock(mu_);
  if (plane_ == nullptr) return families;

  MetricFamily streams = Gauge("switchboard_xds_streams",
                               "ADS streams open, by client kind (user agent) and version");
  std::map<std::pair<std::string, std::string>, int> by_client;
  for (const xds::ClientStatus& client : plane_->Clients()) {
    by_client[{client.user_agent_name, client.user_agent_version}]++;
  }
  for (const auto& [client, count] : by_client) {
    AddGauge(streams, {{"client", client.first}, {"version", client.second}}, count);
  }
  families.push_back(std::move(streams));

  xds::XdsControlPlaneStats stats = plane_->Stats();
  MetricFamily services = Gauge("switchboard_xds_services", "Services served");
  AddGauge(services, {}, static_cast<double>(stats.services));
  families.push_back(std::move(services));
  MetricFamily instances = Gauge("switchboard_xds_instances", "Instances served, over all services");
  AddGauge(instances, {}, static_cast<double>(stats.instances));
  families.push_back(std::move(instances));

  MetricFamily up = Gauge("switchboard_source_up", "1 when the source is healthy, else 0");
  MetricFamily from_cache = Gauge("switchboard_source_from_cache",
                                  "1 while the source's instances come from the on-disk cache");
  MetricFamily last_success =
      Gauge("switchboard_source_last_success_timestamp_seconds",
            "When the source last delivered a snapshot or was seen healthy (Unix time)");
  MetricFamily consecutive = Gauge("switchboard_source_consecutive_errors",
                                   "Errors the source reported since it was last healthy");
  MetricFamily stale = Gauge("switchboard_source_stale_seconds",
                             "Seconds since the source was last healthy; 0 while it is");
  MetricFamily source_instances =
      Gauge("switchboard_source_instances", "Instances in the source's latest snapshot");
  // The sources' own counters: how hard each works to keep its view.
  MetricFamily lists{"switchboard_source_lists_total",
                     "Full reads of the source (etcd: the prefix listed, the first time "
                     "and after each lost history; DNS and file: each lookup)",
                     MetricType::Counter,
                     {}};
  MetricFamily watch_restarts{"switchboard_source_watch_restarts_total",
                              "Watches created again after one ended (a member failed or was "
                              "left, or history was compacted)",
                              MetricType::Counter,
                              {}};
  MetricFamily skipped{"switchboard_source_skipped_records_total",
                       "Registry records skipped as malformed", MetricType::Counter, {}};
  absl::Time now = absl::Now();
  for (const xds::SourceStatus& source : plane_->Sources()) {
    std::vector<ClientMetric::Label> labels = {{"source", source.source}};
    AddGauge(up, labels, source.up ? 1 : 0);
    AddGauge(from_cache, labels, source.from_cache ? 1 : 0);
    bool ever = source.last_success != absl::InfinitePast();
    AddGauge(last_success, labels, ever ? absl::ToDoubleSeconds(source.last_success - absl::UnixEpoch()) : 0);
    AddGauge(consecutive, labels, static_cast<double>(source.consecutive_errors));
    AddGauge(stale, labels,
             source.up && ever ? 0 : (ever ? Seconds(now - source.last_success) : 0));
    AddGauge(source_instances, labels, static_cast<double>(source.instances));
    AddCounter(lists, labels, static_cast<double>(source.activity.lists));
    AddCounter(watch_restarts, labels, static_cast<double>(source.activity.watch_restarts));
    AddCounter(skipped, labels, static_cast<double>(source.activity.skipped_records));
  }
  for (MetricFamily* family : {&up, &from_cache, &last_success, &consecutive, &stale,
                               &source_instances, &lists, &watch_restarts, &skipped}) {
    families.push_back(std::move(*family));
  }

  // What clients report over LRS (load_reporting_server.h), per locality.
  MetricFamily calls{"switchboard_load_calls_total",
                     "Calls finished that clients reported, by service, zone and result",
                     MetricType::Counter,
                     {}};
  MetricFamily issued{"switchboard_load_calls_issued_total",
                      "Calls started that clients reported, by service and zone",
                      MetricType::Counter,
                      {}};
  MetricFamily in_progress = Gauge("switchboard_load_in_progress",
                                   "Calls in progress in clients' latest reports, by service and zone");
  MetricFamily calls_rate = Gauge("switchboard_load_calls_per_second",
                                  "Calls finished per second over the last 5 s of reports");
  MetricFamily errors_rate = Gauge("switchboard_load_errors_per_second",
                                   "Failed calls per second over the last 5 s of reports");
  for (const xds::ServiceZoneLoad& load : plane_->Load()) {
    std::vector<ClientMetric::Label> labels = {{"service", load.service}, {"zone", load.zone}};
    auto with_result = [&](const char* result) {
      auto l = labels;
      l.push_back({"result", result});
      return l;
    };
    AddCounter(calls, with_result("success"), static_cast<double>(load.successful_total));
    AddCounter(calls, with_result("error"), static_cast<double>(load.errored_total));
    AddCounter(issued, labels, static_cast<double>(load.issued_total));
    AddGauge(in_progress, labels, static_cast<double>(load.in_progress));
    AddGauge(calls_rate, labels, load.calls_per_second);
    AddGauge(errors_rate, labels, load.errors_per_second);
  }
  for (MetricFamily* family : {&calls, &issued, &in_progress, &calls_rate, &errors_rate}) {
    families.push_back(std::move(*family));
  }
  return families;
}

}  // namespace switchboard::observability
