// The polling base of pull sources (DNS, file): it owns the loop, so that a
// source only implements "fetch once".
//
// The rules, kept in the I/O-free RefreshPolicy so they can be tested alone:
//   - a successful fetch is published (only announced when it differs);
//   - an authoritative empty answer (an empty file entry, a DNS name that
//     has no records) is a success: it empties the set;
//   - an answer that the name does not exist (DNS NXDOMAIN) empties the set
//     too when `empty_on_nonexistent`, else it is handled as an error;
//   - an error (timeout, server failure, unreadable or invalid file) keeps
//     the last good set, is reported to the observer, and the next fetch
//     waits by exponential backoff (from `interval` up to `max_backoff`);
//   - otherwise the next fetch comes `interval` later, +/- `jitter`.
//
// Example:
//   class ListSource : public PeriodicSource {
//    public:
//     ListSource() : PeriodicSource("list", PeriodicOptions{}) {}
//    protected:
//     absl::StatusOr<FetchResult> Fetch(const FetchContext& context) override {
//       return FetchResult{.instances = {{"greeter", "127.0.0.1:50051", {}}}};
//     }
//   };
//   ListSource source;
//   source.Start(&observer);  // fetches now, then every 5 s
//   ...
//   source.Stop();            // returns promptly, even mid-wait
#ifndef SWITCHBOARD_LOOKUP_PERIODIC_SOURCE_H_
#define SWITCHBOARD_LOOKUP_PERIODIC_SOURCE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/common/backoff.h"
#include "switchboard/core/instance.h"
#include "switchboard/core/lookup_source.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

struct PeriodicOptions {
  // Time between two successful fetches.
  absl::Duration interval = absl::Seconds(5);
  // Each wait is drawn from [interval * (1 - jitter), interval * (1 + jitter)]
  // so that many clients do not poll in lockstep. 0..1.
  double jitter = 0.1;
  // How long one fetch may take before it counts as an error.
  absl::Duration timeout = absl::Seconds(2);
  // Ceiling of the backoff after consecutive errors; zero means
  // 8 * interval. Never below `interval`.
  absl::Duration max_backoff = absl::ZeroDuration();
  // Whether "the name does not exist" empties the set (true) or keeps the
  // last good one like an error (false).
  bool empty_on_nonexistent = true;
};

// The query parameters every pull source takes: interval, timeout, jitter,
// max_backoff (e.g. "?interval=2s&timeout=500ms&jitter=0.2"). Unset ones
// keep their value from `defaults`.
inline constexpr absl::string_view kPeriodicParams[] = {"interval", "timeout", "jitter",
                                                        "max_backoff"};
absl::StatusOr<PeriodicOptions> PeriodicOptionsFromUri(const SourceUri& uri,
                                                       PeriodicOptions defaults = {});

// What one fetch found.
struct FetchResult {
  // The full current set: anything not listed here is gone.
  std::vector<Instance> instances;
  // Set when the authority answered that the name does not exist (DNS
  // NXDOMAIN). `instances` is then empty and `detail` says what was asked.
  bool nonexistent = false;
  std::string detail;
};

// The decisions of the loop, without the loop: what to do with one fetch
// outcome and how long to wait before the next.
//
// Not thread-safe: owned by the loop's thread (or a test).
class RefreshPolicy {
 public:
  struct Decision {
    // True: publish `instances` as the new set. False: keep the last good
    // set and report `error`.
    bool publish = false;
    std::vector<Instance> instances;
    absl::Status error;
    // Before the next fetch.
    absl::Duration wait;
  };

  explicit RefreshPolicy(const PeriodicOptions& options, uint64_t seed = std::random_device{}());

  Decision Decide(absl::StatusOr<FetchResult> outcome);
  int consecutive_errors() const { return consecutive_errors_; }

 private:
  absl::Duration JitteredInterval();

  PeriodicOptions options_;
  Backoff backoff_;
  std::mt19937_64 rng_;
  int consecutive_errors_ = 0;
};

// Passed to each fetch.
struct FetchContext {
  // When the fetch must give up (now + PeriodicOptions::timeout).
  absl::Time deadline;
  // Set when Stop() has been called: a long fetch should give up early.
  const std::atomic<bool>* stopping = nullptr;

  bool Cancelled() const { return stopping != nullptr && stopping->load(); }
};

// Runs Fetch() on its own thread: at Start(), then per the RefreshPolicy, and
// right away after RequestRefresh().
//
// Threading: Start/Stop/Current/Health/Ready and RequestRefresh are
// thread-safe. Fetch() runs on the source's thread only, one call at a time,
// so a source needs no lock for state only Fetch() touches. Derived classes
// must call Stop() in their destructor (the thread calls their Fetch()).
class PeriodicSource : public PublishingSource {
 public:
  ~PeriodicSource() override;

  std::string Describe() const override { return description_; }
  void Start(LookupObserver* observer) override;
  void Stop() override;

  const PeriodicOptions& options() const { return options_; }
  // Every lookup that answered counts as a list.
  SourceActivity Activity() const override { return {.lists = lookups_.load()}; }

 protected:
  PeriodicSource(std::string description, PeriodicOptions options);

  // Looks once. Must respect context.deadline; should return soon after
  // context.Cancelled() turns true.
  virtual absl::StatusOr<FetchResult> Fetch(const FetchContext& context) = 0;

  // Wakes the loop for a fetch now (a watched file changed). Thread-safe;
  // a no-op when stopped.
  void RequestRefresh();

 private:
  void Loop();

  const std::string description_;
  const PeriodicOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool refresh_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stopping_{false};
  // Start/Stop only.
  std::mutex lifecycle_mu_;
  std::thread thread_ ABSL_GUARDED_BY(lifecycle_mu_);

  std::atomic<uint64_t> lookups_{0};
  // Loop thread only.
  int64_t generation_ = 0;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_PERIODIC_SOURCE_H_
