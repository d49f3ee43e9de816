#include "switchboard/observability/routes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "prometheus/text_serializer.h"
#include "switchboard/observability/dashboard.h"
#include "switchboard/observability/status_json.h"

namespace switchboard::observability {
namespace {

HttpResponse Json(const nlohmann::json& value) {
  return {.status = 200, .content_type = "application/json", .body = value.dump(2) + "\n"};
}

}  // namespace

Routes BasicRoutes(std::vector<std::shared_ptr<const prometheus::Collectable>> collectables) {
  Routes routes;
  routes["/metrics"] = [collectables = std::move(collectables)] {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& collectable : collectables) {
      std::vector<prometheus::MetricFamily> more = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
    return HttpResponse{.status = 200,
                        .content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = prometheus::TextSerializer().Serialize(families)};
  };
  routes["/healthz"] = [] { return HttpResponse{.body = "ok\n"}; };
  return routes;
}

HttpResponse Readiness(const xds::XdsControlPlane& plane) {
  // WaitUntilServing with no time to wait: "is it serving now".
  if (!const_cast<xds::XdsControlPlane&>(plane).WaitUntilServing(absl::ZeroDuration())) {
    return {.status = 503, .body = "not ready: no catalog served yet (waiting for the sources)\n"};
  }
  std::vector<std::string> missing, cached;
  for (const xds::SourceStatus& source : plane.Sources()) {
    if (source.answered) continue;
    (source.from_cache ? cached : missing).push_back(source.source);
  }
  if (!missing.empty()) {
    return {.status = 503,
            .body = absl::StrCat("not ready: source(s) ", absl::StrJoin(missing, ", "),
                                 " have not answered and have no cache\n")};
  }
  if (!cached.empty()) {
    return {.body = absl::StrCat("ready: serving from the on-disk cache for source(s) ",
                                 absl::StrJoin(cached, ", "), " (not answered yet)\n")};
  }
  return {.body = "ready\n"};
}

Routes ControlPlaneRoutes(const xds::XdsControlPlane* plane,
                          std::vector<std::shared_ptr<const prometheus::Collectable>> collectables,
                          std::shared_ptr<const EventFeed> feed) {
  Routes routes = BasicRoutes(std::move(collectables));
  routes["/"] = [] {
    return HttpResponse{.content_type = "text/html; charset=utf-8",
                        .body = std::string(DashboardHtml())};
  };
  routes["/api/events"] = [feed] {
    return Json(feed != nullptr ? feed->Json() : nlohmann::json::array());
  };
  routes["/readyz"] = [plane] { return Readiness(*plane); };
  routes["/api/clients"] = [plane] { return Json(ClientsJson(plane->Clients())); };
  routes["/api/sources"] = [plane] { return Json(SourcesJson(plane->Sources(), absl::Now())); };
  routes["/api/services"] = [plane] { return Json(ServicesJson(plane->Served())); };
  routes["/api/load"] = [plane] { return Json(LoadJson(plane->Load())); };
  routes["/api/status"] = [plane] {
    xds::XdsControlPlaneStats stats = plane->Stats();
    return Json({{"address", plane->address()},
                 {"ready", Readiness(*plane).status == 200},
                 {"services_served", stats.services},
                 {"instances_served", stats.instances},
                 {"clients", ClientsJson(plane->Clients())},
                 {"sources", SourcesJson(plane->Sources(), absl::Now())},
                 {"services", ServicesJson(plane->Served())}});
  };
  return routes;
}

}  // namespace switchboard::observability
