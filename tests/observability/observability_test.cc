// What an operator sees of a running `switchboard up`, end to end: real
// etcd (managed by up), greeter servers registering themselves, a C++ gRPC
// client (greeter_client), a Node client (@grpc/grpc-js-xds) and a raw
// ADS client that NACKs. /metrics moves as it should and passes
// `promtool check metrics`; `switchboard status --json` shows each client
// with its subscriptions, versions and the NACK with its detail; /healthz
// and /readyz answer.
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "switchboard/observability/http_client.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/resource_names.h"
#include "testing/child_process.h"
#include "testing/closed_loop_caller.h"
#include "testing/raw_ads_stream.h"

namespace switchboard {
namespace {

using observability::HttpGet;
using testing::BuiltBinary;
using testing::ChildProcess;
using testing::PickFreePort;
using testing::SourceDir;
using testing::TempDir;
using testing::WaitFor;
using xds::ResourceKind;

using switchboard::testing::ReadFile;

// The value of the sample `series` (name and labels exactly as exposed,
// e.g. `switchboard_xds_nacks_total{service="greeter",type="lds"}`) in a
// text exposition; -1 when absent.
double Sample(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = -1;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return -1;
}

struct CommandRun {
  int exit_code = -1;
  std::string output;
};

CommandRun RunCommand(const TempDir& dir, std::vector<std::string> argv) {
  static int counter = 0;
  const std::string log = dir.File(absl::StrCat("run-", ++counter, ".log"));
  auto child = ChildProcess::Start(argv, {.log_path = log});
  if (!child.ok()) return {.output = std::string(child.status().message())};
  CommandRun run;
  if (!(*child)->WaitExit(absl::Seconds(30))) (*child)->Kill();
  if (WIFEXITED((*child)->exit_status())) run.exit_code = WEXITSTATUS((*child)->exit_status());
  run.output = ReadFile(log);
  return run;
}

const nlohmann::json* ClientOf(const nlohmann::json& clients, const std::string& node_id) {
  for (const auto& client : clients) {
    if (client["node_id"] == node_id) return &client;
  }
  return nullptr;
}

// A client has accepted what it was sent of every type it asked for.
bool AckedAll(const nlohmann::json& client) {
  if (client["types"].size() < 4) return false;
  for (const auto& [type, state] : client["types"].items()) {
    if (state["acked_version"] == "" || state["acked_version"] != state["sent_version"]) {
      return false;
    }
  }
  return true;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = dir_.File("state");
    // etcd's peer port is the client port + 1: both must be free.
    const int etcd_port = testing::PickFreePortPair();
    etcd_ = absl::StrCat("127.0.0.1:", etcd_port);
    auto up = ChildProcess::Start({BuiltBinary("bin/switchboard"), "up", "--data-dir", data_dir_,
                                   "--etcd-listen", etcd_, "--xds-listen", "127.0.0.1:0",
                                   "--http", "127.0.0.1:0", "--log-format=json"},
                                  {.log_path = dir_.File("up.log")});
    ASSERT_TRUE(up.ok()) << up.status();
    up_ = std::move(*up);
    nlohmann::json state;
    ASSERT_TRUE(WaitFor(
        [&] {
          state = nlohmann::json::parse(ReadFile(data_dir_ + "/up.json"), nullptr, false);
          return state.is_object() && state.contains("http");
        },
        absl::Seconds(30)))
        << ReadFile(dir_.File("up.log"));
    http_ = state["http"];
    xds_ = state["xds"];
  }

  std::unique_ptr<ChildProcess> StartGreeter(const std::string& zone) {
    auto greeter = ChildProcess::Start(
        {BuiltBinary("bin/greeter_server"), "--etcd=" + etcd_, "--zone=" + zone, "--ttl=2s"},
        {.log_path = dir_.File("greeter-" + zone + ".log")});
    EXPECT_TRUE(greeter.ok()) << greeter.status();
    return greeter.ok() ? std::move(*greeter) : nullptr;
  }

  std::string Bootstrap(const std::string& node_id, const std::string& zone) {
    return *xds::MakeBootstrapJson({.server_address = xds_, .node_id = node_id, .node_zone = zone});
  }

  std::string Metrics() { return HttpGet(http_, "/metrics").value_or(""); }

