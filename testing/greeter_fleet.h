// A fleet of example greeter servers (examples/greeter/greeter_server), each
// a child process registered in etcd, that the demo and the scenario tests
// kill, stop and restart to show how clients follow.
//
// Every server gets its own loopback port, picked once and kept across
// restarts, so a restarted server comes back under the same address.
//
// Example:
//   GreeterFleet fleet({.server_binary = *LocateGreeterServer(""),
//                       .etcd = "127.0.0.1:2379", .log_dir = "/tmp/demo"});
//   absl::StatusOr<int> a = fleet.Add();   // started, listening, registering
//   fleet.Kill(*a);                        // kill -9: registration expires (ttl)
//   fleet.Restart(*a);                     // same address again
//
// Threading: one thread at a time.
#ifndef SWITCHBOARD_TESTING_GREETER_FLEET_H_
#define SWITCHBOARD_TESTING_GREETER_FLEET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/child_process.h"

namespace switchboard::testing {

struct GreeterFleetOptions {
  std::string server_binary;
  // etcd endpoints, "host:port[,host:port]".
  std::string etcd;
  std::string service = "greeter";
  std::string prefix;
  // The zone every server of the fleet registers in; empty: none.
  std::string zone;
  // Short, so that a killed server's registration goes away quickly.
  absl::Duration ttl = absl::Seconds(2);
  absl::Duration drain_timeout = absl::Seconds(2);
  // Each server logs to <log_dir>/greeter-<n>.log; empty: no logs.
  std::string log_dir;
  absl::Duration listen_timeout = absl::Seconds(10);
};

class GreeterFleet {
 public:
  explicit GreeterFleet(GreeterFleetOptions options);
  ~GreeterFleet();  // kills every server still running

  // Starts one more server and waits until it accepts connections (it
  // registers itself in the background). Returns its index.
  absl::StatusOr<int> Add();
  // Starts server `index` again, on its old address.
  absl::Status Restart(int index);
  // kill -9: no drain, no deregistration.
  void Kill(int index);
  // SIGTERM: the server drains, deregisters and exits. Blocks until it did.
  void Stop(int index);
  // SIGSTOP / SIGCONT: the server keeps its connections and its lease's
  // keep-alive stream open but answers nothing, like a stalled machine.
  void Freeze(int index);
  void Thaw(int index);
  // SIGTERM without waiting: the server goes on serving while it drains.
  void BeginStop(int index);
  // SIGTERM to every running server at once, then waits for them all.
  void StopAll();

  size_t size() const { return servers_.size(); }
  const std::string& address(int index) const { return servers_.at(index).address; }
  bool Running(int index);
  std::vector<std::string> Addresses() const;

 private:
  struct Server {
    std::string address;
    int port = 0;
    std::string log_path;
    std::unique_ptr<ChildProcess> process;
  };
  absl::Status Launch(Server& server);

  const GreeterFleetOptions options_;
  std::vector<Server> servers_;
};

// Where the greeter_server binary is: `explicit_path` when given, else
// $SWITCHBOARD_GREETER_SERVER, else next to this executable's build tree
// (<build>/bin/greeter_server when this is under <build>/),
// else in the same directory, else on PATH. NotFound lists what was tried.
absl::StatusOr<std::string> LocateGreeterServer(const std::string& explicit_path);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_GREETER_FLEET_H_
