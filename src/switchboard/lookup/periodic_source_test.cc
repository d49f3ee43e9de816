#include "switchboard/lookup/periodic_source.h"

#include <gtest/gtest.h>

#include <deque>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace switchboard {
namespace {

PeriodicOptions NoJitter(absl::Duration interval = absl::Seconds(1)) {
  return PeriodicOptions{.interval = interval, .jitter = 0, .timeout = absl::Seconds(1)};
}

FetchResult Found(std::vector<std::string> addresses) {
  FetchResult result;
  for (auto& a : addresses) result.instances.push_back(Instance{"svc", a, {}});
  return result;
}

FetchResult Nonexistent() {
  return FetchResult{.instances = {}, .nonexistent = true, .detail = "svc.test does not exist (NXDOMAIN)"};
}

TEST(RefreshPolicyTest, SuccessPublishesAndWaitsOneInterval) {
  RefreshPolicy policy(NoJitter(absl::Seconds(5)));
  RefreshPolicy::Decision d = policy.Decide(Found({"10.0.0.1:1"}));
  EXPECT_TRUE(d.publish);
  EXPECT_EQ(d.instances.size(), 1u);
  EXPECT_EQ(d.wait, absl::Seconds(5));
}

TEST(RefreshPolicyTest, ErrorKeepsLastGoodAndBacksOffExponentiallyUpToCap) {
  PeriodicOptions options = NoJitter(absl::Seconds(1));
  options.max_backoff = absl::Seconds(5);
  RefreshPolicy policy(options);
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 5; ++i) {
    RefreshPolicy::Decision d = policy.Decide(absl::UnavailableError("server down"));
    EXPECT_FALSE(d.publish);
    EXPECT_EQ(d.error.code(), absl::StatusCode::kUnavailable);
    waits.push_back(d.wait);
  }
  EXPECT_EQ(waits, (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                                absl::Seconds(5), absl::Seconds(5)}));
  EXPECT_EQ(policy.consecutive_errors(), 5);
  // A success resets both the wait and the backoff.
  EXPECT_EQ(policy.Decide(Found({})).wait, absl::Seconds(1));
  EXPECT_EQ(policy.Decide(absl::UnavailableError("again")).wait, absl::Seconds(1));
}

TEST(RefreshPolicyTest, DefaultBackoffCapIsEightIntervals) {
  RefreshPolicy policy(NoJitter(absl::Milliseconds(100)));
  absl::Duration last;
  for (int i = 0; i < 10; ++i) last = policy.Decide(absl::UnavailableError("x")).wait;
  EXPECT_EQ(last, absl::Milliseconds(800));
}

TEST(RefreshPolicyTest, AuthoritativeEmptyAnswerEmptiesTheSet) {
  RefreshPolicy policy(NoJitter());
  RefreshPolicy::Decision d = policy.Decide(Found({}));
  EXPECT_TRUE(d.publish);
  EXPECT_TRUE(d.instances.empty());
}

