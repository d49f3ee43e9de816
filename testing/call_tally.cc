#include "testing/call_tally.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/statistics.h"

namespace switchboard::testing {

int64_t CallCounts::replies() const {
  int64_t n = 0;
  for (const auto& [server, count] : replies_by_server) n += count;
  return n;
}

int64_t CallCounts::failures() const {
  int64_t n = 0;
  for (const auto& [code, count] : failures_by_code) n += count;
  return n;
}

int64_t CallCounts::RepliesFrom(const std::string& server) const {
  auto it = replies_by_server.find(server);
  return it == replies_by_server.end() ? 0 : it->second;
}

double CallCounts::Share(const std::string& server) const {
  int64_t total = replies();
  return total == 0 ? 0.0 : static_cast<double>(RepliesFrom(server)) / total;
}

CallCounts CallCounts::Minus(const CallCounts& earlier) const {
  CallCounts out;
  for (const auto& [server, count] : replies_by_server) {
    auto it = earlier.replies_by_server.find(server);
    int64_t n = count - (it == earlier.replies_by_server.end() ? 0 : it->second);
    if (n != 0) out.replies_by_server[server] = n;
  }
  for (const auto& [code, count] : failures_by_code) {
    auto it = earlier.failures_by_code.find(code);
    int64_t n = count - (it == earlier.failures_by_code.end() ? 0 : it->second);
    if (n != 0) out.failures_by_code[code] = n;
  }
  return out;
}

void CallCounts::Add(const CallCounts& other) {
  for (const auto& [server, count] : other.replies_by_server) replies_by_server[server] += count;
  for (const auto& [code, count] : other.failures_by_code) failures_by_code[code] += count;
}

std::string CallCounts::FailureSummary() const {
  if (failures_by_code.empty()) return "none";
  return absl::StrJoin(failures_by_code, " ", absl::PairFormatter("="));
}

double CallRecording::qps() const { return Ratio(ok(), absl::ToDoubleSeconds(length)); }
double CallRecording::p50_us() const { return Percentile(latencies_us, 50); }
double CallRecording::p99_us() const { return Percentile(latencies_us, 99); }

CallTally::CallTally(absl::Duration bucket, absl::Duration history)
    : bucket_(bucket), history_(history) {}

CallTally::Bucket& CallTally::BucketFor(absl::Time now) {
  const int64_t index = absl::ToUnixNanos(now) / absl::ToInt64Nanoseconds(bucket_);
  if (buckets_.empty() || buckets_.back().index < index) {
    buckets_.push_back({.index = index});
    const int64_t keep = absl::ToInt64Nanoseconds(history_) / absl::ToInt64Nanoseconds(bucket_);
    while (!buckets_.empty() && buckets_.front().index <= index - keep) buckets_.pop_front();
    return buckets_.back();
  }
  // Threads may record slightly out of order: find the bucket from the end.
  for (auto it = buckets_.rbegin(); it != buckets_.rend(); ++it) {
    if (it->index == index) return *it;
    if (it->index < index) break;
  }
  return buckets_.back();  // too old or between buckets: close enough
}

void CallTally::RecordReply(absl::Time now, const std::string& served_by,
                            absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  ++total_.replies_by_server[served_by];
  ++BucketFor(now).counts.replies_by_server[served_by];
  last_reply_[served_by] = now;
  if (recording_) {
    ++recording_calls_.counts.replies_by_server[served_by];
    recording_calls_.latencies_us.push_back(absl::ToDoubleMicroseconds(latency));
  }
}

void CallTally::RecordFailure(absl::Time now, const std::string& code, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  ++total_.failures_by_code[code];
  ++BucketFor(now).counts.failures_by_code[code];
  last_failure_message_[code] = message;
  last_failure_ = absl::StrCat(code, ": ", message);
  last_failure_at_ = std::max(last_failure_at_, now);
  if (recording_) {
    ++recording_calls_.counts.failures_by_code[code];
    recording_calls_.failures.push_back({.at = now, .code = code, .message = message});
  }
}

std::string CallTally::LastFailure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_failure_;
}

absl::Time CallTally::LastFailureAt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_failure_at_;
}

void CallTally::StartRecording(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  recording_ = true;
  recording_start_ = now;
  recording_calls_ = CallRecording();
}

CallRecording CallTally::StopRecording(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  recording_ = false;
  CallRecording out = std::move(recording_calls_);
  recording_calls_ = CallRecording();
  out.length = now - recording_start_;
  // Threads record slightly out of order.
  std::stable_sort(out.failures.begin(), out.failures.end(),
                   [](const FailedCall& a, const FailedCall& b) { return a.at < b.at; });
  return out;
}

CallCounts CallTally::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

CallCounts CallTally::Window(absl::Time now, absl::Duration window) const {
  const int64_t bucket_ns = absl::ToInt64Nanoseconds(bucket_);
  const int64_t last = absl::ToUnixNanos(now) / bucket_ns;
  const int64_t first = last - std::max<int64_t>(1, absl::ToInt64Nanoseconds(window) / bucket_ns) + 1;
  CallCounts out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Bucket& b : buckets_) {
    if (b.index >= first && b.index <= last) out.Add(b.counts);
  }
  return out;
}

absl::Time CallTally::LastReplyFrom(const std::string& server) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_reply_.find(server);
  return it == last_reply_.end() ? absl::InfinitePast() : it->second;
}

std::string CallTally::LastFailureMessage(const std::string& code) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_failure_message_.find(code);
  return it == last_failure_message_.end() ? "" : it->second;
}

}  // namespace switchboard::testing
