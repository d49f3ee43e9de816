#include "switchboard/observability/event_feed.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/observability/status_json.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::observability {
namespace {

std::string Describe(const Instance& instance) {
  std::string text = absl::StrCat(instance.service, " ", instance.address);
  if (!instance.metadata.zone.empty()) absl::StrAppend(&text, " zone ", instance.metadata.zone);
  if (instance.metadata.draining) absl::StrAppend(&text, " (draining)");
  return text;
}

}  // namespace

void EventFeed::Add(std::string kind, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({next_sequence_++, absl::Now(), std::move(kind), std::move(text)});
  while (events_.size() > capacity_) events_.pop_front();
}

std::vector<FeedEvent> EventFeed::Recent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {events_.begin(), events_.end()};
}

nlohmann::json EventFeed::Json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const FeedEvent& event : Recent()) {
    out.push_back({{"sequence", event.sequence},
                   {"time", TimeJson(event.time)},
                   {"kind", event.kind},
                   {"text", event.text}});
  }
  return out;
}

void EventFeed::OnNack(const xds::NackEvent& nack) {
  Add("nack", absl::StrCat("node ", nack.node_id.empty() ? nack.peer : nack.node_id,
                           " rejected ", xds::ShortName(nack.kind), " version ", nack.version,
                           " of ", absl::StrJoin(nack.services, ", "), ": ", nack.error));
}

void EventFeed::OnSourceUpdate(const std::string& source, const Changeset& changes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_.clear();
  }
  for (const Instance& instance : changes.added) Add("registered", Describe(instance));
  for (const Instance& instance : changes.removed) Add("removed", Describe(instance));
  for (const Instance& instance : changes.updated) Add("updated", Describe(instance));
}

void EventFeed::OnSourceError(const std::string& source, const absl::Status& error) {
  std::string text = absl::StrCat("source ", source, ": ", error.message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (text == last_error_) return;
    last_error_ = text;
  }
  Add("source_error", std::move(text));
}

}  // namespace switchboard::observability
