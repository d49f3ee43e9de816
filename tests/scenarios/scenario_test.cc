// The six scenarios of the demo as tests, each on a fresh stage (private
// etcd, in-process xDS control plane, three greeter server processes and a
// client under load). Each runs in its own process (see CMakeLists.txt):
// gRPC's xDS client reads its bootstrap once per process.
#include <iostream>

#include <gtest/gtest.h>

#include "demo/scenarios.h"
#include "testing/child_process.h"

namespace switchboard::demo {
namespace {

class ScenarioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { PrepareXdsClientProcess(); }

  void SetUp() override {
    absl::StatusOr<std::string> server =
        testing::LocateGreeterServer(testing::BuiltBinary("bin/greeter_server"));
    ASSERT_TRUE(server.ok()) << server.status();
    auto stage = ScenarioStage::Start({.greeter_server = *server, .work_dir = dir_.path()});
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);
  }

  void TearDown() override { stage_.reset(); }

  static void Narrate(const std::string& line) { std::cerr << "    " << line << std::endl; }

  // Checks `verdict` and records its figures in the test log.
  static void Expect(const ScenarioVerdict& verdict) {
    std::cerr << FormatVerdict(verdict) << std::endl;
    ::testing::Test::RecordProperty("verdict", verdict.detail);
    EXPECT_TRUE(verdict.passed) << FormatVerdict(verdict);
  }

  testing::TempDir dir_;
  std::unique_ptr<ScenarioStage> stage_;
};

TEST_F(ScenarioTest, EvenSplit) { Expect(EvenSplit(*stage_, Narrate)); }

TEST_F(ScenarioTest, KillOneServer) { Expect(KillOneServer(*stage_, Narrate)); }

TEST_F(ScenarioTest, RestartKilledServer) {
  ScenarioVerdict kill = KillOneServer(*stage_, Narrate);
  ASSERT_FALSE(stage_->fleet().Running(kVictim)) << FormatVerdict(kill);
  Expect(RestartKilledServer(*stage_, Narrate));
}

TEST_F(ScenarioTest, EtcdOutage) { Expect(EtcdOutage(*stage_, Narrate)); }

TEST_F(ScenarioTest, RegistryChangesAfterOutage) {
  Expect(RegistryChangesAfterOutage(*stage_, Narrate));
}

TEST_F(ScenarioTest, AllServersDown) { Expect(AllServersDown(*stage_, Narrate)); }

}  // namespace
}  // namespace switchboard::demo
