// The file scheme's form; its parameters: file_source_integration_test.cc.
#include "switchboard/lookup/file/file_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<FileSourceOptions> Parse(absl::string_view uri) {
  return FileSourceOptionsFromUri(*ParseSourceUri(uri));
}

TEST(FileSourceFactoryTest, File) {
  absl::StatusOr<FileSourceOptions> options = Parse("file:///etc/switchboard/services%20v2.json?interval=1s");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->path, "/etc/switchboard/services v2.json");
  EXPECT_TRUE(Parse("file://localhost/tmp/s.json").ok());
  EXPECT_THAT(Parse("file://tmp/s.json").status().message(), HasSubstr("three slashes"));
  EXPECT_FALSE(Parse("file:///tmp/").ok());
  EXPECT_FALSE(Parse("file://").ok());
  EXPECT_THAT(Parse("file://").status().message(),
              HasSubstr("accepted forms:\n  file:///absolute/path/services.json"));
}

TEST(FileSourceFactoryTest, DescribesItself) {
  std::unique_ptr<LookupSourceFactory> factory = MakeFileSourceFactory();
  EXPECT_EQ(factory->description().scheme, "file");
  EXPECT_THAT(factory->description().parameters, ::testing::Contains("watch"));
  EXPECT_THAT(factory->Validate(*ParseSourceUri("file:///x.json?interval=fast")).message(),
              HasSubstr("interval='fast'"));
  absl::StatusOr<std::unique_ptr<LookupSource>> source =
      factory->Create(*ParseSourceUri("file:///tmp/services.json"));
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Describe(), "file:///tmp/services.json");
}

}  // namespace
}  // namespace switchboard
