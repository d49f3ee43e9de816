#include "switchboard/cli/command_line.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/common/host_port.h"

namespace switchboard::cli {

bool ParsedFlags::IsSet(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return false;
  return it->second.back() != "false";
}

std::string ParsedFlags::Get(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> ParsedFlags::GetAll(absl::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                       const std::vector<FlagSpec>& specs) {
  ParsedFlags parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      parsed.help_ = true;
      continue;
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    std::string name(body.substr(0, body.find('=')));
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
    }
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const FlagSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string value;
    if (spec->boolean) {
      if (!inline_value.has_value()) {
        value = "true";
      } else if (*inline_value == "true" || *inline_value == "false") {
        value = *inline_value;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", name, " takes no value (or =true/=false), got \"", *inline_value, "\""));
      }
    } else if (inline_value.has_value()) {
      value = *inline_value;
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " needs a value: --", name, "=", spec->value_name));
    }
    std::vector<std::string>& values = parsed.values_[name];
    if (!values.empty() && !spec->repeatable) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    values.push_back(std::move(value));
  }
  return parsed;
}

std::string FormatFlagHelp(const std::vector<FlagSpec>& specs) {
  std::vector<std::string> lefts;
  size_t width = 0;
  for (const FlagSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name);
    if (!spec.boolean) absl::StrAppend(&left, " ", spec.value_name.empty() ? "VALUE" : spec.value_name);
    width = std::max(width, left.size());
    lefts.push_back(std::move(left));
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  ", static_cast<int>(width), lefts[i]), specs[i].help);
    if (specs[i].repeatable) absl::StrAppend(&out, " (repeatable)");
    if (!specs[i].default_text.empty()) absl::StrAppend(&out, " [default: ", specs[i].default_text, "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text, ": not a positive duration; write it like 10s, 500ms or 1m30s"));
  }
  return d;
}

absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag, absl::string_view text, int64_t min,
                                     int64_t max) {
  int64_t value;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, ": want a whole number in ", min, "..", max));
  }
  return value;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValueFlag(absl::string_view flag,
                                                                      absl::string_view text) {
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " ", text, ": want key=value, e.g. --", flag, " canary=true"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

absl::Status CheckHostPortFlag(absl::string_view flag, absl::string_view text,
                               bool allow_port_zero) {
  absl::StatusOr<HostPort> parsed =
      allow_port_zero ? ParseListenHostPort(text) : ParseHostPort(text);
  if (parsed.ok()) return absl::OkStatus();
  // The parser's diagnosis in the words of the flags' help; anything else
  // (a host that is neither a name nor an IP) as the parser says it.
  const absl::string_view error = parsed.status().message();
  std::string why(error);
  if (absl::StrContains(error, "missing ':port'")) {
    why = "no port";
  } else if (absl::StrContains(error, "missing host")) {
    why = "no host";
  } else if (absl::StrContains(error, "brackets") || absl::StrContains(error, "missing ']'")) {
    why = "an IPv6 host must be in brackets";
  } else if (absl::StrContains(error, "': port '")) {
    why = "the port is not a number in 1..65535";
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", text, ": ", why, "; write host:port, e.g. 127.0.0.1:50051"));
}

}  // namespace switchboard::cli
