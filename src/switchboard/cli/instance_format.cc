#include "switchboard/cli/instance_format.h"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "switchboard/common/display_text.h"

namespace switchboard::cli {
namespace {

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// Table cells hold what anyone wrote to etcd: control characters escaped,
// and cut at kMaxCellBytes, so that one huge key does not pad every row of
// the table to its width (--json has the full values).
constexpr size_t kMaxCellBytes = 48;

std::string Cell(const std::string& text) {
  std::string escaped = EscapeForDisplay(text);
  if (escaped.size() <= kMaxCellBytes) return escaped;
  size_t cut = kMaxCellBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(escaped[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(escaped.substr(0, cut), "...");
}

std::string Labels(const Instance& instance) {
  if (instance.metadata.labels.empty()) return "-";
  return absl::StrJoin(instance.metadata.labels, ",", absl::PairFormatter("="));
}

nlohmann::json InstanceObject(const Instance& instance) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : instance.metadata.labels) labels[k] = v;
  return {{"service", instance.service},
          {"address", instance.address},
          {"weight", instance.metadata.weight},
          {"zone", instance.metadata.zone},
          {"version", instance.metadata.version},
          {"draining", instance.metadata.draining},
          {"labels", labels}};
}

const char* KindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return "added";
    case ChangeKind::kRemoved: return "removed";
    case ChangeKind::kUpdated: return "updated";
  }
  return "?";
}

const char* KindSign(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return "+";
    case ChangeKind::kRemoved: return "-";
    case ChangeKind::kUpdated: return "~";
  }
  return "?";
}

}  // namespace

std::vector<Instance> GroupedByZone(const std::vector<Instance>& instances) {
  std::map<std::string, size_t> first_seen;
  for (const Instance& i : instances) first_seen.emplace(i.service, first_seen.size());
  std::vector<Instance> grouped = instances;
  std::stable_sort(grouped.begin(), grouped.end(), [&](const Instance& a, const Instance& b) {
    return std::make_pair(first_seen[a.service], std::cref(a.metadata.zone)) <
           std::make_pair(first_seen[b.service], std::cref(b.metadata.zone));
  });
  return grouped;
}

std::string FormatZoneSummary(const std::vector<Instance>& instances) {
  struct Count {
    int serving = 0;
    int draining = 0;
  };
  // Services in the order given; per service, zone -> counts.
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, Count>> by_service;
  bool any_zone = false;
  for (const Instance& i : instances) {
    if (by_service.count(i.service) == 0) order.push_back(i.service);
    Count& count = by_service[i.service][i.metadata.zone];
    ++(i.metadata.draining ? count.draining : count.serving);
    any_zone = any_zone || !i.metadata.zone.empty();
  }
  if (!any_zone) return "";
  std::string out;
  for (const std::string& service : order) {
    std::vector<std::string> parts;
    for (const auto& [zone, count] : by_service[service]) {
      std::string part = absl::StrCat("zone ", Cell(OrDash(zone)), ": ", count.serving, " serving");
      if (count.draining > 0) absl::StrAppend(&part, ", ", count.draining, " draining");
      parts.push_back(std::move(part));
    }
    absl::StrAppend(&out, Cell(service), "  ", absl::StrJoin(parts, "; "), "\n");
  }
  return out;
}

std::string FormatInstanceTable(const std::vector<Instance>& given) {
  // Instances of one zone together, within each service.
  const std::vector<Instance> instances = GroupedByZone(given);
  std::vector<std::vector<std::string>> rows = {
      {"SERVICE", "ADDRESS", "WEIGHT", "ZONE", "VERSION", "DRAINING", "LABELS"}};
  for (const Instance& i : instances) {
    rows.push_back({Cell(i.service), Cell(i.address), absl::StrCat(i.metadata.weight),
                    Cell(OrDash(i.metadata.zone)), Cell(OrDash(i.metadata.version)),
                    i.metadata.draining ? "yes" : "no", Cell(Labels(i))});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c + 1 == row.size()) {
        absl::StrAppend(&line, row[c]);
      } else {
        absl::StrAppend(&line, absl::StrFormat("%-*s  ", static_cast<int>(widths[c]), row[c]));
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string InstancesJson(const std::vector<Instance>& instances) {
  nlohmann::json list = nlohmann::json::array();
  for (const Instance& i : instances) list.push_back(InstanceObject(i));
  return nlohmann::json{{"instances", list}}.dump();
}

std::string FormatChangeLine(ChangeKind kind, const Instance& instance, absl::Time when) {
  // One line per change, whatever the record holds: escaped and cut.
  auto shown = [](const std::string& text) { return TruncateForDisplay(text); };
  std::string line = absl::StrCat(absl::FormatTime("%H:%M:%E3S", when, absl::LocalTimeZone()),
                                   " ", KindSign(kind), " ", shown(instance.service), " ",
                                   shown(instance.address));
  if (kind == ChangeKind::kRemoved) return line;
  absl::StrAppend(&line, " weight=", instance.metadata.weight);
  if (!instance.metadata.zone.empty()) absl::StrAppend(&line, " zone=", shown(instance.metadata.zone));
  if (!instance.metadata.version.empty()) {
    absl::StrAppend(&line, " version=", shown(instance.metadata.version));
  }
  if (instance.metadata.draining) absl::StrAppend(&line, " draining");
  if (!instance.metadata.labels.empty()) absl::StrAppend(&line, " labels=", shown(Labels(instance)));
  return line;
}

std::string ChangeJson(ChangeKind kind, const Instance& instance, absl::Time when) {
  return nlohmann::json{{"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", when, absl::UTCTimeZone())},
                        {"change", KindName(kind)},
                        {"instance", InstanceObject(instance)}}
      .dump();
}

std::vector<std::string> FormatChangeset(const Changeset& changes, absl::Time when, bool json) {
  std::vector<std::string> lines;
  auto emit = [&](ChangeKind kind, const std::vector<Instance>& instances) {
    for (const Instance& i : instances) {
      lines.push_back(json ? ChangeJson(kind, i, when) : FormatChangeLine(kind, i, when));
    }
  };
  emit(ChangeKind::kAdded, changes.added);
  emit(ChangeKind::kUpdated, changes.updated);
  emit(ChangeKind::kRemoved, changes.removed);
  return lines;
}

}  // namespace switchboard::cli
