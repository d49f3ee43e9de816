#include "switchboard/xds/load_report_table.h"

namespace switchboard::xds {

namespace {
absl::Time SecondOf(absl::Time t) { return absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }
}  // namespace

void LoadReportTable::Trim(Entry& entry, absl::Time now) const {
  while (!entry.history.empty() && entry.history.front().second < now - options_.history) {
    entry.history.pop_front();
  }
  while (!entry.recent.empty() && entry.recent.front().at <= now - options_.window) {
    entry.recent.pop_front();
  }
}

void LoadReportTable::Add(const LoadReport& report, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = entries_[{report.service, report.zone}];
  entry.successful_total += report.successful;
  entry.errored_total += report.errored;
  entry.issued_total += report.issued;
  entry.in_progress_by_reporter[report.reporter] = report.in_progress;
  absl::Time second = SecondOf(now);
  if (entry.history.empty() || entry.history.back().second != second) {
    entry.history.push_back({.second = second});
  }
  entry.history.back().calls += report.successful + report.errored;
  entry.history.back().errors += report.errored;
  entry.recent.push_back({.at = now,
                          .reporter = report.reporter,
                          .calls = report.successful + report.errored,
                          .errors = report.errored,
                          .interval = report.interval});
  Trim(entry, now);
}

void LoadReportTable::ForgetReporter(uint64_t reporter, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, entry] : entries_) {
    entry.in_progress_by_reporter.erase(reporter);
    Trim(entry, now);
  }
}

std::vector<ServiceZoneLoad> LoadReportTable::Snapshot(absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ServiceZoneLoad> out;
  for (const auto& [key, entry] : entries_) {
    ServiceZoneLoad load{.service = key.first,
                         .zone = key.second,
                         .successful_total = entry.successful_total,
                         .errored_total = entry.errored_total,
                         .issued_total = entry.issued_total};
    for (const auto& [reporter, level] : entry.in_progress_by_reporter) load.in_progress += level;
    for (const LoadSample& sample : entry.history) {
      if (sample.second >= now - options_.history) load.history.push_back(sample);
    }
    struct Sum {
      uint64_t calls = 0;
      uint64_t errors = 0;
      absl::Duration covered;
    };
    std::map<uint64_t, Sum> by_reporter;
    for (const Entry::Received& r : entry.recent) {
      if (r.at <= now - options_.window || r.at > now) continue;
      Sum& sum = by_reporter[r.reporter];
      sum.calls += r.calls;
      sum.errors += r.errors;
      // A report without its interval counts as one second's worth.
      sum.covered += r.interval > absl::ZeroDuration() ? r.interval : absl::Seconds(1);
    }
    for (const auto& [reporter, sum] : by_reporter) {
      double seconds = absl::ToDoubleSeconds(sum.covered);
      load.calls_per_second += sum.calls / seconds;
      load.errors_per_second += sum.errors / seconds;
    }
    out.push_back(std::move(load));
  }
  return out;
}

}  // namespace switchboard::xds
