#include "switchboard/xds/load_report_table.h"

#include <gtest/gtest.h>

namespace switchboard::xds {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000000);

TEST(LoadReportTableTest, SumsReportersAndRatesOverTheirIntervals) {
  LoadReportTable table({.window = absl::Seconds(5), .history = absl::Seconds(60)});
  // Two clients, 200/s and 100/s (10 errors/s), reporting every ~1 s.
  for (int i = 1; i <= 10; ++i) {
    absl::Time t = kStart + absl::Seconds(i);
    table.Add({.reporter = 1, .service = "greeter", .zone = "z1", .successful = 200,
               .issued = 200, .in_progress = 4, .interval = absl::Seconds(1)},
              t);
    table.Add({.reporter = 2, .service = "greeter", .zone = "z1", .successful = 45,
               .errored = 5, .issued = 50, .in_progress = 1, .interval = absl::Milliseconds(500)},
              t + absl::Milliseconds(300));
    table.Add({.reporter = 2, .service = "greeter", .zone = "z1", .successful = 45,
               .errored = 5, .issued = 50, .in_progress = 1, .interval = absl::Milliseconds(500)},
              t + absl::Milliseconds(800));
  }
  std::vector<ServiceZoneLoad> loads = table.Snapshot(kStart + absl::Seconds(11));
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].service, "greeter");
  EXPECT_EQ(loads[0].zone, "z1");
  EXPECT_DOUBLE_EQ(loads[0].calls_per_second, 300);
  EXPECT_DOUBLE_EQ(loads[0].errors_per_second, 10);
  EXPECT_EQ(loads[0].successful_total, 2000u + 900u);
  EXPECT_EQ(loads[0].errored_total, 100u);
  EXPECT_EQ(loads[0].issued_total, 3000u);
  EXPECT_EQ(loads[0].in_progress, 5u);
  EXPECT_EQ(loads[0].history.size(), 10u);
  EXPECT_EQ(loads[0].history.back().calls, 300u);

  table.ForgetReporter(1, kStart + absl::Seconds(11));
  EXPECT_EQ(table.Snapshot(kStart + absl::Seconds(11))[0].in_progress, 1u);
}

TEST(LoadReportTableTest, RatesFallToZeroAndHistoryIsBounded) {
  LoadReportTable table({.window = absl::Seconds(5), .history = absl::Seconds(30)});
  for (int i = 0; i < 100; ++i) {
    table.Add({.reporter = 1, .service = "a", .zone = "", .successful = 10,
               .interval = absl::Seconds(1)},
              kStart + absl::Seconds(i));
  }
  table.Add({.reporter = 1, .service = "b", .zone = "z2", .errored = 1}, kStart);
  std::vector<ServiceZoneLoad> loads = table.Snapshot(kStart + absl::Seconds(200));
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0].service, "a");
  EXPECT_EQ(loads[0].calls_per_second, 0);
  EXPECT_TRUE(loads[0].history.empty());
  EXPECT_EQ(loads[0].successful_total, 1000u);
  loads = table.Snapshot(kStart + absl::Seconds(99));
  EXPECT_LE(loads[0].history.size(), 31u);
  EXPECT_DOUBLE_EQ(loads[0].calls_per_second, 10);
}

}  // namespace
}  // namespace switchboard::xds
