#include "switchboard/xds/ads_stream_state.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "gmock/gmock.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gtest/gtest.h"
#include "switchboard/xds/cluster_load_assignment_builder.h"
#include "switchboard/xds/listener_builder.h"

namespace switchboard::xds {
namespace {

using ::testing::HasSubstr;
using Severity = AdsStreamState::Event::Severity;

Instance Make(std::string service, std::string address, uint32_t weight = 1) {
  Instance i;
  i.service = std::move(service);
  i.address = std::move(address);
  i.metadata.weight = weight;
  return i;
}

CatalogPtr CatalogOf(std::vector<Instance> instances, PolicyTable policies = {}) {
  return ResourceCatalog::Build(*Snapshot::Create(std::move(instances)), policies, {});
}

DiscoveryRequest Request(ResourceKind kind, std::vector<std::string> names,
                         std::string version = "", std::string nonce = "") {
  DiscoveryRequest request;
  request.set_type_url(std::string(TypeUrl(kind)));
  for (auto& name : names) request.add_resource_names(name);
  request.set_version_info(version);
  request.set_response_nonce(nonce);
  return request;
}

DiscoveryRequest WithNode(DiscoveryRequest request, std::string id = "client-1",
                          std::string agent = "gRPC C-core linux",
                          std::string agent_version = "C-core 29.0.0") {
  request.mutable_node()->set_id(id);
  request.mutable_node()->set_user_agent_name(agent);
  request.mutable_node()->set_user_agent_version(agent_version);
  return request;
}

// The ACK of `response`.
DiscoveryRequest Ack(ResourceKind kind, std::vector<std::string> names,
                     const DiscoveryResponse& response) {
  return Request(kind, std::move(names), response.version_info(), response.nonce());
}

bool HasEvent(const AdsStreamState::Step& step, Severity severity, const std::string& text) {
  for (const auto& event : step.events) {
    if (event.severity == severity && event.message.find(text) != std::string::npos) return true;
  }
  return false;
}

class AdsStreamStateTest : public ::testing::Test {
 protected:
  // The first request of `kind` for `names` on `stream`, answered, and the
  // answer acknowledged unless `ack` is false.
  void Subscribe(AdsStreamState& stream, ResourceKind kind, const std::vector<std::string>& names,
                 const CatalogPtr& catalog, bool ack = true) {
    auto first = stream.OnRequest(WithNode(Request(kind, names)), catalog.get(), now_);
    ASSERT_EQ(first.responses.size(), 1u);
    if (ack) stream.OnRequest(Ack(kind, names, *first.responses[0]), catalog.get(), now_);
  }

  absl::Time now_ = absl::FromUnixSeconds(1000);
  CatalogPtr catalog_ = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2")});
  // Three services, and the same with billing's instance moved.
  CatalogPtr three_ = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2"),
                                 Make("search", "127.0.0.1:3")});
  CatalogPtr billing_moved_ = CatalogOf({Make("greeter", "127.0.0.1:1"),
                                         Make("billing", "127.0.0.1:9"),
                                         Make("search", "127.0.0.1:3")});
  std::vector<std::string> three_endpoints_ = {"greeter.endpoints", "billing.endpoints",
                                               "search.endpoints"};
};

TEST_F(AdsStreamStateTest, FirstRequestIsAnsweredAndAckIsNot) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})),
                               catalog_.get(), now_);
  EXPECT_TRUE(HasEvent(step, Severity::kInfo, "client-1"));
  ASSERT_EQ(step.responses.size(), 1u);
  const DiscoveryResponse& response = *step.responses[0];
  EXPECT_EQ(response.type_url(), kListenerType);
  ASSERT_EQ(response.resources_size(), 1);
  EXPECT_FALSE(response.version_info().empty());
  EXPECT_FALSE(response.nonce().empty());
  EXPECT_TRUE(stream.Status(ResourceKind::kListener).awaiting_ack);

  auto ack = stream.OnRequest(Ack(ResourceKind::kListener, {"greeter"}, response), catalog_.get(), now_);
  EXPECT_TRUE(ack.responses.empty());
  auto status = stream.Status(ResourceKind::kListener);
  EXPECT_FALSE(status.awaiting_ack);
  EXPECT_EQ(status.acked_version, response.version_info());
  EXPECT_EQ(stream.node_id(), "client-1");
}

