// `switchboard demo`: the six scenarios, live, on a private etcd, control
// plane and greeter fleet in a temporary directory on free ports, so it never
// collides with a user's `switchboard up`.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/cli/commands.h"
#include "demo/share_board.h"
#include "switchboard/cli/work_dir.h"
#include "switchboard/common/log.h"
#include "demo/scenarios.h"

namespace switchboard::cli {

int RunDemo(const Command& cmd, const ParsedFlags& flags);
const Command kDemoCommand = {
    .name = "demo",
    .summary = "Watch Switchboard balance and heal a live greeter fleet (about a minute).",
    .usage = "switchboard demo [--model xds|proxy] [--greeter-server PATH] [--threads N] "
             "[--pace DURATION]",
    .description =
        "Starts a private etcd and xDS control plane on free loopback ports, three greeter\n"
        "servers and a client under load, then walks through six scenarios: even split,\n"
        "kill -9 of a server, its restart, an etcd outage, registry changes after it,\n"
        "and all servers down. Shows the share of calls each server gets, live, and a\n"
        "PASS/FAIL verdict per scenario. Exit 0 only if all six pass.\n"
        "With --model proxy, the client is a plain channel to HAProxy, which\n"
        "`switchboard proxy`'s driver keeps equal to the registry (docs/proxy.md).\n",
    .flags = {
        {.name = "greeter-server", .value_name = "PATH", .help = "the greeter_server binary",
         .default_text = "$SWITCHBOARD_GREETER_SERVER, else found next to this build"},
        {.name = "threads", .value_name = "N", .help = "client threads calling in a closed loop",
         .default_text = "4"},
        {.name = "pace", .value_name = "DURATION", .help = "pause after each scenario",
         .default_text = "3s"},
        {.name = "model", .value_name = "xds|proxy",
         .help = "how the client finds the servers: xds:///greeter, or through HAProxy",
         .default_text = "xds"},
        {.name = "keep", .help = "keep the work dir (logs) at the end", .boolean = true},
    },
    .run = RunDemo,
};

namespace {

// What the signal thread needs to clean up after an interrupted demo.
std::string g_work_dir;  // set once before the signal thread starts

}  // namespace

int RunDemo(const Command& cmd, const ParsedFlags& flags) {
  // gRPC reads this at initialisation: before anything touches gRPC.
  demo::PrepareXdsClientProcess();
  absl::StatusOr<int64_t> threads = ParseIntFlag("threads", flags.Get("threads", "4"), 1, 64);
  if (!threads.ok()) return UsageError(cmd, threads.status());
  absl::StatusOr<absl::Duration> pace = ParseDurationFlag("pace", flags.Get("pace", "3s"));
  if (!pace.ok()) return UsageError(cmd, pace.status());
  const std::string model = flags.Get("model", "xds");
  if (model != "xds" && model != "proxy") {
    return UsageError(cmd, absl::StrCat("--model ", model, ": give xds or proxy"));
  }
  absl::StatusOr<std::string> server = testing::LocateGreeterServer(flags.Get("greeter-server"));
  if (!server.ok()) return RuntimeError(cmd, server.status());

  const char* tmp = std::getenv("TMPDIR");
  const std::string parent = tmp != nullptr ? tmp : "/tmp";
  // A demo killed outright (SIGKILL) could not clean up after itself.
  for (const std::string& dir : RemoveStaleWorkDirs(parent, "switchboard-demo")) {
    std::printf("switchboard demo: removed %s, left behind by a demo that was killed\n",
                dir.c_str());
  }
  absl::StatusOr<std::string> work_dir = MakeWorkDir(parent, "switchboard-demo");
  if (!work_dir.ok()) return RuntimeError(cmd, work_dir.status());
  g_work_dir = *work_dir;
  const bool keep = flags.IsSet("keep");

  // Ctrl-C / SIGTERM: kill every child, remove the work dir, exit 130/143.
  // Children also die with this process (PR_SET_PDEATHSIG) if it is killed.
  BlockTerminationSignals();
  std::thread([] {
    int signal = WaitForTerminationSignal(absl::InfiniteDuration());
    std::fprintf(stderr, "\nswitchboard demo: interrupted; stopping every process it started\n");
    supervisor::KillAllSubprocessesForExit();
    std::error_code ignored;
    std::filesystem::remove_all(g_work_dir, ignored);
    _exit(128 + signal);
  }).detach();

  // The control plane and the watcher log to stderr; keep the board clean.
  SetLogLevel(LogLevel::kError);
  const bool ansi = isatty(STDOUT_FILENO) == 1 && std::getenv("TERM") != nullptr &&
                    std::string(std::getenv("TERM")) != "dumb";
  demo::LiveBoard board(stdout, ansi);
  board.Say(absl::StrCat("switchboard demo: private etcd, xDS control plane and 3 greeter "
                         "servers in ", g_work_dir));

  testing::ClosedLoopCallerOptions load = {.threads = static_cast<int>(*threads),
                                         .deadline = absl::Seconds(2),
                                         .pause = absl::Milliseconds(1)};
  auto stage = demo::ScenarioStage::Start(
      {.greeter_server = *server,
       .model = model == "proxy" ? demo::BalancingModel::kProxy : demo::BalancingModel::kXds,
       .work_dir = g_work_dir, .load = load});
  if (!stage.ok()) {
    std::error_code ignored;
    if (!keep) std::filesystem::remove_all(g_work_dir, ignored);
    return RuntimeError(cmd, stage.status());
  }
  board.Say(absl::StrCat("etcd ", (*stage)->etcd().endpoint(), ", xDS ", (*stage)->xds_address(),
                         model == "proxy" ? ", HAProxy" : "", ", client: ", *threads,
                         " threads calling ", (*stage)->client_target()));

  std::atomic<bool> done{false};
  testing::CallTally& tally = (*stage)->caller().tally();
  std::thread display([&] {
    while (!done.load()) {
      board.Refresh(tally.Window(absl::Now(), absl::Seconds(1)), absl::Seconds(1));
      absl::SleepFor(absl::Milliseconds(500));
    }
  });

  auto narrate = [&](const std::string& line) { board.Say(absl::StrCat("    ", line)); };
  using Scenario = std::function<demo::ScenarioVerdict()>;
  std::vector<std::pair<std::string, Scenario>> script = {
      {"1. three servers, one client", [&] { return demo::EvenSplit(**stage, narrate); }},
      {"2. kill -9 one server", [&] { return demo::KillOneServer(**stage, narrate); }},
      {"3. restart it", [&] { return demo::RestartKilledServer(**stage, narrate); }},
      {"4. stop etcd", [&] { return demo::EtcdOutage(**stage, narrate); }},
      {"5. start etcd again", [&] { return demo::RegistryChangesAfterOutage(**stage, narrate); }},
      {"6. stop all servers", [&] { return demo::AllServersDown(**stage, narrate); }},
  };
  std::vector<demo::ScenarioVerdict> verdicts;
  for (auto& [title, run] : script) {
    board.Say(absl::StrCat("▶ ", title));
    verdicts.push_back(run());
    board.Say(absl::StrCat("  ", demo::FormatVerdict(verdicts.back())));
    // Time to watch the bars settle before the next scenario.
    absl::SleepFor(*pace);
  }
  done = true;
  display.join();
  board.Close();

  int passed = 0;
  std::printf("\nSummary\n");
  for (const demo::ScenarioVerdict& v : verdicts) {
    passed += v.passed ? 1 : 0;
    std::printf("  %s  %d. %s\n", v.passed ? "PASS" : "FAIL", v.number, v.title.c_str());
  }
  testing::CallCounts total = tally.Total();
  std::printf("%d of %zu scenarios passed; %lld calls, %lld failed (%s)\n", passed,
              verdicts.size(), static_cast<long long>(total.calls()),
              static_cast<long long>(total.failures()), total.FailureSummary().c_str());
  std::fflush(stdout);
  stage->reset();
  std::error_code ignored;
  if (keep) {
    std::printf("logs kept in %s\n", g_work_dir.c_str());
  } else {
    std::filesystem::remove_all(g_work_dir, ignored);
  }
  return passed == static_cast<int>(verdicts.size()) ? kExitOk : kExitFailure;
}

}  // namespace switchboard::cli
