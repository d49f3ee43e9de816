// The `switchboard` subcommands, each described by one Command (name,
// summary, usage, flags, positionals, run function) defined beside its
// implementation. AllCommands() is the one table the dispatcher
// (command_dispatch.h) and `switchboard --help` read.
//
// Example:
//   Dispatch d = DispatchCommandLine(AllCommands(), {"ls", "greeter"}, kVersion);
#ifndef SWITCHBOARD_CLI_COMMANDS_H_
#define SWITCHBOARD_CLI_COMMANDS_H_

#include <vector>

#include "switchboard/cli/command_support.h"

namespace switchboard::cli {

extern const Command kUpCommand, kRegisterCommand, kLsCommand, kWatchCommand, kXdsCommand,
    kBootstrapCommand, kDemoCommand, kProxyCommand, kRouteCommand, kStatusCommand;

// Every subcommand, in the order `switchboard --help` lists them.
const std::vector<const Command*>& AllCommands();

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_COMMANDS_H_
