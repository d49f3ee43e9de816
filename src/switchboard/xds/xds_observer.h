// What the control plane tells an observer (metrics, status pages, an event
// feed) as it works: responses written, ACKs and NACKs, catalogs published,
// source updates and errors. The xDS layer knows nothing of Prometheus or
// HTTP; the observability layer implements this interface and is handed to
// XdsControlPlaneOptions::observer.
//
// Example:
//   class NackCounter : public XdsObserver {
//     void OnNack(const NackEvent& nack) override { nacks_++; }
//   };
//   auto plane = XdsControlPlane::Start(std::move(sources),
//                                       {.observer = std::make_shared<NackCounter>()});
//
// Threading: methods are called on gRPC's callback threads and on the
// control plane's worker thread, concurrently; implementations must be
// thread-safe, quick, and must not call back into the control plane.
#ifndef SWITCHBOARD_XDS_XDS_OBSERVER_H_
#define SWITCHBOARD_XDS_XDS_OBSERVER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/core/snapshot.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

// A client rejected a response.
struct NackEvent {
  ResourceKind kind = ResourceKind::kListener;
  std::string node_id;
  std::string peer;
  // The version it rejected and the client's error_detail message.
  std::string version;
  std::string error;
  // The services named by the resources the NACKing request subscribes to.
  std::vector<std::string> services;
};

struct CatalogPublishedEvent {
  // Merging the sources' snapshots and building the resources.
  absl::Duration build_time;
  // From the first source update folded into this catalog until the pushes
  // were handed to every stream's write queue; zero when no source update
  // caused it (a policy change, a source's health).
  absl::Duration since_source_event;
  size_t services = 0;
  size_t instances = 0;
};

class XdsObserver {
 public:
  virtual ~XdsObserver() = default;
  // A response of `kind` was written to a stream.
  virtual void OnResponseWritten(ResourceKind kind) {}
  // A client accepted a response of `kind` sent `latency` ago.
  virtual void OnAck(ResourceKind kind, absl::Duration latency) {}
  virtual void OnNack(const NackEvent& nack) {}
  virtual void OnCatalogPublished(const CatalogPublishedEvent& event) {}
  // A source delivered a snapshot; `changes` against its previous one.
  virtual void OnSourceUpdate(const std::string& source, const Changeset& changes) {}
  virtual void OnSourceError(const std::string& source, const absl::Status& error) {}
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_XDS_OBSERVER_H_
