#include "switchboard/lookup/file/services_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

TEST(ServicesFileTest, ParsesShortAndFullInstances) {
  absl::StatusOr<std::vector<Instance>> instances = ParseServicesFile(R"({
    "generated_by": "deploy-tool 2.1",
    "services": {
      "greeter": [
        "127.0.0.1:50051",
        {"address": "[::1]:50052", "weight": 2, "zone": "a", "version": "1.0",
         "draining": true, "labels": {"canary": "true"}}
      ],
      "billing": [{"addr": "10.0.0.1:7000"}],
      "retired": []
    }
  })", "/etc/s.json");
  ASSERT_TRUE(instances.ok()) << instances.status();
  ASSERT_EQ(instances->size(), 3u);
  const Instance& billing = (*instances)[0];
  EXPECT_EQ(billing.service, "billing");
  EXPECT_EQ(billing.address, "10.0.0.1:7000");
  EXPECT_EQ(billing.metadata, InstanceMetadata{});
  const Instance& full = (*instances)[2];
  EXPECT_EQ(full.service, "greeter");
  EXPECT_EQ(full.address, "[::1]:50052");
  EXPECT_EQ(full.metadata.weight, 2u);
  EXPECT_EQ(full.metadata.zone, "a");
  EXPECT_EQ(full.metadata.version, "1.0");
  EXPECT_TRUE(full.metadata.draining);
  EXPECT_EQ(full.metadata.labels.at("canary"), "true");
}

TEST(ServicesFileTest, SyntaxErrorsNameFileLineAndColumn) {
  absl::Status status = ParseServicesFile("{\n  \"services\": {\n    \"greeter\": [,]\n  }\n}", "/etc/s.json").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/etc/s.json:3:17: syntax error"));

  status = ParseServicesFile("{\"services\": {}", "/x.json").status();
  EXPECT_THAT(status.message(), HasSubstr("/x.json:1:16: "));
  EXPECT_THAT(status.message(), HasSubstr("end of input"));
}

TEST(ServicesFileTest, EmptyFileIsAnError) {
  EXPECT_THAT(ParseServicesFile("", "/x.json").status().message(), HasSubstr("/x.json: file is empty"));
  EXPECT_THAT(ParseServicesFile(" \n", "/x.json").status().message(), HasSubstr("file is empty"));
}

TEST(ServicesFileTest, ContentErrorsNameTheJsonPath) {
  auto message = [](const char* text) {
    return std::string(ParseServicesFile(text, "/x.json").status().message());
  };
  EXPECT_THAT(message(R"([])"), HasSubstr("/x.json: top level: must be an object"));
  EXPECT_THAT(message(R"({"servics": {}})"), HasSubstr("missing \"services\""));
  EXPECT_THAT(message(R"({"services": {"a": {}}})"), HasSubstr("services.a: must be a list"));
  EXPECT_THAT(message(R"({"services": {"a": [{"address": "h:1", "weight": 0}]}})"),
              HasSubstr("services.a[0].weight: must be an integer in 1..10000, got 0"));
  EXPECT_THAT(message(R"({"services": {"a": [{"address": "h:1", "weight": 1.5}]}})"),
              HasSubstr("services.a[0].weight"));
  EXPECT_THAT(message(R"({"services": {"a": [{"address": "h:1", "wieght": 2}]}})"),
              HasSubstr("services.a[0].wieght: unknown key"));
  EXPECT_THAT(message(R"({"services": {"a": [{"weight": 2}]}})"), HasSubstr("services.a[0]: missing \"address\""));
  EXPECT_THAT(message(R"({"services": {"a": ["h"]}})"), HasSubstr("services.a[0]: bad address"));
  EXPECT_THAT(message(R"({"services": {"a": ["h:1", "h:1"]}})"), HasSubstr("services.a[1]: address h:1 is listed twice"));
  EXPECT_THAT(message(R"({"services": {"a": [{"address": "h:1", "labels": {"k": 1}}]}})"),
              HasSubstr("services.a[0].labels.k: must be a string"));
  EXPECT_THAT(message(R"({"services": {"a": [{"address": "h:1", "addr": "h:2"}]}})"), HasSubstr("not both"));
  EXPECT_THAT(message(R"({"services": {"a": [7]}})"), HasSubstr("services.a[0]: must be"));
}

TEST(TextPositionTest, OffsetsToLineAndColumn) {
  absl::string_view text = "ab\ncd\n\nef";
  EXPECT_EQ(PositionOfOffset(text, 0), (TextPosition{1, 1}));
  EXPECT_EQ(PositionOfOffset(text, 1), (TextPosition{1, 2}));
  EXPECT_EQ(PositionOfOffset(text, 2), (TextPosition{1, 3}));  // the newline itself
  EXPECT_EQ(PositionOfOffset(text, 3), (TextPosition{2, 1}));
  EXPECT_EQ(PositionOfOffset(text, 6), (TextPosition{3, 1}));
  EXPECT_EQ(PositionOfOffset(text, 8), (TextPosition{4, 2}));
  EXPECT_EQ(PositionOfOffset(text, 100), (TextPosition{4, 3}));
}

}  // namespace
}  // namespace switchboard
