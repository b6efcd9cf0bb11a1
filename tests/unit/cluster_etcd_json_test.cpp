#include "actors/cluster/etcd_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace grace::cluster::etcd;
using json = nlohmann::json;

TEST(ClusterEtcdJson, Base64RoundTripsEveryLength) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  }
}

TEST(ClusterEtcdJson, Base64RefusesWhatIsNotStrictBase64) {
  EXPECT_FALSE(base64_decode("Zg="));      // length
  EXPECT_FALSE(base64_decode("Z==="));     // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zg==")); // padding inside
  EXPECT_FALSE(base64_decode("Zm9*"));
  EXPECT_FALSE(base64_decode("Zm 9"));
  EXPECT_EQ(base64_decode(""), "");
}

TEST(ClusterEtcdJson, PrefixRangeEndIsThePrefixPlusOne) {
  EXPECT_EQ(prefix_range_end("/grace/x/members/"), "/grace/x/members0");
  EXPECT_EQ(prefix_range_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_range_end(""), std::string(1, '\0'));
}

TEST(ClusterEtcdJson, LeaseRequests) {
  auto grant = lease_grant_request(10);
  EXPECT_EQ(grant.path, "/v3/lease/grant");
  EXPECT_EQ(json::parse(grant.body), json({{"TTL", "10"}}));
  auto keep = lease_keepalive_request(7587869346412364809);
  EXPECT_EQ(keep.path, "/v3/lease/keepalive");
  EXPECT_EQ(json::parse(keep.body), json({{"ID", "7587869346412364809"}}));
  EXPECT_EQ(lease_revoke_request(5).path, "/v3/lease/revoke");
}

TEST(ClusterEtcdJson, ClaimIsATxnOnCreateRevisionBoundToTheLease) {
  auto r = claim_request("/grace/g/owner/7", R"({"node":"a"})", 42);
  EXPECT_EQ(r.path, "/v3/kv/txn");
  auto doc = json::parse(r.body);
  const auto& cmp = doc["compare"][0];
  EXPECT_EQ(cmp["key"], base64_encode("/grace/g/owner/7"));
  EXPECT_EQ(cmp["target"], "CREATE");
  EXPECT_EQ(cmp["result"], "EQUAL");
  EXPECT_EQ(cmp["create_revision"], "0");
  const auto& put = doc["success"][0]["request_put"];
  EXPECT_EQ(base64_decode(put["value"].get<std::string>()), R"({"node":"a"})");
  EXPECT_EQ(put["lease"], "42");
  EXPECT_EQ(doc["failure"][0]["request_range"]["key"], base64_encode("/grace/g/owner/7"));
}

TEST(ClusterEtcdJson, ReleaseDeletesOnlyTheSameClaim) {
  auto doc = json::parse(release_request("/k", 99).body);
  EXPECT_EQ(doc["compare"][0]["create_revision"], "99");
  EXPECT_EQ(doc["success"][0]["request_delete_range"]["key"], base64_encode("/k"));
}

TEST(ClusterEtcdJson, RangeAndWatchCoverThePrefix) {
  auto range = json::parse(range_prefix_request("/p/").body);
  EXPECT_EQ(base64_decode(range["key"].get<std::string>()), "/p/");
  EXPECT_EQ(base64_decode(range["range_end"].get<std::string>()), "/p0");
  auto watch = json::parse(watch_create_request("/p/", 12).body);
  EXPECT_EQ(watch["create_request"]["start_revision"], "12");
  EXPECT_FALSE(json::parse(watch_create_request("/p/", 0).body)["create_request"].contains(
      "start_revision"));
}

TEST(ClusterEtcdJson, ParsesALeaseGrant) {
  // As etcd 3.4 answers.
  auto g = parse_lease_grant(
      R"({"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"1","raft_term":"2"},"ID":"7587869346412364809","TTL":"10"})");
  EXPECT_EQ(g.id, 7587869346412364809);
  EXPECT_EQ(g.ttl_seconds, 10);
  EXPECT_THROW(parse_lease_grant(R"({"header":{}})"), etcd_error);
  EXPECT_THROW(parse_lease_grant(R"({"ID":"1","TTL":"-3"})"), etcd_error);
}

