#include "xds/ads_server.h"

#include <deque>
#include <iterator>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"

namespace switchboard::xds {
namespace {

constexpr absl::string_view kLog = "xds";

void LogEvents(const std::vector<AdsStreamState::Event>& events) {
  for (const AdsStreamState::Event& event : events) {
    switch (event.severity) {
      case AdsStreamState::Event::Severity::kDebug: SB_LOG(kDebug, kLog, event.message); break;
      case AdsStreamState::Event::Severity::kInfo: SB_LOG(kInfo, kLog, event.message); break;
      case AdsStreamState::Event::Severity::kWarn: SB_LOG(kWarn, kLog, event.message); break;
    }
  }
}

}  // namespace

// One ADS stream. Created by gRPC through Service, deleted in OnDone().
class AdsServer::Stream
    : public grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  Stream(AdsServer* server, std::string peer) : server_(server), state_(peer) {
    bool accepted = server_->Register(this);
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepted) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "xDS server shutting down"));
      return;
    }
    if (!finished_) StartRead(&request_);
  }

  // Called by the server with streams_mu_ held.
  void Push(const ResourceCatalog& catalog, const ChangedByKind& changed, absl::Time now) {
    AdsStreamState::Step step;
    {
      std::lock_guard<std::mutex> lock(mu_);
      step = state_.OnCatalogChangeByKind(catalog, changed, now);
      Enqueue(step);
    }
    LogEvents(step.events);
  }

  void CheckUnacked(absl::Time now, absl::Duration timeout) {
    AdsStreamState::Step step;
    {
      std::lock_guard<std::mutex> lock(mu_);
      step = state_.CheckUnacked(now, timeout);
    }
    LogEvents(step.events);
  }

  void FinishNow(const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    FinishOnce(status);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::string who;
      {
        std::lock_guard<std::mutex> lock(mu_);
        who = state_.Describe();
        FinishOnce(grpc::Status::OK);
      }
      SB_LOG(kInfo, kLog, "ADS stream closed: ", who);
      return;
    }
    AdsStreamState::Step step;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Read the catalog under our own lock: a Publish() that swapped it in
      // reaches this stream only after we release, and then finds nothing
      // new to send (see the lock order in ads_server.h).
      uint64_t nacks_before = state_.nacks();
      CatalogPtr catalog = server_->catalog();
      step = state_.OnRequest(request_, catalog.get(), absl::Now());
      server_->nacks_received_ += state_.nacks() - nacks_before;
      Enqueue(step);
    }
    LogEvents(step.events);
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    write_in_flight_ = false;
    if (!ok) {
      // The stream is broken; OnReadDone(false) follows and finishes it.
      queue_.clear();
      return;
    }
    server_->responses_sent_++;
    WriteNext();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    server_->Unregister(this);
    delete this;
  }

 private:
  void Enqueue(AdsStreamState::Step& step) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    for (DiscoveryResponse& response : step.responses) {
      // A queued response the client has not seen is superseded by a newer
      // one of its type: the state machine already expects the new nonce.
      bool replaced = false;
      for (DiscoveryResponse& queued : queue_) {
        if (queued.type_url() == response.type_url()) {
          queued = std::move(response);
          replaced = true;
          break;
        }
      }
      if (!replaced) queue_.push_back(std::move(response));
    }
    WriteNext();
  }

  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (write_in_flight_ || finished_ || queue_.empty()) return;
    writing_ = std::move(queue_.front());
    queue_.pop_front();
    write_in_flight_ = true;
    StartWrite(&writing_);
  }

  void FinishOnce(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    Finish(status);
  }

  AdsServer* const server_;
  // Written by gRPC's read path only, between StartRead and OnReadDone.
  DiscoveryRequest request_;

  std::mutex mu_;
  AdsStreamState state_ ABSL_GUARDED_BY(mu_);
  std::deque<DiscoveryResponse> queue_ ABSL_GUARDED_BY(mu_);
  DiscoveryResponse writing_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class AdsServer::Service
    : public envoy::service::discovery::v3::AggregatedDiscoveryService::CallbackService {
 public:
  explicit Service(AdsServer* server) : server_(server) {}

  grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse>* StreamAggregatedResources(
      grpc::CallbackServerContext* context) override {
    return new Stream(server_, context->peer());
  }

 private:
  AdsServer* const server_;
};

AdsServer::AdsServer(AdsServerOptions options)
    : options_(options), service_(std::make_unique<Service>(this)) {}

AdsServer::~AdsServer() {
  FinishAll();
  std::unique_lock<std::mutex> lock(streams_mu_);
  // Streams unregister in OnDone(), which gRPC runs once the server is shut
  // down; they point at us until then.
  if (!streams_gone_.wait_for(lock, std::chrono::seconds(10), [this] { return streams_.empty(); })) {
    SB_LOG(kError, kLog, streams_.size(), " ADS streams still open at destruction");
  }
}

grpc::Service* AdsServer::service() { return service_.get(); }

CatalogPtr AdsServer::catalog() const {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  return catalog_;
}

void AdsServer::Publish(CatalogPtr catalog) {
  std::lock_guard<std::mutex> publish_lock(publish_mu_);
  CatalogPtr previous;
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    previous = catalog_;
    catalog_ = catalog;
  }
  std::set<std::string> changed_services = ChangedServices(previous.get(), *catalog);
  if (previous != nullptr && changed_services.empty()) return;
  // Per kind, so a stream skips the types that did not change.
  ChangedByKind changed = ChangedServicesByKind(previous.get(), *catalog, changed_services);
  absl::Time now = absl::Now();
  std::lock_guard<std::mutex> lock(streams_mu_);
  // Each write serializes and calls sendmsg inline: with many streams, a
  // second thread takes half of them. Both run under streams_mu_, held here
  // until the helper is joined.
  constexpr size_t kSplitAbove = 64;
  if (streams_.size() <= kSplitAbove) {
    for (Stream* stream : streams_) stream->Push(*catalog, changed, now);
    return;
  }
  auto middle = std::next(streams_.begin(), streams_.size() / 2);
  std::thread helper([&] {
    for (auto it = middle; it != streams_.end(); ++it) (*it)->Push(*catalog, changed, now);
  });
  for (auto it = streams_.begin(); it != middle; ++it) (*it)->Push(*catalog, changed, now);
  helper.join();
}

void AdsServer::CheckUnacked(absl::Time now) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  for (Stream* stream : streams_) stream->CheckUnacked(now, options_.ack_timeout);
}

void AdsServer::FinishAll() {
  std::lock_guard<std::mutex> lock(streams_mu_);
  finishing_ = true;
  for (Stream* stream : streams_) {
    stream->FinishNow(grpc::Status(grpc::StatusCode::UNAVAILABLE, "xDS server shutting down"));
  }
}

bool AdsServer::Register(Stream* stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  if (finishing_) return false;
  streams_.insert(stream);
  return true;
}

void AdsServer::Unregister(Stream* stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.erase(stream);
  if (streams_.empty()) streams_gone_.notify_all();
}

size_t AdsServer::stream_count() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  return streams_.size();
}

uint64_t AdsServer::responses_sent() const { return responses_sent_; }
uint64_t AdsServer::nacks_received() const { return nacks_received_; }

}  // namespace switchboard::xds
