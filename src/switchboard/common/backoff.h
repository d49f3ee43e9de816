// Exponential backoff with jitter for retry loops (registrar, watcher,
// periodic lookup sources). Pure logic: it computes delays, it never sleeps.
//
// Example:
//   Backoff backoff({.initial = absl::Milliseconds(50), .max = absl::Milliseconds(500)});
//   while (!TryOnce()) Sleep(backoff.Next());
//   backoff.Reset();  // after a success
//
// Not thread-safe: owned by the one thread that retries.
#ifndef SWITCHBOARD_COMMON_BACKOFF_H_
#define SWITCHBOARD_COMMON_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace switchboard {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration max = absl::Seconds(5);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [d * (1 - jitter), d * (1 + jitter)],
  // then capped at `max`, so that many clients do not retry in lockstep.
  double jitter = 0.2;
};

class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, uint64_t seed = std::random_device{}());

  // The delay before the next attempt; grows until `max`.
  absl::Duration Next();
  // Back to `initial`, after a success.
  void Reset();
  int attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  absl::Duration current_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_BACKOFF_H_
