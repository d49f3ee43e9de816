#include "switchboard/common/listen_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/host_port.h"

namespace switchboard {

absl::Status CheckCanListen(absl::string_view address, absl::string_view who) {
  const std::string prefix = absl::StrCat(who, ": cannot listen on ", address, ": ");
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (absl::StartsWith(address, "unix:")) {
    std::string path(address.substr(5));
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    if (path.size() >= sizeof(un->sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "socket path too long"));
    }
    un->sun_family = family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    length = sizeof(sockaddr_un);
  } else {
    // Port 0 (any free port) is valid to listen on, not to dial.
    bool any_port = absl::EndsWith(address, ":0");
    absl::StatusOr<HostPort> hp =
        ParseHostPort(any_port ? absl::StrCat(address.substr(0, address.size() - 2), ":1") : address);
    if (!hp.ok()) return absl::InvalidArgumentError(absl::StrCat(prefix, hp.status().message()));
    if (any_port) hp->port = 0;
    std::string host = hp->host;
    if (host.empty() || host == "0.0.0.0") host = "0.0.0.0";
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = family = AF_INET;
      v4->sin_port = htons(hp->port);
      length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = family = AF_INET6;
      v6->sin6_port = htons(hp->port);
      length = sizeof(sockaddr_in6);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "want an IP address to listen on, not the name '", host, "'"));
    }
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat(prefix, std::strerror(errno)));
  // As servers bind (gRPC, etcd): a connection in TIME_WAIT does not hold
  // the port, a listener or another bound socket does.
  const int on = 1;
  if (family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&storage), length);
  int error = errno;
  close(fd);
  if (rc == 0) return absl::OkStatus();
  switch (error) {
    case EADDRINUSE:
      return absl::UnavailableError(
          absl::StrCat(prefix, "the address is already in use (another process listens there)"));
    case EACCES:
      return absl::PermissionDeniedError(
          absl::StrCat(prefix, "permission denied (ports below 1024 need privileges)"));
    case EADDRNOTAVAIL:
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "no local interface has that address"));
    default:
      return absl::UnavailableError(absl::StrCat(prefix, std::strerror(error)));
  }
}

absl::Status ListenFailure(absl::string_view address, absl::string_view who) {
  absl::Status why = CheckCanListen(address, who);
  if (!why.ok()) return why;
  return absl::UnavailableError(absl::StrCat(who, ": cannot listen on ", address,
                                             ": the address is free now; gRPC refused it"));
}

}  // namespace switchboard
