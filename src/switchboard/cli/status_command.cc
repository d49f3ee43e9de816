// `switchboard status`: what a running control plane serves and to whom,
// read from its HTTP server's /api/status (the running `up`'s, found
// through up.json, or --http).
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/up_state.h"
#include "switchboard/observability/http_client.h"

namespace switchboard::cli {
namespace {

std::string Text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// One client's subscriptions and what it accepted, per type:
// "lds greeter v=3a1f.. acked" / "lds greeter NACKED v=..: <error>".
void PrintClient(const nlohmann::json& client) {
  std::printf("  %s  %s %s  zone=%s  since %s%s\n", Text(client["node_id"]).c_str(),
              Text(client["user_agent"]).c_str(), Text(client["user_agent_version"]).c_str(),
              client["zone"].get<std::string>().empty() ? "-" : Text(client["zone"]).c_str(),
              Text(client["connected_since"]).c_str(),
              client["nacking"].get<bool>() ? "  NACKING" : "");
  for (const auto& [type, state] : client["types"].items()) {
    std::string names = state["wildcard"].get<bool>()
                            ? "*"
                            : absl::StrJoin(state["names"].get<std::vector<std::string>>(), ",");
    std::string acked = state["acked_version"].get<std::string>();
    std::printf("    %s %s: acked %s", type.c_str(), names.c_str(),
                acked.empty() ? "nothing yet" : acked.c_str());
    if (state["awaiting_ack"].get<bool>()) {
      std::printf(", sent %s (awaiting ACK)", Text(state["sent_version"]).c_str());
    }
    if (!state["nacked_version"].get<std::string>().empty()) {
      std::printf(", NACKED %s: %s", Text(state["nacked_version"]).c_str(),
                  Text(state["last_nack_error"]).c_str());
    }
    std::printf("\n");
  }
}

void PrintStatus(const nlohmann::json& status, const std::string& http) {
  std::printf("control plane: xDS %s, HTTP http://%s/, %s\n", Text(status["address"]).c_str(),
              http.c_str(), status["ready"].get<bool>() ? "ready" : "NOT READY");
  std::printf("sources:\n");
  for (const auto& source : status["sources"]) {
    std::printf("  %s  %s  %s instance(s), last success %s", Text(source["source"]).c_str(),
                source["up"].get<bool>() ? "up" : "DOWN", Text(source["instances"]).c_str(),
                Text(source["last_success"]).c_str());
    if (source["from_cache"].get<bool>()) std::printf(", served from the on-disk cache");
    // Re-reads and watch restarts: a source that keeps losing its view.
    const uint64_t relists = source.value("lists", uint64_t{0});
    const uint64_t restarts = source.value("watch_restarts", uint64_t{0});
    if (relists > 1 || restarts > 0) {
      std::printf(", watch restarted %llu time(s), listed %llu time(s)",
                  static_cast<unsigned long long>(restarts), static_cast<unsigned long long>(relists));
    }
    if (source.value("skipped_records", uint64_t{0}) > 0) {
      std::printf(", %s malformed record(s) skipped", Text(source["skipped_records"]).c_str());
    }
    if (!source["up"].get<bool>()) {
      std::printf(", %s error(s) in a row, stale %.0fs: %s",
                  Text(source["consecutive_errors"]).c_str(),
                  source["stale_seconds"].get<double>(), Text(source["error"]).c_str());
    }
    std::printf("\n");
  }
  std::printf("services: %s, %s instance(s)\n", Text(status["services_served"]).c_str(),
              Text(status["instances_served"]).c_str());
  for (const auto& service : status["services"]) {
    std::printf("  %s  %s instance(s), %s not draining\n", Text(service["name"]).c_str(),
                Text(service["instances"]).c_str(), Text(service["healthy"]).c_str());
  }
  std::printf("clients: %zu\n", status["clients"].size());
  for (const auto& client : status["clients"]) PrintClient(client);
}

}  // namespace

int RunStatus(const Command& cmd, const ParsedFlags& flags);
const Command kStatusCommand = {
    .name = "status",
    .summary = "Show a running control plane's sources, services and clients (ACK/NACK state).",
    .usage = "switchboard status [--json] [--http HOST:PORT] [--data-dir DIR]",
    .description =
        "Reads /api/status from the HTTP server of the running `switchboard up` (found\n"
        "through <data-dir>/up.json), or of the `up` or `xds` at --http. Exit 1 when\n"
        "none answers. --json prints the API's JSON (see docs/observability.md).\n",
    .flags = {
        {.name = "json", .help = "print the JSON of /api/status", .boolean = true},
        {.name = "http", .value_name = "HOST:PORT", .help = "the control plane's HTTP server",
         .default_text = "the running `switchboard up`'s"},
        {.name = "data-dir", .value_name = "DIR", .help = "where `switchboard up` keeps its state"},
    },
    .run = RunStatus,
};

int RunStatus(const Command& cmd, const ParsedFlags& flags) {
  std::string http = flags.Get("http");
  if (flags.IsSet("http")) {
    if (absl::Status s = CheckHostPortFlag("http", http); !s.ok()) return UsageError(cmd, s);
  } else {
    const std::string data_dir = flags.Get("data-dir", DefaultDataDir());
    std::optional<UpState> up = FindRunningUp(data_dir);
    if (!up.has_value()) {
      return RuntimeError(cmd, absl::NotFoundError(absl::StrCat(
                                   "no `switchboard up` runs on data dir ", data_dir,
                                   "; start one, or give --http HOST:PORT of a control plane")));
    }
    if (up->http.empty()) {
      return RuntimeError(cmd, absl::NotFoundError(absl::StrCat(
                                   "the `switchboard up` of ", data_dir, " (pid ", up->pid,
                                   ") has no HTTP server; give --http HOST:PORT")));
    }
    http = up->http;
  }
  absl::StatusOr<std::string> body = observability::HttpGet(http, "/api/status");
  if (!body.ok()) return RuntimeError(cmd, body.status());
  nlohmann::json status = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded() || !status.is_object()) {
    return RuntimeError(cmd, absl::InternalError(absl::StrCat(
                                 "http://", http, "/api/status did not answer a JSON object")));
  }
  if (flags.Get("json") == "true") {
    std::printf("%s\n", status.dump(2).c_str());
  } else {
    PrintStatus(status, http);
  }
  return kExitOk;
}

}  // namespace switchboard::cli