  TempDir dir_;
  std::string data_dir_, etcd_, http_, xds_;
  std::unique_ptr<ChildProcess> up_;
};

TEST_F(ObservabilityTest, MetricsStatusAndHealthFollowARealRun) {
  EXPECT_EQ(HttpGet(http_, "/healthz").value_or(""), "ok\n");
  auto greeter_a = StartGreeter("zone-a");
  auto greeter_b = StartGreeter("zone-b");
  ASSERT_TRUE(WaitFor([&] { return Sample(Metrics(), "switchboard_xds_instances") == 2; },
                      absl::Seconds(20)))
      << Metrics();
  EXPECT_EQ(HttpGet(http_, "/readyz").value_or(""), "ready\n");

  // A C++ client and a Node client calling greeter, and a client that
  // rejects the listener it gets.
  auto cpp = ChildProcess::Start(
      {BuiltBinary("bin/greeter_client"), "--duration=60s"},
      {.log_path = dir_.File("cpp-client.log"),
       .env = {"GRPC_XDS_BOOTSTRAP_CONFIG=" + Bootstrap("cpp-client", "zone-a")}});
  ASSERT_TRUE(cpp.ok()) << cpp.status();
  std::ofstream(dir_.File("node-bootstrap.json")) << Bootstrap("node-client", "zone-b");
  auto node = ChildProcess::Start(
      {"/usr/bin/node", SourceDir() + "/tests/xds/node_greeter_client.js",
       SourceDir() + "/examples/greeter/greeter.proto", "greeter", "1000000"},
      {.log_path = dir_.File("node-client.log"),
       .env = {"GRPC_XDS_BOOTSTRAP=" + dir_.File("node-bootstrap.json"),
               "NODE_PATH=" + SourceDir() + "/third_party/npm/node_modules"}});
  ASSERT_TRUE(node.ok()) << node.status();
  testing::RawAdsStream nacker(xds_);
  ASSERT_TRUE(nacker.Send(testing::AdsRequest(ResourceKind::kListener, {"greeter"}, "nacking-client")));
  auto listener = nacker.Next(absl::Seconds(10));
  ASSERT_TRUE(listener.has_value());
  ASSERT_TRUE(nacker.Send(testing::AdsNack(ResourceKind::kListener, {"greeter"}, *listener,
                                           "listener greeter rejected: test says no")));

  // `switchboard status --json` finds the up through its data dir.
  nlohmann::json status;
  auto status_json = [&] {
    CommandRun run = RunCommand(dir_, {BuiltBinary("bin/switchboard"), "status", "--json",
                                "--data-dir", data_dir_});
    if (run.exit_code != 0) return false;
    status = nlohmann::json::parse(run.output, nullptr, false);
    if (!status.is_object()) return false;
    const nlohmann::json* c = ClientOf(status["clients"], "cpp-client");
    const nlohmann::json* n = ClientOf(status["clients"], "node-client");
    const nlohmann::json* bad = ClientOf(status["clients"], "nacking-client");
    return c != nullptr && n != nullptr && bad != nullptr && AckedAll(*c) && AckedAll(*n) &&
           (*bad)["nacking"] == true;
  };
  ASSERT_TRUE(WaitFor(status_json, absl::Seconds(30))) << status.dump(2) << ReadFile(dir_.File("node-client.log"));
  const nlohmann::json& cpp_status = *ClientOf(status["clients"], "cpp-client");
  // What the clients put in their node: gRPC C++ reports its C core.
  EXPECT_EQ(cpp_status["user_agent"], "gRPC C-core linux");
  EXPECT_EQ(cpp_status["user_agent_version"], "C-core 29.0.0");
  EXPECT_EQ(cpp_status["zone"], "zone-a");
  EXPECT_EQ(cpp_status["nacking"], false);
  EXPECT_EQ(cpp_status["types"]["lds"]["names"], nlohmann::json::array({"greeter"}));
  EXPECT_EQ(cpp_status["types"]["eds"]["names"],
            nlohmann::json::array({xds::ResourceName(ResourceKind::kClusterLoadAssignment, "greeter")}));
  const nlohmann::json& node_status = *ClientOf(status["clients"], "node-client");
  EXPECT_EQ(node_status["user_agent"], "gRPC Node Pure JS");
  EXPECT_EQ(node_status["zone"], "zone-b");
  EXPECT_EQ(node_status["types"]["lds"]["names"], nlohmann::json::array({"greeter"}));
  // Both accepted the same listener version: one catalog for all.
  EXPECT_EQ(node_status["types"]["lds"]["acked_version"], cpp_status["types"]["lds"]["acked_version"]);
  const nlohmann::json& bad = *ClientOf(status["clients"], "nacking-client");
  EXPECT_EQ(bad["types"]["lds"]["nacked_version"], listener->version_info());
  EXPECT_EQ(bad["types"]["lds"]["acked_version"], "");
  EXPECT_EQ(bad["types"]["lds"]["last_nack_error"], "listener greeter rejected: test says no");
  EXPECT_EQ(status["services_served"], 1);
  ASSERT_EQ(status["sources"].size(), 1u);
  EXPECT_EQ(status["sources"][0]["up"], true);
  EXPECT_EQ(status["sources"][0]["lists"], 1);
  EXPECT_EQ(status["sources"][0]["watch_restarts"], 0);
  EXPECT_EQ(status["services"][0]["name"], "greeter");
  EXPECT_EQ(status["services"][0]["instances"], 2);

  CommandRun text = RunCommand(dir_, {BuiltBinary("bin/switchboard"), "status", "--data-dir", data_dir_});
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(absl::StrContains(text.output, "nacking-client")) << text.output;
  EXPECT_TRUE(absl::StrContains(text.output, "NACKING")) << text.output;
  EXPECT_TRUE(absl::StrContains(text.output, "test says no")) << text.output;

  // The metrics moved, and the scrape is valid Prometheus text.
  std::string scrape = Metrics();
  std::ofstream(dir_.File("scrape.txt")) << scrape;
  CommandRun promtool = RunCommand(dir_, {"/bin/sh", "-c", "promtool check metrics < " + dir_.File("scrape.txt")});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_xds_nacks_total{service="greeter",type="lds"})"), 1) << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_xds_responses_sent_total{type="lds"})"), 3) << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_xds_acks_total{type="eds"})"), 2) << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_xds_ack_latency_seconds_count{type="cds"})"), 2) << scrape;
  EXPECT_EQ(Sample(scrape, R"(switchboard_xds_streams{client="gRPC C-core linux",version="C-core 29.0.0"})"), 1) << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_source_instance_changes_total{change="added"})"), 2) << scrape;
  EXPECT_EQ(Sample(scrape, "switchboard_xds_services"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, absl::StrCat(R"(switchboard_source_up{source="etcd://)", etcd_, R"(/"})")), 1)
      << scrape;
  EXPECT_EQ(Sample(scrape, "switchboard_etcd_restarts_total"), 0) << scrape;
  // A steady run: the prefix listed once, its watch never lost.
  EXPECT_EQ(Sample(scrape, absl::StrCat(R"(switchboard_source_lists_total{source="etcd://)", etcd_, R"(/"})")), 1)
      << scrape;
  EXPECT_EQ(Sample(scrape, absl::StrCat(R"(switchboard_source_watch_restarts_total{source="etcd://)", etcd_,
                                        R"(/"})")),
            0)
      << scrape;
  double pushes = Sample(scrape, "switchboard_xds_push_latency_seconds_count");
  EXPECT_GE(pushes, 2) << scrape;

  // A removal: the greeter deregisters on SIGTERM.
  greeter_b->Stop();
  ASSERT_TRUE(WaitFor([&] { return Sample(Metrics(), "switchboard_xds_instances") == 1; },
                      absl::Seconds(20)))
      << Metrics();
  scrape = Metrics();
  EXPECT_GE(Sample(scrape, R"(switchboard_source_instance_changes_total{change="removed"})"), 1) << scrape;
  EXPECT_GT(Sample(scrape, "switchboard_xds_push_latency_seconds_count"), pushes) << scrape;
  EXPECT_GE(Sample(scrape, R"(switchboard_xds_responses_sent_total{type="eds"})"), 4) << scrape;
}

// `switchboard register --http`: the sidecar's own metrics.
// The load one entry of /api/load reports; null when absent.
const nlohmann::json* LoadOf(const nlohmann::json& loads, const std::string& service,
                             const std::string& zone) {
  if (!loads.is_array()) return nullptr;
  for (const auto& load : loads) {
    if (load["service"] == service && load["zone"] == zone) return &load;
  }
  return nullptr;
}

TEST_F(ObservabilityTest, LoadReportsGiveCallsPerSecondPerServiceAndZone) {
  auto greeter = StartGreeter("zone-a");
  ASSERT_TRUE(WaitFor([&] { return Sample(Metrics(), "switchboard_xds_instances") == 1; },
                      absl::Seconds(20)))
      << Metrics();
  // A gRPC C++ client in this process, paced to 200 calls/s: 4 threads
  // each on its own schedule of one call every 20 ms.
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", Bootstrap("load-client", "zone-a").c_str(), 1);
  auto channel = grpc::CreateChannel("xds:///greeter", grpc::InsecureChannelCredentials());
  ASSERT_TRUE(WaitFor(
      [&] { return testing::CallGreeterOnce(*channel, absl::Seconds(2)).code == grpc::StatusCode::OK; },
      absl::Seconds(20)));
  constexpr double kCallsPerSecond = 200;
  constexpr int kThreads = 4;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> made{0};
  std::vector<std::thread> callers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      const auto period = std::chrono::microseconds(
          static_cast<int64_t>(1e6 * kThreads / kCallsPerSecond));
      auto next = start + period * t / kThreads;
      while (!stop) {
        std::this_thread::sleep_until(next);  // the rate limiter
        testing::CallGreeterOnce(*channel, absl::Seconds(2));
        made++;
        next += period;
      }
    });
  }
  nlohmann::json loads;
  double reported = -1;
  bool within = WaitFor(
      [&] {
        loads = nlohmann::json::parse(HttpGet(http_, "/api/load").value_or(""), nullptr, false);
        const nlohmann::json* load = LoadOf(loads, "greeter", "zone-a");
        if (load == nullptr) return false;
        reported = (*load)["calls_per_second"];
        return std::abs(reported - kCallsPerSecond) <= 0.1 * kCallsPerSecond &&
               (*load)["history"].size() >= 5;
      },
      absl::Seconds(30));
  std::string metrics = Metrics();
  stop = true;
  for (auto& caller : callers) caller.join();
  // Processes the next tests start must not inherit this client's bootstrap.
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
  double made_per_second =
      made / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("load: made %.1f calls/s, control plane reports %.1f calls/s\n", made_per_second,
              reported);
  ASSERT_TRUE(within) << "reported " << reported << " calls/s for " << kCallsPerSecond
                      << " made (" << made_per_second << " measured): " << loads.dump(2);
  const nlohmann::json& load = *LoadOf(loads, "greeter", "zone-a");
  EXPECT_EQ(load["errors_per_second"], 0.0);
  EXPECT_GT(load["successful"].get<double>(), 0);
  EXPECT_GT(Sample(metrics, R"(switchboard_load_calls_total{service="greeter",zone="zone-a",result="success"})"), 0)
      << metrics;
  EXPECT_GT(Sample(metrics, R"(switchboard_load_calls_per_second{service="greeter",zone="zone-a"})"), 0)
      << metrics;
  EXPECT_GE(Sample(metrics, R"(switchboard_load_in_progress{service="greeter",zone="zone-a"})"), 0)
      << metrics;
}

TEST_F(ObservabilityTest, RegisterExportsItsRegistrationAndHealthChecks) {
  int port = PickFreePort();
  const std::string http = absl::StrCat("127.0.0.1:", port);
  // The up's HTTP port stands in for a server that passes a tcp check.
  auto sidecar = ChildProcess::Start(
      {BuiltBinary("bin/switchboard"), "register", "--service", "sidecar", "--addr", http_,
       "--health", "tcp", "--health-interval", "200ms", "--ttl", "1s", "--etcd", etcd_,
       "--http", http},
      {.log_path = dir_.File("register.log")});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  std::string scrape;
  ASSERT_TRUE(WaitFor(
      [&] {
        scrape = HttpGet(http, "/metrics").value_or("");
        return Sample(scrape, R"(switchboard_registration_state{phase="registered"})") == 1 &&
               Sample(scrape, "switchboard_lease_keepalive_latency_seconds_count") >= 1;
      },
      absl::Seconds(20)))
      << scrape << ReadFile(dir_.File("register.log"));
  EXPECT_EQ(HttpGet(http, "/readyz").value_or(""), "ready: registered\n");
  EXPECT_GE(Sample(scrape, R"(switchboard_health_checks_total{result="pass"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, R"(switchboard_health_checks_total{result="fail"})"), 0) << scrape;
  EXPECT_GE(Sample(scrape, "switchboard_health_check_duration_seconds_count"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "switchboard_registrations_total"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "switchboard_reregistrations_total"), 0) << scrape;
  std::ofstream(dir_.File("register-scrape.txt")) << scrape;
  CommandRun promtool = RunCommand(
      dir_, {"/bin/sh", "-c", "promtool check metrics < " + dir_.File("register-scrape.txt")});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output << scrape;
  EXPECT_EQ((*sidecar)->Stop(), 0);
}

// A headless Chromium driven over WebDriver (Debian's chromium-driver).
class Browser {
 public:
  static std::unique_ptr<Browser> Start(const TempDir& dir) {
    int port = PickFreePort();
    auto driver = ChildProcess::Start({"/usr/bin/chromedriver", absl::StrCat("--port=", port)},
                                      {.log_path = dir.File("chromedriver.log")});
    if (!driver.ok() || !testing::WaitForPort(port, absl::Seconds(10))) return nullptr;
    auto browser = std::unique_ptr<Browser>(new Browser(std::move(*driver), port));
    nlohmann::json caps = {
        {"capabilities",
         {{"alwaysMatch",
           {{"goog:chromeOptions",
             {{"binary", "/usr/bin/chromium"},
              {"args", {"--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--window-size=1400,800"}}}}}}}}};
    nlohmann::json session = browser->Call("POST", "/session", caps);
    if (!session.contains("sessionId")) return nullptr;
    browser->session_ = session["sessionId"];
    return browser;
  }
  ~Browser() {
    if (!session_.empty()) Call("DELETE", "/session/" + session_, nullptr);
    driver_->Stop();
  }
  void Go(const std::string& url) { Call("POST", Path("/url"), {{"url", url}}); }
  // The value of a JavaScript expression in the page.
  nlohmann::json Eval(const std::string& expression) {
    return Call("POST", Path("/execute/sync"),
                {{"script", "return " + expression + ";"}, {"args", nlohmann::json::array()}});
  }
  std::string ScreenshotPng() {
    std::string png;
    absl::Base64Unescape(Call("GET", Path("/screenshot"), nullptr).get<std::string>(), &png);
    return png;
  }

 private:
  Browser(std::unique_ptr<ChildProcess> driver, int port)
      : driver_(std::move(driver)), client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
  }
  std::string Path(const std::string& tail) { return "/session/" + session_ + tail; }
  // The "value" of a WebDriver answer; null on failure.
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body) {
    httplib::Result result = method == "GET"      ? client_.Get(path.c_str())
                             : method == "DELETE" ? client_.Delete(path.c_str())
                                                  : client_.Post(path.c_str(), body.dump(),
                                                                 "application/json");
    if (!result) return nullptr;
    nlohmann::json answer = nlohmann::json::parse(result->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("value")) return nullptr;
    return answer["value"];
  }

  std::unique_ptr<ChildProcess> driver_;
  httplib::Client client_;
  std::string session_;
};

// The dashboard in a real browser: it shows the services, instances and
// clients, and a new registration appears without a reload; the load chart
// follows the client's reports.
TEST_F(ObservabilityTest, DashboardShowsServicesAndFollowsRegistrations) {
  auto greeter_a = StartGreeter("zone-a");
  ASSERT_TRUE(WaitFor([&] { return Sample(Metrics(), "switchboard_xds_instances") == 1; },
                      absl::Seconds(20)));
  auto cpp = ChildProcess::Start(
      {BuiltBinary("bin/greeter_client"), "--duration=60s"},
      {.log_path = dir_.File("cpp-client.log"),
       .env = {"GRPC_XDS_BOOTSTRAP_CONFIG=" + Bootstrap("cpp-client", "zone-a")}});
  ASSERT_TRUE(cpp.ok());
  testing::RawAdsStream nacker(xds_);
  ASSERT_TRUE(nacker.Send(testing::AdsRequest(ResourceKind::kListener, {"greeter"}, "nacking-client")));
  auto listener = nacker.Next(absl::Seconds(10));
  ASSERT_TRUE(listener.has_value());
  ASSERT_TRUE(nacker.Send(testing::AdsNack(ResourceKind::kListener, {"greeter"}, *listener,
                                           "listener greeter rejected: test says no")));

  auto browser = Browser::Start(dir_);
  ASSERT_NE(browser, nullptr) << ReadFile(dir_.File("chromedriver.log"));
  browser->Go("http://" + http_ + "/");
  auto text = [&] {
    nlohmann::json value = browser->Eval("document.body.innerText");
    return value.is_string() ? value.get<std::string>() : std::string();
  };
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(text(), "zone-a") &&
                                   absl::StrContains(text(), "cpp-client"); },
                      absl::Seconds(20)))
      << text();
  EXPECT_TRUE(absl::StrContains(text(), "greeter"));
  EXPECT_TRUE(WaitFor([&] {
    return browser->Eval("document.querySelector('tr.nacking[data-node=\"nacking-client\"]') !== null") == true;
  }, absl::Seconds(10))) << text();
  EXPECT_TRUE(absl::StrContains(text(), "test says no")) << text();

  // A second greeter registers: the page shows it without a reload.
  browser->Eval("(window.sbMarker = 'same page', 1)");
  auto greeter_b = StartGreeter("zone-b");
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(text(), "zone-b"); }, absl::Seconds(20)))
      << text();
  EXPECT_EQ(browser->Eval("window.sbMarker"), "same page");
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(text(), "2/2 serving"); }, absl::Seconds(10)))
      << text();
  EXPECT_TRUE(absl::StrContains(text(), "registered")) << text();  // the event feed

  // The client's load reports: greeter's chart has calls and moves on.
  auto chart_samples = [&] {
    nlohmann::json n = browser->Eval(
        "(() => { const c = document.querySelector('[data-load-service=\"greeter\"]');"
        " return c && Number(c.dataset.callsPerSecond) > 0 ? Number(c.dataset.samples) : 0; })()");
    return n.is_number() ? n.get<int>() : 0;
  };
  int samples = 0;
  EXPECT_TRUE(WaitFor([&] { return (samples = chart_samples()) >= 2; }, absl::Seconds(20)))
      << text();
  EXPECT_TRUE(WaitFor([&] { return chart_samples() > samples; }, absl::Seconds(10))) << text();
  EXPECT_TRUE(absl::StrContains(text(), "calls/s")) << text();

  std::string png = browser->ScreenshotPng();
  EXPECT_GT(png.size(), 1000u);
  // SWITCHBOARD_DASHBOARD_SCREENSHOT=docs/dashboard.png keeps it.
  if (const char* keep = std::getenv("SWITCHBOARD_DASHBOARD_SCREENSHOT")) {
    std::ofstream(keep, std::ios::binary) << png;
  }
}

