#include "switchboard/common/listen_check.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

// A socket bound to 127.0.0.1:<any port>, and that address.
struct BoundSocket {
  int fd = -1;
  std::string address;
};
BoundSocket BindAnyLoopbackPort() {
  BoundSocket bound{.fd = socket(AF_INET, SOCK_STREAM, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (bound.fd < 0 || bind(bound.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(bound.fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return bound;
  }
  bound.address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  return bound;
}

TEST(ListenFailureTest, NamesAPortAnotherProcessHolds) {
  BoundSocket bound = BindAnyLoopbackPort();
  ASSERT_FALSE(bound.address.empty());
  const int fd = bound.fd;
  const std::string& address = bound.address;
  ASSERT_EQ(listen(fd, 1), 0);
  absl::Status status = ListenFailure(address, "xDS control plane");
  close(fd);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), absl::StrCat("xDS control plane: cannot listen on ", address,
                                           ": the address is already in use (another process "
                                           "listens there)"));
}

TEST(ListenFailureTest, CheckCanListenIsOkForAFreePortAndNamesAHeldOne) {
  BoundSocket bound = BindAnyLoopbackPort();
  ASSERT_FALSE(bound.address.empty());
  const std::string& address = bound.address;
  // Bound, not listening: the port is still taken.
  absl::Status held = CheckCanListen(address, "etcd's peer port");
  close(bound.fd);
  EXPECT_EQ(held.code(), absl::StatusCode::kUnavailable) << held;
  EXPECT_TRUE(CheckCanListen(address, "etcd's peer port").ok());
  EXPECT_TRUE(CheckCanListen("127.0.0.1:0", "x").ok());
}

TEST(ListenFailureTest, NamesAddressesThatCannotBeListenedOn) {
  EXPECT_EQ(ListenFailure("bogus", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListenFailure("localhost:80", "x").code(), absl::StatusCode::kInvalidArgument);
  // Not an address of this machine.
  EXPECT_EQ(ListenFailure("192.0.2.1:5000", "x").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard
