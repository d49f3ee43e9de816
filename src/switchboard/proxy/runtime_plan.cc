#include "switchboard/proxy/runtime_plan.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "switchboard/common/host_port.h"

namespace switchboard::proxy {
namespace {

std::string Sanitize(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      c = '_';
    }
  }
  return out;
}

// srv_admin_state bits (HAProxy's SRV_ADMF_*): forced, inherited, config
// and resolution maintenance; forced and inherited drain.
constexpr unsigned kAdminMaintenance = 0x01 | 0x02 | 0x04 | 0x20;
constexpr unsigned kAdminDrain = 0x08 | 0x10;
// srv_op_state: SRV_ST_RUNNING.
constexpr int kOpRunning = 2;

}  // namespace

std::string BackendName(absl::string_view service) { return absl::StrCat("be_", Sanitize(service)); }

std::string ServerName(absl::string_view address) { return Sanitize(address); }

uint32_t HaproxyWeight(uint32_t weight, uint32_t max_weight) {
  weight = std::max<uint32_t>(weight, 1);
  if (max_weight <= kMaxHaproxyWeight) return std::min(weight, kMaxHaproxyWeight);
  const uint64_t scaled = (static_cast<uint64_t>(weight) * kMaxHaproxyWeight + max_weight / 2) / max_weight;
  return static_cast<uint32_t>(std::clamp<uint64_t>(scaled, 1, kMaxHaproxyWeight));
}

absl::StatusOr<LiveBackend> ParseServersState(absl::string_view reply) {
  if (absl::StrContains(reply, "Can't find backend")) {
    return absl::NotFoundError(absl::StrCat("HAProxy: ", absl::StripAsciiWhitespace(reply)));
  }
  LiveBackend live;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    // The version line ("1"), the header ("# be_id ..."), blank lines.
    if (line.empty() || line[0] == '#' || line_number == 1) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int op_state = 0;
    unsigned admin_state = 0;
    uint32_t weight = 0;
    uint32_t port = 0;
    if (f.size() < 19 || !absl::SimpleAtoi(f[5], &op_state) || !absl::SimpleAtoi(f[6], &admin_state) ||
        !absl::SimpleAtoi(f[7], &weight) || !absl::SimpleAtoi(f[18], &port) || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("show servers state: line ", line_number, " does not parse: \"", line, "\""));
    }
    LiveServer server{.name = std::string(f[3]),
                      .address = JoinHostPort(f[4], static_cast<uint16_t>(port)),
                      .weight = weight,
                      .maintenance = (admin_state & kAdminMaintenance) != 0,
                      .draining = (admin_state & kAdminDrain) != 0,
                      .up = op_state == kOpRunning};
    live.emplace(server.name, std::move(server));
  }
  return live;
}

std::vector<std::string> PlanBackend(absl::string_view service,
                                     const std::vector<Instance>& instances,
                                     const LiveBackend& live, const PlanOptions& options) {
  const std::string backend = BackendName(service);
  uint32_t max_weight = 1;
  for (const Instance& i : instances) max_weight = std::max(max_weight, i.metadata.weight);

  std::vector<std::string> commands;
  std::set<std::string> wanted;
  for (const Instance& instance : instances) {
    const std::string name = ServerName(instance.address);
    const std::string server = absl::StrCat(backend, "/", name);
    wanted.insert(name);
    const uint32_t weight = HaproxyWeight(instance.metadata.weight, max_weight);
    auto found = live.find(name);
    if (found == live.end()) {
      std::string add = absl::StrCat("add server ", server, " ", instance.address,
                                     " proto h2 weight ", weight);
      if (options.active_check) {
        absl::StrAppend(&add, " check inter ", options.check_interval_ms, " fastinter ",
                        options.check_fast_interval_ms, " fall 2 rise 1 observe layer7 error-limit ",
                        options.error_limit, " on-error mark-down");
      }
      commands.push_back(std::move(add));
      if (instance.metadata.draining) commands.push_back(absl::StrCat("set server ", server, " state drain"));
      // A dynamic server starts in maintenance, its checks off.
      commands.push_back(absl::StrCat("enable server ", server));
      if (options.active_check) commands.push_back(absl::StrCat("enable health ", server));
      continue;
    }
    const LiveServer& now = found->second;
    if (now.weight != weight) {
      commands.push_back(absl::StrCat("set server ", server, " weight ", weight));
    }
    if (instance.metadata.draining && !now.draining) {
      commands.push_back(absl::StrCat("set server ", server, " state drain"));
    } else if (!instance.metadata.draining && now.draining) {
      commands.push_back(absl::StrCat("set server ", server, " state ready"));
    }
    if (now.maintenance) commands.push_back(absl::StrCat("enable server ", server));
  }
  for (const auto& [name, now] : live) {
    if (wanted.contains(name)) continue;
    const std::string server = absl::StrCat(backend, "/", name);
    if (!now.maintenance) commands.push_back(absl::StrCat("set server ", server, " state maint"));
    commands.push_back(absl::StrCat("del server ", server));
  }
  return commands;
}

}  // namespace switchboard::proxy