TEST_F(AdsStreamStateTest, NackIsReportedWithNodeAndErrorAndNothingIsResent) {
  AdsStreamState stream("peer-1");
  auto first = stream.OnRequest(WithNode(Request(ResourceKind::kCluster, {"greeter.cluster"})),
                                catalog_.get(), now_);
  ASSERT_EQ(first.responses.size(), 1u);
  const std::string good = first.responses[0]->version_info();
  stream.OnRequest(Ack(ResourceKind::kCluster, {"greeter.cluster"}, *first.responses[0]),
                   catalog_.get(), now_);

  // A policy change the client rejects.
  PolicyTable policies;
  policies.per_service["greeter"].max_requests = 5;
  auto changed = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2")}, policies);
  auto push = stream.OnCatalogChange(*changed, ChangedServices(catalog_.get(), *changed), now_);
  ASSERT_EQ(push.responses.size(), 1u);
  const std::string bad = push.responses[0]->version_info();
  EXPECT_NE(bad, good);

  DiscoveryRequest nack = Request(ResourceKind::kCluster, {"greeter.cluster"}, good,
                                  push.responses[0]->nonce());
  nack.mutable_error_detail()->set_code(3);
  nack.mutable_error_detail()->set_message("cluster greeter.cluster: bad circuit breaker");
  auto step = stream.OnRequest(nack, changed.get(), now_);
  EXPECT_TRUE(step.responses.empty());
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "client-1"));
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "bad circuit breaker"));
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "NACK"));
  auto status = stream.Status(ResourceKind::kCluster);
  EXPECT_EQ(status.nacked_version, bad);
  EXPECT_EQ(status.acked_version, good);  // the client keeps the last good one
  EXPECT_EQ(status.nacks, 1u);
  EXPECT_EQ(stream.nacks(), 1u);

  // Nothing new: nothing sent again. A real change goes out.
  EXPECT_TRUE(stream.OnCatalogChange(*changed, {}, now_).responses.empty());
  auto next = stream.OnCatalogChange(*catalog_, ChangedServices(changed.get(), *catalog_), now_);
  ASSERT_EQ(next.responses.size(), 1u);
  EXPECT_EQ(next.responses[0]->version_info(), good);
}

// Told per kind, a catalog change sends exactly what it sends when told the
// changed services only.
TEST_F(AdsStreamStateTest, ChangeByKindSendsTheSameAsChangeByService) {
  auto subscribe = [&](AdsStreamState& stream) {
    for (ResourceKind kind : kAllResourceKinds) {
      auto step = stream.OnRequest(WithNode(Request(kind, {ResourceName(kind, "greeter")})),
                                   catalog_.get(), now_);
      ASSERT_EQ(step.responses.size(), 1u);
      stream.OnRequest(Ack(kind, {ResourceName(kind, "greeter")}, *step.responses[0]),
                       catalog_.get(), now_);
    }
  };
  AdsStreamState by_service("peer-1");
  AdsStreamState by_kind("peer-2");
  subscribe(by_service);
  subscribe(by_kind);
  PolicyTable policies;
  policies.per_service["greeter"].max_requests = 5;
  for (CatalogPtr next :
       {CatalogOf({Make("greeter", "127.0.0.1:1", 3), Make("billing", "127.0.0.1:2")}),
        CatalogOf({Make("greeter", "127.0.0.1:1", 3), Make("billing", "127.0.0.1:2")}, policies),
        CatalogOf({Make("billing", "127.0.0.1:2")})}) {
    std::set<std::string> changed = ChangedServices(catalog_.get(), *next);
    auto a = by_service.OnCatalogChange(*next, changed, now_);
    auto b = by_kind.OnCatalogChangeByKind(
        *next, ChangedResourcesByKind(catalog_.get(), *next, changed), now_);
    ASSERT_EQ(a.responses.size(), b.responses.size());
    for (size_t i = 0; i < a.responses.size(); ++i) {
      EXPECT_EQ(a.responses[i]->type_url(), b.responses[i]->type_url());
      EXPECT_EQ(a.responses[i]->version_info(), b.responses[i]->version_info());
      EXPECT_EQ(a.responses[i]->resources_size(), b.responses[i]->resources_size());
    }
    catalog_ = next;
  }
}

TEST_F(AdsStreamStateTest, UnknownListenerIsAnsweredWithoutItAndReportedOnce) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"nope"})),
                               catalog_.get(), now_);
  ASSERT_EQ(step.responses.size(), 1u);
  // A stand-in listener routing nowhere: the client fails calls at once.
  ASSERT_EQ(step.responses[0]->resources_size(), 1);
  Listener stand_in;
  ASSERT_TRUE(step.responses[0]->resources(0).UnpackTo(&stand_in));
  EXPECT_EQ(stand_in.name(), "nope");
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "\"nope\""));
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "client-1"));
  // Subscribing to one more name re-answers, without repeating the report.
  auto again = stream.OnRequest(
      Request(ResourceKind::kListener, {"greeter", "nope"}, step.responses[0]->version_info(),
              step.responses[0]->nonce()),
      catalog_.get(), now_);
  ASSERT_EQ(again.responses.size(), 1u);
  EXPECT_EQ(again.responses[0]->resources_size(), 2);
  EXPECT_FALSE(HasEvent(again, Severity::kWarn, "nope"));
}

