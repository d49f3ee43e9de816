// What every `switchboard` subcommand shares: its description (name,
// one-line summary, usage, flags, positionals, the function that runs it),
// parsing with uniform errors and --help,
// the exit-code conventions, and termination signals taken by sigwait().
//
// Commands are dispatched from one table (command_dispatch.h), which
// parses the flags, answers --help and checks the positionals before
// `run` is called.
//
// Example:
//   int RunLs(const Command& cmd, const ParsedFlags& flags);
//   const Command kLs = {.name = "ls", .summary = "list registered instances",
//                        .usage = "switchboard ls [SERVICE] [flags]", .flags = {...},
//                        .max_positionals = 1, .positional_name = "SERVICE", .run = RunLs};
//   // inside RunLs, a bad value:
//   if (!ttl.ok()) return UsageError(cmd, ttl.status());       // exit 2
#ifndef SWITCHBOARD_CLI_COMMAND_SUPPORT_H_
#define SWITCHBOARD_CLI_COMMAND_SUPPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/cli/command_line.h"
#include "switchboard/etcd/etcd_security.h"

namespace switchboard::cli {

struct Command;

// Runs a command whose command line has been parsed and checked (flags,
// --help, the number of positionals): the exit code.
using CommandRunner = int (*)(const Command& command, const ParsedFlags& flags);

struct Command {
  std::string name;
  std::string summary;
  std::string usage;
  // Free text after the usage line: what it does, examples.
  std::string description;
  std::vector<FlagSpec> flags;
  // How many positional arguments the command takes at most, and what one
  // is called in "at most one SERVICE" (0: none, "unexpected argument").
  int max_positionals = 0;
  std::string positional_name;
  CommandRunner run = nullptr;
};

absl::StatusOr<ParsedFlags> ParseCommandLine(const Command& command,
                                             const std::vector<std::string>& args);
std::string HelpText(const Command& command);
// Prints HelpText to stdout; returns kExitOk.
int PrintHelp(const Command& command);
// "switchboard ls: <message>\nRun 'switchboard ls --help' for usage." on
// stderr; returns kExitUsage.
int UsageError(const Command& command, const absl::Status& error);
std::string UsageErrorText(const Command& command, absl::string_view message);
int UsageError(const Command& command, const std::string& message);
// "switchboard up: <message>" on stderr; returns kExitFailure.
int RuntimeError(const Command& command, const absl::Status& error);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread
// it starts afterwards, so that they are taken by WaitForTerminationSignal()
// instead of killing the process mid-cleanup. Call before starting threads.
// SIGHUP asks `xds` and `up` to reload their policy file; other commands
// stop on it as on SIGTERM.
void BlockTerminationSignals();
// Waits up to `timeout` for SIGINT, SIGTERM or SIGHUP: the signal number,
// or 0 when the time passed.
int WaitForTerminationSignal(absl::Duration timeout);

// The etcd flags every registry subcommand takes, and their resolution
// (flag, else the running `up`, else 127.0.0.1:2379). An --etcd given
// empty (`--etcd ''`, an unset variable) is InvalidArgument naming --etcd,
// not a silent fall-back to another etcd.
std::vector<FlagSpec> EtcdFlags();

// --log-format=text|json for the long-running commands (up, xds,
// register), and applying it: InvalidArgument naming the flag for another
// value.
FlagSpec LogFormatFlag();
absl::Status ApplyLogFormatFlag(const ParsedFlags& flags);
absl::StatusOr<std::string> EtcdEndpointsFrom(const ParsedFlags& flags);

// TLS and auth to etcd (--etcd-ca, --etcd-cert, --etcd-key, --etcd-user,
// --etcd-password-file; the password never on the command line): the flags
// every command that talks to etcd takes, EtcdFlags() among them.
std::vector<FlagSpec> EtcdSecurityFlags();
// The settings of those flags; an https:// endpoint turns TLS on. Reads
// nothing: ApplyEtcdSecurity() (etcd/etcd_security.h) checks the files.
EtcdSecurity EtcdSecurityFrom(const ParsedFlags& flags, absl::string_view endpoints);
// The client options for `endpoints` with the security flags applied;
// InvalidArgument naming --etcd or the security flag that is wrong.
absl::StatusOr<EtcdClientOptions> EtcdClientOptionsFrom(const ParsedFlags& flags,
                                                         const std::string& endpoints);
// The etcd:// source URI of `endpoints` and `prefix` carrying the
// security flags as parameters (lookup/etcd/etcd_factory.h).
absl::StatusOr<std::string> EtcdSourceUriFrom(const ParsedFlags& flags, const std::string& endpoints,
                                              absl::string_view prefix);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_COMMAND_SUPPORT_H_
