#include "switchboard/etcd/etcd_client.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/member_order.h"

namespace switchboard {
namespace {

constexpr char kComponent[] = "etcd";

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read etcd ", what, " file ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Errors that say the member is unusable, so another one should be tried.
bool IsMemberFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

RangeResult ToRangeResult(const etcdserverpb::RangeResponse& response) {
  RangeResult result;
  result.revision = response.header().revision();
  result.kvs.reserve(response.kvs_size());
  for (const auto& kv : response.kvs()) {
    result.kvs.push_back({kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.lease()});
  }
  return result;
}

bool IsAuthTokenFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         absl::StrContains(status.error_message(), "invalid auth token");
}

}  // namespace

std::string PrefixRangeEnd(absl::string_view prefix) {
  std::string end(prefix);
  for (int i = static_cast<int>(end.size()) - 1; i >= 0; --i) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      end[i] = static_cast<char>(end[i] + 1);
      end.resize(i + 1);
      return end;
    }
  }
  return std::string(1, '\0');
}

std::string DescribeWatchedKey(absl::string_view key) {
  if (key == absl::string_view("\0", 1)) return "of every key";
  return absl::StrCat("'", key, "'");
}

absl::Status EtcdError(absl::string_view endpoint, absl::string_view what,
                       const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("etcd ", endpoint, ": ", what, ": ", status.error_message()));
}

absl::StatusOr<EtcdClientOptions> ParseEtcdEndpoints(absl::string_view endpoints) {
  EtcdClientOptions options;
  for (absl::string_view part : absl::StrSplit(endpoints, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "https://")) options.tls = true;
    absl::ConsumePrefix(&part, "http://");
    absl::ConsumeSuffix(&part, "/");
    if (!ParseHostPort(part).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad etcd endpoint '", part, "' in '", endpoints, "': want host:port[,host:port...]"));
    }
    options.endpoints.emplace_back(part);
  }
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no etcd endpoint in '", endpoints, "': want host:port[,host:port...]"));
  }
  return options;
}

// ---- streams ----

bool StreamCanceller::Attach(CancellableStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) return false;
  stream_ = stream;
  return true;
}

void StreamCanceller::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  stream_ = nullptr;
}

void StreamCanceller::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (stream_ != nullptr) stream_->Cancel();
}

bool StreamCanceller::cancelled() {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

void StreamCanceller::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = false;
}

template <typename Request, typename Response>
absl::Status EtcdStream<Request, Response>::Write(const Request& request) {
  if (!stream_->Write(request)) {
    return absl::UnavailableError(absl::StrCat("etcd ", endpoint_, ": ", what_, ": stream closed"));
  }
  return absl::OkStatus();
}

template <typename Request, typename Response>
absl::StatusOr<Response> EtcdStream<Request, Response>::Read() {
  Response response;
  if (stream_->Read(&response)) return response;
  absl::Status status = Finish();
  if (status.ok()) {
    return absl::UnavailableError(absl::StrCat("etcd ", endpoint_, ": ", what_, ": stream ended"));
  }
  return status;
}

template <typename Request, typename Response>
absl::Status EtcdStream<Request, Response>::Finish() {
  std::lock_guard<std::mutex> lock(finish_mu_);
  if (!finished_) {
    finished_ = true;
    stream_->WritesDone();
    // Drain so that Finish() does not wait on unread messages.
    Response ignored;
    while (stream_->Read(&ignored)) {
    }
    grpc::Status status = stream_->Finish();
    final_status_ = status.ok() ? absl::OkStatus() : EtcdError(endpoint_, what_, status);
  }
  return final_status_;
}

template class EtcdStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;
template class EtcdStream<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>;

