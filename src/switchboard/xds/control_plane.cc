#include "switchboard/xds/control_plane.h"

#include "switchboard/xds/policy_file.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/listen_check.h"
#include "switchboard/common/log.h"
#include "switchboard/xds/policy_file.h"
#include "switchboard/xds/resource_names.h"
#include "grpcpp/grpcpp.h"

namespace switchboard::xds {
namespace {

constexpr absl::string_view kLog = "xds";
// How often the worker looks for stuck clients and the initial-sync deadline.
constexpr absl::Duration kTick = absl::Seconds(1);
// A source's cache is written at most this often: a registry in churn
// costs one small file write a second, not one per event.
constexpr absl::Duration kCacheSaveInterval = absl::Seconds(1);

std::string FormatWhen(absl::Time t) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()), " (",
                      absl::FormatDuration(absl::Trunc(absl::Now() - t, absl::Seconds(1))),
                      " ago)");
}

std::string ErrorText(const absl::Status& error) {
  return error.ok() ? "no error reported yet" : error.ToString();
}

// The listen address "host:port" with the port the server got (asked for
// as 0); as it is when it has no port.
std::string WithPort(absl::string_view listen_address, int port) {
  absl::StatusOr<HostPort> parsed = ParseListenHostPort(listen_address);
  if (!parsed.ok()) return std::string(listen_address);
  parsed->port = static_cast<uint16_t>(port);
  return parsed->ToString();
}

}  // namespace

class XdsControlPlane::SourceObserver : public LookupObserver {
 public:
  SourceObserver(XdsControlPlane* plane, size_t index, std::string description)
      : plane_(plane), index_(index), description_(std::move(description)) {}

  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    SB_LOG(kDebug, kLog, "source ", description_, ": ", changes.Summary());
    plane_->OnSourceUpdate(index_, std::move(snapshot));
    if (XdsObserver* observer = plane_->options_.observer.get()) {
      observer->OnSourceUpdate(description_, changes);
    }
  }
  void OnError(const absl::Status& error) override {
    SB_LOG(kWarn, kLog, "source ", description_, " failed (serving its last good snapshot): ",
           error.ToString());
    plane_->OnSourceError(index_, error);
    if (XdsObserver* observer = plane_->options_.observer.get()) {
      observer->OnSourceError(description_, error);
    }
  }

 const std::string& description() const { return description_; }

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
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeXdsServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<XdsControlPlane> plane(new XdsControlPlane(std::move(sources), options));

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, *credentials, &selected_port);
  builder.RegisterService(plane->ads_.service());
  builder.RegisterService(plane->lrs_.service());
  // gRPC allows SO_REUSEPORT by default: a second control plane on a taken
  // port would start, and clients would be split at random between two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Find clients that vanished without closing their stream.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // ADS streams carry small messages; bandwidth probing is of no use on
  // them and would add a PING round trip on many streams after a push.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  plane->server_ = builder.BuildAndStart();
  if (plane->server_ == nullptr) {
    if (absl::Status taken = CheckCanListen(options.listen_address, "xDS control plane");
        !taken.ok()) {
      return taken;
    }
    // The address binds, so gRPC refused the TLS settings: the files are
    // PEM (checked above) but do not make a key pair.
    if (options.tls.enabled()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "xDS control plane: gRPC refused the TLS certificate ", options.tls.cert_file,
          " with the key ", options.tls.key_file,
          " (does the key belong to the certificate?)"));
    }
    return ListenFailure(options.listen_address, "xDS control plane");
  }
  bool is_unix = absl::StartsWith(options.listen_address, "unix:");
  plane->port_ = is_unix ? 0 : selected_port;
  plane->address_ = is_unix ? options.listen_address : WithPort(options.listen_address, selected_port);
  SB_LOG(kInfo, kLog, "ADS server listening on ", plane->address_, " (",
         DescribeXdsServerTls(options.tls), ") with ", plane->sources_.size(), " source(s)");

  if (!plane->options_.cache_dir.empty()) plane->LoadCaches();
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
      ads_(AdsServerOptions{.ack_timeout = options_.ack_timeout,
                            .observer = options_.observer.get()}) {
  latest_.resize(sources_.size());
  tallies_.resize(sources_.size());
  errors_.resize(sources_.size());
  standins_.resize(sources_.size());
  if (!options_.cache_dir.empty()) cache_.emplace(options_.cache_dir);
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
  if (cache_.has_value()) SaveCaches(/*now_or_never=*/true);
  ads_.FinishAll();
  lrs_.FinishAll();
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
    absl::Time now = absl::Now();
    unserved_since_ = std::min(unserved_since_, now);
    tallies_[index].last_success = now;
    tallies_[index].consecutive_errors = 0;
    tallies_[index].updates++;
  }
  wake_.notify_all();
}

