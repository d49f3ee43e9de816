// The ADS server against raw xDS clients on real sockets: clients that NACK,
// ask for unknown types or names, or never ACK are reported clearly while a
// real gRPC channel in the same process keeps being served; a thousand
// concurrent streams all get their pushes; and a source that has not
// answered is stood in for by its cache, or its services' requests held.
#include <cstdlib>
#include <deque>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "testing/raw_ads_stream.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"
#include "switchboard/xds/snapshot_cache.h"
#include "testing/xds_testing.h"

namespace switchboard::xds {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using switchboard::examples::Greeter;
using switchboard::testing::WaitFor;
using testing::CallOnce;
using testing::GreeterInstance;
using testing::InProcessGreeter;
using testing::ManualSource;
using testing::RawAdsStream;
using testing::StderrCapture;

DiscoveryRequest Request(ResourceKind kind, std::vector<std::string> names,
                         const std::string& node_id = "") {
  return testing::AdsRequest(kind, std::move(names), node_id);
}

class XdsAdsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    capture_ = std::make_unique<StderrCapture>();
    auto greeter = InProcessGreeter::Start();
    ASSERT_TRUE(greeter.ok());
    greeters_.push_back(std::move(*greeter));
    auto source = std::make_unique<ManualSource>(
        std::vector<Instance>{GreeterInstance("greeter", *greeters_[0])});
    source_ = source.get();
    auto plane = XdsControlPlane::Start(testing::MakeSources(std::move(source)),
                                        {.listen_address = "127.0.0.1:0",
                                         .ack_timeout = absl::Milliseconds(500)});
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = std::move(*plane);
    ASSERT_TRUE(plane_->WaitUntilServing(absl::Seconds(5)));
  }
  void TearDown() override {
    plane_.reset();
    capture_.reset();
  }

  std::unique_ptr<StderrCapture> capture_;
  std::vector<std::unique_ptr<InProcessGreeter>> greeters_;
  ManualSource* source_ = nullptr;
  std::unique_ptr<XdsControlPlane> plane_;
};

TEST_F(XdsAdsServerTest, AServiceLeftWithNoInstanceIsReportedAndSoIsItsReturn) {
  source_->Set({});
  EXPECT_TRUE(capture_->WaitFor("service greeter has no live instance", absl::Seconds(5)))
      << capture_->Text();
  source_->Set({GreeterInstance("greeter", *greeters_[0])});
  EXPECT_TRUE(capture_->WaitFor("service greeter has live instances again", absl::Seconds(5)))
      << capture_->Text();
}

TEST_F(XdsAdsServerTest, BadClientsAreReportedAndOthersKeepBeingServed) {
  // A well-behaved real client, served throughout.
  auto bootstrap = MakeBootstrapJson({.server_address = plane_->address(), .node_id = "good-client"});
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);
  auto good = Greeter::NewStub(grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(CallOnce(good.get()).ok());

  // NACK: reported with the node id and the client's error.
  RawAdsStream nacker(plane_->address());
  ASSERT_TRUE(nacker.Send(Request(ResourceKind::kListener, {"greeter"}, "nacking-client")));
  auto listener = nacker.Next();
  ASSERT_TRUE(listener.has_value());
  ASSERT_TRUE(nacker.Send(testing::AdsNack(ResourceKind::kListener, {"greeter"}, *listener,
                                           "listener greeter rejected: test says no")));
  EXPECT_TRUE(capture_->WaitFor("nacking-client", absl::Seconds(5)));
  EXPECT_TRUE(capture_->WaitFor("rejected (NACK) LDS version " + listener->version_info() +
                                    ": listener greeter rejected: test says no",
                                absl::Seconds(5)))
      << capture_->Text();

  // Unknown type: reported, ignored, the stream lives on.
  DiscoveryRequest odd = Request(ResourceKind::kListener, {"x"});
  odd.set_type_url("type.googleapis.com/example.v1.Unknown");
  ASSERT_TRUE(nacker.Send(odd));
  EXPECT_TRUE(capture_->WaitFor("\"type.googleapis.com/example.v1.Unknown\", which this server does not serve",
                                absl::Seconds(5)))
      << capture_->Text();

  // Unknown name: answered at once, reported.
  RawAdsStream lost(plane_->address());
  ASSERT_TRUE(lost.Send(Request(ResourceKind::kListener, {"ghost"}, "lost-client")));
  auto ghost = lost.Next();
  ASSERT_TRUE(ghost.has_value());
  EXPECT_EQ(ghost->resources_size(), 1);
  EXPECT_TRUE(capture_->WaitFor("asked for LDS \"ghost\": no such service", absl::Seconds(5)));

  // A stream that never ACKs: reported as stuck.
  RawAdsStream silent(plane_->address());
  ASSERT_TRUE(silent.Send(Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}, "silent-client")));
  ASSERT_TRUE(silent.Next().has_value());
  EXPECT_TRUE(capture_->WaitFor("\"silent-client\"", absl::Seconds(5)));
  EXPECT_TRUE(capture_->WaitFor("has not acknowledged EDS", absl::Seconds(5))) << capture_->Text();

  // Meanwhile the good client gets a change in well under a second.
  auto second = InProcessGreeter::Start();
  ASSERT_TRUE(second.ok());
  absl::Time changed = absl::Now();
  source_->Set({GreeterInstance("greeter", *greeters_[0]), GreeterInstance("greeter", **second)});
  EXPECT_TRUE(WaitFor(
      [&] {
        auto by = CallOnce(good.get());
        return by.ok() && *by == (*second)->address();
      },
      absl::Seconds(1), absl::Milliseconds(1)));
  std::printf("  good client served by the new instance %s after the change\n",
              absl::FormatDuration(absl::Now() - changed).c_str());
  // The stuck stream got the push as well (it is not the server's problem
  // that it does not answer).
  EXPECT_TRUE(silent.Next().has_value());
  EXPECT_GE(plane_->Stats().nacks_received, 1u);
}

