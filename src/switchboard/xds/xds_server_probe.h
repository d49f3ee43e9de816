// Is an xDS server answering at an address? One ADS handshake: a wildcard
// listener request on a fresh channel, and the first response to it, within
// a deadline. For `switchboard bootstrap`, which warns when the address it
// is about to hand to clients has nothing behind it.
//
// Example:
//   absl::Status s = ProbeXdsServer("127.0.0.1:18000", absl::Seconds(1));
//   if (!s.ok()) std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
//
// Blocks the calling thread for at most `timeout`; thread-safe.
#ifndef SWITCHBOARD_XDS_XDS_SERVER_PROBE_H_
#define SWITCHBOARD_XDS_XDS_SERVER_PROBE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace grpc {
class ChannelCredentials;
}

namespace switchboard::xds {

// OK once the server at `address` (gRPC target syntax: host:port,
// unix:path) answers an ADS request; else why not, naming the address:
// nothing listening, not an xDS server (UNIMPLEMENTED), or no answer in time.
// Dials with `credentials` (MakeXdsChannelCredentials() for a TLS server);
// null: plaintext.
absl::Status ProbeXdsServer(const std::string& address, absl::Duration timeout,
                            std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_XDS_SERVER_PROBE_H_
