#include "switchboard/etcd/watch_runner.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/etcd/stream_watchdog.h"

namespace switchboard {

absl::Status RunWatch(EtcdClient& client, const etcdserverpb::WatchCreateRequest& create,
                      StreamCanceller& canceller, const WatchRunOptions& options,
                      const std::function<absl::Status(const etcdserverpb::WatchResponse&)>& on_response) {
  absl::StatusOr<std::unique_ptr<WatchStream>> opened = client.Watch(create);
  if (!opened.ok()) return opened.status();
  WatchStream& stream = **opened;
  if (!canceller.Attach(&stream)) return absl::CancelledError("stopping");
  auto detach = absl::MakeCleanup([&] { canceller.Detach(); });
  const std::string what =
      absl::StrCat("etcd ", stream.endpoint(), ": watch ", DescribeWatchedKey(create.key()));

  etcdserverpb::WatchRequest progress;
  progress.mutable_progress_request();
  // Declared after the stream and destroyed before it.
  StreamWatchdog watchdog(&stream);
  watchdog.ExpectAnswerWithin(options.answer_timeout);
  watchdog.ProbeEvery(options.probe_interval, options.answer_timeout,
                      [&] { stream.Write(progress).IgnoreError(); });

  while (true) {
    absl::StatusOr<etcdserverpb::WatchResponse> response = stream.Read();
    if (!response.ok()) {
      if (canceller.cancelled()) return absl::CancelledError("stopping");
      if (watchdog.fired()) {
        std::string why = absl::StrCat("no answer for ", absl::FormatDuration(watchdog.silence()),
                                       " (member frozen or overloaded)");
        client.ReportFailure(stream.endpoint(), why);
        return absl::UnavailableError(absl::StrCat(what, ": ", why));
      }
      absl::string_view message = response.status().message();
      if (absl::StrContains(message, "no leader")) {
        std::string why = "the member lost its raft leader (cut off from its cluster?)";
        client.ReportFailure(stream.endpoint(), why);
        return absl::UnavailableError(absl::StrCat(what, ": ", why));
      }
      client.ReportFailure(stream.endpoint(), message);
      return response.status();
    }
    watchdog.Answered();
    if (response->compact_revision() > 0) {
      return absl::OutOfRangeError(absl::StrCat(
          what, ": revision ", create.start_revision(), " fell behind the compaction at revision ",
          response->compact_revision()));
    }
    if (response->canceled()) {
      return absl::AbortedError(absl::StrCat(what, ": cancelled by etcd: ", response->cancel_reason()));
    }
    if (response->created()) {
      if (response->header().revision() < options.seen_revision) {
        return absl::DataLossError(absl::StrCat(
            what, ": the store is at revision ", response->header().revision(), ", behind revision ",
            options.seen_revision, " seen before: its data was lost or restored"));
      }
      if (options.on_created) options.on_created();
      continue;
    }
    if (absl::Status s = on_response(*response); !s.ok()) return s;
  }
}

}  // namespace switchboard
