#include "xds/control_plane.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "grpcpp/grpcpp.h"

namespace switchboard::xds {
namespace {

constexpr absl::string_view kLog = "xds";
// How often the worker looks for stuck clients and the initial-sync deadline.
constexpr absl::Duration kTick = absl::Seconds(1);

// "host:port" with the port replaced by `port`.
std::string WithPort(absl::string_view listen_address, int port) {
  size_t colon = listen_address.rfind(':');
  if (colon == absl::string_view::npos) return std::string(listen_address);
  return absl::StrCat(listen_address.substr(0, colon), ":", port);
}

}  // namespace

class XdsControlPlane::SourceObserver : public LookupObserver {
 public:
  SourceObserver(XdsControlPlane* plane, size_t index, std::string description)
      : plane_(plane), index_(index), description_(std::move(description)) {}

  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    SB_LOG(kDebug, kLog, "source ", description_, ": ", changes.Summary());
    plane_->OnSourceUpdate(index_, std::move(snapshot));
  }
  void OnError(const absl::Status& error) override {
    SB_LOG(kWarn, kLog, "source ", description_, " failed (serving its last good snapshot): ",
           error.ToString());
  }

 private:
  XdsControlPlane* const plane_;
  const size_t index_;
  const std::string description_;
};

absl::StatusOr<std::unique_ptr<XdsControlPlane>> XdsControlPlane::Start(
    std::vector<std::unique_ptr<LookupSource>> sources, XdsControlPlaneOptions options) {
  if (sources.empty()) {
    return absl::InvalidArgumentError("xDS control plane: no lookup source given");
  }
  for (const auto& source : sources) {
    if (source == nullptr) return absl::InvalidArgumentError("xDS control plane: null source");
  }
  std::unique_ptr<XdsControlPlane> plane(new XdsControlPlane(std::move(sources), options));

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(plane->ads_.service());
  // Find clients that vanished without closing their stream.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // ADS streams carry small messages; bandwidth probing is of no use on
  // them and would add a PING round trip on many streams after a push.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  plane->server_ = builder.BuildAndStart();
  if (plane->server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("xDS control plane: cannot listen on \"", options.listen_address,
                     "\" (address in use, bad syntax or no permission)"));
  }
  bool is_unix = absl::StartsWith(options.listen_address, "unix:");
  plane->port_ = is_unix ? 0 : selected_port;
  plane->address_ = is_unix ? options.listen_address : WithPort(options.listen_address, selected_port);
  SB_LOG(kInfo, kLog, "ADS server listening on ", plane->address_, " with ",
         plane->sources_.size(), " source(s)");

  plane->started_at_ = absl::Now();
  plane->worker_ = std::thread([p = plane.get()] { p->WorkerLoop(); });
  for (size_t i = 0; i < plane->sources_.size(); ++i) {
    plane->sources_[i]->Start(plane->observers_[i].get());
  }
  return plane;
}

XdsControlPlane::XdsControlPlane(std::vector<std::unique_ptr<LookupSource>> sources,
                                 XdsControlPlaneOptions options)
    : options_(std::move(options)),
      sources_(std::move(sources)),
      ads_(AdsServerOptions{.ack_timeout = options_.ack_timeout}) {
  latest_.resize(sources_.size());
  policies_ = options_.policies;
  for (size_t i = 0; i < sources_.size(); ++i) {
    observers_.push_back(std::make_unique<SourceObserver>(this, i, sources_[i]->Describe()));
  }
}

XdsControlPlane::~XdsControlPlane() { Stop(); }

void XdsControlPlane::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& source : sources_) source->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  ads_.FinishAll();
  // A plane whose server never started (its port was taken) said why in
  // Start(); "stopped" would only add a line with no address.
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
    SB_LOG(kInfo, kLog, "ADS server on ", address_, " stopped");
  }
}

void XdsControlPlane::OnSourceUpdate(size_t index, SnapshotPtr snapshot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_[index] = std::move(snapshot);
    dirty_ = true;
  }
  wake_.notify_all();
}

void XdsControlPlane::SetPolicies(PolicyTable policies) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    policies_ = std::move(policies);
    dirty_ = true;
  }
  wake_.notify_all();
}

void XdsControlPlane::WorkerLoop() {
  while (true) {
    bool rebuild = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, absl::ToChronoMilliseconds(kTick),
                     [this] { return stopping_ || dirty_; });
      if (stopping_) return;
      bool all_sources_in = std::all_of(latest_.begin(), latest_.end(),
                                        [](const SnapshotPtr& s) { return s != nullptr; });
      bool sync_over = all_sources_in || absl::Now() - started_at_ >= options_.initial_sync_timeout;
      if (sync_over && (dirty_ || !serving_)) {
        if (!all_sources_in && !serving_) {
          SB_LOG(kWarn, kLog, "not every source delivered a first snapshot within ",
                 absl::FormatDuration(options_.initial_sync_timeout),
                 "; serving what is known so far");
        }
        dirty_ = false;
        rebuild = true;
      }
    }
    if (rebuild) Rebuild();
    ads_.CheckUnacked(absl::Now());
  }
}

void XdsControlPlane::Rebuild() {
  std::vector<SnapshotPtr> latest;
  PolicyTable policies;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest = latest_;
    policies = policies_;
  }
  SnapshotPtr merged = MergeSnapshots(latest);
  for (const auto& [service, instances] : merged->services()) retained_services_.insert(service);
  std::vector<std::string> problems;
  CatalogPtr previous = ads_.catalog();
  // Unchanged services keep their resources: one change in a large
  // registry rebuilds one service, not all of them.
  CatalogPtr catalog =
      ResourceCatalog::Build(*merged, policies, retained_services_, &problems, previous.get());
  if (problems != last_problems_) {
    for (const std::string& problem : problems) SB_LOG(kWarn, kLog, problem);
    last_problems_ = std::move(problems);
  }
  std::set<std::string> changed = ads_.Publish(catalog);
  if (!changed.empty()) {
    SB_LOG(kInfo, kLog, "serving ", catalog->service_count(), " service(s), ", merged->size(),
           " instance(s); changed: ", absl::StrJoin(changed, ", "));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    serving_ = true;
    stats_.services = catalog->service_count();
    stats_.instances = merged->size();
    stats_.catalogs_published++;
  }
  wake_.notify_all();
}

bool XdsControlPlane::WaitUntilServing(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return wake_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [this] { return serving_; });
}

XdsControlPlaneStats XdsControlPlane::Stats() const {
  XdsControlPlaneStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
  }
  stats.streams = ads_.stream_count();
  stats.responses_sent = ads_.responses_sent();
  stats.nacks_received = ads_.nacks_received();
  return stats;
}

}  // namespace switchboard::xds