// While a source fails, a missing service may exist there: the log says the
// registry may be the cause.
TEST_F(AdsStreamStateTest, UnknownServiceWhileASourceFailsNamesTheRegistry) {
  auto degraded = ResourceCatalog::Build(
      *Snapshot::Create({Make("greeter", "127.0.0.1:1")}), {}, {}, nullptr, nullptr,
      ResourceCatalog::Coverage::kComplete,
      "the registry may be the cause: failing source(s) etcd://127.0.0.1:2379/ (unreachable)");
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"billing"})),
                               degraded.get(), now_);
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "\"billing\": no such service"));
  EXPECT_TRUE(HasEvent(step, Severity::kWarn,
                       "; the registry may be the cause: failing source(s) etcd://127.0.0.1:2379/"));
}

// A mistyped service is reported with the close names the catalog holds.
TEST_F(AdsStreamStateTest, UnknownServiceIsReportedWithCloseNames) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"greter"})),
                               catalog_.get(), now_);
  EXPECT_TRUE(HasEvent(step, Severity::kWarn,
                       "asked for LDS \"greter\": no such service (did you mean greeter?)"));
  AdsStreamState other("peer-2");
  auto far = other.OnRequest(WithNode(Request(ResourceKind::kListener, {"payments"})),
                             catalog_.get(), now_);
  EXPECT_TRUE(HasEvent(far, Severity::kWarn, "\"payments\": no such service (answered"));
}

TEST_F(AdsStreamStateTest, UnknownClusterIsLeftOut) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kCluster, {"nope.cluster"})),
                               catalog_.get(), now_);
  ASSERT_EQ(step.responses.size(), 1u);
  EXPECT_EQ(step.responses[0]->resources_size(), 0);  // SotW: does not exist
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "does-not-exist"));
}

TEST_F(AdsStreamStateTest, UnknownTypeIsReportedOnceAndIgnored) {
  AdsStreamState stream("peer-1");
  DiscoveryRequest request = WithNode(Request(ResourceKind::kListener, {"greeter"}));
  request.set_type_url("type.googleapis.com/envoy.config.secret.v3.Secret");
  auto step = stream.OnRequest(request, catalog_.get(), now_);
  EXPECT_TRUE(step.responses.empty());
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "envoy.config.secret.v3.Secret"));
  EXPECT_FALSE(HasEvent(stream.OnRequest(request, catalog_.get(), now_), Severity::kWarn, "Secret"));
  // The stream still works for what it serves.
  EXPECT_EQ(stream.OnRequest(Request(ResourceKind::kListener, {"greeter"}), catalog_.get(), now_)
                .responses.size(),
            1u);
}

TEST_F(AdsStreamStateTest, PushesOnlyToStreamsSubscribedToWhatChanged) {
  AdsStreamState greeter_client("peer-1");
  AdsStreamState billing_client("peer-2");
  auto g = greeter_client.OnRequest(
      WithNode(Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"})), catalog_.get(), now_);
  auto b = billing_client.OnRequest(
      WithNode(Request(ResourceKind::kClusterLoadAssignment, {"billing.endpoints"}), "client-2"),
      catalog_.get(), now_);
  greeter_client.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}, *g.responses[0]),
                           catalog_.get(), now_);
  billing_client.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"billing.endpoints"}, *b.responses[0]),
                           catalog_.get(), now_);

  auto next = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("greeter", "127.0.0.1:3"),
                         Make("billing", "127.0.0.1:2")});
  auto changed = ChangedServices(catalog_.get(), *next);
  ASSERT_EQ(changed, std::set<std::string>{"greeter"});
  auto to_greeter = greeter_client.OnCatalogChange(*next, changed, now_);
  auto to_billing = billing_client.OnCatalogChange(*next, changed, now_);
  ASSERT_EQ(to_greeter.responses.size(), 1u);
  EXPECT_TRUE(to_billing.responses.empty());
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  ASSERT_TRUE(to_greeter.responses[0]->resources(0).UnpackTo(&cla));
  ASSERT_EQ(cla.endpoints_size(), 1);  // one locality: both weigh 1
  EXPECT_EQ(cla.endpoints(0).lb_endpoints_size(), 2);
}

