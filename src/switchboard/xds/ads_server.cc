#include "switchboard/xds/ads_server.h"

#include <deque>
#include <optional>
#include <iterator>
#include <thread>
#include <utility>
#include <vector>

#include "switchboard/common/log.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

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

// A response on its way out: the message, for its type, and its bytes.
struct AdsServer::Outgoing {
  std::shared_ptr<const DiscoveryResponse> message;
  grpc::ByteBuffer bytes;
};

// The bytes of `response`; a shared push is serialized once for every
// stream (the buffer's slices are reference counted, copies are cheap).
grpc::ByteBuffer AdsServer::Serialize(const DiscoveryResponse& response) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  grpc::Status status =
      grpc::SerializationTraits<DiscoveryResponse>::Serialize(response, &bytes, &own_buffer);
  if (!status.ok()) {
    SB_LOG(kError, kLog, "cannot serialize a ", response.type_url(), " response: ",
           status.error_message());
  }
  return bytes;
}

// One ADS stream. Created by gRPC through Service, deleted in OnDone().
// Raw bytes on the wire, so a response shared by many streams is
// serialized once (see SharedPush).
class AdsServer::Stream : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Position in the server's streams_; guarded by its streams_mu_.
  size_t index_ = 0;

  Stream(AdsServer* server, std::string peer)
      : server_(server),
        number_(server->next_stream_number_++),
        state_(peer, LogEnabled(LogLevel::kDebug), number_) {
    identity_.stream = number_;
    identity_.peer = std::move(peer);
    identity_.connected_since = absl::Now();
    bool accepted = server_->Register(this);
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepted) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "xDS server shutting down"));
      return;
    }
    if (!finished_) StartRead(&request_bytes_);
  }

  // Called by the server with streams_mu_ held.
  void Push(const ResourceCatalog& catalog, const ChangedByKind& changed,
            const SharedPushes& shared, const SharedBytes& shared_bytes, absl::Time now) {
    AdsStreamState::Step step;
    {
      std::lock_guard<std::mutex> lock(mu_);
      step = state_.OnCatalogChangeByKind(catalog, changed, now, &shared);
      Enqueue(step, &shared_bytes);
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
      std::string who, node, peer;
      {
        std::lock_guard<std::mutex> lock(mu_);
        who = state_.Describe();
        node = identity_.node_id;
        peer = identity_.peer;
        FinishOnce(grpc::Status::OK);
      }
      SB_LOG_WITH(kInfo, kLog, ({{"node", node}, {"endpoint", peer}}), "ADS stream closed: ", who);
      return;
    }
    DiscoveryRequest request;
    grpc::Status parsed =
        grpc::SerializationTraits<DiscoveryRequest>::Deserialize(&request_bytes_, &request);
    if (!parsed.ok()) {
      std::string who;
      {
        std::lock_guard<std::mutex> lock(mu_);
        who = state_.Describe();
        FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                absl::StrCat("malformed DiscoveryRequest: ", parsed.error_message())));
      }
      SB_LOG(kWarn, kLog, who, " sent a malformed DiscoveryRequest (", parsed.error_message(),
             "); stream ended");
      return;
    }
    AdsStreamState::Step step;
    std::optional<ResourceKind> kind = KindOfTypeUrl(request.type_url());
    AdsStreamState::TypeStatus before, after;
    NackEvent nack;
    absl::Time now = absl::Now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (identity_.node_id.empty() && request.has_node()) {
        identity_.node_id = request.node().id();
        identity_.user_agent_name = request.node().user_agent_name();
        identity_.user_agent_version = request.node().user_agent_version();
        identity_.zone = request.node().locality().zone();
      }
      if (kind.has_value()) before = state_.Status(*kind);
      // Read the catalog under our own lock: a Publish() that swapped it in
      // reaches this stream only after we release, and then finds nothing
      // new to send (see the lock order in ads_server.h).
      uint64_t nacks_before = state_.nacks();
      CatalogPtr catalog = server_->catalog();
      step = state_.OnRequest(request, catalog.get(), now);
      server_->nacks_received_ += state_.nacks() - nacks_before;
      if (kind.has_value()) after = state_.Status(*kind);
      nack.node_id = identity_.node_id;
      nack.peer = identity_.peer;
      Enqueue(step, nullptr);
    }
    LogEvents(step.events);
    if (XdsObserver* observer = server_->options_.observer; observer != nullptr && kind) {
      if (after.nacks > before.nacks) {
        nack.kind = *kind;
        nack.version = after.nacked_version;
        nack.error = after.last_nack_error;
        for (const std::string& name : request.resource_names()) {
          absl::string_view service = ConventionalServiceOf(*kind, name);
          nack.services.emplace_back(service.empty() ? absl::string_view(name) : service);
        }
        observer->OnNack(nack);
      } else if (before.awaiting_ack && !after.awaiting_ack) {
        observer->OnAck(*kind, now - before.sent_at);
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_) StartRead(&request_bytes_);
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
    if (server_->options_.observer != nullptr && writing_kind_.has_value()) {
      server_->options_.observer->OnResponseWritten(*writing_kind_);
    }
    WriteNext();
  }

  ClientStatus Status() {
    std::lock_guard<std::mutex> lock(mu_);
    ClientStatus status = identity_;
    status.client_class = state_.client_class().description;
    for (ResourceKind kind : kAllResourceKinds) {
      AdsStreamState::TypeStatus type = state_.Status(kind);
      if (type.subscribed || type.responses_sent > 0 || type.nacks > 0) status.types[kind] = type;
    }
    return status;
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
  void Enqueue(AdsStreamState::Step& step, const SharedBytes* shared_bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    for (std::shared_ptr<const DiscoveryResponse>& response : step.responses) {
      Outgoing outgoing;
      const grpc::ByteBuffer* prepared = nullptr;
      if (shared_bytes != nullptr) {
        auto it = shared_bytes->find(response.get());
        if (it != shared_bytes->end()) prepared = &it->second;
      }
      outgoing.bytes = prepared != nullptr ? *prepared : Serialize(*response);
      outgoing.message = std::move(response);
      // A queued response the client has not seen is superseded by a newer
      // one of its type: the state machine already expects the new nonce,
      // and made the new one complete (a queued one is unacknowledged).
      bool replaced = false;
      for (Outgoing& queued : queue_) {
        if (queued.message->type_url() == outgoing.message->type_url()) {
          queued = std::move(outgoing);
          replaced = true;
          break;
        }
      }
      if (!replaced) queue_.push_back(std::move(outgoing));
    }
    WriteNext();
  }

  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (write_in_flight_ || finished_ || queue_.empty()) return;
    writing_ = std::move(queue_.front().bytes);
    writing_kind_ = KindOfTypeUrl(queue_.front().message->type_url());
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
  const uint64_t number_;
  // Written by gRPC's read path only, between StartRead and OnReadDone.
  grpc::ByteBuffer request_bytes_;

  std::mutex mu_;
  AdsStreamState state_ ABSL_GUARDED_BY(mu_);
  std::deque<Outgoing> queue_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer writing_ ABSL_GUARDED_BY(mu_);
  std::optional<ResourceKind> writing_kind_ ABSL_GUARDED_BY(mu_);
  // Who the client is; the types' state comes from state_.
  ClientStatus identity_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

using AdsService = envoy::service::discovery::v3::AggregatedDiscoveryService;

// State of the world on the raw callback API; incremental xDS (Delta) is
// not served: the default callback answers UNIMPLEMENTED.
class AdsServer::Service : public AdsService::WithRawCallbackMethod_StreamAggregatedResources<
                               AdsService::WithCallbackMethod_DeltaAggregatedResources<
                                   AdsService::Service>> {
 public:
  explicit Service(AdsServer* server) : server_(server) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamAggregatedResources(
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

std::set<std::string> AdsServer::Publish(CatalogPtr catalog) {
  std::lock_guard<std::mutex> publish_lock(publish_mu_);
  CatalogPtr previous;
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    previous = catalog_;
    catalog_ = catalog;
  }
  std::set<std::string> changed_services = ChangedServices(previous.get(), *catalog);
  // A catalog that became complete answers held requests even when no
  // service changed (the last source to answer knew none).
  if (previous != nullptr && changed_services.empty() &&
      previous->complete() == catalog->complete()) {
    return changed_services;
  }
  // Per kind, so a stream skips the types that did not change.
  ChangedByKind changed = ChangedResourcesByKind(previous.get(), *catalog, changed_services);
  SharedPushes shared = PrepareSharedPushes(*catalog, changed, ++generation_);
  SharedBytes shared_bytes;
  for (const auto& [kind, push] : shared) {
    shared_bytes.emplace(push.response.get(), Serialize(*push.response));
  }
  absl::Time now = absl::Now();
  auto push = [&](std::vector<Stream*>::const_iterator begin,
                  std::vector<Stream*>::const_iterator end) {
    for (auto it = begin; it != end; ++it) (*it)->Push(*catalog, changed, shared, shared_bytes, now);
  };
  std::lock_guard<std::mutex> lock(streams_mu_);
  // Each write goes through gRPC and sendmsg inline: with many streams, a
  // second thread takes half of them. Both run under streams_mu_, held here
  // until the helper is joined.
  constexpr size_t kSplitAbove = 64;
  if (streams_.size() <= kSplitAbove) {
    push(streams_.begin(), streams_.end());
    return changed_services;
  }
  auto middle = streams_.begin() + streams_.size() / 2;
  std::thread helper([&] { push(middle, streams_.end()); });
  push(streams_.begin(), middle);
  helper.join();
  return changed_services;
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
  stream->index_ = streams_.size();
  streams_.push_back(stream);
  return true;
}

void AdsServer::Unregister(Stream* stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  // A stream Register() refused was never added: not found here.
  size_t index = stream->index_;
  if (index >= streams_.size() || streams_[index] != stream) return;
  streams_[index] = streams_.back();
  streams_[index]->index_ = index;
  streams_.pop_back();
  if (streams_.empty()) streams_gone_.notify_all();
}

size_t AdsServer::stream_count() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  return streams_.size();
}

std::vector<ClientStatus> AdsServer::Clients() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  std::vector<ClientStatus> clients;
  clients.reserve(streams_.size());
  for (Stream* stream : streams_) clients.push_back(stream->Status());
  return clients;
}

uint64_t AdsServer::responses_sent() const { return responses_sent_; }
uint64_t AdsServer::nacks_received() const { return nacks_received_; }

}  // namespace switchboard::xds
