// Summary statistics over measured values: percentiles for latencies, ratios
// that do not divide by zero. Pure, no I/O.
//
// Example:
//   double p99 = Percentile(latencies_us, 99);
//   double speedup = Ratio(baseline_qps, switchboard_qps);   // 0 when divided by 0
//
// Threading: free functions on values; no shared state.
#ifndef SWITCHBOARD_TESTING_STATISTICS_H_
#define SWITCHBOARD_TESTING_STATISTICS_H_

#include <vector>

namespace switchboard::testing {

// The p-th percentile (0..100) with linear interpolation; 0 when empty.
double Percentile(std::vector<double> values, double p);
inline double Median(std::vector<double> values) { return Percentile(std::move(values), 50); }
double Max(const std::vector<double>& values);
// a / b, 0 when b is 0.
double Ratio(double a, double b);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_STATISTICS_H_
