# The public C++ API: the headers an application includes, as
# switchboard/<layer>/<file>.h under src/. Every other header under
# src/switchboard is internal: it may change without notice, and no public
# header may include it (public_headers_test checks).
#
#   server   - DiscoverableServer: register once listening, drain, deregister
#   client   - embedded discovery: the control plane inside the client
#   registry - the registry record format and the Registrar (lease + key)
#   etcd     - the etcd client a Registrar is given
#   lookup   - source URIs, the source factory interface and registry
#   core     - Instance, Snapshot, the LookupSource interface
set(SWITCHBOARD_PUBLIC_HEADERS
  switchboard/server/discoverable_server.h
  switchboard/client/embedded_discovery.h
  switchboard/registry/naming_codec.h
  switchboard/registry/registrar.h
  switchboard/etcd/etcd_client.h
  switchboard/etcd/etcd_security.h
  switchboard/lookup/builtin_sources.h
  switchboard/lookup/lookup_source_factory.h
  switchboard/lookup/periodic_source.h
  switchboard/lookup/source_registry.h
  switchboard/lookup/source_uri.h
  switchboard/core/instance.h
  switchboard/core/lookup_source.h
  switchboard/core/snapshot.h
  switchboard/common/backoff.h
  switchboard/common/host_port.h
  switchboard/xds/service_policy.h
)