TEST_F(AdsStreamStateTest, PushDependsOnWhatChangedWhicheverSideIsLarger) {
  auto& three = three_;
  auto& billing_moved = billing_moved_;
  AdsStreamState client("peer-1");
  const std::vector<std::string>& names = three_endpoints_;
  Subscribe(client, ResourceKind::kClusterLoadAssignment, names, three);

  // Fewer changed services than subscribed names.
  auto push = client.OnCatalogChange(*billing_moved, {"billing"}, now_);
  ASSERT_EQ(push.responses.size(), 1u);
  EXPECT_EQ(push.responses[0]->resources_size(), 1);  // the changed one only
  client.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, names, *push.responses[0]),
                   billing_moved.get(), now_);
  auto others = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:9"),
                           Make("search", "127.0.0.1:3"), Make("other", "127.0.0.1:4")});
  EXPECT_TRUE(client.OnCatalogChange(*others, {"other"}, now_).responses.empty());

  // More changed services than subscribed names.
  AdsStreamState narrow("peer-2");
  auto only = narrow.OnRequest(
      WithNode(Request(ResourceKind::kClusterLoadAssignment, {"search.endpoints"}), "client-2"),
      three.get(), now_);
  narrow.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"search.endpoints"}, *only.responses[0]),
                   three.get(), now_);
  EXPECT_TRUE(narrow.OnCatalogChange(*others, {"billing", "greeter", "other"}, now_).responses.empty());
  auto search_moved = CatalogOf({Make("search", "127.0.0.1:8")});
  EXPECT_EQ(narrow.OnCatalogChange(*search_moved, {"billing", "greeter", "search"}, now_)
                .responses.size(),
            1u);
}

// Endpoints (and route configurations) may come alone: a client keeps
// what a response leaves out. Listeners and clusters may not: there,
// absence means deletion.
TEST_F(AdsStreamStateTest, ChangeSendsOnlyChangedEndpointsButEveryListener) {
  AdsStreamState client("peer-1");
  Subscribe(client, ResourceKind::kClusterLoadAssignment, three_endpoints_, three_);
  Subscribe(client, ResourceKind::kListener, {"greeter", "billing", "search"}, three_);

  // billing's instance moved (endpoints) and its listener changed (a
  // policy): the endpoints go alone, the listeners all together.
  PolicyTable policies;
  policies.per_service["billing"].inline_route_config = true;
  auto billing_moved = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:9"),
                                  Make("search", "127.0.0.1:3")},
                                 policies);
  auto push = client.OnCatalogChange(*billing_moved, {"billing"}, now_);
  ASSERT_EQ(push.responses.size(), 2u);
  for (const auto& sent : push.responses) {
    const DiscoveryResponse& response = *sent;
    if (response.type_url() == kListenerType) {
      EXPECT_EQ(response.resources_size(), 3);
      continue;
    }
    ASSERT_EQ(response.resources_size(), 1);
    envoy::config::endpoint::v3::ClusterLoadAssignment cla;
    ASSERT_TRUE(response.resources(0).UnpackTo(&cla));
    EXPECT_EQ(cla.cluster_name(), "billing.endpoints");
    ASSERT_EQ(cla.endpoints_size(), 1);
    EXPECT_EQ(cla.endpoints(0).lb_endpoints_size(), 1);
  }
}

// While a response is not acknowledged it may still sit in the transport's
// queue, where a newer one of its type replaces it: so the newer one must
// be complete.
TEST_F(AdsStreamStateTest, ChangeBeforeTheAckSendsEverySubscribedEndpoints) {
  AdsStreamState client("peer-1");
  Subscribe(client, ResourceKind::kClusterLoadAssignment, three_endpoints_, three_);
  auto partial = client.OnCatalogChange(*billing_moved_, {"billing"}, now_);
  ASSERT_EQ(partial.responses.size(), 1u);
  EXPECT_EQ(partial.responses[0]->resources_size(), 1);

  // No ACK for `partial` yet: the next change is sent whole.
  auto search_moved = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:9"),
                                 Make("search", "127.0.0.1:8")});
  auto whole = client.OnCatalogChange(*search_moved, {"search"}, now_);
  ASSERT_EQ(whole.responses.size(), 1u);
  EXPECT_EQ(whole.responses[0]->resources_size(), 3);
}

