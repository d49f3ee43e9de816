// Why a server could not listen on an address. gRPC's ServerBuilder only
// says that it failed; an operator needs to know whether another process
// holds the port. Every gRPC server Switchboard builds turns SO_REUSEPORT
// off (gRPC allows it by default, so a second server on a taken port
// starts silently and the kernel splits connections between the two), and
// on failure asks this for the cause.
//
// Example:
//   builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
//   auto server = builder.BuildAndStart();
//   if (server == nullptr) return ListenFailure("127.0.0.1:18000", "xDS control plane");
//
// Pure system calls, thread-safe.
#ifndef SWITCHBOARD_COMMON_LISTEN_CHECK_H_
#define SWITCHBOARD_COMMON_LISTEN_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace switchboard {

// Binds `address` ("host:port", "[v6]:port", "unix:/path") once, without
// SO_REUSEPORT, to find out why a server could not: Unavailable "...
// 127.0.0.1:18000 is already in use (another process listens there)",
// PermissionDenied, or InvalidArgument for an address that does not parse
// or is not local. `who` starts the message ("xDS control plane").
absl::Status ListenFailure(absl::string_view address, absl::string_view who);

// The same check before starting a server that is not ours (etcd): OK when
// `address` can be bound now (with SO_REUSEADDR, as servers bind), else
// the error ListenFailure gives.
absl::Status CheckCanListen(absl::string_view address, absl::string_view who);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_LISTEN_CHECK_H_
