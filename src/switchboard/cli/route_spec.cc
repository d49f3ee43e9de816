#include "switchboard/cli/route_spec.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace switchboard::cli {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " '", text, "': ", why));
}

std::string SubsetOf(const Instance& instance, const std::string& by) {
  if (by == "version") return instance.metadata.version;
  auto it = instance.metadata.labels.find(by);
  return it == instance.metadata.labels.end() ? "" : it->second;
}

std::string FormatSplit(const xds::SubsetSplit& split) {
  if (split.size() == 1) return split.begin()->first;
  std::vector<std::string> parts;
  for (const auto& [subset, weight] : split) parts.push_back(absl::StrCat(subset, " ", weight, "%"));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

absl::StatusOr<xds::SubsetSplit> ParseSplitFlag(absl::string_view text) {
  xds::SubsetSplit split;
  uint32_t sum = 0;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    uint32_t weight = 0;
    if (kv.first.empty() || !absl::StrContains(part, '=') || !absl::SimpleAtoi(kv.second, &weight)) {
      return Bad("split", text, absl::StrCat("'", part, "' is not SUBSET=PERCENT (e.g. v1=90,v2=10)"));
    }
    if (weight > 100) {
      return Bad("split", text, absl::StrCat("'", part, "': a percentage is 0..100"));
    }
    if (!split.emplace(std::string(kv.first), weight).second) {
      return Bad("split", text, absl::StrCat("subset ", kv.first, " is given twice"));
    }
    sum += weight;
  }
  if (sum != 100) {
    return Bad("split", text, absl::StrCat("the percentages sum to ", sum, ", not 100"));
  }
  return split;
}

absl::StatusOr<xds::RoutePolicy> ParseHeaderRouteFlag(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Bad("header", text,
               "want NAME=VALUE:SUBSET, NAME^=PREFIX:SUBSET or NAME:SUBSET (e.g. x-canary=true:v2)");
  }
  xds::HeaderMatch match;
  absl::string_view condition = text.substr(0, colon);
  const std::string subset(text.substr(colon + 1));
  if (size_t caret = condition.find("^="); caret != absl::string_view::npos) {
    match.header = std::string(condition.substr(0, caret));
    match.kind = xds::HeaderMatch::Kind::kPrefix;
    match.value = std::string(condition.substr(caret + 2));
    if (match.value.empty()) {
      return Bad("header", text, "the prefix is empty (NAME:SUBSET matches any value)");
    }
  } else if (size_t equals = condition.find('='); equals != absl::string_view::npos) {
    match.header = std::string(condition.substr(0, equals));
    match.kind = xds::HeaderMatch::Kind::kExact;
    match.value = std::string(condition.substr(equals + 1));
  } else {
    match.header = std::string(condition);
    match.kind = xds::HeaderMatch::Kind::kPresent;
  }
  if (match.header.empty()) return Bad("header", text, "the header name is empty");
  if (match.header != absl::AsciiStrToLower(match.header)) {
    return Bad("header", text,
               absl::StrCat("header '", match.header, "' must be lower case (gRPC metadata keys are)"));
  }
  if (absl::StartsWith(match.header, "grpc-") || absl::StartsWith(match.header, ":")) {
    return Bad("header", text,
               absl::StrCat("header '", match.header, "' is reserved: gRPC clients never match it"));
  }
  xds::RoutePolicy route;
  route.match = std::move(match);
  route.split = {{subset, 100}};
  return route;
}

absl::StatusOr<xds::RoutingPolicy> RoutingFromFlags(absl::string_view by, absl::string_view split,
                                                    const std::vector<std::string>& headers) {
  if (split.empty() && headers.empty()) {
    return absl::InvalidArgumentError(
        "give --split SUBSET=PERCENT,... and/or --header ...:SUBSET (to remove the routes: "
        "`switchboard route clear SERVICE`)");
  }
  if (by.empty()) return absl::InvalidArgumentError("--by: give \"version\" or a label name");
  xds::RoutingPolicy routing;
  routing.subsets = xds::SubsetPolicy{.by = std::string(by)};
  if (!split.empty()) {
    absl::StatusOr<xds::SubsetSplit> parsed = ParseSplitFlag(split);
    if (!parsed.ok()) return parsed.status();
    routing.split = *std::move(parsed);
  }
  for (const std::string& header : headers) {
    absl::StatusOr<xds::RoutePolicy> route = ParseHeaderRouteFlag(header);
    if (!route.ok()) return route.status();
    routing.routes.push_back(*std::move(route));
  }
  return routing;
}

std::vector<std::string> SubsetsWithoutInstances(const xds::RoutingPolicy& routing,
                                                 const std::vector<Instance>& instances) {
  if (!routing.subsets.has_value()) return {};
  std::set<std::string> seen;
  for (const Instance& instance : instances) seen.insert(SubsetOf(instance, routing.subsets->by));
  std::set<std::string> missing;
  auto check = [&](const xds::SubsetSplit& split) {
    for (const auto& [subset, weight] : split) {
      if (!seen.contains(subset)) missing.insert(subset);
    }
  };
  for (const xds::RoutePolicy& route : routing.routes) check(route.split);
  check(routing.split);
  return {missing.begin(), missing.end()};
}

std::string FormatRouting(const xds::RoutingPolicy& routing) {
  std::string out;
  if (routing.subsets.has_value()) absl::StrAppend(&out, "subsets by ", routing.subsets->by, "\n");
  for (const xds::RoutePolicy& route : routing.routes) {
    std::string condition = "always";
    if (route.match.has_value()) {
      const xds::HeaderMatch& m = *route.match;
      switch (m.kind) {
        case xds::HeaderMatch::Kind::kExact: condition = absl::StrCat(m.header, "=", m.value); break;
        case xds::HeaderMatch::Kind::kPrefix: condition = absl::StrCat(m.header, "^=", m.value); break;
        case xds::HeaderMatch::Kind::kPresent: condition = absl::StrCat(m.header, " present"); break;
      }
    }
    absl::StrAppend(&out, "header ", condition, " -> ", FormatSplit(route.split), "\n");
  }
  absl::StrAppend(&out, "default -> ",
                  routing.split.empty() ? "every instance" : FormatSplit(routing.split), "\n");
  return out;
}

}  // namespace switchboard::cli