// One change, many streams: every stream that subscribes to the changed
// endpoints and has acknowledged the last ones gets the very same message.
TEST_F(AdsStreamStateTest, SharedPushIsHandedToEveryStreamItSuits) {
  auto before = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("billing", "127.0.0.1:2")});
  auto after = CatalogOf({Make("greeter", "127.0.0.1:1"), Make("greeter", "127.0.0.1:3"),
                          Make("billing", "127.0.0.1:2")});
  ChangedByKind changed = ChangedResourcesByKind(before.get(), *after, ChangedServices(before.get(), *after));
  SharedPushes shared = PrepareSharedPushes(*after, changed, /*generation=*/7);
  ASSERT_EQ(shared.count(ResourceKind::kClusterLoadAssignment), 1u);
  EXPECT_EQ(shared.count(ResourceKind::kListener), 0u) << "listeners are never partial";
  const SharedPush& push = shared.at(ResourceKind::kClusterLoadAssignment);
  EXPECT_EQ(push.names, std::set<std::string>{"greeter.endpoints"});
  EXPECT_EQ(push.response->nonce(), "c7");
  ASSERT_EQ(push.response->resources_size(), 1);

  auto subscribe = [&](AdsStreamState& stream, std::vector<std::string> names, bool ack) {
    auto first = stream.OnRequest(
        WithNode(Request(ResourceKind::kClusterLoadAssignment, names)), before.get(), now_);
    if (ack) {
      stream.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, names, *first.responses[0]),
                       before.get(), now_);
    }
  };
  AdsStreamState both("peer-1"), greeter_only("peer-2"), billing_only("peer-3"), unacked("peer-4");
  subscribe(both, {"greeter.endpoints", "billing.endpoints"}, true);
  subscribe(greeter_only, {"greeter.endpoints"}, true);
  subscribe(billing_only, {"billing.endpoints"}, true);
  subscribe(unacked, {"greeter.endpoints", "billing.endpoints"}, false);

  auto to_both = both.OnCatalogChangeByKind(*after, changed, now_, &shared);
  auto to_greeter = greeter_only.OnCatalogChangeByKind(*after, changed, now_, &shared);
  ASSERT_EQ(to_both.responses.size(), 1u);
  ASSERT_EQ(to_greeter.responses.size(), 1u);
  EXPECT_EQ(to_both.responses[0], push.response) << "the same object, serialized once";
  EXPECT_EQ(to_greeter.responses[0], push.response);
  EXPECT_EQ(both.Status(ResourceKind::kClusterLoadAssignment).sent_nonce, "c7");
  EXPECT_TRUE(billing_only.OnCatalogChangeByKind(*after, changed, now_, &shared).responses.empty());
  // Not acknowledged: a complete response of its own.
  auto to_unacked = unacked.OnCatalogChangeByKind(*after, changed, now_, &shared);
  ASSERT_EQ(to_unacked.responses.size(), 1u);
  EXPECT_NE(to_unacked.responses[0], push.response);
  EXPECT_EQ(to_unacked.responses[0]->resources_size(), 2);

  // The ACK of the shared push is an ACK like any other.
  both.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints", "billing.endpoints"},
                     *push.response),
                 after.get(), now_);
  EXPECT_FALSE(both.Status(ResourceKind::kClusterLoadAssignment).awaiting_ack);
  EXPECT_EQ(both.Status(ResourceKind::kClusterLoadAssignment).acked_version,
            push.response->version_info());
}

// An ACK names what the stream watches, in any order, maybe repeated: no
// subscription change, no response. A name more or less is a change.
TEST_F(AdsStreamStateTest, AckNamesInAnyOrderAreNoChange) {
  AdsStreamState stream("peer-1");
  std::vector<std::string> names = {"billing.endpoints", "greeter.endpoints"};
  auto first = stream.OnRequest(WithNode(Request(ResourceKind::kClusterLoadAssignment, names)),
                                catalog_.get(), now_);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_TRUE(stream.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, names, *first.responses[0]),
                               catalog_.get(), now_)
                  .responses.empty());
  EXPECT_TRUE(stream
                  .OnRequest(Request(ResourceKind::kClusterLoadAssignment,
                                     {"greeter.endpoints", "billing.endpoints", "greeter.endpoints"}),
                             catalog_.get(), now_)
                  .responses.empty());
  auto fewer = stream.OnRequest(Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}),
                                catalog_.get(), now_);
  ASSERT_EQ(fewer.responses.size(), 1u);
  EXPECT_EQ(stream.Status(ResourceKind::kClusterLoadAssignment).names,
            std::set<std::string>{"greeter.endpoints"});
}

TEST_F(AdsStreamStateTest, StaleNonceIsIgnored) {
  AdsStreamState stream("peer-1");
  auto first = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})),
                                catalog_.get(), now_);
  PolicyTable timeouts;
  timeouts.defaults.inline_route_config = true;  // changes the listener
  auto changed = CatalogOf({Make("greeter", "127.0.0.1:9")}, timeouts);
  auto push = stream.OnCatalogChange(*changed, {"greeter"}, now_);
  ASSERT_EQ(push.responses.size(), 1u);
  // The ACK of the first response arrives after the second was sent.
  auto stale = stream.OnRequest(Ack(ResourceKind::kListener, {"greeter"}, *first.responses[0]),
                                changed.get(), now_);
  EXPECT_TRUE(stale.responses.empty());
  EXPECT_TRUE(stream.Status(ResourceKind::kListener).awaiting_ack);
  EXPECT_TRUE(stream.Status(ResourceKind::kListener).acked_version.empty());
}

