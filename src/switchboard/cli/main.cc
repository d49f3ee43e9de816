// The `switchboard` command: one binary, one subcommand per job.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <grpc/support/log.h>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/version.h"
#include "switchboard/common/log.h"

namespace switchboard::cli {

const std::vector<const Command*>& AllCommands() {
  static const std::vector<const Command*> commands = {
      &kUpCommand, &kRegisterCommand, &kLsCommand, &kWatchCommand,
      &kXdsCommand, &kBootstrapCommand, &kDemoCommand};
  return commands;
}

namespace {

std::string TopHelp() {
  std::string text =
      "switchboard: service discovery and load balancing for gRPC.\n"
      "\n"
      "Usage: switchboard <command> [flags]    (switchboard <command> --help for details)\n"
      "       switchboard --version\n"
      "\n"
      "Commands:\n";
  for (const Command* c : AllCommands()) {
    text += absl::StrFormat("  %-10s %s\n", c->name, c->summary);
  }
  text +=
      "\n"
      "Flags take --flag=value or --flag value. Commands that talk to etcd use the\n"
      "running `switchboard up` (found via its state dir), else 127.0.0.1:2379;\n"
      "--etcd overrides.\n"
      "\n"
      "Exit codes:\n"
      "  0  success\n"
      "  1  runtime failure (etcd unreachable, port taken, a scenario failed...)\n"
      "  2  usage error (unknown command or flag, bad value); nothing was done\n"
      "\n"
      "Quick start:\n"
      "  switchboard up &                                   # etcd + xDS on loopback\n"
      "  switchboard register --service greeter --addr 127.0.0.1:50051\n"
      "  export GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap)  # then dial xds:///greeter\n"
      "  switchboard demo                                   # the whole story in a minute\n";
  return text;
}

}  // namespace
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
  if (argc < 2) {
    std::fputs(TopHelp().c_str(), stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && argc > 2) {
      for (const Command* c : AllCommands()) {
        if (c->name == argv[2]) return PrintHelp(*c);
      }
    }
    std::fputs(TopHelp().c_str(), stdout);
    return kExitOk;
  }
  if (name == "--version" || name == "version") {
    if (argc > 2) {
      std::fprintf(stderr, "switchboard %s: unexpected argument \"%s\"\n", name.c_str(), argv[2]);
      return kExitUsage;
    }
    std::printf("switchboard %s\n", kVersion);
    return kExitOk;
  }
  Args args(argv + 2, argv + argc);
  if (name == "up") return RunUp(args);
  if (name == "register") return RunRegister(args);
  if (name == "ls") return RunLs(args);
  if (name == "watch") return RunWatch(args);
  if (name == "xds") return RunXds(args);
  if (name == "bootstrap") return RunBootstrap(args);
  if (name == "demo") return RunDemo(args);
  std::fprintf(stderr, "switchboard: unknown command \"%s\"\nRun 'switchboard --help' for the list.\n",
               name.c_str());
  return kExitUsage;
}