void XdsControlPlane::OnSourceError(size_t index, const absl::Status& error) {
  std::lock_guard<std::mutex> lock(mu_);
  errors_[index] = error;
  tallies_[index].consecutive_errors++;
}

bool XdsControlPlane::serving_now() {
  std::lock_guard<std::mutex> lock(mu_);
  return serving_;
}

void XdsControlPlane::LoadCaches() {
  for (size_t i = 0; i < sources_.size(); ++i) {
    const std::string source = sources_[i]->Describe();
    absl::StatusOr<SnapshotCacheEntry> entry = cache_->Load(source);
    if (absl::IsNotFound(entry.status())) {
      SB_LOG(kInfo, kLog, "source ", source, " has no cache yet in ", cache_->dir());
      continue;
    }
    if (!entry.ok()) {
      // Rewritten with the source's first snapshot.
      SB_LOG(kWarn, kLog, "ignoring the cache of source ", source, ": ", entry.status().message());
      continue;
    }
    standins_[i].cached = entry->snapshot;
    standins_[i].cached_at = entry->written_at;
    SB_LOG(kInfo, kLog, "source ", source, ": cache of ", entry->snapshot->size(),
           " instance(s) written at ", FormatWhen(entry->written_at), " loaded from ",
           cache_->PathFor(source));
    // Served at the worker's first look, not after a tick.
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
}

void XdsControlPlane::SaveCaches(bool now_or_never) {
  std::vector<SnapshotPtr> latest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest = latest_;
  }
  absl::Time now = absl::Now();
  for (size_t i = 0; i < latest.size(); ++i) {
    Standin& standin = standins_[i];
    // Only what the source itself said: a cache is never saved back.
    if (latest[i] == nullptr || latest[i] == standin.saved) continue;
    if (!now_or_never && now - standin.saved_at < kCacheSaveInterval) continue;
    const std::string source = sources_[i]->Describe();
    absl::Status saved = cache_->Save({.source = source, .written_at = now, .snapshot = latest[i]});
    standin.saved_at = now;
    if (!saved.ok()) {
      // Retried with the next change; said again only when it says something new.
      if (saved.ToString() != standin.last_save_error) {
        SB_LOG(kWarn, kLog, "cannot save the cache of source ", source, ": ", saved.ToString());
        standin.last_save_error = saved.ToString();
      }
      continue;
    }
    standin.saved = latest[i];
    standin.last_save_error.clear();
    SB_LOG(kDebug, kLog, "source ", source, ": ", latest[i]->size(), " instance(s) saved to ",
           cache_->PathFor(source));
  }
}

void XdsControlPlane::ReportSilentSources() {
  std::vector<absl::Status> errors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    errors = errors_;
  }
  for (size_t i = 0; i < standins_.size(); ++i) {
    Standin& standin = standins_[i];
    if (standin.error_reported || errors[i].ok()) continue;
    if (standin.cached != nullptr && standin.cache_announced) {
      SB_LOG(kWarn, kLog, "serving ", standin.cached->size(), " instance(s) of source ",
             sources_[i]->Describe(), " from the cache written at ", FormatWhen(standin.cached_at),
             "; the source is unreachable: ", errors[i].ToString());
    } else if (standin.held) {
      SB_LOG(kWarn, kLog, "source ", sources_[i]->Describe(), " has not answered yet (",
             errors[i].ToString(), "); holding requests for services it may own");
    } else {
      continue;
    }
    standin.error_reported = true;
  }
}

void XdsControlPlane::SetPolicies(PolicyTable policies) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    policies_ = std::move(policies);
    dirty_ = true;
  }
  wake_.notify_all();
}