// Bytes that are no DiscoveryRequest end that stream with a clear status;
// the server goes on serving others.
TEST_F(XdsAdsServerTest, MalformedRequestEndsOnlyItsStream) {
  class GarbageWriter : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    void OnDone(const grpc::Status& status) override {
      std::lock_guard<std::mutex> lock(mu);
      final_status = status;
      done = true;
    }
    std::mutex mu;
    bool done = false;
    grpc::Status final_status;
  };
  auto channel = grpc::CreateChannel(plane_->address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  GarbageWriter garbage;
  // Field 1 with wire type 7, which does not exist.
  grpc::Slice bytes(std::string("\x0f\xff\xff\xff"));
  grpc::ByteBuffer request(&bytes, 1);
  grpc::ByteBuffer response;
  generic.PrepareBidiStreamingCall(
      &context, "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
      grpc::StubOptions(), &garbage);
  garbage.StartWrite(&request);
  garbage.StartRead(&response);
  garbage.StartCall();
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(garbage.mu);
        return garbage.done;
      },
      absl::Seconds(5)));
  EXPECT_EQ(garbage.final_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(garbage.final_status.error_message().find("malformed DiscoveryRequest"),
            std::string::npos)
      << garbage.final_status.error_message();
  EXPECT_TRUE(capture_->WaitFor("sent a malformed DiscoveryRequest", absl::Seconds(5)))
      << capture_->Text();

  RawAdsStream good(plane_->address());
  ASSERT_TRUE(good.Send(Request(ResourceKind::kListener, {"greeter"}, "good-client")));
  auto listener = good.Next();
  ASSERT_TRUE(listener.has_value());
  EXPECT_EQ(listener->resources_size(), 1);
}

// One callback-API ADS client stream subscribed to greeter's endpoints,
// ACKing every response.
class EdsWatcher : public grpc::ClientBidiReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  EdsWatcher(AggregatedDiscoveryService::Stub* stub, int id, std::atomic<int>* first,
             std::atomic<int>* second, std::atomic<int>* done)
      : first_(first), second_(second), done_(done) {
    request_ = Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"},
                       absl::StrCat("watcher-", id));
    stub->async()->StreamAggregatedResources(&context_, this);
    writing_ = true;
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    int n = ++responses_;
    if (n == 1) (*first_)++;
    if (n == 2) (*second_)++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ack_ = Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"});
      ack_.set_version_info(response_.version_info());
      ack_.set_response_nonce(response_.nonce());
      if (writing_) {
        ack_pending_ = true;
      } else {
        writing_ = true;
        StartWrite(&ack_);
      }
    }
    StartRead(&response_);
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (ok && ack_pending_) {
      ack_pending_ = false;
      writing_ = true;
      StartWrite(&ack_);
    }
  }
  void OnDone(const grpc::Status&) override { (*done_)++; }

 private:
  grpc::ClientContext context_;
  DiscoveryRequest request_;
  DiscoveryResponse response_;
  std::atomic<int> responses_{0};
  std::mutex mu_;
  DiscoveryRequest ack_;
  bool writing_ = false;
  bool ack_pending_ = false;
  std::atomic<int>* first_;
  std::atomic<int>* second_;
  std::atomic<int>* done_;
};

