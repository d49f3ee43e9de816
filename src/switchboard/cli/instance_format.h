// How `switchboard ls` and `switchboard watch` show instances: an aligned
// table for people, JSON for scripts (one document for ls, one object per
// line for watch). Pure functions.
//
// Example:
//   std::cout << FormatInstanceTable(instances);
//   // SERVICE  ADDRESS          WEIGHT  ZONE  VERSION  DRAINING  LABELS
//   // greeter  127.0.0.1:50051  1       -     -        no        -
//   std::cout << InstancesJson(instances) << "\n";
//   std::cout << FormatChangeLine(ChangeKind::kAdded, instance, now) << "\n";
#ifndef SWITCHBOARD_CLI_INSTANCE_FORMAT_H_
#define SWITCHBOARD_CLI_INSTANCE_FORMAT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "switchboard/core/instance.h"
#include "switchboard/core/snapshot.h"

namespace switchboard::cli {

// Columns padded to their longest cell; cells have control characters
// escaped and are cut at 48 bytes ("..."), so rows stay short whatever a
// record holds. Rows are grouped by zone within each service (services in
// the order given, instances of one zone in the order given).
std::string FormatInstanceTable(const std::vector<Instance>& instances);
// `instances` grouped as the table shows them.
std::vector<Instance> GroupedByZone(const std::vector<Instance>& instances);
// One line per service when some instance has a zone, else "":
//   greeter  zone eu-1a: 2 serving, 1 draining; zone eu-1b: 3 serving
// ("zone -" for instances without one): what `ls` prints under its table,
// since zone-aware clients prefer their zone (docs/zones.md).
std::string FormatZoneSummary(const std::vector<Instance>& instances);
// {"instances":[{"service":..,"address":..,"weight":..,"zone":..,"version":..,
//   "draining":..,"labels":{..}}]}
std::string InstancesJson(const std::vector<Instance>& instances);

enum class ChangeKind { kAdded, kRemoved, kUpdated };

// "12:00:01.234 + greeter 127.0.0.1:50051 weight=1 zone=a", fields escaped
// and cut as in TruncateForDisplay.
std::string FormatChangeLine(ChangeKind kind, const Instance& instance, absl::Time when);
// {"time":"...","change":"added","instance":{...}}.
std::string ChangeJson(ChangeKind kind, const Instance& instance, absl::Time when);
// Every line of `changes` (added, then updated, then removed), text or JSON.
std::vector<std::string> FormatChangeset(const Changeset& changes, absl::Time when, bool json);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_INSTANCE_FORMAT_H_
