#include "switchboard/server/discoverable_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/listen_check.h"
#include "switchboard/common/log.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "server";
}  // namespace

// Counts calls as they arrive and end, so that draining knows when clients
// have moved away.
struct DiscoverableServer::CallStats {
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> finished{0};
  std::atomic<int64_t> last_call_nanos{0};
};

namespace {

class CallCounter : public grpc::experimental::Interceptor {
 public:
  explicit CallCounter(std::shared_ptr<DiscoverableServer::CallStats> stats)
      : stats_(std::move(stats)) {
    stats_->started.fetch_add(1, std::memory_order_relaxed);
    stats_->last_call_nanos.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
  }
  ~CallCounter() override { stats_->finished.fetch_add(1, std::memory_order_relaxed); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  std::shared_ptr<DiscoverableServer::CallStats> stats_;
};

class CallCounterFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallCounterFactory(std::shared_ptr<DiscoverableServer::CallStats> stats)
      : stats_(std::move(stats)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Health checks are the load balancer's, not the clients' traffic.
    if (absl::string_view(info->method()).find("grpc.health.v1.Health") !=
        absl::string_view::npos) {
      return nullptr;
    }
    return new CallCounter(stats_);
  }

 private:
  std::shared_ptr<DiscoverableServer::CallStats> stats_;
};

// The first address `name` resolves to (IPv4 only when `ipv4_only`).
std::optional<std::string> FirstAddressOf(const std::string& name, bool ipv4_only) {
  addrinfo hints{};
  hints.ai_family = ipv4_only ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return std::nullopt;
  }
  char ip[INET6_ADDRSTRLEN] = {};
  if (result->ai_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, ip, sizeof(ip));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(result->ai_addr)->sin6_addr, ip, sizeof(ip));
  }
  freeaddrinfo(result);
  return std::string(ip);
}

// An address other machines can reach this one at, for a server listening
// on a wildcard host: the host name's first IPv4 address (gRPC clients need
// IP literals in endpoints), else loopback.
std::string ReachableLocalAddress() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') {
    if (std::optional<std::string> ip = FirstAddressOf(name, /*ipv4_only=*/true)) return *ip;
  }
  return "127.0.0.1";
}

}  // namespace

absl::StatusOr<std::unique_ptr<DiscoverableServer>> DiscoverableServer::Start(
    grpc::ServerBuilder& builder, DiscoverableServerOptions options) {
  // Refused before listening: a server that starts and then fails to
  // register would leave the caller with a half-started process.
  if (absl::Status s = ValidateServiceName(options.service); !s.ok()) return s;
  // ":50051", no host, listens on every address, as gRPC reads it.
  absl::StatusOr<HostPort> listen = ParseListenHostPort(
      absl::StartsWith(options.listen_address, ":") ? absl::StrCat("0.0.0.0", options.listen_address)
                                                    : options.listen_address);
  if (!listen.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad listen address '", options.listen_address, "': want host:port"));
  }
  if (!options.advertise_address.empty()) {
    if (absl::Status s = ValidateInstance({options.service, options.advertise_address, options.metadata});
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("advertise_address: ", s.message()));
    }
  }
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(options.etcd);
  if (!client.ok()) return client.status();

  std::unique_ptr<DiscoverableServer> self(new DiscoverableServer());
  self->stats_ = std::make_shared<CallStats>();
  grpc::EnableDefaultHealthCheckService(true);
  builder.AddListeningPort(options.listen_address,
                           options.credentials ? options.credentials
                                               : grpc::InsecureServerCredentials(),
                           &self->port_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<CallCounterFactory>(self->stats_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // gRPC allows SO_REUSEPORT by default: a second server on a taken port
  // would start, share the port, and overwrite the first one's record.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  self->server_ = builder.BuildAndStart();
  if (self->server_ == nullptr || self->port_ == 0) {
    return ListenFailure(options.listen_address, options.service);
  }

  if (!options.advertise_address.empty()) {
    self->address_ = options.advertise_address;
  } else {
    std::string host = listen->host;
    if (IsUnspecifiedIp(host)) {
      host = ReachableLocalAddress();
    } else if (!IsIpLiteral(host)) {
      // Clients get IPs through xDS: register what the name stands for now.
      std::optional<std::string> ip = FirstAddressOf(host, /*ipv4_only=*/false);
      if (!ip.has_value()) {
        self->server_->Shutdown();
        return absl::InvalidArgumentError(absl::StrCat(
            "listen address '", options.listen_address, "': cannot resolve '", host,
            "' to the IP address to register; listen on an IP address"));
      }
      SB_LOG(kInfo, kComponent, options.service, ": listening on ", options.listen_address,
             "; registering ", JoinHostPort(*ip, self->port_), ", the address '", host,
             "' resolves to now (resolved once)");
      host = *ip;
    }
    self->address_ = JoinHostPort(host, self->port_);
  }
  self->server_->GetHealthCheckService()->SetServingStatus(true);

  self->registrar_ = std::make_unique<Registrar>(std::move(*client), options.registrar);
  absl::Status status =
      self->registrar_->Start({Instance{options.service, self->address_, options.metadata}});
  if (!status.ok()) {
    self->server_->Shutdown();
    self->registrar_.reset();
    return status;
  }
  if (options.wait_registered && !self->registrar_->WaitRegistered(options.etcd.request_timeout)) {
    SB_LOG(kWarn, kComponent, options.service, " at ", self->address_,
           " serves, but is not registered yet: ", self->registrar_->state().last_error.ToString());
  }
  self->options_ = std::move(options);
  return self;
}

DiscoverableServer::~DiscoverableServer() { Shutdown().IgnoreError(); }

int64_t DiscoverableServer::calls_started() const { return stats_->started.load(); }

int64_t DiscoverableServer::calls_in_flight() const {
  return stats_->started.load() - stats_->finished.load();
}

absl::Status DiscoverableServer::Shutdown() {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  // Start() failed before there was anything to drain.
  if (server_ == nullptr || registrar_ == nullptr) {
    if (server_ != nullptr) server_->Shutdown();
    return absl::OkStatus();
  }
  absl::Time start = absl::Now();
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Draining first tells balancers to stop picking this instance before its
  // record disappears; either is enough to move clients away.
  absl::Status drained = registrar_->SetDraining(true);
  if (!drained.ok()) SB_LOG(kWarn, kComponent, "cannot mark draining: ", drained.ToString());
  absl::Status deregistered = registrar_->Deregister();
  // Wait until no call has arrived for a quiet period: the clients saw the
  // change. Bounded, since a client that ignores discovery never moves.
  absl::Time deadline = start + options_.drain_timeout;
  while (absl::Now() < deadline) {
    absl::Time last = absl::FromUnixNanos(stats_->last_call_nanos.load());
    if (absl::Now() - std::max(last, start) >= options_.drain_quiet_period) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.shutdown_grace));
  SB_LOG(kInfo, kComponent, options_.service, " at ", address_, " drained in ",
         absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))), " after ",
         stats_->started.load(), " call(s)");
  return deregistered;
}

}  // namespace switchboard
