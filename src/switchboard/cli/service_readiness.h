// Tells the service manager (systemd, for units of Type=notify) how a
// long-running command is doing: READY=1 once it actually serves, STATUS=
// lines a human reads in `systemctl status`, STOPPING=1 when it shuts down.
// Each call is a no-op when NOTIFY_SOCKET is unset (a command run from a
// shell), or when the binary was built without libsystemd.
//
// What "ready" means per command (docs/deployment.md, "Readiness"):
//   xds:      listening, and a first catalog served (every source delivered
//             its first snapshot or had a cache, or the initial sync timed
//             out);
//   up:       its etcd healthy and its control plane serving as above;
//   register: the instance registered in etcd.
//
// Example:
//   NotifyStatus("waiting for the first snapshot");
//   if (plane->WaitUntilServing(timeout)) NotifyReady("serving xDS on 127.0.0.1:18000");
//   ...
//   NotifyStopping();
//
// Threading: thread-safe (each call is one datagram).
#ifndef SWITCHBOARD_CLI_SERVICE_READINESS_H_
#define SWITCHBOARD_CLI_SERVICE_READINESS_H_

#include <string>

namespace switchboard::cli {

// READY=1 with STATUS=`status`. Later calls only update the status.
void NotifyReady(const std::string& status);

// STATUS=`status`, shown by `systemctl status`.
void NotifyStatus(const std::string& status);

// STOPPING=1: the service is shutting down (deregistering, stopping etcd).
void NotifyStopping();

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_CLI_SERVICE_READINESS_H_
