// The LRS server: envoy.service.load_stats.v3.LoadReportingService on the
// control plane's own gRPC server. Clusters name it as their lrs_server
// (SelfConfigSource, cluster_builder.cc), so every gRPC client opens one
// stream to it and reports each cluster's per-locality call counts once a
// second; the reports go into a LoadReportTable.
//
// The first response asks for all clusters (send_all_clusters) every
// second (load_reporting_interval); nothing else is ever sent.
//
// Example:
//   LoadReportTable table;
//   LoadReportingServer lrs(&table);
//   builder.RegisterService(lrs.service());
//   ... server = builder.BuildAndStart();
//   lrs.FinishAll();  // before server->Shutdown(), so it need not wait
//
// Threading: every method is thread-safe; streams live on gRPC's callback
// threads (no thread per stream).
#ifndef SWITCHBOARD_XDS_LOAD_REPORTING_SERVER_H_
#define SWITCHBOARD_XDS_LOAD_REPORTING_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "envoy/service/load_stats/v3/lrs.grpc.pb.h"
#include "switchboard/xds/load_report_table.h"

namespace switchboard::xds {

class LoadReportingServer {
 public:
  // `table` must outlive the server. `interval`: the reporting interval
  // asked of clients.
  explicit LoadReportingServer(LoadReportTable* table, absl::Duration interval = absl::Seconds(1));
  // FinishAll()s and waits (bounded) for the streams to be done; the
  // grpc::Server must be shut down before.
  ~LoadReportingServer();
  LoadReportingServer(const LoadReportingServer&) = delete;
  LoadReportingServer& operator=(const LoadReportingServer&) = delete;

  grpc::Service* service();
  // Ends every stream; new ones are refused.
  void FinishAll();
  size_t stream_count() const;

 private:
  class Stream;
  class Service;
  bool Register(Stream* stream);
  void Unregister(Stream* stream);

  LoadReportTable* const table_;
  const absl::Duration interval_;
  std::unique_ptr<Service> service_;
  std::atomic<uint64_t> next_reporter_{1};
  mutable std::mutex mu_;
  std::condition_variable gone_;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_LOAD_REPORTING_SERVER_H_
