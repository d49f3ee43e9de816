// The six behaviours Switchboard promises, each a scenario run on a
// ScenarioStage (real etcd, real servers, a real client under load) that
// ends in a verdict with the numbers measured. The demo walks through them
// in order; the scenario tests run each on a fresh stage.
//
//   1. EvenSplit:              three servers, one client -> even split
//   2. KillOneServer:          kill -9 one -> its share moves to the others
//   3. RestartKilledServer:    restart it -> it gets its third back
//   4. EtcdOutage:             stop etcd -> calls go on, no errors
//   5. RegistryChangesAfterOutage: start etcd again -> a new server gets
//                              calls, one that deregisters (drains) stops
//                              getting them while it still serves
//   6. AllServersDown:         no server -> UNAVAILABLE fast (or
//                              wait-for-ready blocks); one back -> calls work
//
// Scenarios wait on conditions with deadlines; only EtcdOutage holds for a
// fixed time (the outage itself).
//
// Example:
//   ScenarioVerdict v = EvenSplit(**stage, [](const std::string& line) { ... });
//   std::cout << FormatVerdict(v);   // "PASS 1. even split: 127.0.0.1:... 33.4%, ..."
//
// Threading: run on the thread that drives the stage; `narrate` is called
// on that thread.
#ifndef SWITCHBOARD_DEMO_SCENARIOS_H_
#define SWITCHBOARD_DEMO_SCENARIOS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "demo/scenario_stage.h"

namespace switchboard::demo {

struct ScenarioVerdict {
  int number = 0;
  std::string title;
  bool passed = false;
  // The measured figures, and what failed.
  std::string detail;
  absl::Duration took;
};

// Receives one line per step ("killing 127.0.0.1:41001 with SIGKILL").
using Narrator = std::function<void(const std::string& line)>;

// The server each scenario acts on, by fleet index.
inline constexpr int kVictim = 0;   // killed (2), restarted (3)
inline constexpr int kRemoved = 1;  // removed from the registry by draining (5)

ScenarioVerdict EvenSplit(ScenarioStage& stage, const Narrator& narrate);
ScenarioVerdict KillOneServer(ScenarioStage& stage, const Narrator& narrate);
// Precondition: server kVictim is not running (after KillOneServer).
ScenarioVerdict RestartKilledServer(ScenarioStage& stage, const Narrator& narrate);
// Leaves etcd stopped.
ScenarioVerdict EtcdOutage(ScenarioStage& stage, const Narrator& narrate,
                           absl::Duration outage = absl::Seconds(5));
// Starts etcd (stopped by EtcdOutage, or stops it first if running).
ScenarioVerdict RegistryChangesAfterOutage(ScenarioStage& stage, const Narrator& narrate);
ScenarioVerdict AllServersDown(ScenarioStage& stage, const Narrator& narrate);

// All six in order on one stage.
std::vector<ScenarioVerdict> RunAllScenarios(ScenarioStage& stage, const Narrator& narrate);

// "PASS  1. three servers, one client: even split — <detail> (2.1s)".
std::string FormatVerdict(const ScenarioVerdict& verdict);

}  // namespace switchboard::demo

#endif  // SWITCHBOARD_DEMO_SCENARIOS_H_
