// The recent events an operator wants to see scroll by on the dashboard:
// instances registered and removed, NACKs, source errors. A bounded ring
// (the newest `capacity` events), fed as an XdsObserver; each event has a
// sequence number so a page polling /api/events?after=N... gets only what
// is new (the dashboard keeps the last one it saw).
//
// Example:
//   auto feed = std::make_shared<EventFeed>(200);
//   ... .observer = feed ...
//   nlohmann::json recent = feed->Json();
//
// Threading: all methods are thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_EVENT_FEED_H_
#define SWITCHBOARD_OBSERVABILITY_EVENT_FEED_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "switchboard/xds/xds_observer.h"

namespace switchboard::observability {

struct FeedEvent {
  uint64_t sequence = 0;
  absl::Time time;
  // "registered", "removed", "updated", "nack", "source_error".
  std::string kind;
  std::string text;
};

class EventFeed : public xds::XdsObserver {
 public:
  explicit EventFeed(size_t capacity = 200) : capacity_(capacity) {}

  void Add(std::string kind, std::string text);
  // Oldest first.
  std::vector<FeedEvent> Recent() const;
  // [{sequence, time, kind, text}], oldest first.
  nlohmann::json Json() const;

  void OnNack(const xds::NackEvent& nack) override;
  void OnSourceUpdate(const std::string& source, const Changeset& changes) override;
  void OnSourceError(const std::string& source, const absl::Status& error) override;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<FeedEvent> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  // A failing source reports every retry: said once until it recovers.
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

// Hands every event to each of several observers (metrics and the feed).
class ObserverFanout : public xds::XdsObserver {
 public:
  explicit ObserverFanout(std::vector<std::shared_ptr<xds::XdsObserver>> observers)
      : observers_(std::move(observers)) {}
  void OnResponseWritten(xds::ResourceKind kind) override {
    for (auto& o : observers_) o->OnResponseWritten(kind);
  }
  void OnAck(xds::ResourceKind kind, absl::Duration latency) override {
    for (auto& o : observers_) o->OnAck(kind, latency);
  }
  void OnNack(const xds::NackEvent& nack) override {
    for (auto& o : observers_) o->OnNack(nack);
  }
  void OnCatalogPublished(const xds::CatalogPublishedEvent& event) override {
    for (auto& o : observers_) o->OnCatalogPublished(event);
  }
  void OnSourceUpdate(const std::string& source, const Changeset& changes) override {
    for (auto& o : observers_) o->OnSourceUpdate(source, changes);
  }
  void OnSourceError(const std::string& source, const absl::Status& error) override {
    for (auto& o : observers_) o->OnSourceError(source, error);
  }

 private:
  const std::vector<std::shared_ptr<xds::XdsObserver>> observers_;
};

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_EVENT_FEED_H_
