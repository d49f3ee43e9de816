#include "switchboard/common/host_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

TEST(ParseHostPortTest, NamesAndLiterals) {
  EXPECT_EQ(*ParseHostPort("127.0.0.1:50051"), (HostPort{"127.0.0.1", 50051}));
  EXPECT_EQ(*ParseHostPort("[::1]:53"), (HostPort{"::1", 53}));
  EXPECT_EQ(*ParseHostPort("greeter.test", 443), (HostPort{"greeter.test", 443}));
  EXPECT_EQ(ParseHostPort("[::1]:53")->ToString(), "[::1]:53");
}

TEST(ParseHostPortTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(ParseHostPort("h").status().message(), HasSubstr("missing ':port'"));
  EXPECT_THAT(ParseHostPort(":1").status().message(), HasSubstr("missing host"));
  EXPECT_THAT(ParseHostPort("::1:53").status().message(), HasSubstr("brackets"));
  EXPECT_THAT(ParseHostPort("h:0").status().message(), HasSubstr("not a number in 1..65535"));
  EXPECT_THAT(ParseHostPort("h:65536").status().message(), HasSubstr("not a number"));
}

TEST(ParseListenHostPortTest, AllowsPortZeroAndRequiresAPort) {
  EXPECT_EQ(*ParseListenHostPort("0.0.0.0:0"), (HostPort{"0.0.0.0", 0}));
  EXPECT_EQ(*ParseListenHostPort("[::]:0"), (HostPort{"::", 0}));
  EXPECT_EQ(*ParseListenHostPort("localhost:50051"), (HostPort{"localhost", 50051}));
  EXPECT_FALSE(ParseListenHostPort("localhost").ok());
  EXPECT_THAT(ParseListenHostPort("h:-1").status().message(), HasSubstr("0..65535"));
}

}  // namespace
}  // namespace switchboard
