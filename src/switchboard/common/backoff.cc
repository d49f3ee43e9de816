#include "switchboard/common/backoff.h"

#include <algorithm>

namespace switchboard {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options), current_(options.initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  ++attempts_;
  absl::Duration base = current_;
  current_ = std::min(options_.max, current_ * options_.multiplier);
  if (options_.jitter <= 0) return std::min(base, options_.max);
  std::uniform_real_distribution<double> dist(1.0 - options_.jitter, 1.0 + options_.jitter);
  return std::min(options_.max, base * dist(rng_));
}

void Backoff::Reset() {
  current_ = options_.initial;
  attempts_ = 0;
}

}  // namespace switchboard
