#include "switchboard/lookup/source_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "switchboard/lookup/builtin_sources.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;
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

// Accepts any URI of its scheme.
class NamedSourceFactory : public LookupSourceFactory {
 public:
  explicit NamedSourceFactory(std::string scheme)
      : description_{.scheme = std::move(scheme), .forms = {"named:///anything"},
                     .summary = "a source named by its URI", .parameters = {}} {}
  const LookupSourceDescription& description() const override { return description_; }
  absl::Status Validate(const SourceUri&) const override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<LookupSource>> Create(const SourceUri& uri) const override {
    return std::make_unique<NamedSource>(uri.text);
  }

 private:
  const LookupSourceDescription description_;
};

absl::StatusOr<LookupSourceRegistry> RegistryOf(std::vector<std::string> schemes) {
  std::vector<std::unique_ptr<LookupSourceFactory>> factories;
  for (std::string& scheme : schemes) factories.push_back(std::make_unique<NamedSourceFactory>(scheme));
  return LookupSourceRegistry::Create(std::move(factories));
}

TEST(LookupSourceRegistryTest, BuildsByScheme) {
  const LookupSourceRegistry& registry = BuiltinLookupSources();
  EXPECT_TRUE(registry.Has("dns"));
  EXPECT_TRUE(registry.Has("dns+srv"));
  EXPECT_TRUE(registry.Has("file"));
  EXPECT_THAT(registry.Schemes(), ElementsAre("dns", "dns+srv", "etcd", "file"));

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
  const LookupSourceRegistry& registry = BuiltinLookupSources();
  EXPECT_THAT(registry.Make("greeter:50051").status().message(), HasSubstr("accepted forms"));
  EXPECT_THAT(registry.Make("file:///tmp/s.json?interval=fast").status().message(),
              HasSubstr("interval='fast'"));
  EXPECT_THAT(registry.Make("dns:///a.test:1?servce=a").status().message(),
              HasSubstr("unknown parameter 'servce'"));
  EXPECT_THAT(registry.Validate("dns:///a.test:1?servce=a").message(),
              HasSubstr("unknown parameter 'servce'"));
  EXPECT_TRUE(registry.Validate("dns:///a.test:1?service=a").ok());
}

TEST(LookupSourceRegistryTest, BadUrisShowTheAcceptedForms) {
  const LookupSourceRegistry& registry = BuiltinLookupSources();
  for (const char* bad : {"greeter.test:50051", "http://x/y", "", "dns:/a:1"}) {
    absl::Status status = registry.Validate(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("dns+srv:///_service._proto.domain")) << bad;
    EXPECT_THAT(status.message(), HasSubstr(bad)) << bad;
    EXPECT_EQ(registry.Make(bad).status(), status) << bad;
  }
  EXPECT_THAT(registry.Validate("http://x/y").message(),
              HasSubstr("unknown scheme 'http' (registered: dns, dns+srv, etcd, file)"));
}

TEST(LookupSourceRegistryTest, RefusesDuplicatesAndNamesTheRegisteredSchemes) {
  EXPECT_EQ(RegistryOf({"file", "file"}).status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<LookupSourceRegistry> registry = RegistryOf({"file"});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ((*registry->Make("file:///x.json"))->Describe(), "file:///x.json");
  absl::Status missing = registry->Make("dns:///a.test:1").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.message(), HasSubstr("registered: file"));
  EXPECT_THAT(missing.message(), HasSubstr("accepted forms:\n  named:///anything"));
}

TEST(LookupSourceRegistryTest, EmptyRegistryTellsWhereTheBuiltInOnesAre) {
  absl::StatusOr<LookupSourceRegistry> registry = RegistryOf({});
  ASSERT_TRUE(registry.ok());
  EXPECT_THAT(registry->Make("dns:///a.test:1").status().message(), HasSubstr("BuiltinLookupSources"));
}

TEST(LookupSourceRegistryTest, EtcdSchemeIsBuiltIn) {
  const LookupSourceRegistry& registry = BuiltinLookupSources();
  ASSERT_TRUE(registry.Has("etcd"));
  absl::StatusOr<std::unique_ptr<LookupSource>> etcd =
      registry.Make("etcd://127.0.0.1:2379/?service=greeter");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  EXPECT_THAT(registry.Make("etcd://127.0.0.1:2379/?colour=red").status().message(),
              HasSubstr("unknown parameter 'colour'"));
}

TEST(LookupSourceRegistryTest, HelpDescribesEverySchemeWithItsFormsAndParameters) {
  std::string help = BuiltinLookupSources().Help();
  for (const char* expected :
       {"  etcd://host:port[,host:port...]/[key/prefix/]\n", "  dns:///name[:port]\n",
        "  dns://server[:port]/name[:port]\n", "  dns+srv:///_service._proto.domain\n",
        "  dns+srv://server[:port]/_service._proto.domain\n",
        "  file:///absolute/path/services.json\n", "parameters: service, request_timeout, max_retry_delay",
        "empty_on_nxdomain, priority", "parameters: watch, interval"}) {
    EXPECT_THAT(help, HasSubstr(expected));
  }
}

}  // namespace
}  // namespace switchboard
