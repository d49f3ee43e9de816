#include "switchboard/lookup/periodic_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/core/snapshot.h"

namespace switchboard {
namespace {

BackoffOptions ErrorBackoff(const PeriodicOptions& options) {
  absl::Duration max = options.max_backoff > absl::ZeroDuration() ? options.max_backoff
                                                                  : options.interval * 8;
  return BackoffOptions{.initial = options.interval,
                        .max = std::max(max, options.interval),
                        .multiplier = 2.0,
                        .jitter = options.jitter};
}

}  // namespace

absl::StatusOr<PeriodicOptions> PeriodicOptionsFromUri(const SourceUri& uri,
                                                       PeriodicOptions defaults) {
  PeriodicOptions options = defaults;
  absl::StatusOr<absl::Duration> interval = DurationParam(uri, "interval", defaults.interval);
  if (!interval.ok()) return interval.status();
  options.interval = *interval;
  absl::StatusOr<absl::Duration> timeout = DurationParam(uri, "timeout", defaults.timeout);
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  absl::StatusOr<absl::Duration> max_backoff =
      DurationParam(uri, "max_backoff", defaults.max_backoff);
  if (!max_backoff.ok()) return max_backoff.status();
  options.max_backoff = *max_backoff;
  absl::StatusOr<double> jitter = DoubleParam(uri, "jitter", defaults.jitter);
  if (!jitter.ok()) return jitter.status();
  if (*jitter < 0 || *jitter > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("source '", uri.text, "': jitter=", *jitter, " is not within 0..1"));
  }
  options.jitter = *jitter;
  return options;
}

RefreshPolicy::RefreshPolicy(const PeriodicOptions& options, uint64_t seed)
    : options_(options), backoff_(ErrorBackoff(options), seed), rng_(seed ^ 0x5eed) {}

absl::Duration RefreshPolicy::JitteredInterval() {
  double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  if (jitter == 0) return options_.interval;
  std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
  return options_.interval * dist(rng_);
}

RefreshPolicy::Decision RefreshPolicy::Decide(absl::StatusOr<FetchResult> outcome) {
  Decision decision;
  if (outcome.ok() && outcome->nonexistent && !options_.empty_on_nonexistent) {
    outcome = absl::NotFoundError(outcome->detail);
  }
  if (!outcome.ok()) {
    ++consecutive_errors_;
    decision.error = outcome.status();
    decision.wait = backoff_.Next();
    return decision;
  }
  consecutive_errors_ = 0;
  backoff_.Reset();
  decision.publish = true;
  decision.instances = std::move(outcome->instances);
  decision.wait = JitteredInterval();
  return decision;
}

PeriodicSource::PeriodicSource(std::string description, PeriodicOptions options)
    : description_(std::move(description)), options_(options) {}

PeriodicSource::~PeriodicSource() { Stop(); }

void PeriodicSource::Start(LookupObserver* observer) {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (thread_.joinable()) return;
  SetObserver(observer);
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicSource::Stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  SetObserver(nullptr);
}

void PeriodicSource::RequestRefresh() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void PeriodicSource::Loop() {
  RefreshPolicy policy(options_);
  while (!stopping_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      refresh_requested_ = false;
    }
    FetchContext context{.deadline = absl::Now() + options_.timeout, .stopping = &stopping_};
    absl::StatusOr<FetchResult> outcome = Fetch(context);
    if (stopping_) break;
    if (outcome.ok() && outcome->nonexistent && options_.empty_on_nonexistent) {
      SB_LOG(kInfo, "lookup", description_, ": ", outcome->detail, "; publishing an empty set");
    }
    RefreshPolicy::Decision decision = policy.Decide(std::move(outcome));
    if (decision.publish) {
      ++lookups_;
      Changeset changes = Publish(Snapshot::Create(std::move(decision.instances), ++generation_));
      if (!changes.empty()) SB_LOG(kDebug, "lookup", description_, ": ", changes.Summary());
    } else {
      SB_LOG(kWarn, "lookup", description_, ": ", decision.error.message(),
             "; keeping the last good set, retrying in ", absl::FormatDuration(decision.wait));
      ReportError(decision.error);
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, absl::ToChronoNanoseconds(decision.wait),
                   [this] { return stopping_.load() || refresh_requested_; });
  }
}

}  // namespace switchboard
