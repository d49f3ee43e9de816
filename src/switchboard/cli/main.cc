// The `switchboard` command: one binary, one subcommand per job.
#include <cstdio>
#include <string>
#include <vector>

#include <grpc/support/log.h>

#include "absl/synchronization/mutex.h"
#include "switchboard/cli/command_dispatch.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/version.h"
#include "switchboard/common/log.h"

namespace switchboard::cli {

const std::vector<const Command*>& AllCommands() {
  static const std::vector<const Command*> commands = {
      &kUpCommand, &kRegisterCommand, &kLsCommand, &kWatchCommand,
      &kXdsCommand, &kBootstrapCommand, &kDemoCommand, &kProxyCommand, &kRouteCommand,
      &kStatusCommand};
  return commands;
}

}  // namespace switchboard::cli

int main(int argc, char** argv) {
  using namespace switchboard::cli;
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would record lock order in one global graph: measurable on
  // every RPC under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // gRPC's own log lines ("Failed to add :: listener ...") repeat in raw
  // form what the command reports clearly; they go to Switchboard's log at
  // debug level (SWITCHBOARD_LOG=debug shows them).
  gpr_set_log_function([](gpr_log_func_args* args) {
    SB_LOG(kDebug, "grpc", args->file, ":", args->line, ": ", args->message);
  });
  const Dispatch dispatch =
      DispatchCommandLine(AllCommands(), std::vector<std::string>(argv + 1, argv + argc), kVersion);
  if (dispatch.command != nullptr) return dispatch.command->run(*dispatch.command, dispatch.flags);
  std::fputs(dispatch.out.c_str(), stdout);
  std::fputs(dispatch.err.c_str(), stderr);
  return dispatch.exit_code;
}