// ---- client ----

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("etcd client: no endpoints given");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  bool tls = options.tls || !options.ca_file.empty() || !options.cert_file.empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      auto ca = ReadFile(options.ca_file, "CA");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      auto cert = ReadFile(options.cert_file, "client certificate");
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options.key_file, "client key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }

  std::unique_ptr<EtcdClient> client(new EtcdClient(std::move(options)));
  for (const std::string& endpoint : client->options_.endpoints) {
    grpc::ChannelArguments args;
    int backoff_ms = static_cast<int>(absl::ToInt64Milliseconds(client->options_.max_reconnect_backoff));
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(100, backoff_ms));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
    // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is left alone: gRPC uses it as the
    // connect timeout, and a short one aborts handshakes with a busy etcd.
    // Detects a member that stopped answering (frozen, partitioned) on long
    // streams. etcd refuses pings more often than every 5 s.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    // Each client gets its own connection rather than sharing a subchannel
    // with other clients in the process: failures stay independent.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    Member m;
    m.endpoint = endpoint;
    m.channel = grpc::CreateCustomChannel(endpoint, credentials, args);
    m.kv = etcdserverpb::KV::NewStub(m.channel);
    m.watch = etcdserverpb::Watch::NewStub(m.channel);
    m.lease = etcdserverpb::Lease::NewStub(m.channel);
    m.auth = etcdserverpb::Auth::NewStub(m.channel);
    client->members_.push_back(std::move(m));
  }
  client->last_failure_.assign(client->members_.size(), absl::InfinitePast());
  if (client->members_.size() > 1) {
    // Connect to every member now, so that the first call finds out which
    // ones answer without waiting on a dead one.
    for (Member& member : client->members_) member.channel->GetState(/*try_to_connect=*/true);
  }
  if (!client->options_.username.empty()) {
    // Authenticate eagerly so that bad credentials fail at start-up, clearly.
    absl::Status status;
    for (Member& member : client->members_) {
      status = client->Authenticate(member);
      if (status.ok() || status.code() != absl::StatusCode::kUnavailable) break;
    }
    if (!status.ok()) return status;
  }
  return client;
}

absl::Status EtcdClient::Authenticate(Member& member) {
  etcdserverpb::AuthenticateRequest request;
  request.set_name(options_.username);
  request.set_password(options_.password);
  etcdserverpb::AuthenticateResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.request_timeout));
  grpc::Status status = member.auth->Authenticate(&context, request, &response);
  if (!status.ok()) {
    return EtcdError(member.endpoint, absl::StrCat("Authenticate as ", options_.username), status);
  }
  std::lock_guard<std::mutex> lock(token_mu_);
  token_ = response.token();
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> EtcdClient::NewContext(absl::Time deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(deadline));
  // etcd's require-leader metadata: a member that lost its raft leader
  // refuses at once ("etcdserver: no leader"), and ends a watch or
  // keep-alive stream when it loses the leader later, instead of serving a
  // view that no longer changes.
  context->AddMetadata("hasleader", "true");
  std::lock_guard<std::mutex> lock(token_mu_);
  if (!token_.empty()) context->AddMetadata("token", token_);
  return context;
}

std::vector<size_t> EtcdClient::Order() const {
  std::vector<MemberHealth> health(members_.size());
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    for (size_t i = 0; i < members_.size(); ++i) health[i].last_failure = last_failure_[i];
  }
  for (size_t i = 0; i < members_.size(); ++i) {
    health[i].reachable =
        members_[i].channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_TRANSIENT_FAILURE;
  }
  return MemberOrder(CurrentIndex(), health, absl::Now(), options_.failure_penalty);
}

void EtcdClient::MarkFailed(size_t index, absl::string_view why) {
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    last_failure_[index] = absl::Now();
  }
  if (members_.size() < 2) return;
  size_t next = Order().front();
  if (next == index) next = (index + 1) % members_.size();
  if (current_.compare_exchange_strong(index, next)) {
    SB_LOG(kWarn, kComponent, "member ", members_[index].endpoint, " failed (", why, "); using ",
           members_[next].endpoint);
  }
}

void EtcdClient::MarkSucceeded(size_t index) {
  if (members_.size() < 2) return;
  current_.store(index, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(health_mu_);
  last_failure_[index] = absl::InfinitePast();
}

void EtcdClient::ReportFailure(absl::string_view endpoint, absl::string_view why) {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].endpoint == endpoint) MarkFailed(i, why);
  }
}

bool EtcdClient::ConnectWithin(Member& member, absl::Time deadline, bool until_deadline) {
  while (true) {
    grpc_connectivity_state state = member.channel->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE && !until_deadline) return false;
    if (!member.channel->WaitForStateChange(state, absl::ToChronoTime(deadline))) return false;
  }
}

absl::StatusOr<size_t> EtcdClient::PickStreamMember(absl::string_view what) {
  std::vector<size_t> order = Order();
  for (size_t k = 0; k < order.size(); ++k) {
    size_t index = order[k];
    // A stream fails at once on a channel that is not connected (it does
    // not wait for a reconnection the way a unary call here does), so it
    // is opened only once connected. The last candidate gets the whole
    // request timeout to connect, the others the connect timeout.
    bool last_chance = k + 1 == order.size();
    absl::Time deadline =
        absl::Now() + (last_chance ? options_.request_timeout : options_.connect_timeout);
    if (ConnectWithin(members_[index], deadline, /*until_deadline=*/last_chance)) {
      if (index != CurrentIndex()) current_.store(index, std::memory_order_relaxed);
      return index;
    }
    if (last_chance) {
      return absl::UnavailableError(absl::StrCat(
          "etcd ", members_[index].endpoint, ": ", what, ": unreachable: no connection within ",
          absl::FormatDuration(options_.request_timeout)));
    }
    MarkFailed(index, "no connection");
  }
  return absl::InternalError("etcd client: no members");
}

