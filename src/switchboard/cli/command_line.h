// Flag parsing for the `switchboard` subcommands: pure, no I/O, so every
// rule is unit-tested. Each subcommand declares its flags; parsing accepts
// `--flag=value` and `--flag value`, boolean flags alone (`--json`) or with
// `=true|false`, repeatable flags (`--meta k=v --meta k2=v2`), positional
// arguments, and `--` to end flags. Errors name the flag and say what to do.
//
// Example:
//   const std::vector<FlagSpec> specs = {
//       {.name = "service", .value_name = "NAME", .help = "service to register"},
//       {.name = "meta", .value_name = "K=V", .repeatable = true},
//       {.name = "json", .boolean = true}};
//   absl::StatusOr<ParsedFlags> flags = ParseFlags({"--service=greeter", "--json"}, specs);
//   flags->Get("service") == "greeter"; flags->IsSet("json") == true
#ifndef SWITCHBOARD_CLI_COMMAND_LINE_H_
#define SWITCHBOARD_CLI_COMMAND_LINE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::cli {

// Exit codes every subcommand keeps, so scripts can rely on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // something failed at run time
inline constexpr int kExitUsage = 2;    // bad command line: nothing was done

struct FlagSpec {
  std::string name;        // without the dashes
  std::string value_name;  // "ADDR" in "--listen ADDR"; unused for booleans
  std::string help;
  std::string default_text;  // shown in --help; empty: none
  bool boolean = false;
  bool repeatable = false;
};

class ParsedFlags {
 public:
  bool IsSet(absl::string_view name) const;
  // The value given, or `fallback` when the flag is absent. For a boolean
  // flag: "true" or "false".
  std::string Get(absl::string_view name, absl::string_view fallback = "") const;
  // Every value of a repeatable flag, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>&,
                                                const std::vector<FlagSpec>&);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

// Parses `args` (argv after the subcommand) against `specs`. `--help`/`-h`
// is always accepted. InvalidArgument naming the flag on an unknown flag, a
// missing value, a value given to a boolean, or a non-repeatable flag given
// twice.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                       const std::vector<FlagSpec>& specs);

// The flags' part of a --help text: one line per flag, aligned.
std::string FormatFlagHelp(const std::vector<FlagSpec>& specs);

// "10s", "500ms", "1m30s", "1.5s" -> a positive duration. The error names
// `flag` and shows the accepted form.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text);
// A whole number in [min, max]; the error names `flag`.
absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag, absl::string_view text, int64_t min,
                                     int64_t max);
// "key=value" (value may be empty, may contain '='). The error names the flag.
absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValueFlag(absl::string_view flag,
                                                                      absl::string_view text);
// "host:port" or "[v6]:port" with a port in 1..65535 (0 allowed when
// `allow_port_zero`). The error names the flag.
absl::Status CheckHostPortFlag(absl::string_view flag, absl::string_view text,
                               bool allow_port_zero = false);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_COMMAND_LINE_H_