TEST_F(AdsStreamStateTest, RequestsBeforeTheFirstCatalogAreAnsweredWhenItComes) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"nope"})), nullptr, now_);
  EXPECT_TRUE(step.responses.empty());
  // "nope" is in no changed set, yet it must be answered (does-not-exist).
  auto first = stream.OnCatalogChange(*catalog_, {"greeter", "billing"}, now_);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_EQ(first.responses[0]->resources_size(), 1);  // the stand-in
}

// A catalog built while a source has not answered: what it lacks may exist.
CatalogPtr IncompleteCatalogOf(std::vector<Instance> instances) {
  return ResourceCatalog::Build(*Snapshot::Create(std::move(instances)), {}, {}, nullptr, nullptr,
                                ResourceCatalog::Coverage::kIncomplete);
}

TEST_F(AdsStreamStateTest, IncompleteCatalogHoldsListenersAndClustersItLacks) {
  CatalogPtr partial = IncompleteCatalogOf({Make("billing", "127.0.0.1:2")});
  AdsStreamState stream("peer-1");
  auto lds = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})),
                              partial.get(), now_);
  EXPECT_TRUE(lds.responses.empty());  // neither a stand-in nor does-not-exist
  EXPECT_TRUE(HasEvent(lds, Severity::kInfo, "\"greeter\": not known yet"));
  auto cds = stream.OnRequest(Request(ResourceKind::kCluster, {"billing.cluster", "greeter.cluster"}),
                              partial.get(), now_);
  EXPECT_TRUE(cds.responses.empty());  // answering billing alone would delete greeter
  // Known names are answered as usual, and absence is no deletion in EDS.
  auto billing = stream.OnRequest(Request(ResourceKind::kRouteConfiguration, {"billing.route"}),
                                  partial.get(), now_);
  ASSERT_EQ(billing.responses.size(), 1u);
  auto eds = stream.OnRequest(
      Request(ResourceKind::kClusterLoadAssignment, {"billing.endpoints", "greeter.endpoints"}),
      partial.get(), now_);
  ASSERT_EQ(eds.responses.size(), 1u);
  EXPECT_EQ(eds.responses[0]->resources_size(), 1);
  EXPECT_TRUE(HasEvent(eds, Severity::kInfo, "\"greeter.endpoints\": not known yet"));
  EXPECT_FALSE(HasEvent(eds, Severity::kWarn, "no such service"));

  // Another incomplete catalog without greeter: still held, not reported again.
  CatalogPtr still = IncompleteCatalogOf({Make("billing", "127.0.0.1:9")});
  auto again = stream.OnCatalogChange(*still, {"billing"}, now_);
  for (const auto& response : again.responses) {
    EXPECT_NE(response->type_url(), TypeUrl(ResourceKind::kListener));
    EXPECT_NE(response->type_url(), TypeUrl(ResourceKind::kCluster));
  }
  EXPECT_FALSE(HasEvent(again, Severity::kInfo, "not known yet"));

  // The silent source answers with greeter: both held types are answered.
  auto answered = stream.OnCatalogChange(*catalog_, {"greeter", "billing"}, now_);
  std::map<std::string, int> resources_by_type;
  for (const auto& response : answered.responses) {
    resources_by_type[response->type_url()] = response->resources_size();
  }
  EXPECT_EQ(resources_by_type[std::string(TypeUrl(ResourceKind::kListener))], 1);
  EXPECT_EQ(resources_by_type[std::string(TypeUrl(ResourceKind::kCluster))], 2);
}

TEST_F(AdsStreamStateTest, HeldRequestsAreAnsweredWhenTheCatalogCompletesWithoutThem) {
  CatalogPtr partial = IncompleteCatalogOf({Make("billing", "127.0.0.1:2")});
  AdsStreamState stream("peer-1");
  EXPECT_TRUE(stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"nope"})), partial.get(),
                               now_).responses.empty());
  // Every source answered and none knows "nope": now it is unknown, and
  // gets the stand-in that fails calls naming it.
  CatalogPtr complete = CatalogOf({Make("billing", "127.0.0.1:2")});
  auto step = stream.OnCatalogChange(*complete, {}, now_);
  ASSERT_EQ(step.responses.size(), 1u);
  EXPECT_EQ(step.responses[0]->resources_size(), 1);
  EXPECT_TRUE(HasEvent(step, Severity::kWarn, "no such service"));
}

