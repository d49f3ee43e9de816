// Ends an etcd stream whose member stopped answering. A frozen (SIGSTOP,
// GC pause) or partitioned etcd keeps its TCP connection open, so a blocked
// Read() never returns by itself: only a deadline notices. The watchdog
// holds one: the owner says when it expects an answer, and the watchdog
// cancels the stream if none comes in time. It can also send the probes
// itself (a watch progress request), so that an idle but healthy stream is
// told apart from a dead one.
//
// Example (a watch reader):
//   StreamWatchdog watchdog(stream.get());
//   watchdog.ProbeEvery(absl::Seconds(1), absl::Seconds(2),
//                       [&] { stream->Write(progress_request).IgnoreError(); });
//   while (true) {
//     auto response = stream->Read();
//     if (!response.ok()) return watchdog.fired() ? <member not answering> : response.status();
//     watchdog.Answered();
//     ...
//   }
//
// Example (a request/answer loop such as lease keep-alives):
//   stream->Write(request);
//   watchdog.ExpectAnswerWithin(absl::Milliseconds(600));
//   auto response = stream->Read();
//   watchdog.Answered();
//
// Threading: thread-safe. The watchdog owns one thread; probes and the
// cancellation run on it. The destructor joins it, after which the stream
// is never touched again: destroy the watchdog before the stream.
#ifndef SWITCHBOARD_ETCD_STREAM_WATCHDOG_H_
#define SWITCHBOARD_ETCD_STREAM_WATCHDOG_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {

class StreamWatchdog {
 public:
  explicit StreamWatchdog(CancellableStream* stream);
  ~StreamWatchdog();

  StreamWatchdog(const StreamWatchdog&) = delete;
  StreamWatchdog& operator=(const StreamWatchdog&) = delete;

  // Cancels the stream unless Answered() comes within `timeout`. A later
  // call replaces the deadline.
  void ExpectAnswerWithin(absl::Duration timeout);
  // An answer arrived: no deadline until the next expectation.
  void Answered();
  // Every `interval`, calls `probe` on the watchdog's thread and expects an
  // answer within `timeout` (unless one is expected already).
  void ProbeEvery(absl::Duration interval, absl::Duration timeout, std::function<void()> probe);
  // True once the watchdog cancelled the stream.
  bool fired() const;
  // How long the stream had been silent when the watchdog fired.
  absl::Duration silence() const;

 private:
  void Run();

  CancellableStream* const stream_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  absl::Time answer_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_answer_ ABSL_GUARDED_BY(mu_) = absl::Now();
  absl::Time next_probe_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Duration probe_interval_ ABSL_GUARDED_BY(mu_);
  absl::Duration probe_timeout_ ABSL_GUARDED_BY(mu_);
  std::function<void()> probe_ ABSL_GUARDED_BY(mu_);
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration silence_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_STREAM_WATCHDOG_H_
