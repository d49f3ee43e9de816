#include "switchboard/etcd/stream_watchdog.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

class CountingStream : public CancellableStream {
 public:
  void Cancel() override { ++cancels; }
  std::atomic<int> cancels{0};
};

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(StreamWatchdogTest, CancelsAStreamThatDoesNotAnswerInTime) {
  CountingStream stream;
  StreamWatchdog watchdog(&stream);
  absl::Time armed = absl::Now();
  watchdog.ExpectAnswerWithin(absl::Milliseconds(50));
  ASSERT_TRUE(WaitUntil([&] { return watchdog.fired(); }, absl::Seconds(5)));
  EXPECT_GE(absl::Now() - armed, absl::Milliseconds(50));
  EXPECT_EQ(stream.cancels.load(), 1);
  EXPECT_GE(watchdog.silence(), absl::Milliseconds(50));
}

TEST(StreamWatchdogTest, AnAnswerInTimeDisarmsIt) {
  CountingStream stream;
  {
    StreamWatchdog watchdog(&stream);
    for (int i = 0; i < 5; ++i) {
      watchdog.ExpectAnswerWithin(absl::Milliseconds(200));
      watchdog.Answered();
    }
    // Nothing is expected any more: even a long wait fires nothing. The
    // destructor then stops the thread without touching the stream.
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(stream.cancels.load(), 0);
}

TEST(StreamWatchdogTest, ProbesRegularlyAndFiresWhenProbesGoUnanswered) {
  CountingStream stream;
  StreamWatchdog watchdog(&stream);
  std::atomic<int> probes{0};
  std::atomic<bool> answer{true};
  std::atomic<bool> done{false};
  // The reader: answers each probe (as etcd would) while `answer` holds.
  std::thread reader([&] {
    int answered = 0;
    while (!done) {
      if (answer && probes.load() > answered) {
        answered = probes.load();
        watchdog.Answered();
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  watchdog.ProbeEvery(absl::Milliseconds(20), absl::Milliseconds(100), [&] { ++probes; });
  EXPECT_TRUE(WaitUntil([&] { return probes.load() >= 5; }, absl::Seconds(5)));
  EXPECT_FALSE(watchdog.fired());
  answer = false;
  EXPECT_TRUE(WaitUntil([&] { return watchdog.fired(); }, absl::Seconds(5)));
  done = true;
  reader.join();
  EXPECT_EQ(stream.cancels.load(), 1);
}

}  // namespace
}  // namespace switchboard