TEST_F(XdsAdsServerTest, AThousandStreamsAllGetTheirPushes) {
  constexpr int kStreams = 1000;
  constexpr int kConnections = 10;
  SetLogLevel(LogLevel::kWarn);  // a thousand "new stream" lines add nothing
  std::vector<std::unique_ptr<AggregatedDiscoveryService::Stub>> stubs;
  for (int c = 0; c < kConnections; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("switchboard.test.connection", c);  // distinct args: own connection
    stubs.push_back(AggregatedDiscoveryService::NewStub(grpc::CreateCustomChannel(
        plane_->address(), grpc::InsecureChannelCredentials(), args)));
  }
  std::atomic<int> first{0}, second{0}, done{0};
  std::vector<std::unique_ptr<EdsWatcher>> watchers;
  absl::Time start = absl::Now();
  for (int i = 0; i < kStreams; ++i) {
    watchers.push_back(std::make_unique<EdsWatcher>(stubs[i % kConnections].get(), i, &first,
                                                    &second, &done));
  }
  EXPECT_TRUE(WaitFor([&] { return first.load() == kStreams; }, absl::Seconds(30)))
      << first.load() << " of " << kStreams << " streams answered";
  std::printf("  %d streams opened and answered in %s; server counts %zu streams\n", kStreams,
              absl::FormatDuration(absl::Now() - start).c_str(), plane_->Stats().streams);
  EXPECT_EQ(plane_->Stats().streams, static_cast<size_t>(kStreams));

  absl::Time changed = absl::Now();
  source_->Set({GreeterInstance("greeter", *greeters_[0], 5)});
  EXPECT_TRUE(WaitFor([&] { return second.load() == kStreams; }, absl::Seconds(30)))
      << second.load() << " of " << kStreams << " streams got the push";
  std::printf("  one change pushed to all %d streams in %s\n", kStreams,
              absl::FormatDuration(absl::Now() - changed).c_str());

  for (auto& watcher : watchers) watcher->Cancel();
  EXPECT_TRUE(WaitFor([&] { return done.load() == kStreams; }, absl::Seconds(30)));
  EXPECT_TRUE(WaitFor([&] { return plane_->Stats().streams == 0; }, absl::Seconds(10)));
  SetLogLevel(LogLevel::kInfo);
}

// A source that has not answered until the test says so: Start() reports
// an error, and only Answer() publishes.
class SilentSource : public PublishingSource {
 public:
  explicit SilentSource(std::string name) : name_(std::move(name)) {}
  std::string Describe() const override { return name_; }
  void Start(LookupObserver* observer) override {
    SetObserver(observer);
    ReportError(absl::UnavailableError("registry down (test)"));
  }
  void Stop() override { SetObserver(nullptr); }
  void Answer(std::vector<Instance> instances) { Publish(Snapshot::Create(std::move(instances))); }

 private:
  const std::string name_;
};

// The responses of `count` types, by type URL, as they come.
std::map<std::string, DiscoveryResponse> NextByType(RawAdsStream& stream, size_t count) {
  std::map<std::string, DiscoveryResponse> by_type;
  while (by_type.size() < count) {
    std::optional<DiscoveryResponse> response = stream.Next();
    if (!response.has_value()) break;
    by_type[response->type_url()] = *response;
  }
  return by_type;
}

// The port of the first endpoint of an EDS response.
int FirstEndpointPort(const DiscoveryResponse& response) {
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  if (response.resources_size() == 0 || !response.resources(0).UnpackTo(&assignment) ||
      assignment.endpoints_size() == 0 || assignment.endpoints(0).lb_endpoints_size() == 0) {
    return -1;
  }
  return assignment.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().port_value();
}