void XdsControlPlane::SetRouteOverrides(std::map<std::string, RoutingPolicy> overrides) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (overrides == route_overrides_) return;
    for (const auto& [service, routing] : overrides) {
      auto before = route_overrides_.find(service);
      if (before != route_overrides_.end() && before->second == routing) continue;
      SB_LOG(kInfo, kLog, "service ", service, ": routes from etcd ", RoutingToJson(routing),
             policies_.per_service.contains(service) &&
                     !policies_.per_service.find(service)->second.routing.empty()
                 ? " (they override the policy file's routes for it)"
                 : "");
    }
    for (const auto& [service, routing] : route_overrides_) {
      if (!overrides.contains(service)) {
        SB_LOG(kInfo, kLog, "service ", service,
               ": etcd route override removed; its routes are the policy file's again");
      }
    }
    route_overrides_ = std::move(overrides);
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
      // A cache counts as an answer: served at once rather than after the
      // sync window, so a restart during an outage costs clients nothing.
      bool all_sources_in = true;
      for (size_t i = 0; i < latest_.size(); ++i) {
        if (latest_[i] == nullptr && standins_[i].cached == nullptr) all_sources_in = false;
      }
      bool sync_over = all_sources_in || absl::Now() - started_at_ >= options_.initial_sync_timeout;
      if (sync_over && (dirty_ || !serving_)) {
        if (!all_sources_in && !serving_) {
          SB_LOG(kWarn, kLog, "not every source delivered a first snapshot within ",
                 absl::FormatDuration(options_.initial_sync_timeout),
                 "; serving what is known so far, and holding requests for other services");
        }
        dirty_ = false;
        rebuild = true;
      }
    }
    // A source that failed or recovered changes what the catalog says of
    // missing services (degraded()): looked at once a tick.
    std::vector<bool> healthy(sources_.size());
    std::vector<absl::Status> health(sources_.size());
    for (size_t i = 0; i < sources_.size(); ++i) {
      health[i] = sources_[i]->Health();
      healthy[i] = health[i].ok();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Time now = absl::Now();
      for (size_t i = 0; i < sources_.size(); ++i) {
        SourceTally& tally = tallies_[i];
        tally.up = healthy[i];
        tally.error = healthy[i] ? "" : std::string(health[i].message());
        tally.from_cache = latest_[i] == nullptr && standins_[i].cached != nullptr;
        if (healthy[i] && latest_[i] != nullptr) {
          tally.last_success = now;
          tally.consecutive_errors = 0;
        }
      }
    }
    if (healthy != served_health_ && serving_now()) rebuild = true;
    if (rebuild) Rebuild();
    ReportSilentSources();
    if (cache_.has_value()) SaveCaches(/*now_or_never=*/false);
    ads_.CheckUnacked(absl::Now());
  }
}

