#include "switchboard/core/lookup_source.h"

#include <optional>

namespace switchboard {

SnapshotPtr PublishingSource::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

absl::Status PublishingSource::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

bool PublishingSource::Ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

void PublishingSource::SetObserver(LookupObserver* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = observer;
}

Changeset PublishingSource::Publish(SnapshotPtr snapshot) {
  std::lock_guard<std::mutex> callback_lock(callback_mu_);
  return PublishLocked(std::move(snapshot), std::nullopt);
}

Changeset PublishingSource::Publish(SnapshotPtr snapshot, Changeset changes) {
  std::lock_guard<std::mutex> callback_lock(callback_mu_);
  return PublishLocked(std::move(snapshot), std::move(changes));
}

Changeset PublishingSource::PublishLocked(SnapshotPtr snapshot, std::optional<Changeset> known) {
  Changeset changes;
  LookupObserver* observer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool first = !ready_;
    health_ = absl::OkStatus();
    changes = known.has_value() ? std::move(*known) : Diff(*current_, *snapshot);
    if (!first && changes.empty()) {
      current_ = std::move(snapshot);  // keep the newest revision
      return changes;
    }
    current_ = snapshot;
    ready_ = true;
    observer = observer_;
  }
  if (observer != nullptr) observer->OnUpdate(std::move(snapshot), changes);
  return changes;
}

void PublishingSource::ReportError(const absl::Status& error) {
  std::lock_guard<std::mutex> callback_lock(callback_mu_);
  LookupObserver* observer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    health_ = error;
    observer = observer_;
  }
  if (observer != nullptr) observer->OnError(error);
}

}  // namespace switchboard