// One source answers, the other stays silent past the initial sync window:
// the first's services are served, requests naming anything else are held
// (not answered "does not exist") until the silent one answers.
TEST(XdsControlPlaneSilentSourceTest, RequestsForServicesItMayOwnAreHeldUntilItAnswers) {
  StderrCapture capture;
  std::vector<std::unique_ptr<LookupSource>> sources;
  sources.push_back(std::make_unique<ManualSource>(
      std::vector<Instance>{{.service = "greeter", .address = "127.0.0.1:1001"}}));
  auto silent = std::make_unique<SilentSource>("silent://billing");
  SilentSource* billing = silent.get();
  sources.push_back(std::move(silent));
  auto plane = XdsControlPlane::Start(
      std::move(sources),
      {.listen_address = "127.0.0.1:0", .initial_sync_timeout = absl::Milliseconds(200)});
  ASSERT_TRUE(plane.ok()) << plane.status();
  ASSERT_TRUE((*plane)->WaitUntilServing(absl::Seconds(5)));
  EXPECT_TRUE(capture.WaitFor("source silent://billing has not answered yet (UNAVAILABLE: registry "
                              "down (test)); holding requests for services it may own",
                              absl::Seconds(5)))
      << capture.Text();
  EXPECT_EQ((*plane)->Stats().sources_missing, 1u);

  RawAdsStream client((*plane)->address());
  ASSERT_TRUE(client.Send(Request(ResourceKind::kListener, {"greeter"}, "held-client")));
  auto greeter = client.Next();
  ASSERT_TRUE(greeter.has_value());
  EXPECT_EQ(greeter->resources_size(), 1);
  ASSERT_TRUE(client.Send(Request(ResourceKind::kListener, {"billing", "greeter"})));
  ASSERT_TRUE(client.Send(Request(ResourceKind::kCluster, {"billing.cluster"})));
  // The span checked: nothing comes while billing's source is silent.
  EXPECT_FALSE(client.Next(absl::Milliseconds(500)).has_value());

  billing->Answer({{.service = "billing", .address = "127.0.0.1:1002"}});
  auto answered = NextByType(client, 2);
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_EQ(answered[std::string(TypeUrl(ResourceKind::kListener))].resources_size(), 2);
  EXPECT_EQ(answered[std::string(TypeUrl(ResourceKind::kCluster))].resources_size(), 1);
  EXPECT_TRUE(capture.WaitFor("source silent://billing answered: 1 instance(s)", absl::Seconds(5)));
  EXPECT_EQ((*plane)->Stats().sources_missing, 0u);

  // Every source has answered: an unknown name now gets its fail-fast
  // stand-in at once.
  ASSERT_TRUE(client.Send(Request(ResourceKind::kListener, {"billing", "greeter", "nope"})));
  auto nope = client.Next();
  ASSERT_TRUE(nope.has_value());
  EXPECT_EQ(nope->resources_size(), 3);
}

// A control plane saves its source's snapshot; the next one, whose source
// has not answered, serves it at once (not after the initial sync window)
// until the source answers.
TEST(XdsControlPlaneSilentSourceTest, ACachedSnapshotIsServedAtOnceUntilTheSourceAnswers) {
  StderrCapture capture;
  switchboard::testing::TempDir dir;
  const std::string cache_dir = dir.File("cache");
  {
    auto plane = XdsControlPlane::Start(
        testing::MakeSources(std::make_unique<ManualSource>(
            std::vector<Instance>{{.service = "greeter", .address = "127.0.0.1:1001"}},
            "manual://cached")),
        {.listen_address = "127.0.0.1:0", .cache_dir = cache_dir});
    ASSERT_TRUE(plane.ok()) << plane.status();
    ASSERT_TRUE((*plane)->WaitUntilServing(absl::Seconds(5)));
  }  // saved by now (on Stop() at the latest)
  SnapshotCache cache(cache_dir);
  auto saved = cache.Load("manual://cached");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->snapshot->size(), 1u);

  auto silent = std::make_unique<SilentSource>("manual://cached");
  SilentSource* source = silent.get();
  absl::Time start = absl::Now();
  auto plane = XdsControlPlane::Start(
      testing::MakeSources(std::move(silent)),
      {.listen_address = "127.0.0.1:0", .initial_sync_timeout = absl::Minutes(1),
       .cache_dir = cache_dir});
  ASSERT_TRUE(plane.ok()) << plane.status();
  ASSERT_TRUE((*plane)->WaitUntilServing(absl::Seconds(5)));
  std::printf("  serving from the cache %s after start\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_EQ((*plane)->Stats().sources_from_cache, 1u);
  EXPECT_TRUE(capture.WaitFor("serving 1 instance(s) of source manual://cached from the cache "
                              "written at ",
                              absl::Seconds(5)));
  EXPECT_TRUE(capture.WaitFor("; the source is unreachable: UNAVAILABLE: registry down (test)",
                              absl::Seconds(5)))
      << capture.Text();

  RawAdsStream client((*plane)->address());
  ASSERT_TRUE(client.Send(Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"},
                                  "cache-client")));
  auto cached = client.Next();
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(FirstEndpointPort(*cached), 1001);

  // The source answers: its snapshot replaces the cache, and is saved.
  source->Answer({{.service = "greeter", .address = "127.0.0.1:1002"}});
  auto live = client.Next();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(FirstEndpointPort(*live), 1002);
  EXPECT_TRUE(capture.WaitFor("source manual://cached is live again: its 1 instance(s) replace the 1 "
                              "from the cache written at ",
                              absl::Seconds(5)));
  // The stats are updated once the push is out: wait for them.
  EXPECT_TRUE(WaitFor([&] { return (*plane)->Stats().sources_from_cache == 0u; }, absl::Seconds(5)));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto entry = cache.Load("manual://cached");
        return entry.ok() && entry->snapshot->All()[0].address == "127.0.0.1:1002";
      },
      absl::Seconds(5)));
}

}  // namespace
}  // namespace switchboard::xds
