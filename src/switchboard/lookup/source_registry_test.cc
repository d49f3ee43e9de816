#include "switchboard/lookup/source_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

class NamedSource : public PublishingSource {
 public:
  explicit NamedSource(std::string name) : name_(std::move(name)) {}
  std::string Describe() const override { return name_; }
  void Start(LookupObserver*) override {}
  void Stop() override {}

 private:
  std::string name_;
};

TEST(LookupSourceRegistryTest, BuildsByScheme) {
  LookupSourceRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLookupSources(registry).ok());
  EXPECT_TRUE(registry.Has("dns"));
  EXPECT_TRUE(registry.Has("dns+srv"));
  EXPECT_TRUE(registry.Has("file"));

  absl::StatusOr<std::unique_ptr<LookupSource>> dns =
      registry.Make("dns://127.0.0.1:5353/greeter.test:50051?interval=1s");
  ASSERT_TRUE(dns.ok()) << dns.status();
  EXPECT_EQ((*dns)->Describe(), "dns://127.0.0.1:5353/greeter.test:50051");
  absl::StatusOr<std::unique_ptr<LookupSource>> srv = registry.Make("dns+srv:///_grpc._tcp.greeter.test");
  ASSERT_TRUE(srv.ok()) << srv.status();
  EXPECT_EQ((*srv)->Describe(), "dns+srv:///_grpc._tcp.greeter.test");
  absl::StatusOr<std::unique_ptr<LookupSource>> file = registry.Make("file:///tmp/services.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->Describe(), "file:///tmp/services.json");
}

TEST(LookupSourceRegistryTest, ReportsBadUrisAndBadOptions) {
  LookupSourceRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLookupSources(registry).ok());
  EXPECT_THAT(registry.Make("greeter:50051").status().message(), HasSubstr("accepted forms"));
  EXPECT_THAT(registry.Make("file:///tmp/s.json?interval=fast").status().message(),
              HasSubstr("interval='fast'"));
  EXPECT_THAT(registry.Make("dns:///a.test:1?servce=a").status().message(),
              HasSubstr("unknown parameter 'servce'"));
}

TEST(LookupSourceRegistryTest, FreezeRefusesLateRegistrationAndDuplicates) {
  LookupSourceRegistry registry;
  auto factory = [](const SourceUri& uri) -> absl::StatusOr<std::unique_ptr<LookupSource>> {
    return std::make_unique<NamedSource>(uri.text);
  };
  ASSERT_TRUE(registry.Register("file", factory).ok());
  EXPECT_EQ(registry.Register("file", factory).code(), absl::StatusCode::kAlreadyExists);
  registry.Freeze();
  EXPECT_TRUE(registry.frozen());
  EXPECT_EQ(registry.Register("dns", factory).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*registry.Make("file:///x.json"))->Describe(), "file:///x.json");
  absl::Status missing = registry.Make("dns:///a.test:1").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(missing.message(), HasSubstr("registered: file"));
}

TEST(LookupSourceRegistryTest, EmptyRegistryTellsHowToRegister) {
  LookupSourceRegistry registry;
  EXPECT_THAT(registry.Make("dns:///a.test:1").status().message(),
              HasSubstr("RegisterBuiltinLookupSources"));
}

TEST(LookupSourceRegistryTest, EtcdSchemeWhenBuiltIn) {
  LookupSourceRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLookupSources(registry).ok());
  if (!registry.Has("etcd")) GTEST_SKIP() << "built without the etcd watcher";
  absl::StatusOr<std::unique_ptr<LookupSource>> etcd =
      registry.Make("etcd://127.0.0.1:2379/?service=greeter");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  EXPECT_THAT(registry.Make("etcd://127.0.0.1:2379/?colour=red").status().message(),
              HasSubstr("unknown parameter 'colour'"));
}

}  // namespace
}  // namespace switchboard
