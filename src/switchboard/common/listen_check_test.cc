#include "switchboard/common/listen_check.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

TEST(ListenFailureTest, NamesAPortAnotherProcessHolds) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  absl::Status status = ListenFailure(address, "xDS control plane");
  close(fd);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), absl::StrCat("xDS control plane: cannot listen on ", address,
                                           ": the address is already in use (another process "
                                           "listens there)"));
}

TEST(ListenFailureTest, CheckCanListenIsOkForAFreePortAndNamesAHeldOne) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  // Bound, not listening: the port is still taken.
  absl::Status held = CheckCanListen(address, "etcd's peer port");
  close(fd);
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
