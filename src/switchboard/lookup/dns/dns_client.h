// Asking DNS servers, behind an interface so that the DNS source's logic can
// be tested without sockets (fake client) and with them (c-ares on a real
// dnsmasq in the integration tests).
//
// Example:
//   std::unique_ptr<DnsClient> client = MakeAresDnsClient(HostPort{"127.0.0.1", 5353});
//   absl::StatusOr<AddressAnswers> answers =
//       client->LookupAddresses({"greeter.test"}, AddressFamily::kAny, context);
//   // (*answers)["greeter.test"].addresses == {"10.0.0.1", "::1"}
//
// Answers are definite ("these records", "no records", "no such name");
// anything else (timeout, SERVFAIL, REFUSED, unreachable server) is an
// error that names the server and the question.
//
// Threading: a client is used by one thread at a time (the source's loop).
#ifndef SWITCHBOARD_LOOKUP_DNS_DNS_CLIENT_H_
#define SWITCHBOARD_LOOKUP_DNS_DNS_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/lookup/dns/dns_records.h"
#include "switchboard/common/host_port.h"
#include "switchboard/lookup/periodic_source.h"

namespace switchboard {

enum class AddressFamily { kAny, kIpv4, kIpv6 };

struct AddressAnswer {
  // NXDOMAIN: the name does not exist at all.
  bool nonexistent = false;
  // IP literals, A records first.
  std::vector<std::string> addresses;
  // Questions about the name that failed while a sibling was answered
  // (an AAAA refused, the A answered): each names the question, the server
  // and why. The answer stands on the siblings; the caller logs these.
  std::vector<std::string> warnings;
};
// name -> its answer, for every name asked.
using AddressAnswers = std::map<std::string, AddressAnswer>;

// What one A or AAAA question got, before the questions about a name are
// combined into its AddressAnswer.
struct AddressQuestionOutcome {
  enum class Kind {
    kRecords,      // `addresses` (none: the name has no such record, NODATA)
    kNonexistent,  // NXDOMAIN
    kFailed,       // no definite answer: `error` (REFUSED, SERVFAIL, timeout...)
  };
  std::string name;
  Kind kind = Kind::kRecords;
  std::vector<std::string> addresses;
  // kFailed: names the question, the server and the rcode or cause.
  absl::Status error;
};

// The answers per name from the outcome of every question (in the order
// asked: A before AAAA). A question that failed does not spoil its
// siblings: a name with at least one definite answer gets it, the failures
// as warnings; a name is nonexistent when every answered question about it
// said NXDOMAIN. A name none of whose questions was answered fails the
// whole lookup with the first failure (nothing is known about it, and the
// caller keeps its last good set). Pure.
//
// Example:
//   CombineAddressOutcomes({{.name = "a.test", .addresses = {"10.0.0.1"}},
//                           {.name = "a.test", .kind = Kind::kFailed,
//                            .error = UnavailableError("AAAA a.test ... REFUSED")}})
//   // -> {"a.test": {.addresses = {"10.0.0.1"}, .warnings = {"AAAA a.test ... REFUSED"}}}
absl::StatusOr<AddressAnswers> CombineAddressOutcomes(
    const std::vector<AddressQuestionOutcome>& outcomes);

struct SrvAnswer {
  bool nonexistent = false;
  std::vector<SrvRecord> records;
};

class DnsClient {
 public:
  virtual ~DnsClient() = default;
  // A and/or AAAA records of each of `names`, asked in parallel, combined
  // by CombineAddressOutcomes: fails only if a name gets no definite answer
  // to any of its questions by context.deadline.
  virtual absl::StatusOr<AddressAnswers> LookupAddresses(const std::vector<std::string>& names,
                                                         AddressFamily family,
                                                         const FetchContext& context) = 0;
  virtual absl::StatusOr<SrvAnswer> LookupSrv(absl::string_view name,
                                              const FetchContext& context) = 0;
  // "127.0.0.1:5353" or "system resolvers", for messages.
  virtual std::string ServerName() const = 0;
};

// A client on c-ares asking `server`, or the system's resolvers (with their
// search domains) when none is given. With an explicit server, names are
// asked exactly as written.
std::unique_ptr<DnsClient> MakeAresDnsClient(std::optional<HostPort> server);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_DNS_DNS_CLIENT_H_
