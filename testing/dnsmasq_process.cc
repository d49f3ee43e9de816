#include "testing/dnsmasq_process.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {

DnsmasqProcess::DnsmasqProcess() : port_(PickFreePort()) {
  std::filesystem::create_directories(dir_.File("hosts.d"));
}

DnsmasqProcess::~DnsmasqProcess() { Stop(); }

absl::Status DnsmasqProcess::Start(const std::vector<std::string>& srv_records) {
  std::vector<std::string> argv = {
      "/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
      absl::StrCat("--port=", port_), "--listen-address=127.0.0.1", "--bind-interfaces",
      // Watched with inotify: new and changed files there are re-read.
      absl::StrCat("--hostsdir=", dir_.File("hosts.d")),
      // Authoritative for sb.test: unknown names get NXDOMAIN, not REFUSED.
      "--local=/sb.test/", "--conf-file=/dev/null", "--pid-file=", "--cache-size=0",
      // Stay the test's user, whoever that is.
      "--user=", "--group="};
  for (const std::string& srv : srv_records) argv.push_back(absl::StrCat("--srv-host=", srv));
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, {.log_path = dir_.File("dnsmasq.log")});
  if (!child.ok()) return child.status();
  process_ = *std::move(child);
  if (!WaitForPort(port_, absl::Seconds(10))) {
    process_.reset();
    return absl::UnavailableError(absl::StrCat("dnsmasq did not listen on 127.0.0.1:", port_,
                                               "; see ", dir_.File("dnsmasq.log")));
  }
  return absl::OkStatus();
}

void DnsmasqProcess::Stop() {
  if (process_ != nullptr) process_->Stop(absl::Seconds(2));
  process_.reset();
}

void DnsmasqProcess::WriteHosts(const std::string& lines) {
  std::string temp = dir_.File("hosts.tmp");
  std::ofstream(temp) << lines;
  std::filesystem::rename(temp, dir_.File("hosts.d/hosts"));
}

std::string DnsmasqProcess::Uri(absl::string_view scheme, absl::string_view name_and_query) const {
  return absl::StrCat(scheme, "://127.0.0.1:", port_, "/", name_and_query);
}

}  // namespace switchboard::testing
