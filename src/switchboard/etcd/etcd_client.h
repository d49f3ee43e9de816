// A client for the etcd v3 API over gRPC: KV (range, put, delete, txn,
// compact), Watch (bidirectional stream) and Lease (grant, keep-alive stream,
// revoke, time-to-live), across several endpoints with failover, optional
// TLS and user/password auth.
//
// Every error is an absl::Status that names the endpoint and the operation,
// e.g. "etcd 127.0.0.1:2379: Put greeter/127.0.0.1:50051: UNAVAILABLE: ...".
//
// With several members, a member that refused, timed out, stalled a stream
// or lost its raft leader is tried last for a while (member_order.h), and a
// member with no connection gets `connect_timeout` before the next is tried,
// so that a dead or frozen member listed first costs little. Every call and
// stream carries etcd's require-leader metadata (clientv3's
// WithRequireLeader): a member cut off from its cluster refuses at once
// instead of serving a stale view or hanging.
//
// Example:
//   auto client = EtcdClient::Create({.endpoints = {"127.0.0.1:2379"}});
//   if (!client.ok()) return client.status();
//   absl::StatusOr<int64_t> lease = (*client)->LeaseGrant(absl::Seconds(10));
//   (*client)->Put("greeter/127.0.0.1:50051", "{...}", *lease);
//
// Threading: all methods are thread-safe and block for at most the request
// timeout (unary calls) or until the stream ends or is cancelled (streams).
#ifndef SWITCHBOARD_ETCD_ETCD_CLIENT_H_
#define SWITCHBOARD_ETCD_ETCD_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace switchboard {

struct EtcdClientOptions {
  // "host:port" of each member; tried in order, moving on when one fails.
  std::vector<std::string> endpoints;
  // Deadline of each unary call.
  absl::Duration request_timeout = absl::Seconds(2);
  // TLS: on when `tls` is set or any file is given. Files are PEM.
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // etcd user/password auth; off when `username` is empty.
  std::string username;
  std::string password;
  // How fast a lost connection is retried: kept short so that a registry
  // that comes back is used again within a second.
  absl::Duration max_reconnect_backoff = absl::Milliseconds(300);
  // With several members: how long a member with no connection gets to
  // connect before the next one is tried.
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // How long a member that failed is tried after the others.
  absl::Duration failure_penalty = absl::Seconds(10);
};

// Parses "host:port[,host:port...]" (an optional http:// or https:// before
// each is accepted and dropped; https:// turns TLS on).
absl::StatusOr<EtcdClientOptions> ParseEtcdEndpoints(absl::string_view endpoints);

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct RangeResult {
  std::vector<KeyValue> kvs;
  // The store's revision when the range was served.
  int64_t revision = 0;
};

// What another thread may do to a stream: cancel it.
class CancellableStream {
 public:
  virtual ~CancellableStream() = default;
  // Thread-safe; unblocks a pending Read().
  virtual void Cancel() = 0;
};

// Lets a controlling thread cancel the stream a worker thread is blocked on,
// without racing the worker opening or closing it.
//
// Example (worker thread):
//   if (!canceller.Attach(stream.get())) return;  // cancelled already
//   auto detach = absl::MakeCleanup([&] { canceller.Detach(); });
//   while (stream->Read().ok()) ...
// Controlling thread: canceller.Cancel();
//
// Threading: thread-safe.
class StreamCanceller {
 public:
  // False once Cancel() was called: the worker should give up.
  bool Attach(CancellableStream* stream);
  void Detach();
  // Cancels the attached stream, and any later Attach().
  void Cancel();
  // Lets streams be attached again (a restarted worker).
  void Reset();
  // True once Cancel() was called (until Reset()).
  bool cancelled();

 private:
  std::mutex mu_;
  CancellableStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// One bidirectional gRPC stream to etcd. Read() blocks; Cancel() from any
// thread unblocks it. Write() and Read() are each used by one thread.
template <typename Request, typename Response>
class EtcdStream : public CancellableStream {
 public:
  EtcdStream(std::unique_ptr<grpc::ClientContext> context,
             std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream,
             std::string endpoint, std::string what)
      : context_(std::move(context)), stream_(std::move(stream)),
        endpoint_(std::move(endpoint)), what_(std::move(what)) {}
  ~EtcdStream() override {
    Cancel();
    Finish().IgnoreError();  // the stream is going away; nobody reads its status
  }

  absl::Status Write(const Request& request);
  absl::StatusOr<Response> Read();
  void Cancel() override { context_->TryCancel(); }
  const std::string& endpoint() const { return endpoint_; }