TEST_F(ObservabilityTest, BadHttpInputIsRefusedAndTheServerGoesOn) {
  EXPECT_FALSE(HttpGet(http_, "/no/such/path").ok());
  CommandRun post = RunCommand(dir_, {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                               "-X", "POST", "http://" + http_ + "/metrics"});
  EXPECT_EQ(post.output, "405");
  CommandRun huge = RunCommand(dir_, {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                               "-H", "X-Big: " + std::string(20000, 'x'), "http://" + http_ + "/metrics"});
  EXPECT_NE(huge.output, "200");
  EXPECT_EQ(HttpGet(http_, "/healthz").value_or(""), "ok\n");
}

// --log-format=json: every log line of up is one JSON object (the banner
// on stdout stays text).
TEST_F(ObservabilityTest, JsonLogsAreOneObjectPerLine) {
  int objects = 0;
  for (absl::string_view line : absl::StrSplit(ReadFile(dir_.File("up.log")), '\n')) {
    if (!absl::StartsWith(line, "{")) continue;
    nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(json.is_object()) << line;
    for (const char* field : {"time", "level", "component", "message"}) {
      EXPECT_TRUE(json.contains(field)) << field << " missing in " << line;
    }
    objects++;
  }
  EXPECT_GE(objects, 2) << ReadFile(dir_.File("up.log"));
  CommandRun bad = RunCommand(dir_, {BuiltBinary("bin/switchboard"), "xds", "--log-format=yaml"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "--log-format=yaml: want text or json")) << bad.output;
}

TEST_F(ObservabilityTest, AnHttpPortInUseIsAnErrorNamingIt) {
  TempDir other;
  CommandRun second = RunCommand(dir_, {BuiltBinary("bin/switchboard"), "up", "--data-dir", other.File("s"),
                                 "--etcd-listen", absl::StrCat("127.0.0.1:", testing::PickFreePortPair()),
                                 "--xds-listen", "127.0.0.1:0", "--http", http_});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_TRUE(absl::StrContains(second.output, "--http " + http_)) << second.output;
  EXPECT_TRUE(absl::StrContains(second.output, "in use")) << second.output;
}

}  // namespace
}  // namespace switchboard
