// The `switchboard` subcommands. Each takes the arguments after its name and
// returns the process exit code (0 ok, 1 runtime failure, 2 usage error).
#ifndef SWITCHBOARD_CLI_COMMANDS_H_
#define SWITCHBOARD_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "switchboard/cli/command_support.h"

namespace switchboard::cli {

using Args = std::vector<std::string>;

int RunUp(const Args& args);
int RunRegister(const Args& args);
int RunLs(const Args& args);
int RunWatch(const Args& args);
int RunXds(const Args& args);
int RunBootstrap(const Args& args);
int RunDemo(const Args& args);

// Every subcommand's description, for `switchboard --help`.
const std::vector<const Command*>& AllCommands();
extern const Command kUpCommand, kRegisterCommand, kLsCommand, kWatchCommand, kXdsCommand,
    kBootstrapCommand, kDemoCommand;

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_COMMANDS_H_
