// The one dispatcher of the `switchboard` command: from argv and the table
// of commands to what to do. Pure (no I/O, no process state), so that every
// rule of the top level is unit-tested: the top help and its exit code,
// `help CMD`, `--version`, an unknown command, a command's flag errors,
// --help and too many positionals (all usage errors exit 2, with the
// messages scripts and users have seen so far).
//
// Example:
//   const std::vector<const Command*> table = {&kUpCommand, &kLsCommand};
//   Dispatch d = DispatchCommandLine(table, {"ls", "greeter", "--json"}, "1.2.0");
//   if (d.command != nullptr) return d.command->run(*d.command, d.flags);
//   std::fputs(d.out.c_str(), stdout);
//   std::fputs(d.err.c_str(), stderr);
//   return d.exit_code;
//
// Threading: pure functions, thread-safe.
#ifndef SWITCHBOARD_CLI_COMMAND_DISPATCH_H_
#define SWITCHBOARD_CLI_COMMAND_DISPATCH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "switchboard/cli/command_support.h"

namespace switchboard::cli {

// Either a command to run with its parsed flags (`command` set), or text to
// print and an exit code (`command` null).
struct Dispatch {
  const Command* command = nullptr;
  ParsedFlags flags;
  std::string out;  // for stdout
  std::string err;  // for stderr
  int exit_code = kExitOk;
};

// `args`: argv after the program name. `table`: every command, in the order
// the top help lists them.
Dispatch DispatchCommandLine(const std::vector<const Command*>& table,
                             const std::vector<std::string>& args, absl::string_view version);

// `switchboard --help`: the commands of `table` with their summaries, the
// exit codes, a quick start.
std::string TopHelpText(const std::vector<const Command*>& table);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_COMMAND_DISPATCH_H_