TEST(RefreshPolicyTest, NonexistentEmptiesOrKeepsPerOption) {
  RefreshPolicy emptying(NoJitter());
  RefreshPolicy::Decision d = emptying.Decide(Nonexistent());
  EXPECT_TRUE(d.publish);
  EXPECT_TRUE(d.instances.empty());

  PeriodicOptions keep = NoJitter();
  keep.empty_on_nonexistent = false;
  RefreshPolicy keeping(keep);
  d = keeping.Decide(Nonexistent());
  EXPECT_FALSE(d.publish);
  EXPECT_EQ(d.error.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(d.error.message(), "svc.test does not exist (NXDOMAIN)");
}

TEST(RefreshPolicyTest, JitterStaysWithinBounds) {
  PeriodicOptions options = NoJitter(absl::Seconds(10));
  options.jitter = 0.2;
  RefreshPolicy policy(options, /*seed=*/7);
  for (int i = 0; i < 100; ++i) {
    absl::Duration wait = policy.Decide(Found({})).wait;
    EXPECT_GE(wait, absl::Seconds(8));
    EXPECT_LE(wait, absl::Seconds(12));
  }
}

// A source whose fetches are scripted by the test: no I/O.
class ScriptedSource : public PeriodicSource {
 public:
  explicit ScriptedSource(PeriodicOptions options) : PeriodicSource("scripted", options) {}
  ~ScriptedSource() override { Stop(); }

  void Push(absl::StatusOr<FetchResult> outcome) {
    absl::MutexLock lock(&mu_);
    script_.push_back(std::move(outcome));
  }
  int fetches() {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }
  using PeriodicSource::RequestRefresh;

 protected:
  absl::StatusOr<FetchResult> Fetch(const FetchContext&) override {
    absl::MutexLock lock(&mu_);
    ++fetches_;
    if (script_.empty()) return last_;
    last_ = script_.front();
    script_.pop_front();
    return last_;
  }

 private:
  absl::Mutex mu_;
  std::deque<absl::StatusOr<FetchResult>> script_;
  absl::StatusOr<FetchResult> last_ = FetchResult{};
  int fetches_ = 0;
};

class Recorder : public LookupObserver {
 public:
  void OnUpdate(SnapshotPtr snapshot, const Changeset&) override {
    absl::MutexLock lock(&mu_);
    sizes_.push_back(snapshot->size());
  }
  void OnError(const absl::Status& error) override {
    absl::MutexLock lock(&mu_);
    errors_.push_back(error);
  }
  std::vector<size_t> sizes() {
    absl::MutexLock lock(&mu_);
    return sizes_;
  }
  size_t errors() {
    absl::MutexLock lock(&mu_);
    return errors_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<size_t> sizes_;
  std::vector<absl::Status> errors_;
};

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(5)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(PeriodicSourceTest, FollowsFetchesKeepsLastGoodOnErrorAndEmptiesOnEmptyAnswer) {
  ScriptedSource source(NoJitter(absl::Milliseconds(10)));
  Recorder recorder;
  source.Push(Found({"10.0.0.1:1", "10.0.0.2:1"}));
  source.Push(absl::UnavailableError("dns server down"));
  source.Push(Found({"10.0.0.1:1"}));
  source.Push(Found({}));
  source.Start(&recorder);
  ASSERT_TRUE(Eventually([&] { return recorder.sizes().size() == 3; }));
  EXPECT_EQ(recorder.sizes(), (std::vector<size_t>{2, 1, 0}));
  EXPECT_EQ(recorder.errors(), 1u);
  EXPECT_TRUE(source.Health().ok());
  source.Stop();
}

TEST(PeriodicSourceTest, ErrorLeavesCurrentSnapshotAndHealthShowsIt) {
  ScriptedSource source(NoJitter(absl::Milliseconds(10)));
  source.Push(Found({"10.0.0.1:1"}));
  source.Push(absl::DeadlineExceededError("timed out asking 127.0.0.1:53"));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return !source.Health().ok(); }));
  EXPECT_EQ(source.Current()->size(), 1u);
  EXPECT_EQ(source.Health().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(PeriodicSourceTest, StopInterruptsALongWaitPromptly) {
  ScriptedSource source(NoJitter(absl::Hours(1)));
  source.Push(Found({"10.0.0.1:1"}));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Ready(); }));
  absl::Time before = absl::Now();
  source.Stop();
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(500));
}

TEST(PeriodicSourceTest, RequestRefreshFetchesWithoutWaitingForTheInterval) {
  ScriptedSource source(NoJitter(absl::Hours(1)));
  source.Push(Found({"10.0.0.1:1"}));
  source.Push(Found({"10.0.0.1:1", "10.0.0.2:1"}));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Ready(); }));
  source.RequestRefresh();
  ASSERT_TRUE(Eventually([&] { return source.Current()->size() == 2; }));
  EXPECT_EQ(source.fetches(), 2);
}

TEST(PeriodicSourceTest, SnapshotsCarryIncreasingRevisions) {
  ScriptedSource source(NoJitter(absl::Milliseconds(5)));
  source.Push(Found({"10.0.0.1:1"}));
  source.Push(Found({"10.0.0.2:1"}));
  source.Start(nullptr);
  ASSERT_TRUE(Eventually([&] { return source.Current()->revision() >= 2; }));
  int64_t first = source.Current()->revision();
  ASSERT_TRUE(Eventually([&] { return source.Current()->revision() > first; }));
}

}  // namespace
}  // namespace switchboard