TEST_F(AdsStreamStateTest, IncompleteCatalogHoldsWildcards) {
  CatalogPtr partial = IncompleteCatalogOf({Make("billing", "127.0.0.1:2")});
  AdsStreamState stream("peer-1");
  EXPECT_TRUE(stream.OnRequest(WithNode(Request(ResourceKind::kListener, {})), partial.get(), now_)
                  .responses.empty());
  auto step = stream.OnCatalogChange(*catalog_, {"greeter"}, now_);
  ASSERT_EQ(step.responses.size(), 1u);
  EXPECT_EQ(step.responses[0]->resources_size(), 2);
}

TEST_F(AdsStreamStateTest, ChangedRouteWithATimeoutIsNotSharedAndEachClientGetsItsOwn) {
  PolicyTable policies;
  policies.defaults.timeout = absl::Milliseconds(500);
  auto before = CatalogOf({Make("greeter", "127.0.0.1:1")}, policies);
  policies.defaults.timeout = absl::Milliseconds(300);
  auto after = CatalogOf({Make("greeter", "127.0.0.1:1")}, policies);
  ChangedByKind changed =
      ChangedResourcesByKind(before.get(), *after, ChangedServices(before.get(), *after));
  SharedPushes shared = PrepareSharedPushes(*after, changed, /*generation=*/3);
  EXPECT_EQ(shared.count(ResourceKind::kRouteConfiguration), 0u);

  auto timeout_sent = [&](AdsStreamState& stream, DiscoveryRequest request) {
    auto first = stream.OnRequest(request, before.get(), now_);
    stream.OnRequest(Ack(ResourceKind::kRouteConfiguration, {"greeter.route"}, *first.responses[0]),
                     before.get(), now_);
    auto step = stream.OnCatalogChangeByKind(*after, changed, now_, &shared);
    envoy::config::route::v3::RouteConfiguration route;
    EXPECT_EQ(step.responses.size(), 1u);
    if (step.responses.empty()) return absl::ZeroDuration();
    EXPECT_TRUE(step.responses[0]->resources(0).UnpackTo(&route));
    const auto& max = route.virtual_hosts(0).routes(0).route().max_stream_duration();
    return absl::Seconds(max.grpc_timeout_header_max().seconds()) +
           absl::Nanoseconds(max.grpc_timeout_header_max().nanos());
  };
  AdsStreamState cpp("peer-1"), node("peer-2");
  EXPECT_EQ(timeout_sent(cpp, WithNode(Request(ResourceKind::kRouteConfiguration, {"greeter.route"}))),
            absl::Milliseconds(300) + kCoreTimeoutPadding);
  EXPECT_EQ(timeout_sent(node, WithNode(Request(ResourceKind::kRouteConfiguration, {"greeter.route"}),
                                        "js", "gRPC Node Pure JS", "1.14.1")),
            absl::Milliseconds(300));
}

// Each stream is served its own class's variant: a client of zone A gets
// zone A's endpoints, one of zone B zone B's, and a change of a resource
// with variants goes out stream by stream, not as one shared push.
TEST_F(AdsStreamStateTest, EachStreamGetsItsClientClassVariant) {
  auto catalog_with = [](uint32_t zone_a_port) {
    std::vector<Instance> all = {Make("greeter", absl::StrCat("127.0.0.1:", zone_a_port)),
                                 Make("greeter", "127.0.0.1:2")};
    ServiceResources greeter;
    greeter.Add(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
                BuildClusterLoadAssignment("greeter", all));
    greeter.AddVariant(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
                       ClientSelector{.zone = "a"}, BuildClusterLoadAssignment("greeter", {all[0]}));
    greeter.AddVariant(ResourceKind::kClusterLoadAssignment, "greeter.endpoints",
                       ClientSelector{.zone = "b"}, BuildClusterLoadAssignment("greeter", {all[1]}));
    return *ResourceCatalog::FromServices({{"greeter", greeter}});
  };
  auto port_sent = [](const DiscoveryResponse& response) {
    ClusterLoadAssignment cla;
    EXPECT_EQ(response.resources_size(), 1);
    EXPECT_TRUE(response.resources(0).UnpackTo(&cla));
    EXPECT_EQ(cla.endpoints_size(), 1);
    return cla.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().port_value();
  };
  CatalogPtr before = catalog_with(1);
  auto in_zone = [](std::string zone) {
    DiscoveryRequest request = WithNode(Request(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}),
                                        absl::StrCat("client-", zone));
    request.mutable_node()->mutable_locality()->set_zone(zone);
    return request;
  };
  AdsStreamState zone_a("peer-a"), zone_b("peer-b");
  auto first_a = zone_a.OnRequest(in_zone("a"), before.get(), now_);
  auto first_b = zone_b.OnRequest(in_zone("b"), before.get(), now_);
  ASSERT_EQ(first_a.responses.size(), 1u);
  ASSERT_EQ(first_b.responses.size(), 1u);
  EXPECT_EQ(zone_a.client_class().zone, "a");
  EXPECT_EQ(port_sent(*first_a.responses[0]), 1u);
  EXPECT_EQ(port_sent(*first_b.responses[0]), 2u);
  EXPECT_NE(first_a.responses[0]->version_info(), first_b.responses[0]->version_info());
  zone_a.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}, *first_a.responses[0]),
                   before.get(), now_);
  zone_b.OnRequest(Ack(ResourceKind::kClusterLoadAssignment, {"greeter.endpoints"}, *first_b.responses[0]),
                   before.get(), now_);

  // Zone A's instance moves: zone A hears of it, zone B has nothing new.
  CatalogPtr after = catalog_with(3);
  ChangedByKind changed =
      ChangedResourcesByKind(before.get(), *after, ChangedServices(before.get(), *after));
  SharedPushes shared = PrepareSharedPushes(*after, changed, /*generation=*/1);
  EXPECT_EQ(shared.count(ResourceKind::kClusterLoadAssignment), 0u)
      << "a resource with variants is not the same for every stream";
  auto to_a = zone_a.OnCatalogChangeByKind(*after, changed, now_, &shared);
  ASSERT_EQ(to_a.responses.size(), 1u);
  EXPECT_EQ(port_sent(*to_a.responses[0]), 3u);
  EXPECT_TRUE(zone_b.OnCatalogChangeByKind(*after, changed, now_, &shared).responses.empty());
}