void XdsControlPlane::Rebuild() {
  const absl::Time build_start = absl::Now();
  std::vector<SnapshotPtr> latest;
  std::vector<absl::Status> errors;
  PolicyTable policies;
  absl::Time event_time;
  {
    std::lock_guard<std::mutex> lock(mu_);
    event_time = unserved_since_;
    unserved_since_ = absl::InfiniteFuture();
    latest = latest_;
    errors = errors_;
    policies = WithRouteOverrides(policies_, route_overrides_);
  }
  // Each source's own snapshot, else its cache; null (held) if neither.
  size_t from_cache = 0, missing = 0;
  for (size_t i = 0; i < latest.size(); ++i) {
    Standin& standin = standins_[i];
    const std::string source = sources_[i]->Describe();
    if (latest[i] != nullptr) {
      if (standin.cached != nullptr && standin.cache_announced) {
        SB_LOG(kInfo, kLog, "source ", source, " is live again: its ", latest[i]->size(),
               " instance(s) replace the ", standin.cached->size(),
               " from the cache written at ", FormatWhen(standin.cached_at));
      } else if (standin.held) {
        SB_LOG(kInfo, kLog, "source ", source, " answered: ", latest[i]->size(),
               " instance(s); requests held for it are answered");
      }
      standin.cached = nullptr;
      standin.held = false;
      continue;
    }
    if (standin.cached != nullptr) {
      latest[i] = standin.cached;
      from_cache++;
      if (!standin.cache_announced) {
        standin.cache_announced = true;
        standin.error_reported = !errors[i].ok();
        SB_LOG(kWarn, kLog, "serving ", standin.cached->size(), " instance(s) of source ", source,
               " from the cache written at ", FormatWhen(standin.cached_at),
               errors[i].ok() ? "; the source has not answered yet"
                              : absl::StrCat("; the source is unreachable: ", errors[i].ToString()));
      }
      continue;
    }
    missing++;
    if (!standin.held) {
      standin.held = true;
      standin.error_reported = !errors[i].ok();
      SB_LOG(kWarn, kLog, "source ", source, " has not answered yet (", ErrorText(errors[i]),
             "); holding requests for services it may own");
    }
  }
  SnapshotPtr merged = MergeSnapshots(latest);
  // Sources serving their last good snapshot while failing: a service
  // missing from it may be registered there now.
  std::vector<std::string> failing;
  served_health_.assign(sources_.size(), true);
  for (size_t i = 0; i < latest.size(); ++i) {
    absl::Status health = sources_[i]->Health();
    served_health_[i] = health.ok();
    if (latest[i] != nullptr && !health.ok()) {
      failing.push_back(absl::StrCat(sources_[i]->Describe(), " (", health.message(), ")"));
    }
  }
  std::string degraded =
      failing.empty() ? ""
                      : absl::StrCat("the registry may be the cause: failing source(s) ",
                                     absl::StrJoin(failing, ", "), " serve their last good view");
  for (const auto& [service, instances] : merged->services()) retained_services_.insert(service);
  std::vector<std::string> problems;
  CatalogPtr previous = ads_.catalog();
  // Unchanged services keep their resources: one change in a large
  // registry rebuilds one service, not all of them.
  CatalogPtr catalog = ResourceCatalog::Build(
      *merged, policies, retained_services_, &problems, previous.get(),
      missing == 0 ? ResourceCatalog::Coverage::kComplete : ResourceCatalog::Coverage::kIncomplete,
      std::move(degraded));
  if (problems != last_problems_) {
    for (const std::string& problem : problems) SB_LOG(kWarn, kLog, problem);
    last_problems_ = std::move(problems);
  }
  const absl::Time built = absl::Now();
  std::set<std::string> changed = ads_.Publish(catalog);
  if (XdsObserver* observer = options_.observer.get()) {
    absl::Time pushed = absl::Now();
    observer->OnCatalogPublished(
        {.build_time = built - build_start,
         .since_source_event = event_time < pushed ? pushed - event_time : absl::ZeroDuration(),
         .services = catalog->service_count(),
         .instances = merged->size()});
  }
  // gRPC tells a client of an emptied service only "EDS resource ...
  // contains no localities": say here what that means, once per emptying.
  // A service that emptied or came back changed its endpoints, so the
  // changed services are the only ones to look at.
  for (const std::string& service : changed) {
    if (!catalog->HasService(service)) continue;
    bool empty = merged->Instances(service).empty();
    if (empty && emptied_services_.insert(service).second) {
      SB_LOG_WITH(kWarn, kLog, ({{"service", service}}), "service ", service, " has no live instance: its clients' calls fail "
             "with UNAVAILABLE (\"EDS resource ",
             ResourceName(ResourceKind::kClusterLoadAssignment, service),
             " contains no localities\") "
             "until one registers");
    } else if (!empty && emptied_services_.erase(service) != 0) {
      SB_LOG_WITH(kInfo, kLog, ({{"service", service}}), "service ", service, " has live instances again");
    }
  }
  if (!changed.empty()) {
    SB_LOG(kInfo, kLog, "serving ", catalog->service_count(), " service(s), ", merged->size(),
           " instance(s); changed: ", absl::StrJoin(changed, ", "));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    serving_ = true;
    served_ = merged;
    stats_.services = catalog->service_count();
    stats_.instances = merged->size();
    stats_.catalogs_published++;
    stats_.sources_from_cache = from_cache;
    stats_.sources_missing = missing;
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

std::vector<SourceStatus> XdsControlPlane::Sources() const {
  std::vector<SourceStatus> sources;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < sources_.size(); ++i) {
    const SourceTally& tally = tallies_[i];
    SnapshotPtr snapshot = latest_[i];
    sources.push_back({.source = observers_[i]->description(),
                       .up = tally.up,
                       .error = tally.error,
                       .answered = snapshot != nullptr,
                       .from_cache = tally.from_cache,
                       .instances = snapshot != nullptr ? snapshot->size() : 0,
                       .last_success = tally.last_success,
                       .consecutive_errors = tally.consecutive_errors,
                       .updates = tally.updates,
                       .activity = sources_[i]->Activity()});
  }
  return sources;
}

SnapshotPtr XdsControlPlane::Served() const {
  std::lock_guard<std::mutex> lock(mu_);
  return served_;
}

}  // namespace switchboard::xds