std::string EtcdClient::current_endpoint() const { return members_[CurrentIndex()].endpoint; }

template <typename Call>
absl::Status EtcdClient::Unary(absl::string_view what, Call call, absl::Time deadline) {
  grpc::Status last;
  std::vector<size_t> order = Order();
  const bool several = order.size() > 1;
  bool reauthenticated = false;
  bool retried_stale_connection = false;
  size_t index = order.front();
  for (size_t k = 0; k < order.size(); ++k) {
    index = order[k];
    Member& member = members_[index];
    const bool last_chance = k + 1 == order.size();
    absl::Time now = absl::Now();
    if (now >= deadline) break;
    // With members left to try, one that cannot connect at once is passed
    // over: a dead member listed first costs milliseconds, a frozen one
    // (its port accepts, nothing answers) the connect timeout.
    if (several && !last_chance &&
        !ConnectWithin(member, std::min(deadline, now + options_.connect_timeout),
                       /*until_deadline=*/false)) {
      last = grpc::Status(grpc::StatusCode::UNAVAILABLE, "unreachable: no connection");
      MarkFailed(index, "no connection");
      continue;
    }
    absl::Time sent = absl::Now();
    auto context = NewContext(std::min(deadline, sent + options_.request_timeout));
    // Waiting for the connection (up to the deadline) rather than failing
    // at once: a channel that saw etcd go away otherwise keeps failing with
    // the old error for a while after etcd is back.
    context->set_wait_for_ready(true);
    last = call(member, context.get());
    if (last.ok()) {
      MarkSucceeded(index);
      return absl::OkStatus();
    }
    if (last.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        member.channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
      last = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("unreachable: no connection within ",
                                       absl::FormatDuration(absl::Now() - sent)));
    }
    if (!options_.username.empty() && !reauthenticated && IsAuthTokenFailure(last)) {
      reauthenticated = true;
      if (Authenticate(member).ok()) {
        --k;
        continue;
      }
    }
    if (!IsMemberFailure(last)) return EtcdError(member.endpoint, what, last);
    // A call that fails at once with UNAVAILABLE went out on a connection
    // that had just died (etcd restarted a moment ago): one more try on the
    // same member gets a fresh connection. Every call this client makes may
    // be repeated (puts and deletes of the same keys, grants that expire).
    // Not when the member said it has no leader: another member may have one.
    if (!retried_stale_connection && last.error_code() == grpc::StatusCode::UNAVAILABLE &&
        !absl::StrContains(last.error_message(), "no leader") &&
        absl::Now() - sent < options_.request_timeout / 4) {
      retried_stale_connection = true;
      --k;
      continue;
    }
    MarkFailed(index, last.error_message());
  }
  if (last.ok()) {
    last = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no time left to try a member");
  }
  return EtcdError(members_[index].endpoint, what, last);
}

absl::StatusOr<RangeResult> EtcdClient::Get(absl::string_view key) {
  etcdserverpb::RangeRequest request;
  request.set_key(std::string(key));
  etcdserverpb::RangeResponse response;
  absl::Status status = Unary(absl::StrCat("Range ", key), [&](Member& m, grpc::ClientContext* c) {
    return m.kv->Range(c, request, &response);
  });
  if (!status.ok()) return status;
  return ToRangeResult(response);
}

absl::StatusOr<RangeResult> EtcdClient::GetPrefix(absl::string_view prefix, int64_t revision) {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix.empty() ? std::string(1, '\0') : std::string(prefix));
  request.set_range_end(PrefixRangeEnd(prefix));
  request.set_revision(revision);
  etcdserverpb::RangeResponse response;
  absl::Status status =
      Unary(absl::StrCat("Range prefix '", prefix, "'"), [&](Member& m, grpc::ClientContext* c) {
        return m.kv->Range(c, request, &response);
      });
  if (!status.ok()) return status;
  return ToRangeResult(response);
}

