// The web dashboard's page (dashboard/index.html, built into the binary):
// plain HTML, CSS and JS that polls /api/status and /api/events every
// second and redraws services, instances, clients (a NACKing one in red),
// sources and recent events. Served at / by ControlPlaneRoutes().
//
// Example:
//   routes["/"] = [] { return HttpResponse{.content_type = "text/html; charset=utf-8",
//                                          .body = std::string(DashboardHtml())}; };
//
// Threading: returns a constant; thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_DASHBOARD_H_
#define SWITCHBOARD_OBSERVABILITY_DASHBOARD_H_

#include "absl/strings/string_view.h"

namespace switchboard::observability {

absl::string_view DashboardHtml();

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_DASHBOARD_H_