 private:
  absl::Status Finish();

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
  std::string endpoint_;
  std::string what_;
  std::mutex finish_mu_;
  bool finished_ = false;
  absl::Status final_status_;
};

using WatchStream = EtcdStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;
using LeaseKeepAliveStream =
    EtcdStream<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>;

class EtcdClient {
 public:
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(EtcdClientOptions options);

  // KV.
  absl::StatusOr<RangeResult> Get(absl::string_view key);
  // All keys starting with `prefix` ("" = the whole keyspace), at `revision`
  // (0 = latest).
  absl::StatusOr<RangeResult> GetPrefix(absl::string_view prefix, int64_t revision = 0);
  // Returns the new store revision.
  absl::StatusOr<int64_t> Put(absl::string_view key, absl::string_view value, int64_t lease = 0);
  // Returns the number of keys deleted.
  absl::StatusOr<int64_t> Delete(absl::string_view key);
  absl::StatusOr<int64_t> DeletePrefix(absl::string_view prefix);
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  // The same, giving up after `timeout` in all (at most the request timeout
  // per member).
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request,
                                                absl::Duration timeout);
  absl::Status Compact(int64_t revision);

  // Lease. Returns the lease id. etcd grants whole seconds, and never less
  // than its minimum TTL: `granted`, when given, receives the TTL it chose.
  absl::StatusOr<int64_t> LeaseGrant(absl::Duration ttl, absl::Duration* granted = nullptr);
  absl::Status LeaseRevoke(int64_t lease, absl::Duration timeout = absl::InfiniteDuration());
  // Remaining TTL; a negative value when the lease does not exist.
  absl::StatusOr<absl::Duration> LeaseTimeToLive(int64_t lease);
  absl::StatusOr<std::unique_ptr<LeaseKeepAliveStream>> LeaseKeepAlive();

  // Watch: opens a stream and sends `create`. The first response confirms
  // creation (created = true) or tells why not (canceled, compact_revision).
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const etcdserverpb::WatchCreateRequest& create);

  // The endpoint calls go to now.
  std::string current_endpoint() const;
  // Tells the client that `endpoint` failed in a way only the caller could
  // see (a stream that stopped answering, a member without a leader): it is
  // tried last for a while and the next member becomes the current one.
  void ReportFailure(absl::string_view endpoint, absl::string_view why);
  const EtcdClientOptions& options() const { return options_; }

 private:
  struct Member {
    std::string endpoint;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth;
  };

  explicit EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}

  // Runs `call` on the members in MemberOrder(), failing over to the next
  // when one is unreachable, until one answers or `deadline`. `what` names
  // the operation in errors.
  template <typename Call>
  absl::Status Unary(absl::string_view what, Call call,
                     absl::Time deadline = absl::InfiniteFuture());
  // A context with etcd's metadata (auth token, require-leader) and the
  // deadline, if any.
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Time deadline);
  // The members in the order to try them now.
  std::vector<size_t> Order() const;
  // For a stream: the first member in Order() that connects. Unavailable
  // when none does.
  absl::StatusOr<size_t> PickStreamMember(absl::string_view what);
  // True once `member`'s channel is connected; false at `deadline`, or as
  // soon as a connection attempt fails unless `until_deadline`.
  static bool ConnectWithin(Member& member, absl::Time deadline, bool until_deadline);
  // Authenticates against `member`, storing the token.
  absl::Status Authenticate(Member& member);
  size_t CurrentIndex() const { return current_.load(std::memory_order_relaxed); }
  // Records the failure; moves off `index` if it is the current member.
  void MarkFailed(size_t index, absl::string_view why);
  void MarkSucceeded(size_t index);

  const EtcdClientOptions options_;
  std::vector<Member> members_;
  std::atomic<size_t> current_{0};
  mutable std::mutex health_mu_;
  // When each member last failed (index as members_).
  std::vector<absl::Time> last_failure_ ABSL_GUARDED_BY(health_mu_);
  mutable std::mutex token_mu_;
  std::string token_ ABSL_GUARDED_BY(token_mu_);
};

// The key just past every key that starts with `prefix`: etcd's range_end
// for a prefix query ("\0", the whole keyspace, for the empty prefix).
std::string PrefixRangeEnd(absl::string_view prefix);

// "'greeter/'" for a watch of a key or prefix, "of every key" for the
// whole keyspace ("\0"), for messages.
std::string DescribeWatchedKey(absl::string_view key);

// "etcd 127.0.0.1:2379: <what>: <CODE>: <message>", with the absl code of
// the gRPC status.
absl::Status EtcdError(absl::string_view endpoint, absl::string_view what,
                       const grpc::Status& status);

}  // namespace switchboard

#endif  // SWITCHBOARD_ETCD_ETCD_CLIENT_H_
