#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "testing/child_process.h"
#include "testing/etcd_process.h"

namespace switchboard::testing {
namespace {

TEST(ChildProcessTest, StartStopAndMissingBinary) {
  auto child = ChildProcess::Start({"sleep", "30"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE((*child)->Running());
  int status = (*child)->Stop(absl::Seconds(2));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE((*child)->Running());
  EXPECT_FALSE(ChildProcess::Start({"no-such-binary-anywhere"}).ok());
}

TEST(EtcdProcessTest, KillAndRestartOnSamePortsWithWipedData) {
  auto etcd = EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  int port = (*etcd)->client_port();
  EXPECT_TRUE(supervisor::EtcdHealthy("127.0.0.1", port));
  (*etcd)->Kill();
  EXPECT_FALSE(supervisor::EtcdHealthy("127.0.0.1", port));
  ASSERT_TRUE((*etcd)->Restart(/*wipe_data=*/true).ok());
  EXPECT_EQ((*etcd)->client_port(), port);
  EXPECT_TRUE(supervisor::EtcdHealthy("127.0.0.1", port));
}

}  // namespace
}  // namespace switchboard::testing
