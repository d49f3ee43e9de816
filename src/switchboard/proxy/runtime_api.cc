#include "switchboard/proxy/runtime_api.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace switchboard::proxy {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> RuntimeApi::Send(absl::string_view command) const {
  auto unavailable = [&](absl::string_view what) {
    return absl::UnavailableError(absl::StrCat("HAProxy runtime API at ", socket_path_, ": ", what,
                                               ": ", std::strerror(errno)));
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", socket_path_));
  }
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return unavailable("socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return unavailable("connect");
  }
  const std::string line = absl::StrCat(command, "\n");
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable("send");
    sent += static_cast<size_t>(n);
  }
  // Without the interactive prompt, HAProxy answers and closes.
  std::string reply;
  const absl::Time deadline = absl::Now() + timeout_;
  char buffer[16384];
  while (true) {
    const int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("HAProxy runtime API at ", socket_path_, ": no reply to \"", command, "\""));
    }
    pollfd p{.fd = fd.get(), .events = POLLIN, .revents = 0};
    int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return unavailable("poll");
    if (ready == 0) continue;
    ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable("recv");
    if (n == 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  return reply;
}

bool RuntimeReplySucceeded(absl::string_view reply) {
  absl::string_view text = absl::StripAsciiWhitespace(reply);
  return text.empty() || absl::StartsWith(text, "New server registered") ||
         absl::StartsWith(text, "Server deleted");
}

absl::Status RuntimeApi::Apply(absl::string_view command) const {
  absl::StatusOr<std::string> reply = Send(command);
  if (!reply.ok()) return reply.status();
  if (RuntimeReplySucceeded(*reply)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("HAProxy refused \"", command, "\": ",
                                                    absl::StripAsciiWhitespace(*reply)));
}

}  // namespace switchboard::proxy
