#include "switchboard/cli/command_dispatch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchboard::cli {

std::string TopHelpText(const std::vector<const Command*>& table) {
  std::string text =
      "switchboard: service discovery and load balancing for gRPC.\n"
      "\n"
      "Usage: switchboard <command> [flags]    (switchboard <command> --help for details)\n"
      "       switchboard --version\n"
      "\n"
      "Commands:\n";
  for (const Command* c : table) {
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

namespace {

const Command* Find(const std::vector<const Command*>& table, absl::string_view name) {
  for (const Command* c : table) {
    if (c->name == name) return c;
  }
  return nullptr;
}

Dispatch Print(std::string out, std::string err, int exit_code) {
  Dispatch d;
  d.out = std::move(out);
  d.err = std::move(err);
  d.exit_code = exit_code;
  return d;
}

}  // namespace

Dispatch DispatchCommandLine(const std::vector<const Command*>& table,
                             const std::vector<std::string>& args, absl::string_view version) {
  // No command at all is a usage error: the help goes to stderr.
  if (args.empty()) return Print("", TopHelpText(table), kExitUsage);
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && args.size() > 1) {
      if (const Command* c = Find(table, args[1])) return Print(HelpText(*c), "", kExitOk);
    }
    return Print(TopHelpText(table), "", kExitOk);
  }
  if (name == "--version" || name == "version") {
    if (args.size() > 1) {
      return Print("", absl::StrCat("switchboard ", name, ": unexpected argument \"", args[1], "\"\n"),
                   kExitUsage);
    }
    return Print(absl::StrCat("switchboard ", version, "\n"), "", kExitOk);
  }
  const Command* command = Find(table, name);
  if (command == nullptr) {
    return Print("", absl::StrCat("switchboard: unknown command \"", name,
                                  "\"\nRun 'switchboard --help' for the list.\n"),
                 kExitUsage);
  }
  absl::StatusOr<ParsedFlags> flags =
      ParseCommandLine(*command, std::vector<std::string>(args.begin() + 1, args.end()));
  if (!flags.ok()) return Print("", UsageErrorText(*command, flags.status().message()), kExitUsage);
  if (flags->help()) return Print(HelpText(*command), "", kExitOk);
  const std::vector<std::string>& positionals = flags->positionals();
  if (positionals.size() > static_cast<size_t>(command->max_positionals)) {
    const std::string message =
        command->max_positionals == 0
            ? absl::StrCat("unexpected argument \"", positionals[0], "\"")
            : absl::StrCat("at most ", command->max_positionals == 1 ? "one" : absl::StrCat(command->max_positionals), " ",
                           command->positional_name);
    return Print("", UsageErrorText(*command, message), kExitUsage);
  }
  Dispatch d;
  d.command = command;
  d.flags = *std::move(flags);
  return d;
}

}  // namespace switchboard::cli
