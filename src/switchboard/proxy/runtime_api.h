// A client of HAProxy's runtime API (the `stats socket ... level admin`
// unix socket): one connection per command, the reply read to its end.
//
// Example:
//   RuntimeApi api("/var/lib/sb/haproxy.sock");
//   absl::StatusOr<std::string> state = api.Send("show servers state be_greeter");
//   absl::Status s = api.Apply("del server be_greeter/127.0.0.1_50051");
//
// Threading: thread-safe (no state beyond the path); Send() blocks up to
// `timeout`.
#ifndef SWITCHBOARD_PROXY_RUNTIME_API_H_
#define SWITCHBOARD_PROXY_RUNTIME_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::proxy {

class RuntimeApi {
 public:
  explicit RuntimeApi(std::string socket_path, absl::Duration timeout = absl::Seconds(2))
      : socket_path_(std::move(socket_path)), timeout_(timeout) {}

  // The reply to `command`, whatever it says. Unavailable naming the socket
  // when HAProxy does not answer there.
  absl::StatusOr<std::string> Send(absl::string_view command) const;
  // Send(), then the reply judged: HAProxy answers a change with nothing or
  // a confirmation ("New server registered.", "Server deleted."); anything
  // else is the error it names, as FailedPrecondition carrying the command
  // and the reply ("Server still has connections attached to it, cannot
  // remove it.").
  absl::Status Apply(absl::string_view command) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
  absl::Duration timeout_;
};

// Pure: whether a reply to a changing command means it was done.
bool RuntimeReplySucceeded(absl::string_view reply);

}  // namespace switchboard::proxy

#endif  // SWITCHBOARD_PROXY_RUNTIME_API_H_
