// DnsClient on c-ares 1.18, driven on the caller's thread: the channel's
// sockets are polled with poll() in short slices so that the fetch deadline
// and Stop() are honoured without c-ares threads.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "switchboard/lookup/dns/dns_client.h"

namespace switchboard {
namespace {

// One question in flight and what came back.
struct Question {
  Question(std::string name, int type) : name(std::move(name)), type(type) {}
  std::string name;
  int type = 0;  // ns_t_a, ns_t_aaaa, ns_t_srv
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<unsigned char> answer;
  // Set by Ask() when the question got no definite answer (anything but
  // records, NODATA or NXDOMAIN): names the question, the server and why.
  absl::Status error;
};

absl::string_view TypeName(int type) {
  switch (type) {
    case ns_t_a: return "A";
    case ns_t_aaaa: return "AAAA";
    case ns_t_srv: return "SRV";
  }
  return "?";
}

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* q = static_cast<Question*>(arg);
  q->done = true;
  q->status = status;
  if (status == ARES_SUCCESS && abuf != nullptr) q->answer.assign(abuf, abuf + alen);
}

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

class AresDnsClient : public DnsClient {
 public:
  explicit AresDnsClient(std::optional<HostPort> server) : server_(std::move(server)) {
    InitLibraryOnce();
  }

  std::string ServerName() const override {
    return server_.has_value() ? server_->ToString() : "the system's resolvers";
  }

  absl::StatusOr<AddressAnswers> LookupAddresses(const std::vector<std::string>& names,
                                                 AddressFamily family,
                                                 const FetchContext& context) override {
    std::vector<Question> questions;
    for (const std::string& name : names) {
      if (family != AddressFamily::kIpv6) questions.push_back(Question(name, ns_t_a));
      if (family != AddressFamily::kIpv4) questions.push_back(Question(name, ns_t_aaaa));
    }
    if (absl::Status s = Ask(questions, context); !s.ok()) return s;
    // Each question on its own: a refused AAAA leaves the A answer usable.
    using Kind = AddressQuestionOutcome::Kind;
    std::vector<AddressQuestionOutcome> outcomes;
    for (const Question& q : questions) {
      AddressQuestionOutcome& o = outcomes.emplace_back();
      o.name = q.name;
      if (!q.error.ok()) {
        o.kind = Kind::kFailed;
        o.error = q.error;
      } else if (q.status == ARES_ENOTFOUND) {
        o.kind = Kind::kNonexistent;
      } else if (q.status == ARES_SUCCESS) {
        if (absl::Status parsed = ParseAddresses(q, o.addresses); !parsed.ok()) {
          o.kind = Kind::kFailed;
          o.error = parsed;
        }
      }
    }
    return CombineAddressOutcomes(outcomes);
  }

  absl::StatusOr<SrvAnswer> LookupSrv(absl::string_view name, const FetchContext& context) override {
    std::vector<Question> questions = {Question(std::string(name), ns_t_srv)};
    if (absl::Status s = Ask(questions, context); !s.ok()) return s;
    const Question& q = questions[0];
    if (!q.error.ok()) return q.error;
    SrvAnswer answer;
    if (q.status == ARES_ENOTFOUND) {
      answer.nonexistent = true;
      return answer;
    }
    if (q.status == ARES_ENODATA) return answer;
    struct ares_srv_reply* reply = nullptr;
    int status = ares_parse_srv_reply(q.answer.data(), static_cast<int>(q.answer.size()), &reply);
    if (status == ARES_ENODATA) return answer;
    if (status != ARES_SUCCESS) return Failed(q, status);
    for (struct ares_srv_reply* r = reply; r != nullptr; r = r->next) {
      std::string target = r->host != nullptr ? r->host : "";
      if (!target.empty() && target.back() == '.' && target != ".") target.pop_back();
      answer.records.push_back(
          SrvRecord{.target = target, .port = r->port, .priority = r->priority, .weight = r->weight});
    }
    ares_free_data(reply);
    return answer;
  }

 private:
  absl::Status Failed(const Question& q, int status) const {
    std::string what = absl::StrCat(TypeName(q.type), " ", q.name, " at ", ServerName());
    switch (status) {
      case ARES_ETIMEOUT:
        return absl::DeadlineExceededError(absl::StrCat("DNS query ", what, " timed out"));
      case ARES_ESERVFAIL:
        return absl::UnavailableError(absl::StrCat("DNS query ", what, " failed: SERVFAIL"));
      case ARES_EREFUSED:
        return absl::UnavailableError(absl::StrCat(
            "DNS query ", what, ": refused by the DNS server (REFUSED): it does not resolve "
            "this name for this client"));
      case ARES_ECONNREFUSED:
        // c-ares gives this both for an ICMP "port unreachable" and, with
        // the system's resolvers, for every server answering REFUSED.
        return absl::UnavailableError(absl::StrCat(
            "DNS query ", what, server_.has_value() ? ": connection refused"
                                                    : ": connection refused, or every server "
                                                      "refused the query (REFUSED)"));
      default:
        return absl::UnavailableError(
            absl::StrCat("DNS query ", what, " failed: ", ares_strerror(status)));
    }
  }

