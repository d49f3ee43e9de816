// A real dnsmasq on a loopback port for tests of DNS sources. It answers for
// *.sb.test only (NXDOMAIN for unknown names there): A/AAAA records from a
// hosts file it watches and re-reads by itself, SRV records from its command
// line (so changing them means Restart()). Stopped on destruction.
//
// Example:
//   DnsmasqProcess dns;
//   dns.WriteHosts("127.0.0.10 greeter.sb.test\n");
//   ASSERT_TRUE(dns.Start({"_grpc._tcp.greeter.sb.test,a.sb.test,50051,0,10"}).ok());
//   std::string uri = dns.Uri("dns", "greeter.sb.test:50051");
//
// Threading: used from one thread at a time.
#ifndef SWITCHBOARD_TESTING_DNSMASQ_PROCESS_H_
#define SWITCHBOARD_TESTING_DNSMASQ_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "testing/child_process.h"

namespace switchboard::testing {

class DnsmasqProcess {
 public:
  DnsmasqProcess();
  ~DnsmasqProcess();

  // Starts dnsmasq with these --srv-host values ("name,target,port,prio,weight")
  // and waits until it listens.
  absl::Status Start(const std::vector<std::string>& srv_records = {});
  void Stop();
  bool running() const { return process_ != nullptr; }

  // Replaces the hosts file atomically ("<ip> <name>" lines).
  void WriteHosts(const std::string& lines);

  int port() const { return port_; }
  // "<scheme>://127.0.0.1:<port>/<name_and_query>".
  std::string Uri(absl::string_view scheme, absl::string_view name_and_query) const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_DNSMASQ_PROCESS_H_
