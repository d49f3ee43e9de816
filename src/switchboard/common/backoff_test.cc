#include "switchboard/common/backoff.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

TEST(BackoffTest, GrowsToMaxWithoutJitter) {
  Backoff b({.initial = absl::Milliseconds(10), .max = absl::Milliseconds(50), .jitter = 0});
  EXPECT_EQ(b.Next(), absl::Milliseconds(10));
  EXPECT_EQ(b.Next(), absl::Milliseconds(20));
  EXPECT_EQ(b.Next(), absl::Milliseconds(40));
  EXPECT_EQ(b.Next(), absl::Milliseconds(50));
  EXPECT_EQ(b.Next(), absl::Milliseconds(50));
  EXPECT_EQ(b.attempts(), 5);
  b.Reset();
  EXPECT_EQ(b.Next(), absl::Milliseconds(10));
}

TEST(BackoffTest, JitterStaysInBoundsAndUnderMax) {
  Backoff b({.initial = absl::Milliseconds(100), .max = absl::Milliseconds(150), .jitter = 0.5}, 7);
  for (int i = 0; i < 100; ++i) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, absl::Milliseconds(50));
    EXPECT_LE(d, absl::Milliseconds(150));
  }
}

}  // namespace
}  // namespace switchboard
