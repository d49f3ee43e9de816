// The load that gRPC clients report over LRS, summed per service and zone:
// totals (successful, errored, issued), calls in progress now, calls/s and
// errors/s over a sliding window, and a per-second history for charts.
// Pure bookkeeping; the LRS stream (load_reporting_server.h) feeds it.
//
// Granularity is the client's: per locality (zone), never per instance.
// Each report carries the deltas since the client's previous report.
//
// Example:
//   LoadReportTable table;
//   table.Add({.reporter = 1, .service = "greeter", .zone = "z1",
//              .successful = 198, .errored = 2, .issued = 200, .in_progress = 3}, now);
//   for (const ServiceZoneLoad& load : table.Snapshot(now)) { ... }
//   table.ForgetReporter(1, now);  // its stream closed: its in-progress count goes
//
// Threading: all methods are thread-safe.
#ifndef SWITCHBOARD_XDS_LOAD_REPORT_TABLE_H_
#define SWITCHBOARD_XDS_LOAD_REPORT_TABLE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace switchboard::xds {

struct LoadReport {
  uint64_t reporter = 0;  // one per LRS stream
  std::string service;
  std::string zone;
  uint64_t successful = 0;  // deltas since the reporter's previous report
  uint64_t errored = 0;
  uint64_t issued = 0;
  uint64_t in_progress = 0;  // a level
  // The time the deltas cover (the report's load_report_interval).
  absl::Duration interval = absl::ZeroDuration();
};

struct LoadSample {
  absl::Time second;  // start of the one-second bucket
  uint64_t calls = 0;  // successful + errored finished in that second
  uint64_t errors = 0;
};

struct ServiceZoneLoad {
  std::string service;
  std::string zone;
  uint64_t successful_total = 0;
  uint64_t errored_total = 0;
  uint64_t issued_total = 0;
  uint64_t in_progress = 0;  // summed over the reporters
  // Per reporter, the calls of its reports received in the last `window`
  // over the intervals they cover; summed over the reporters. Exact under a
  // steady load whatever the jitter of the reports' arrival.
  double calls_per_second = 0;
  double errors_per_second = 0;
  std::vector<LoadSample> history;  // oldest first
};

struct LoadReportTableOptions {
  // Reports received this long ago or less make the rates.
  absl::Duration window = absl::Seconds(5);
  // How much per-second history is kept.
  absl::Duration history = absl::Minutes(5);
};

class LoadReportTable {
 public:
  explicit LoadReportTable(LoadReportTableOptions options = {}) : options_(options) {}

  void Add(const LoadReport& report, absl::Time now);
  // The reporter's stream ended: its in-progress counts no longer hold.
  void ForgetReporter(uint64_t reporter, absl::Time now);
  // Sorted by service, then zone.
  std::vector<ServiceZoneLoad> Snapshot(absl::Time now) const;

 private:
  struct Entry {
    uint64_t successful_total = 0;
    uint64_t errored_total = 0;
    uint64_t issued_total = 0;
    std::map<uint64_t, uint64_t> in_progress_by_reporter;
    std::deque<LoadSample> history;
    struct Received {
      absl::Time at;
      uint64_t reporter;
      uint64_t calls;
      uint64_t errors;
      absl::Duration interval;
    };
    std::deque<Received> recent;  // within `window`
  };
  void Trim(Entry& entry, absl::Time now) const;

  const LoadReportTableOptions options_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_LOAD_REPORT_TABLE_H_