  absl::Status ParseAddresses(const Question& q, std::vector<std::string>& out) const {
    struct hostent* host = nullptr;
    int len = static_cast<int>(q.answer.size());
    int status = q.type == ns_t_a ? ares_parse_a_reply(q.answer.data(), len, &host, nullptr, nullptr)
                                  : ares_parse_aaaa_reply(q.answer.data(), len, &host, nullptr, nullptr);
    if (status == ARES_ENODATA) return absl::OkStatus();
    if (status != ARES_SUCCESS) return Failed(q, status);
    char text[INET6_ADDRSTRLEN];
    for (char** addr = host->h_addr_list; addr != nullptr && *addr != nullptr; ++addr) {
      if (inet_ntop(host->h_addrtype, *addr, text, sizeof(text)) != nullptr) out.push_back(text);
    }
    ares_free_hostent(host);
    return absl::OkStatus();
  }

  // Sends every question on one channel and drives it until all are
  // answered, the deadline passes or the source stops. Fails only as a
  // whole (cannot set up, stopped); each question's own failure is left in
  // its `error`.
  absl::Status Ask(std::vector<Question>& questions, const FetchContext& context) {
    absl::Duration budget = std::max(context.deadline - absl::Now(), absl::Milliseconds(1));
    struct ares_options options = {};
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    // Two tries within the budget: a lost UDP packet is retried once.
    options.timeout = static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(budget) / 2, 50));
    options.tries = 2;
    // Asked through an explicit server, a name means exactly that name.
    // With one server there is no other to try on SERVFAIL or REFUSED, and
    // checking answers ourselves keeps the real rcode: otherwise c-ares
    // reports a REFUSED answer as ARES_ECONNREFUSED ("connection refused").
    options.flags = server_.has_value() ? (ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP) : 0;
    ares_channel channel = nullptr;
    int status = ares_init_options(&channel, &options, mask);
    if (status != ARES_SUCCESS) {
      return absl::InternalError(absl::StrCat("cannot set up DNS resolution: ", ares_strerror(status)));
    }
    if (server_.has_value()) {
      std::string csv = server_->ToString();
      status = ares_set_servers_ports_csv(channel, csv.c_str());
      if (status != ARES_SUCCESS) {
        ares_destroy(channel);
        return absl::InvalidArgumentError(
            absl::StrCat("DNS server ", csv, " is not usable: ", ares_strerror(status)));
      }
    }
    for (Question& q : questions) {
      ares_search(channel, q.name.c_str(), ns_c_in, q.type, OnAnswer, &q);
    }
    bool timed_out = false;
    auto pending = [&] {
      return std::any_of(questions.begin(), questions.end(), [](const Question& q) { return !q.done; });
    };
    while (pending()) {
      if (context.Cancelled()) break;
      absl::Time now = absl::Now();
      if (now >= context.deadline) {
        timed_out = true;
        break;
      }
      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events != 0) fds.push_back(pollfd{sockets[i], events, 0});
      }
      // Short slices: the deadline and Stop() are checked between them.
      struct timeval slice = absl::ToTimeval(std::min(context.deadline - now, absl::Milliseconds(50)));
      struct timeval wait;
      struct timeval* next = ares_timeout(channel, &slice, &wait);
      int wait_ms = static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
      int ready = poll(fds.data(), fds.size(), wait_ms);
      if (ready <= 0) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        continue;
      }
      for (const pollfd& fd : fds) {
        bool readable = fd.revents & (POLLIN | POLLERR | POLLHUP);
        bool writable = fd.revents & POLLOUT;
        if (!readable && !writable) continue;
        ares_process_fd(channel, readable ? fd.fd : ARES_SOCKET_BAD, writable ? fd.fd : ARES_SOCKET_BAD);
      }
    }
    ares_destroy(channel);  // answers still outstanding get ARES_EDESTRUCTION
    if (context.Cancelled()) return absl::CancelledError("DNS lookup stopped");
    for (Question& q : questions) {
      if (timed_out && (!q.done || q.status == ARES_EDESTRUCTION)) {
        q.error = absl::DeadlineExceededError(absl::StrCat("DNS query ", TypeName(q.type), " ", q.name,
                                                           " at ", ServerName(), " got no answer within ",
                                                           absl::FormatDuration(budget)));
      } else if (q.status != ARES_SUCCESS && q.status != ARES_ENODATA && q.status != ARES_ENOTFOUND) {
        q.error = Failed(q, q.status);
      }
    }
    return absl::OkStatus();
  }

  const std::optional<HostPort> server_;
};

}  // namespace

std::unique_ptr<DnsClient> MakeAresDnsClient(std::optional<HostPort> server) {
  return std::make_unique<AresDnsClient>(std::move(server));
}

}  // namespace switchboard