TEST(ClusterEtcdJson, KeepaliveWithoutTtlMeansTheLeaseIsGone) {
  auto alive = parse_keepalive(R"({"result":{"header":{"revision":"5"},"ID":"12","TTL":"10"}})");
  EXPECT_EQ(alive.id, 12);
  EXPECT_EQ(alive.ttl_seconds, 10);
  auto gone = parse_keepalive(R"({"result":{"header":{"revision":"5"},"ID":"12"}})");
  EXPECT_EQ(gone.ttl_seconds, 0);
}

TEST(ClusterEtcdJson, ServerErrorsCarryTheirMessage) {
  try {
    parse_range(
        R"({"error":"etcdserver: mvcc: required revision has been compacted","code":11,"message":"etcdserver: mvcc: required revision has been compacted"})");
    FAIL() << "no error raised";
  } catch (const etcd_error& e) {
    EXPECT_NE(std::string(e.what()).find("compacted"), std::string::npos);
  }
  EXPECT_THROW(parse_watch_message(R"({"error":{"grpc_code":5,"http_code":404,"message":"x"}})"),
               etcd_error);
}

TEST(ClusterEtcdJson, ParsesARangeWithInt64sAsStrings) {
  json body = {{"header", {{"revision", "17"}}},
               {"kvs",
                {{{"key", base64_encode("/grace/g/members/a")},
                  {"create_revision", "5"},
                  {"mod_revision", "6"},
                  {"version", "2"},
                  {"value", base64_encode("{}")},
                  {"lease", "7587869346412364809"}}}},
               {"count", "1"}};
  auto r = parse_range(body.dump());
  EXPECT_EQ(r.revision, 17);
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].key, "/grace/g/members/a");
  EXPECT_EQ(r.kvs[0].value, "{}");
  EXPECT_EQ(r.kvs[0].create_revision, 5);
  EXPECT_EQ(r.kvs[0].lease, 7587869346412364809);
  // An empty range leaves out "kvs".
  EXPECT_TRUE(parse_range(R"({"header":{"revision":"3"}})").kvs.empty());
}

TEST(ClusterEtcdJson, ParsesBothOutcomesOfAClaim) {
  auto won = parse_txn(
      R"({"header":{"revision":"21"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"21"}}}]})");
  EXPECT_TRUE(won.succeeded);
  EXPECT_EQ(won.revision, 21);
  json lost = {{"header", {{"revision", "22"}}},
               {"responses",
                {{{"response_range",
                   {{"header", {{"revision", "22"}}},
                    {"kvs",
                     {{{"key", base64_encode("/o/1")},
                       {"value", base64_encode(R"({"node":"b"})")},
                       {"create_revision", "9"},
                       {"lease", "3"}}}},
                    {"count", "1"}}}}}}};
  auto t = parse_txn(lost.dump());
  EXPECT_FALSE(t.succeeded);
  ASSERT_EQ(t.kvs.size(), 1u);
  EXPECT_EQ(t.kvs[0].create_revision, 9);
}

TEST(ClusterEtcdJson, ParsesWatchMessages) {
  auto created = parse_watch_message(R"({"result":{"header":{"revision":"8"},"created":true}})");
  EXPECT_TRUE(created.created);
  EXPECT_EQ(created.revision, 8);
  json events = {{"result",
                  {{"header", {{"revision", "9"}}},
                   {"events",
                    {{{"kv",
                       {{"key", base64_encode("/m/a")},
                        {"value", base64_encode("v")},
                        {"create_revision", "9"},
                        {"mod_revision", "9"},
                        {"version", "1"}}}},
                     {{"type", "DELETE"},
                      {"kv", {{"key", base64_encode("/m/b")}, {"mod_revision", "9"}}}}}}}}};
  auto m = parse_watch_message(events.dump());
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_FALSE(m.events[0].deleted);
  EXPECT_EQ(m.events[0].kv.value, "v");
  EXPECT_TRUE(m.events[1].deleted);
  EXPECT_EQ(m.events[1].kv.key, "/m/b");
  auto canceled = parse_watch_message(
      R"({"result":{"header":{"revision":"9"},"canceled":true,"compact_revision":"5","cancel_reason":"compacted"}})");
  EXPECT_TRUE(canceled.canceled);
  EXPECT_EQ(canceled.compact_revision, 5);
  EXPECT_THROW(parse_watch_message(R"({"result":{"events":[{"type":"BOOM","kv":{}}]}})"),
               etcd_error);
}

