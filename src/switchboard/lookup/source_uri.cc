#include "switchboard/lookup/source_uri.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace switchboard {
namespace {

absl::Status Bad(absl::string_view uri, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad source URI '", uri, "': ", why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view uri, absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) return Bad(uri, absl::StrCat("bad %-escape in '", text, "'"));
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

absl::Status ParseQuery(absl::string_view uri, absl::string_view query, SourceUri& out) {
  if (query.empty()) return absl::OkStatus();
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = PercentDecode(uri, kv.first);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value = PercentDecode(uri, kv.second);
    if (!value.ok()) return value.status();
    if (name->empty()) return Bad(uri, absl::StrCat("parameter '", pair, "' has no name"));
    if (!out.params.emplace(*name, *value).second) {
      return Bad(uri, absl::StrCat("parameter '", *name, "' is given twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SourceUri> ParseSourceUri(absl::string_view uri) {
  SourceUri out;
  out.text = std::string(uri);
  size_t sep = uri.find("://");
  if (sep == absl::string_view::npos || sep == 0) return Bad(uri, "missing '<scheme>://'");
  out.scheme = absl::AsciiStrToLower(uri.substr(0, sep));
  absl::string_view rest = uri.substr(sep + 3);
  if (rest.find('#') != absl::string_view::npos) return Bad(uri, "fragments ('#') are not allowed");
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  absl::string_view authority = rest;
  absl::string_view raw_path;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    authority = rest.substr(0, slash);
    raw_path = rest.substr(slash);
  }
  out.authority = std::string(authority);
  absl::StatusOr<std::string> path = PercentDecode(uri, raw_path);
  if (!path.ok()) return path.status();
  out.path = *std::move(path);
  if (absl::Status s = ParseQuery(uri, query, out); !s.ok()) return s;
  return out;
}

std::vector<std::string> AuthorityHosts(const SourceUri& uri) {
  if (uri.authority.empty()) return {};
  return absl::StrSplit(uri.authority, ',');
}

absl::Status BadSourceUri(absl::string_view uri, absl::string_view why, absl::string_view forms) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad source URI '", uri, "': ", why, "; accepted forms:\n", forms));
}

std::string EtcdSourceUri(absl::string_view endpoints, absl::string_view prefix) {
  std::vector<std::string> hosts;
  for (absl::string_view e : absl::StrSplit(endpoints, ',', absl::SkipEmpty())) {
    absl::ConsumePrefix(&e, "http://");
    hosts.emplace_back(e);
  }
  return absl::StrCat("etcd://", absl::StrJoin(hosts, ","), "/", prefix);
}

absl::StatusOr<absl::Duration> DurationParam(const SourceUri& uri, absl::string_view name,
                                             absl::Duration fallback) {
  auto it = uri.params.find(std::string(name));
  if (it == uri.params.end()) return fallback;
  absl::Duration d;
  if (!absl::ParseDuration(it->second, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': ", name, "='",
                                                   it->second,
                                                   "' is not a positive duration such as 500ms or 2s"));
  }
  return d;
}

absl::StatusOr<bool> BoolParam(const SourceUri& uri, absl::string_view name, bool fallback) {
  auto it = uri.params.find(std::string(name));
  if (it == uri.params.end()) return fallback;
  std::string v = absl::AsciiStrToLower(it->second);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': ", name, "='",
                                                 it->second, "' is not true or false"));
}

absl::StatusOr<double> DoubleParam(const SourceUri& uri, absl::string_view name, double fallback) {
  auto it = uri.params.find(std::string(name));
  if (it == uri.params.end()) return fallback;
  double v;
  if (!absl::SimpleAtod(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': ", name, "='",
                                                   it->second, "' is not a number"));
  }
  return v;
}

std::string StringParam(const SourceUri& uri, absl::string_view name, absl::string_view fallback) {
  auto it = uri.params.find(std::string(name));
  return it == uri.params.end() ? std::string(fallback) : it->second;
}

absl::Status CheckKnownParams(const SourceUri& uri, const std::vector<std::string>& known) {
  for (const auto& [name, value] : uri.params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': unknown parameter '",
                                                     name, "' for ", uri.scheme,
                                                     " (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace switchboard