absl::StatusOr<int64_t> EtcdClient::Put(absl::string_view key, absl::string_view value,
                                        int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  absl::Status status = Unary(absl::StrCat("Put ", key), [&](Member& m, grpc::ClientContext* c) {
    return m.kv->Put(c, request, &response);
  });
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<int64_t> EtcdClient::Delete(absl::string_view key) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(std::string(key));
  etcdserverpb::DeleteRangeResponse response;
  absl::Status status = Unary(absl::StrCat("Delete ", key), [&](Member& m, grpc::ClientContext* c) {
    return m.kv->DeleteRange(c, request, &response);
  });
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<int64_t> EtcdClient::DeletePrefix(absl::string_view prefix) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(prefix.empty() ? std::string(1, '\0') : std::string(prefix));
  request.set_range_end(PrefixRangeEnd(prefix));
  etcdserverpb::DeleteRangeResponse response;
  absl::Status status = Unary(absl::StrCat("Delete prefix '", prefix, "'"),
                              [&](Member& m, grpc::ClientContext* c) {
                                return m.kv->DeleteRange(c, request, &response);
                              });
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request) {
  return Txn(request, absl::InfiniteDuration());
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request,
                                                          absl::Duration timeout) {
  etcdserverpb::TxnResponse response;
  absl::Status status = Unary(
      "Txn", [&](Member& m, grpc::ClientContext* c) { return m.kv->Txn(c, request, &response); },
      absl::Now() + timeout);
  if (!status.ok()) return status;
  return response;
}

absl::Status EtcdClient::Compact(int64_t revision) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(true);
  etcdserverpb::CompactionResponse response;
  return Unary(absl::StrCat("Compact to ", revision), [&](Member& m, grpc::ClientContext* c) {
    return m.kv->Compact(c, request, &response);
  });
}

absl::StatusOr<int64_t> EtcdClient::LeaseGrant(absl::Duration ttl, absl::Duration* granted) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(ttl, absl::Seconds(1)))));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = Unary("LeaseGrant", [&](Member& m, grpc::ClientContext* c) {
    return m.lease->LeaseGrant(c, request, &response);
  });
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::InternalError(
        absl::StrCat("etcd ", current_endpoint(), ": LeaseGrant: ", response.error()));
  }
  if (granted != nullptr) *granted = absl::Seconds(response.ttl());
  return response.id();
}

absl::Status EtcdClient::LeaseRevoke(int64_t lease, absl::Duration timeout) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  return Unary(
      absl::StrCat("LeaseRevoke ", absl::Hex(lease)),
      [&](Member& m, grpc::ClientContext* c) { return m.lease->LeaseRevoke(c, request, &response); },
      absl::Now() + timeout);
}

absl::StatusOr<absl::Duration> EtcdClient::LeaseTimeToLive(int64_t lease) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseTimeToLiveResponse response;
  absl::Status status = Unary(absl::StrCat("LeaseTimeToLive ", absl::Hex(lease)),
                              [&](Member& m, grpc::ClientContext* c) {
                                return m.lease->LeaseTimeToLive(c, request, &response);
                              });
  if (!status.ok()) return status;
  return absl::Seconds(response.ttl());
}

absl::StatusOr<std::unique_ptr<LeaseKeepAliveStream>> EtcdClient::LeaseKeepAlive() {
  absl::StatusOr<size_t> picked = PickStreamMember("LeaseKeepAlive");
  if (!picked.ok()) return picked.status();
  size_t index = *picked;
  Member& member = members_[index];
  auto context = NewContext(absl::InfiniteFuture());
  auto stream = member.lease->LeaseKeepAlive(context.get());
  if (!stream) {
    MarkFailed(index, "cannot open a keep-alive stream");
    return absl::UnavailableError(absl::StrCat("etcd ", member.endpoint, ": LeaseKeepAlive: cannot open stream"));
  }
  return std::make_unique<LeaseKeepAliveStream>(std::move(context), std::move(stream),
                                                member.endpoint, "LeaseKeepAlive");
}

absl::StatusOr<std::unique_ptr<WatchStream>> EtcdClient::Watch(
    const etcdserverpb::WatchCreateRequest& create) {
  absl::StatusOr<size_t> picked = PickStreamMember(absl::StrCat("Watch ", DescribeWatchedKey(create.key())));
  if (!picked.ok()) return picked.status();
  size_t index = *picked;
  Member& member = members_[index];
  auto context = NewContext(absl::InfiniteFuture());
  auto raw = member.watch->Watch(context.get());
  auto stream = std::make_unique<WatchStream>(std::move(context), std::move(raw), member.endpoint,
                                              absl::StrCat("Watch ", DescribeWatchedKey(create.key())));
  etcdserverpb::WatchRequest request;
  *request.mutable_create_request() = create;
  absl::Status status = stream->Write(request);
  if (!status.ok()) {
    MarkFailed(index, "cannot open a watch stream");
    return status;
  }
  return stream;
}

}  // namespace switchboard
