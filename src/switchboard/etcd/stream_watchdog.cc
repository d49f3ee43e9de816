#include "switchboard/etcd/stream_watchdog.h"

#include <algorithm>

namespace switchboard {

StreamWatchdog::StreamWatchdog(CancellableStream* stream) : stream_(stream) {
  thread_ = std::thread([this] { Run(); });
}

StreamWatchdog::~StreamWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StreamWatchdog::ExpectAnswerWithin(absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    answer_deadline_ = absl::Now() + timeout;
  }
  cv_.notify_all();
}

void StreamWatchdog::Answered() {
  std::lock_guard<std::mutex> lock(mu_);
  answer_deadline_ = absl::InfiniteFuture();
  last_answer_ = absl::Now();
}

void StreamWatchdog::ProbeEvery(absl::Duration interval, absl::Duration timeout,
                                std::function<void()> probe) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    probe_interval_ = interval;
    probe_timeout_ = timeout;
    probe_ = std::move(probe);
    next_probe_ = absl::Now() + interval;
  }
  cv_.notify_all();
}

bool StreamWatchdog::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

absl::Duration StreamWatchdog::silence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return silence_;
}

void StreamWatchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_ && !fired_) {
    absl::Time wake = std::min(answer_deadline_, next_probe_);
    if (wake == absl::InfiniteFuture()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, absl::ToChronoTime(wake));
    }
    if (stopping_) return;
    absl::Time now = absl::Now();
    if (now >= answer_deadline_) {
      fired_ = true;
      silence_ = now - last_answer_;
      stream_->Cancel();
      return;
    }
    if (now >= next_probe_) {
      next_probe_ = now + probe_interval_;
      if (answer_deadline_ == absl::InfiniteFuture()) answer_deadline_ = now + probe_timeout_;
      // Held under the lock so that no probe runs once the owner stops the
      // watchdog; a probe is one small write and does not block for long.
      probe_();
    }
  }
}

}  // namespace switchboard
