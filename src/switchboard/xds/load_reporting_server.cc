#include "switchboard/xds/load_reporting_server.h"

#include <chrono>
#include <optional>
#include <string>

#include "switchboard/xds/proto_fields.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

namespace lrs = envoy::service::load_stats::v3;

namespace {

// A cluster's service: ours are named after it (ResourceName); a name of
// another shape is kept whole.
std::string ServiceOfCluster(const std::string& cluster) {
  return ServiceOfResourceName(ResourceKind::kCluster, cluster).value_or(cluster);
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

class LoadReportingServer::Stream
    : public grpc::ServerBidiReactor<lrs::LoadStatsRequest, lrs::LoadStatsResponse> {
 public:
  Stream(LoadReportingServer* server, uint64_t reporter) : server_(server), reporter_(reporter) {
    if (!server_->Register(this)) {
      registered_ = false;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "xDS server shutting down"));
      return;
    }
    StartRead(&request_);
  }

  void FinishNow(const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (writing_) {
      finish_after_write_ = status;
      return;
    }
    Finish(status);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      FinishNow(grpc::Status::OK);
      return;
    }
    absl::Time now = absl::Now();
    for (const auto& cluster : request_.cluster_stats()) {
      std::string service = ServiceOfCluster(cluster.cluster_name());
      absl::Duration interval = FromProto(cluster.load_report_interval());
      for (const auto& locality : cluster.upstream_locality_stats()) {
        server_->table_->Add({.reporter = reporter_,
                              .service = service,
                              .zone = locality.locality().zone(),
                              .successful = locality.total_successful_requests(),
                              .errored = locality.total_error_requests(),
                              .issued = locality.total_issued_requests(),
                              .in_progress = locality.total_requests_in_progress(),
                              .interval = interval},
                             now);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      if (!answered_) {
        answered_ = true;
        writing_ = true;
        response_.set_send_all_clusters(true);
        SetDuration(server_->interval_, response_.mutable_load_reporting_interval());
        StartWrite(&response_);
      }
      StartRead(&request_);
    }
  }

  void OnWriteDone(bool /*ok*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (finish_after_write_.has_value()) Finish(*finish_after_write_);
  }

  void OnDone() override {
    if (registered_) server_->Unregister(this);
    server_->table_->ForgetReporter(reporter_, absl::Now());
    delete this;
  }

 private:
  LoadReportingServer* const server_;
  const uint64_t reporter_;
  bool registered_ = true;
  lrs::LoadStatsRequest request_;
  lrs::LoadStatsResponse response_;
  std::mutex mu_;
  bool finished_ = false;
  bool answered_ = false;
  bool writing_ = false;
  std::optional<grpc::Status> finish_after_write_;
};

class LoadReportingServer::Service : public lrs::LoadReportingService::CallbackService {
 public:
  explicit Service(LoadReportingServer* server) : server_(server) {}
  grpc::ServerBidiReactor<lrs::LoadStatsRequest, lrs::LoadStatsResponse>* StreamLoadStats(
      grpc::CallbackServerContext* /*context*/) override {
    return new Stream(server_, server_->next_reporter_++);
  }

 private:
  LoadReportingServer* const server_;
};

LoadReportingServer::LoadReportingServer(LoadReportTable* table, absl::Duration interval)
    : table_(table), interval_(interval), service_(std::make_unique<Service>(this)) {}

LoadReportingServer::~LoadReportingServer() {
  FinishAll();
  std::unique_lock<std::mutex> lock(mu_);
  gone_.wait_for(lock, std::chrono::seconds(10), [this] { return streams_.empty(); });
}

grpc::Service* LoadReportingServer::service() { return service_.get(); }

void LoadReportingServer::FinishAll() {
  std::lock_guard<std::mutex> lock(mu_);
  finishing_ = true;
  for (Stream* stream : streams_) {
    stream->FinishNow(grpc::Status(grpc::StatusCode::UNAVAILABLE, "xDS server shutting down"));
  }
}

size_t LoadReportingServer::stream_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

bool LoadReportingServer::Register(Stream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finishing_) return false;
  streams_.insert(stream);
  return true;
}

void LoadReportingServer::Unregister(Stream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase(stream);
  if (streams_.empty()) gone_.notify_all();
}

}  // namespace switchboard::xds
