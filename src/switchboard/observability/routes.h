// The HTTP routes of a Switchboard process, to pass to HttpServer::Start:
// /metrics from any set of collectables, /healthz, and for a control plane
// /readyz and the JSON API (/api/clients, /api/sources, /api/services,
// /api/status). docs/observability.md describes each.
//
// Example:
//   auto metrics = std::make_shared<ControlPlaneMetrics>();
//   ... start the plane with .observer = metrics; metrics->Attach(plane);
//   auto routes = ControlPlaneRoutes(plane, {metrics});
//   auto server = HttpServer::Start("127.0.0.1:18080", std::move(routes));
//
// Threading: the handlers are thread-safe; what they read (the plane, the
// collectables) must outlive the server.
#ifndef SWITCHBOARD_OBSERVABILITY_ROUTES_H_
#define SWITCHBOARD_OBSERVABILITY_ROUTES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "switchboard/observability/event_feed.h"
#include "switchboard/observability/http_server.h"
#include "switchboard/xds/control_plane.h"

namespace switchboard::observability {

using Routes = std::map<std::string, HttpHandler>;

// /metrics (Prometheus text format 0.0.4) and /healthz ("ok").
Routes BasicRoutes(std::vector<std::shared_ptr<const prometheus::Collectable>> collectables);
// BasicRoutes plus /readyz, the /api/ paths of `plane`, /api/events from
// `feed` (may be null: []) and the dashboard at /.
Routes ControlPlaneRoutes(const xds::XdsControlPlane* plane,
                          std::vector<std::shared_ptr<const prometheus::Collectable>> collectables,
                          std::shared_ptr<const EventFeed> feed = nullptr);

// What /readyz answers: 200 once a first catalog is served and every
// source answered (or is served from its cache, which the body says),
// else 503 with the reason.
HttpResponse Readiness(const xds::XdsControlPlane& plane);

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_ROUTES_H_