TEST_F(AdsStreamStateTest, RingHashIsTailoredForGrpc151) {
  PolicyTable policies;
  policies.defaults.lb_policy = LbPolicy::kRingHash;
  auto catalog = CatalogOf({Make("greeter", "127.0.0.1:1")}, policies);
  auto lb_sent = [&](AdsStreamState& stream, DiscoveryRequest request) {
    auto step = stream.OnRequest(request, catalog.get(), now_);
    envoy::config::cluster::v3::Cluster cluster;
    EXPECT_EQ(step.responses.size(), 1u);
    EXPECT_TRUE(step.responses[0]->resources(0).UnpackTo(&cluster));
    return cluster.lb_policy();
  };
  AdsStreamState cpp("peer-1"), node("peer-2");
  EXPECT_EQ(lb_sent(cpp, WithNode(Request(ResourceKind::kCluster, {"greeter.cluster"}))),
            envoy::config::cluster::v3::Cluster::ROUND_ROBIN);
  EXPECT_FALSE(cpp.client_class().ring_hash);
  EXPECT_EQ(lb_sent(node, WithNode(Request(ResourceKind::kCluster, {"greeter.cluster"}), "js",
                                   "gRPC Node Pure JS", "1.14.1")),
            envoy::config::cluster::v3::Cluster::RING_HASH);
}

TEST_F(AdsStreamStateTest, UnackedResponsesAreReportedOnce) {
  AdsStreamState stream("peer-1");
  stream.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})), catalog_.get(), now_);
  EXPECT_TRUE(stream.CheckUnacked(now_ + absl::Seconds(5), absl::Seconds(30)).events.empty());
  auto late = stream.CheckUnacked(now_ + absl::Seconds(31), absl::Seconds(30));
  EXPECT_TRUE(HasEvent(late, Severity::kWarn, "has not acknowledged LDS"));
  EXPECT_TRUE(HasEvent(late, Severity::kWarn, "client-1"));
  EXPECT_TRUE(stream.CheckUnacked(now_ + absl::Seconds(90), absl::Seconds(30)).events.empty());
}

TEST_F(AdsStreamStateTest, EmptyFirstListenerRequestIsAWildcard) {
  AdsStreamState stream("peer-1");
  auto step = stream.OnRequest(WithNode(Request(ResourceKind::kListener, {})), catalog_.get(), now_);
  ASSERT_EQ(step.responses.size(), 1u);
  EXPECT_EQ(step.responses[0]->resources_size(), 2);
  EXPECT_TRUE(stream.Status(ResourceKind::kListener).wildcard);
  // ...but not for EDS: nothing is subscribed.
  auto eds = stream.OnRequest(Request(ResourceKind::kClusterLoadAssignment, {}), catalog_.get(), now_);
  ASSERT_EQ(eds.responses.size(), 1u);
  EXPECT_EQ(eds.responses[0]->resources_size(), 0);
}

TEST_F(AdsStreamStateTest, VersionsAreDeterministicAcrossStreams) {
  AdsStreamState a("peer-1"), b("peer-2");
  auto ra = a.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})), catalog_.get(), now_);
  auto rb = b.OnRequest(WithNode(Request(ResourceKind::kListener, {"greeter"})), catalog_.get(), now_);
  EXPECT_EQ(ra.responses[0]->version_info(), rb.responses[0]->version_info());
}

}  // namespace
}  // namespace switchboard::xds
