// Counts the outcome of calls made by a load generator: replies per serving
// instance (the greeter's `served_by`) and failures per status code, in
// total and over a recent window ("the share each server got in the last
// second"). Pure bookkeeping, no I/O: time is passed in, so tests drive it.
//
// Example:
//   CallTally tally;
//   tally.RecordReply(now, "127.0.0.1:50051");
//   tally.RecordFailure(now, "UNAVAILABLE", "no healthy upstream");
//   CallCounts last_second = tally.Window(now, absl::Seconds(1));
//   double share = last_second.Share("127.0.0.1:50051");   // 1.0
//   CallCounts since = tally.Total().Minus(mark);           // since a mark
//   tally.StartRecording(now);                              // a benchmark's window:
//   CallRecording window = tally.StopRecording(later);      // latencies, failures in order
//
// Threading: thread-safe; Record*() take one short lock.
#ifndef SWITCHBOARD_TESTING_CALL_TALLY_H_
#define SWITCHBOARD_TESTING_CALL_TALLY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace switchboard::testing {

// Counts over some stretch of time.
struct CallCounts {
  std::map<std::string, int64_t> replies_by_server;
  // Status code name ("UNAVAILABLE") -> failed calls.
  std::map<std::string, int64_t> failures_by_code;

  int64_t replies() const;
  int64_t failures() const;
  int64_t calls() const { return replies() + failures(); }
  int64_t RepliesFrom(const std::string& server) const;
  // `server`'s fraction of the replies, 0 when there were none.
  double Share(const std::string& server) const;
  // These counts minus `earlier` (an older total): what happened since.
  CallCounts Minus(const CallCounts& earlier) const;
  void Add(const CallCounts& other);
  // "UNAVAILABLE=3 DEADLINE_EXCEEDED=1", or "none".
  std::string FailureSummary() const;
};

// One failed call, as kept while recording.
struct FailedCall {
  absl::Time at;
  std::string code;  // "UNAVAILABLE"
  std::string message;
};

// Every call between CallTally::StartRecording() and StopRecording().
struct CallRecording {
  absl::Duration length;
  CallCounts counts;
  // Latency of every reply, microseconds.
  std::vector<double> latencies_us;
  std::vector<FailedCall> failures;  // in time order

  int64_t ok() const { return counts.replies(); }
  double qps() const;
  double p50_us() const;
  double p99_us() const;
  // "UNAVAILABLE=3 DEADLINE_EXCEEDED=1", or "none".
  std::string FailureSummary() const { return counts.FailureSummary(); }
};

class CallTally {
 public:
  // `bucket` is the resolution of windows; `history` how far back they go.
  explicit CallTally(absl::Duration bucket = absl::Milliseconds(100),
                     absl::Duration history = absl::Seconds(30));

  // `latency` is kept only while recording.
  void RecordReply(absl::Time now, const std::string& served_by,
                   absl::Duration latency = absl::ZeroDuration());
  void RecordFailure(absl::Time now, const std::string& code, const std::string& message);

  CallCounts Total() const;
  // The calls that ended in (now - window, now].
  CallCounts Window(absl::Time now, absl::Duration window) const;
  // When `server` last replied; InfinitePast() if never.
  absl::Time LastReplyFrom(const std::string& server) const;
  // The message of the latest failure with `code`; empty if none.
  std::string LastFailureMessage(const std::string& code) const;
  // "UNAVAILABLE: no healthy upstream", the latest failure; empty if none.
  std::string LastFailure() const;
  // When the latest failure ended; InfinitePast() if none.
  absl::Time LastFailureAt() const;

  // Keeps every call's latency and every failure from `now` on, which the
  // windows above do not (they only count), until StopRecording().
  void StartRecording(absl::Time now);
  CallRecording StopRecording(absl::Time now);

 private:
  struct Bucket {
    int64_t index = 0;  // floor(time / bucket_)
    CallCounts counts;
  };
  Bucket& BucketFor(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration bucket_;
  const absl::Duration history_;
  mutable std::mutex mu_;
  CallCounts total_ ABSL_GUARDED_BY(mu_);
  std::deque<Bucket> buckets_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::map<std::string, absl::Time> last_reply_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> last_failure_message_ ABSL_GUARDED_BY(mu_);
  std::string last_failure_ ABSL_GUARDED_BY(mu_);
  absl::Time last_failure_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool recording_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time recording_start_ ABSL_GUARDED_BY(mu_);
  CallRecording recording_calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_CALL_TALLY_H_
