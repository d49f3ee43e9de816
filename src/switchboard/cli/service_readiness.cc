#include "switchboard/cli/service_readiness.h"

#include <cstdlib>

#ifdef SWITCHBOARD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace switchboard::cli {
namespace {

// `unset_environment` is 0: the variable stays for the command's helper
// threads and for later notifications (STATUS, STOPPING).
void Notify(const std::string& state) {
#ifdef SWITCHBOARD_HAVE_SYSTEMD
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
  // A failure to notify is not the command's failure: systemd then reports
  // a start timeout itself.
  (void)sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

// STATUS= is one line: a newline would start a new assignment.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

void NotifyReady(const std::string& status) { Notify("READY=1\nSTATUS=" + OneLine(status)); }

void NotifyStatus(const std::string& status) { Notify("STATUS=" + OneLine(status)); }

void NotifyStopping() { Notify("STOPPING=1\nSTATUS=stopping"); }

}  // namespace switchboard::cli