TEST(ClusterEtcdJson, MalformedAnswersNameWhatIsWrong) {
  auto message = [](auto f) {
    try {
      f();
    } catch (const etcd_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] { parse_range("not json"); }), "etcd range: the answer is not JSON");
  EXPECT_EQ(message([] { parse_range("[]"); }), "etcd range: the answer is not a JSON object");
  EXPECT_EQ(message([] { parse_range(R"({"kvs":[{"key":"!!"}]})"); }),
            "etcd range: field 'key' is not base64");
  EXPECT_EQ(message([] { parse_range(R"({"header":{"revision":"12x"}})"); }),
            "etcd range: field 'revision' is not an integer");
  EXPECT_EQ(message([] { parse_range(R"({"header":{"revision":"99999999999999999999"}})"); }),
            "etcd range: field 'revision' is not an integer");
  EXPECT_EQ(message([] { parse_range(R"({"header":{"revision":"9223372036854775808"}})"); }),
            "etcd range: field 'revision' is out of range");
  EXPECT_EQ(message([] { parse_txn(R"({"succeeded":"yes"})"); }),
            "etcd txn: field 'succeeded' is not a boolean");
  EXPECT_EQ(message([] { parse_range(R"({"kvs":{}})"); }),
            "etcd range: field 'kvs' is not an array");
}

TEST(ClusterEtcdJson, SplitterCutsTheStreamAtNewlines) {
  stream_splitter s(64);
  EXPECT_TRUE(s.feed(R"({"result":)").empty());
  auto docs = s.feed("{}}\n{\"a\":1}\r\n\n{\"b");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], R"({"result":{}})");
  EXPECT_EQ(docs[1], R"({"a":1})");
  EXPECT_EQ(s.pending(), 3u);
  EXPECT_THROW(s.feed(std::string(100, 'x')), etcd_error);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(ClusterEtcdJson, FencedPutComparesTheClaimAndTheKeysAbsence) {
  auto doc = json::parse(fenced_put_once_request("/o/3", 41, "/r/3/e1", "v").body);
  ASSERT_EQ(doc["compare"].size(), 2u);
  EXPECT_EQ(doc["compare"][0]["key"], base64_encode("/o/3"));
  EXPECT_EQ(doc["compare"][0]["create_revision"], "41");
  EXPECT_EQ(doc["compare"][1]["key"], base64_encode("/r/3/e1"));
  EXPECT_EQ(doc["compare"][1]["create_revision"], "0");
  EXPECT_FALSE(doc["success"][0]["request_put"].contains("lease")) << "outlives the writer";
  EXPECT_EQ(doc["failure"].size(), 2u);
}

TEST(ClusterEtcdJson, FencedPutOutcomes) {
  txn_answer won;
  won.succeeded = true;
  EXPECT_EQ(read_fenced_put(won, "/o/3", 41, "/r", "v"), fenced_put_outcome::committed);
  key_value fence{"/o/3", "{}", 41, 41, 1, 9};
  key_value same{"/r", "v", 50, 50, 1, 0};
  key_value other{"/r", "w", 50, 50, 1, 0};
  txn_answer retry;
  retry.kvs = {fence, same};
  EXPECT_EQ(read_fenced_put(retry, "/o/3", 41, "/r", "v"), fenced_put_outcome::already_committed);
  txn_answer clash;
  clash.kvs = {fence, other};
  EXPECT_EQ(read_fenced_put(clash, "/o/3", 41, "/r", "v"), fenced_put_outcome::conflict);
  // A later claim (or none) refuses the write, even if the value is there.
  key_value moved = fence;
  moved.create_revision = 77;
  txn_answer lost;
  lost.kvs = {moved, same};
  EXPECT_EQ(read_fenced_put(lost, "/o/3", 41, "/r", "v"), fenced_put_outcome::not_owner);
  txn_answer gone;
  gone.kvs = {same};
  EXPECT_EQ(read_fenced_put(gone, "/o/3", 41, "/r", "v"), fenced_put_outcome::not_owner);
  EXPECT_STREQ(to_string(fenced_put_outcome::not_owner), "not_owner");
}
