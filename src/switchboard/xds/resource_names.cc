#include "switchboard/xds/resource_names.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {

absl::string_view Suffix(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return "";
    case ResourceKind::kRouteConfiguration: return ".route";
    case ResourceKind::kCluster: return ".cluster";
    case ResourceKind::kClusterLoadAssignment: return ".endpoints";
  }
  return "";
}

}  // namespace

absl::string_view TypeUrl(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return kListenerType;
    case ResourceKind::kRouteConfiguration: return kRouteConfigurationType;
    case ResourceKind::kCluster: return kClusterType;
    case ResourceKind::kClusterLoadAssignment: return kClusterLoadAssignmentType;
  }
  return "";
}

std::optional<ResourceKind> KindOfTypeUrl(absl::string_view type_url) {
  for (ResourceKind kind : kAllResourceKinds) {
    if (TypeUrl(kind) == type_url) return kind;
  }
  return std::nullopt;
}

absl::string_view ShortName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kListener: return "LDS";
    case ResourceKind::kRouteConfiguration: return "RDS";
    case ResourceKind::kCluster: return "CDS";
    case ResourceKind::kClusterLoadAssignment: return "EDS";
  }
  return "?";
}

std::string ResourceName(ResourceKind kind, absl::string_view service) {
  return absl::StrCat(service, Suffix(kind));
}

std::string SubsetName(absl::string_view service, absl::string_view subset) {
  return absl::StrCat(service, "/", subset);
}

absl::string_view ConventionalServiceOf(ResourceKind kind, absl::string_view name) {
  absl::string_view suffix = Suffix(kind);
  if (name.size() <= suffix.size() || !absl::EndsWith(name, suffix)) return {};
  return name.substr(0, name.size() - suffix.size());
}

std::optional<std::string> ServiceOfResourceName(ResourceKind kind, absl::string_view name) {
  absl::string_view service = ConventionalServiceOf(kind, name);
  if (service.empty()) return std::nullopt;
  return std::string(service);
}

}  // namespace switchboard::xds
