#!/usr/bin/env python3
"""A cluster of real grace-node processes around a real etcd (Debian
etcd-server) on loopback, with certificates made by openssl here: every node
lists every member, each shard has exactly one owner serving it, every pair of
nodes greeted each other over the mutual-TLS transport, a node with
a certificate from another CA never joins, a frozen etcd makes a node stop
serving and it comes back, and after a kill -9 the survivors list two members
within 15 s and own the dead node's shards again. Recommendations and rewards
sent to any node reach the owner of their context's shard; every reward
acknowledged before the owner's kill -9 (some folded into the shard's
snapshot in etcd, some only in its log) is counted by the new owner, and the
cluster-wide RL statistics (any node merging every member's share) count them
before and after. Snapshots of the killed node's metrics were handed over to
each shard's next owner (and to no other node), which, owning the shard after
the kill, forecasts them from that history for a forecast asked through
another survivor; the merged warnings and dashboard reports name who
answered. A metric's snapshots asked through any node are read from its
owner's storage; the latest forecasts, the accuracy report and the other
reports asked of any node merge every owner's. Samples a node scrapes go to
their metric's owner like pushed ones.

Run by ctest as `cluster_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

import yaml

import grace_node
from grace_node import TOKEN, Node, free_port, request, unix_ms, wait_for

SHARDS = 64


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(name, cwd):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=cwd)


def make_cert(name, ca, cwd):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}", cwd=cwd)
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
            cwd=cwd)


class Etcd:
    def __init__(self, certs):
        self.dir = tempfile.TemporaryDirectory(prefix="grace-etcd-")
        self.port, peer = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir.name, "etcd.log"), "w+")
        p = lambda name: os.path.join(certs, name)
        self.proc = subprocess.Popen(
            ["etcd", "--name", "t0", "--data-dir", os.path.join(self.dir.name, "data"),
             "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
             "--cert-file", p("server.pem"), "--key-file", p("server.key"),
             "--client-cert-auth", "--trusted-ca-file", p("ca.pem"),
             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-cluster", f"t0=http://127.0.0.1:{peer}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        ctx = ssl.create_default_context(cafile=p("ca.pem"))
        ctx.load_cert_chain(p("n1.pem"), p("n1.key"))

        def answers():
            try:
                with urllib.request.urlopen(self.url + "/version", context=ctx, timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        if not wait_for(answers, 20):
            self.stop()
            raise AssertionError("etcd did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()


# One-second snapshot windows, so that pushed samples close windows within
# the test (60 s after their time: the aggregator's allowed lateness).
# One-second windows, and a forecast cycle every 2 s so that each owner
# stores forecasts of its metrics (the samples pushed are inside every
# metric's good band: `good_value`, so no warning and no playbook run
# interferes with the rewards counted below).
FAST_WINDOWS = ("aggregation:\n  snapshot_interval: 1s\n"
                "forecasting:\n  horizon: 1m\n  interval: 2s\n")


class Exporter(http.server.BaseHTTPRequestHandler):
    """A Prometheus endpoint with one series per catalog metric, empty until
    `serving` is set."""
    serving = False

    def do_GET(self):
        body = "".join(f"grace_it_series_{i} {good_value(m)}\n"
                       for i, m in enumerate(catalog_metrics())) if Exporter.serving else ""
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def scrape_yaml(port):
    mappings = "".join(f"      - {{series: grace_it_series_{i}, metric: {m}}}\n"
                       for i, m in enumerate(catalog_metrics()))
    return (f"scrape_targets:\n  - name: it\n    url: http://127.0.0.1:{port}/metrics\n"
            f"    interval: 1s\n    mappings:\n{mappings}")


def cluster_node(node_id, etcd, certs, cert=None, extra_yaml="", catalog=None):
    cert = cert or node_id
    cluster_port = free_port()
    node = Node(extra_yaml=extra_yaml, catalog=catalog, args=["--node-id", node_id, "--cluster-etcd", etcd.url,
                      "--cluster-listen", f"127.0.0.1:{cluster_port}",
                      "--cluster-cert", os.path.join(certs, f"{cert}.pem"),
                      "--cluster-key", os.path.join(certs, f"{cert}.key"),
                      "--cluster-ca", os.path.join(certs, "ca.pem"),
                      "--cluster-name", "it"])
    node.cluster_port = cluster_port
    return node


def tls_to_transport(port, certs, cert):
    """Opens TLS to a node's cluster transport with `cert` (None: no client
    certificate) and reads its first bytes: the bytes, or the TLS error."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    if cert:
        ctx.load_cert_chain(os.path.join(certs, f"{cert}.pem"), os.path.join(certs, f"{cert}.key"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with ctx.wrap_socket(raw) as tls:
                tls.settimeout(3)
                tls.sendall(b"\0" * 8)
                return tls.recv(16)
        except (ssl.SSLError, ConnectionResetError) as e:
            return str(e)


def catalog_contexts():
    """Every (service, diagnosis) context the catalog allows."""
    with open(os.path.join(grace_node.SOURCE, "config", "metrics_catalog.yaml")) as f:
        metrics = yaml.safe_load(f)["metrics"]
    return [(m["service"], m["id"] + sudden) for m in metrics for sudden in ("", ":sudden")]


def recommend(node, service, diagnosis):
    query = urllib.parse.urlencode({"service": service, "diagnosis": diagnosis})
    status, body = request(node.port, "GET", "/api/ml/causal-rl/recommend?" + query,
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return body


def reward(node, event_id, value):
    return request(node.port, "POST", "/api/ml/causal-rl/reward",
                   body=json.dumps({"event_id": event_id, "reward": value}).encode(),
                   headers={"Content-Type": "application/json",
                            "Authorization": f"Bearer {TOKEN}"})


def fnv1a64(data):
    h = 14695981039346656037
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def mix64(x):
    m = 0xFFFFFFFFFFFFFFFF
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def shard_of_metric(metric_id):
    """actors/cluster/shard_map.cpp, spelled out again."""
    return mix64(fnv1a64(b"metric:" + metric_id.encode())) % SHARDS


def preferred_owner(shard, members):
    """Rendezvous hashing as actors/cluster/shard_map.cpp does it."""
    return min(members, key=lambda m: (-mix64(fnv1a64(m.encode()) ^ mix64(shard)), m))


def catalog_metrics():
    with open(os.path.join(grace_node.SOURCE, "config", "metrics_catalog.yaml")) as f:
        return [m["id"] for m in yaml.safe_load(f)["metrics"]]


@functools.lru_cache(maxsize=None)
def catalog_entries():
    with open(os.path.join(grace_node.SOURCE, "config", "metrics_catalog.yaml")) as f:
        return {m["id"]: m for m in yaml.safe_load(f)["metrics"]}


def good_value(metric_id):
    """A value well inside the metric's good band (no warning when forecast)."""
    return 100.0 if catalog_entries()[metric_id]["direction"] == "lower_is_worse" else 1.0


def forecast_metrics():
    """The catalog metrics the scheduler forecasts."""
    return [m for m, entry in catalog_entries().items() if entry["forecast"]]


def stored_snapshots(node, metric_id):
    """The snapshots this node holds itself (`local=true`: not routed to the owner)."""
    status, body = request(node.port, "GET",
                           f"/api/metrics/{metric_id}/snapshots?limit=1000&local=true")
    assert status == 200, body
    return body["snapshots"]


def routed_snapshots(node, metric_id):
    """A metric's snapshots asked through `node`: read from its owner's storage."""
    status, body = request(node.port, "GET", f"/api/metrics/{metric_id}/snapshots?limit=1000")
    assert status == 200, body
    return body


def push(node, samples):
    return request(node.port, "POST", "/api/metrics", body=json.dumps(samples).encode(),
                   headers={"Content-Type": "application/json",
                            "Authorization": f"Bearer {TOKEN}"})


def predict(node, metric_ids):
    return request(node.port, "POST", "/api/ml/forecaster/predict",
                   body=json.dumps({"metric_ids": metric_ids, "horizon_minutes": 1}).encode(),
                   headers={"Content-Type": "application/json",
                            "Authorization": f"Bearer {TOKEN}"})


def accepted_samples(node):
    status, body = request(node.port, "GET", "/api/status")
    assert status == 200, body
    return body["samples"]["accepted"]


def shard_of(event_id):
    return int(event_id.rsplit("-s", 1)[1])


def updates_by_context(node):
    status, body = request(node.port, "GET", "/api/ml/causal-rl/policies")
    assert status == 200, body
    return {(p["service"], p["diagnosis"]): p["updates"] for p in body["policies"]}


def rl_statistics(node):
    status, body = request(node.port, "GET", "/api/ml/causal-rl/statistics")
    assert status == 200, body
    return body


def view(node):
    status, body = request(node.port, "GET", "/api/cluster")
    assert status == 200, body
    return body


def settled(node, expected_members):
    """The node's view once it lists exactly `expected_members` and every
    shard is owned by one of them; None before."""
    v = view(node)
    ids = sorted(m["id"] for m in v["members"])
    owners = {s["owner"] for s in v["shards"]}
    if ids == sorted(expected_members) and owners <= set(expected_members) and None not in owners:
        return v
    return None


def balanced(nodes):
    """Every node's view once each serves exactly what etcd says it owns, every
    shard has an owner and every node owns some shards; None before (a node
    answers while its claims and releases are under way)."""
    now = {n: view(node) for n, node in nodes.items()}
    for n in now:
        if any(s["owner"] is None for s in now[n]["shards"]):
            return None
        owned = sorted(s["shard"] for s in now[n]["shards"] if s["owner"] == n)
        if not owned or sorted(now[n]["serving"]) != owned:
            return None
        if sorted(m["id"] for m in now[n]["members"]) != sorted(nodes):
            return None
    return now


@unittest.skipUnless(shutil.which("etcd"), "Debian's etcd-server is not installed")
class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory(prefix="grace-certs-")
        d = cls.certs.name
        make_ca("ca", d)
        make_ca("other-ca", d)
        for name in ("server", "n1", "n2", "n3", "n4"):
            make_cert(name, "ca", d)
        make_cert("intruder", "other-ca", d)
        cls.etcd = Etcd(d)
        cls.nodes = {}
        # n1 scrapes every catalog metric (once test_5 turns the series on).
        cls.exporter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
        threading.Thread(target=cls.exporter.serve_forever, daemon=True).start()
        try:
            for node_id in ("n1", "n2", "n3"):
                scrape = scrape_yaml(cls.exporter.server_address[1]) if node_id == "n1" else ""
                cls.nodes[node_id] = cluster_node(node_id, cls.etcd, d,
                                                  extra_yaml=FAST_WINDOWS + scrape).start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes.values():
            node.stop()
        cls.exporter.shutdown()
        cls.etcd.stop()
        cls.certs.cleanup()

    def test_1_every_node_lists_every_member_and_each_shard_is_served_once(self):
        members = ["n1", "n2", "n3"]
        views = {}
        for node_id, node in self.nodes.items():
            views[node_id] = wait_for(lambda: settled(node, members), 20)
            self.assertIsNotNone(views[node_id], f"{node_id}: {view(node)}")
        for node_id, v in views.items():
            self.assertEqual(v["node_id"], node_id)
            self.assertEqual(v["cluster"], "it")
            self.assertTrue(v["joined"])
            by_id = {m["id"]: m for m in v["members"]}
            self.assertEqual(by_id[node_id]["http"], f"http://127.0.0.1:{self.nodes[node_id].port}")
        now = wait_for(lambda: balanced(self.nodes), 15)
        self.assertIsNotNone(now)
        all_served = sorted(s for v in now.values() for s in v["serving"])
        self.assertEqual(all_served, list(range(SHARDS)))
        for s in now["n1"]["shards"]:
            self.assertGreater(s["fencing_token"], 0)
        for n in self.nodes:
            self.assertGreater(len(now[n]["serving"]), 5, f"{n} owns too few shards")
        # Every pair greeted each other over the mutual-TLS transport.
        for n, node in self.nodes.items():
            others = sorted(set(self.nodes) - {n})
            self.assertTrue(wait_for(lambda: view(node)["peers"] == others, 15), view(node))
            self.assertTrue(node.wait_for_log("listening for peers on", 1))

    def test_1_pushed_samples_are_ingested_by_their_metrics_owner(self):
        now = wait_for(lambda: balanced(self.nodes), 20)
        self.assertIsNotNone(now)
        for n, node in self.nodes.items():
            others = sorted(set(self.nodes) - {n})
            self.assertTrue(wait_for(lambda: view(node)["peers"] == others, 15), view(node))
        owner_of = {s["shard"]: s["owner"] for s in now["n1"]["shards"]}
        metric_ids = catalog_metrics()
        expected = {n: 0 for n in self.nodes}
        for metric_id in metric_ids:
            expected[owner_of[shard_of_metric(metric_id)]] += 1
        self.assertGreater(expected["n2"] + expected["n3"], 0, expected)
        before = {n: accepted_samples(node) for n, node in self.nodes.items()}
        ts = int(time.time() * 1000)
        samples = [{"metric": m, "value": good_value(m), "ts": ts} for m in metric_ids]
        status, body = request(self.nodes["n1"].port, "POST", "/api/metrics",
                               body=json.dumps(samples).encode(),
                               headers={"Content-Type": "application/json",
                                        "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["accepted"], body["rejected"]), (len(metric_ids), []), body)
        # Acknowledged once each owner's ingest wrote them to its sample log.
        after = {n: accepted_samples(node) for n, node in self.nodes.items()}
        self.assertEqual({n: after[n] - before[n] for n in self.nodes}, expected)

    def test_1_reads_are_answered_by_the_owner_and_reports_merged(self):
        now = wait_for(lambda: balanced(self.nodes), 20)
        self.assertIsNotNone(now)
        for n, node in self.nodes.items():
            others = sorted(set(self.nodes) - {n})
            self.assertTrue(wait_for(lambda: view(node)["peers"] == others, 15), view(node))
        owner_of = {s["shard"]: s["owner"] for s in now["n1"]["shards"]}
        metric_ids = catalog_metrics()
        owners = {m: owner_of[shard_of_metric(m)] for m in metric_ids}
        self.assertEqual(sorted(set(owners.values())), ["n1", "n2", "n3"], owners)
        n1, n2 = self.nodes["n1"], self.nodes["n2"]
        # Six one-second windows of every catalog metric, pushed through n1
        # (a minute old, as in test_4: such windows are closed within seconds).
        # One request per metric: the test nodes take bodies of 4 KiB at most.
        now_ms = int(time.time() * 1000)
        for m in metric_ids:
            status, body = push(n1, [{"metric": m, "value": good_value(m),
                                      "ts": now_ms - 58000 + 1000 * k} for k in range(6)])
            self.assertEqual((status, body.get("rejected")), (200, []), body)
        # A metric's snapshots asked through a node that does not own it are
        # read from its owner's storage, which names itself.
        for m in metric_ids:
            via = n2 if owners[m] != "n2" else n1
            held = wait_for(lambda: len(stored_snapshots(self.nodes[owners[m]], m)) >= 5, 20)
            self.assertTrue(held, (m, owners[m]))
            body = routed_snapshots(via, m)
            self.assertEqual(body["answered_by"], owners[m], (m, body))
            self.assertEqual(body["metric_id"], m)
            self.assertGreaterEqual(len(body["snapshots"]), 5, (m, body))
            self.assertEqual({r["metric_id"] for r in body["snapshots"]}, {m})
        # The owners forecast their metrics (every 2 s) and store them: the
        # latest forecasts asked of any node list the metrics of every owner.
        forecast = sorted(forecast_metrics())
        self.assertEqual(sorted({owners[m] for m in forecast}), ["n1", "n2", "n3"],
                         {m: owners[m] for m in forecast})

        def every_metric_forecast():
            status, body = request(n2.port, "GET", "/api/forecasts/latest")
            listed = sorted(f["metric_id"] for f in body.get("forecasts", []))
            return body if status == 200 and listed == forecast else None
        latest = wait_for(every_metric_forecast, 20)
        self.assertIsNotNone(latest, request(n2.port, "GET", "/api/forecasts/latest"))
        self.assertEqual((latest["answered_by"], latest["unanswered"]),
                         (["n1", "n2", "n3"], []), latest)
        # The other merged views answer from any node with every member.
        for node in (n1, n2):
            status, accuracy = request(node.port, "GET", "/api/ml/dashboard/forecast-accuracy")
            self.assertEqual((status, accuracy["answered_by"], accuracy["unanswered"]),
                             (200, ["n1", "n2", "n3"], []), accuracy)
            self.assertIn("7d", accuracy["windows"], accuracy)
        for path in ("/api/ml/dashboard/learning-progress", "/api/ml/dashboard/training-history",
                     "/api/playbooks/executions", "/api/ml/causal-rl/evaluation"):
            status, body = request(n1.port, "GET", path)
            self.assertEqual((status, body.get("answered_by"), body.get("unanswered")),
                             (200, ["n1", "n2", "n3"], []), (path, body))
        status, evaluation = request(n1.port, "GET", "/api/ml/causal-rl/evaluation")
        self.assertEqual(sorted(m["node"] for m in evaluation["members"]), ["n1", "n2", "n3"])
        status, refused = request(n1.port, "GET",
                                  f"/api/metrics/{metric_ids[0]}/snapshots?local=maybe")
        self.assertEqual(status, 400, refused)

    def test_1_the_kill_switch_and_approvals_reach_every_member(self):
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        nodes = {n: self.nodes[n] for n in ("n1", "n2", "n3")}
        # An approval is asked of every member: an id none holds is a 404.
        status, body = request(nodes["n1"].port, "POST",
                               "/api/playbooks/executions/ex-n9-1-60/approve", headers=auth)
        self.assertEqual(status, 404, body)
        self.assertIn("no member holds an execution 'ex-n9-1-60'", body["error"])
        # Every run listed names the member holding it.
        status, body = request(nodes["n1"].port, "GET", "/api/playbooks/executions")
        self.assertEqual(status, 200, body)
        for run in body["executions"]:
            self.assertIn(run["node"], nodes, run)
            self.assertTrue(run["id"].startswith("ex-" + run["node"] + "-"), run)

        def switch(node):
            status, body = request(node.port, "GET", "/api/playbooks")
            return body["governance"]["kill_switch"] if status == 200 else None

        # Set through n2: acknowledged once in etcd and applied at n2; every
        # member applies it when its watch sees the key.
        status, body = request(nodes["n2"].port, "POST", "/api/playbooks/kill-switch",
                               body=json.dumps({"engaged": True,
                                                "reason": "change freeze"}).encode(),
                               headers=auth)
        self.assertEqual(status, 200, body)
        self.assertTrue(body["kill_switch"]["engaged"], body)
        for n, node in nodes.items():
            engaged = wait_for(lambda: (switch(node) or {}).get("engaged")
                               and "set through n2" in switch(node)["reason"], 10)
            self.assertTrue(engaged, (n, switch(node)))
            self.assertIn("change freeze", switch(node)["reason"])
        status, body = request(nodes["n3"].port, "POST", "/api/playbooks/kill-switch",
                               body=json.dumps({"engaged": False,
                                                "reason": "freeze over"}).encode(),
                               headers=auth)
        self.assertEqual(status, 200, body)
        for n, node in nodes.items():
            released = wait_for(lambda: switch(node) is not None
                                and not switch(node)["engaged"], 10)
            self.assertTrue(released, (n, switch(node)))
            self.assertIn("set through n3", switch(node)["reason"])

    def test_2_the_transport_admits_only_cluster_certificates(self):
        port = self.nodes["n2"].cluster_port
        # TLS 1.3: the server's verdict on the client certificate arrives as
        # an alert after the client's side of the handshake; under load the
        # close can overtake the alert (the server drops our unread bytes).
        # Either way not one byte of CAF's handshake comes back.
        for cert, alert in ((None, "CERTIFICATE_REQUIRED"), ("intruder", "UNKNOWN_CA")):
            refused = tls_to_transport(port, self.certs.name, cert)
            self.assertIsInstance(refused, str, cert)
            self.assertTrue(any(why in refused for why in (alert, "EOF occurred", "reset")),
                            (cert, refused))
        answer = tls_to_transport(port, self.certs.name, "n1")
        self.assertIsInstance(answer, bytes)  # CAF's handshake begins
        self.assertGreater(len(answer), 0)

    def test_2_a_certificate_from_another_ca_cannot_join(self):
        intruder = cluster_node("intruder", self.etcd, self.certs.name, cert="intruder").start()
        try:
            self.assertTrue(intruder.wait_for_log("cannot join the cluster", 15), intruder.output())
            self.assertIn("is it from the cluster CA?", intruder.output())
            v = view(intruder)
            self.assertFalse(v["joined"])
            self.assertEqual(v["serving"], [])
            self.assertEqual(v["peers"], [])
            for node in self.nodes.values():
                self.assertNotIn("intruder", [m["id"] for m in view(node)["members"]])
                self.assertNotIn("intruder", {s["owner"] for s in view(node)["shards"]})
        finally:
            intruder.stop()

    def test_3_a_frozen_etcd_stops_serving_and_the_node_comes_back(self):
        node = self.nodes["n1"]
        self.etcd.proc.send_signal(signal.SIGSTOP)
        try:
            # Within a lease TTL of the last keepalive answered, by itself.
            # (The cluster actor waits on etcd's timeouts meanwhile: a view
            # may time out, docs/cluster.md "not built".)
            def stopped_serving():
                status, body = request(node.port, "GET", "/api/cluster")
                return status == 200 and body["serving"] == []
            stopped = wait_for(stopped_serving, 15)
        finally:
            self.etcd.proc.send_signal(signal.SIGCONT)
        self.assertTrue(stopped, view(node))
        self.assertFalse(view(node)["joined"])
        self.assertTrue(node.wait_for_log("stopped serving every shard", 5))
        # New leases; the claims under the old ones expire with them.
        self.assertIsNotNone(wait_for(lambda: balanced(self.nodes), 30),
                             {n: view(x) for n, x in self.nodes.items()})

    def test_4_after_kill_9_the_survivors_own_every_shard_and_every_reward(self):
        victim = self.nodes["n3"]

        def settled_with_n3_owning():
            now = balanced(self.nodes)
            if now and any(s["owner"] == "n3" for s in now["n1"]["shards"]):
                return now["n1"]
            return None
        before = wait_for(settled_with_n3_owning, 20)
        self.assertIsNotNone(before, {n: view(x) for n, x in self.nodes.items()})
        # Every pair greets again after the rejoins of the frozen-etcd test.
        for n, node in self.nodes.items():
            others = sorted(set(self.nodes) - {n})
            self.assertTrue(wait_for(lambda: view(node)["peers"] == others, 15), view(node))
        victims_shards = [s["shard"] for s in before["shards"] if s["owner"] == "n3"]
        n1, n2 = self.nodes["n1"], self.nodes["n2"]
        # Samples of n3's metrics, pushed through n1, close windows at n3,
        # which hands the snapshots over to each shard's next owner.
        n3_metrics = [m for m in catalog_metrics() if shard_of_metric(m) in victims_shards]
        self.assertTrue(n3_metrics, victims_shards)
        next_owner = {m: preferred_owner(shard_of_metric(m), ["n1", "n2"]) for m in n3_metrics}
        now_ms = int(time.time() * 1000)
        samples = [{"metric": m, "value": good_value(m) + 0.1 * k,
                    "ts": now_ms - 58000 + 1000 * k}
                   for m in n3_metrics for k in range(6)]
        status, body = request(n1.port, "POST", "/api/metrics", body=json.dumps(samples).encode(),
                               headers={"Content-Type": "application/json",
                                        "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual((status, body["rejected"]), (200, []), body)
        for m in n3_metrics:
            held = wait_for(lambda: len(stored_snapshots(victim, m)) >= 5, 20)
            self.assertTrue(held, (m, stored_snapshots(victim, m)))
            nxt = self.nodes[next_owner[m]]
            handed = wait_for(lambda: len(stored_snapshots(nxt, m))
                              >= len(stored_snapshots(victim, m)), 10)
            self.assertTrue(handed, (m, next_owner[m], stored_snapshots(nxt, m)))
        # Not to the node that is not the next owner. It may hold older
        # windows of the metric: while test_3's rejoins left two members, it
        # was n3's next owner and got test_1's windows; these are newer.
        for m in n3_metrics:
            other = self.nodes["n2" if next_owner[m] == "n1" else "n1"]
            pushed_here = [s for s in stored_snapshots(other, m)
                           if (s["window_start"] if isinstance(s["window_start"], int)
                               else unix_ms(s["window_start"])) >= now_ms - 59000]
            self.assertEqual(pushed_here, [], m)
        # Recommended through n1, rewarded through n2: the contexts n3 owns.
        owned_by_n3 = []
        for service, diagnosis in catalog_contexts():
            rec = recommend(n1, service, diagnosis)
            if shard_of(rec["event_id"]) in victims_shards:
                owned_by_n3.append((service, diagnosis, rec["event_id"]))
        self.assertGreaterEqual(len(owned_by_n3), 2, victims_shards)
        for service, diagnosis, event_id in owned_by_n3:
            status, body = reward(n2, event_id, 1.0)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["experience"]["service"], service)
        # Folded into the shards' snapshots in etcd (rewards older than 5 s)...
        self.assertTrue(victim.wait_for_log("folded", 15), victim.output())
        status, again = reward(n1, owned_by_n3[0][2], 1.0)
        self.assertEqual(status, 409, again)
        # ... and one more each, only in the log when n3 dies.
        for service, diagnosis, _ in owned_by_n3:
            event_id = recommend(n2, service, diagnosis)["event_id"]
            status, body = reward(n1, event_id, 1.0)
            self.assertEqual(status, 200, body)
        # Cluster-wide statistics: every member's share, merged by the node asked.
        merged = rl_statistics(n2)
        self.assertEqual((merged["answered_by"], merged["unanswered"]), (["n1", "n2", "n3"], []),
                         merged)
        self.assertGreaterEqual(merged["experiences"], 2 * len(owned_by_n3), merged)
        status, warnings = request(n2.port, "GET", "/api/predictions/warnings")
        self.assertEqual((status, warnings["answered_by"], warnings["unanswered"]),
                         (200, ["n1", "n2", "n3"], []), warnings)
        # The dashboard overview merges every member's too (learning over the
        # shards each serves: the statistics' experiences).
        status, overview = request(n1.port, "GET", "/api/ml/dashboard/overview")
        self.assertEqual((status, overview["answered_by"], overview["unanswered"]),
                         (200, ["n1", "n2", "n3"], []), overview)
        self.assertGreaterEqual(overview["learning"]["experiences"], 2 * len(owned_by_n3),
                                overview)
        status, health = request(n1.port, "GET", "/api/ml/dashboard/health-report")
        self.assertEqual((status, health["answered_by"]), (200, ["n1", "n2", "n3"]), health)
        status, runs = request(n1.port, "GET", "/api/ml/dashboard/playbook-performance")
        self.assertEqual((status, runs["answered_by"]), (200, ["n1", "n2", "n3"]), runs)
        killed_at = time.time()
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        # Still a member in etcd, but its peers lost the link: named, not waited for.
        # (CAF may drop n1-n2 for a moment too when it routed them through n3.)
        def n3_unanswered():
            b = rl_statistics(n1)
            return b if any(u.startswith("n3: ") for u in b["unanswered"]) else None
        partial = wait_for(n3_unanswered, 5)
        self.assertIsNotNone(partial)
        self.assertIn("n1", partial["answered_by"], partial)
        self.assertNotIn("n3", partial["answered_by"], partial)
        survivors = [self.nodes["n1"], self.nodes["n2"]]
        for node in survivors:
            two = wait_for(lambda: sorted(m["id"] for m in view(node)["members"]) == ["n1", "n2"],
                           15 - (time.time() - killed_at))
            self.assertTrue(two, view(node))
        for node in survivors:
            self.assertIsNotNone(wait_for(lambda: settled(node, ["n1", "n2"]), 10), view(node))
        served_again = time.time() - killed_at
        for node in survivors:
            others = ["n2"] if node is self.nodes["n1"] else ["n1"]
            self.assertTrue(wait_for(lambda: view(node)["peers"] == others, 10), view(node))
        after = view(self.nodes["n1"])
        for s in victims_shards:
            self.assertIn(after["shards"][s]["owner"], ("n1", "n2"))
            # A new claim: a later revision than the dead owner's.
            self.assertGreater(after["shards"][s]["fencing_token"],
                               before["shards"][s]["fencing_token"])
        # The new owners restored snapshot and log: both rewards of every
        # context, in the cluster-wide policies any survivor lists.
        contexts = [(service, diagnosis) for service, diagnosis, _ in owned_by_n3]
        counted = wait_for(
            lambda: all(updates_by_context(n2).get(c) == 2 for c in contexts), 10)
        self.assertTrue(counted, updates_by_context(n2))
        status, merged_policies = request(n2.port, "GET", "/api/ml/causal-rl/policies")
        self.assertEqual((status, merged_policies["answered_by"]), (200, ["n1", "n2"]))
        # ... and the cluster-wide statistics count them all again, through either survivor.
        after_kill = rl_statistics(n1)
        self.assertEqual((after_kill["answered_by"], after_kill["unanswered"]), (["n1", "n2"], []),
                         after_kill)
        self.assertGreaterEqual(after_kill["experiences"], merged["experiences"], after_kill)
        restored = "".join(node.output() for node in survivors)
        self.assertIn("restored from etcd: its snapshot", restored)
        # The new owner of each of n3's metrics is its next owner, which holds
        # the handed-over history: a forecast asked through the other survivor
        # is answered by it at once.
        for m in n3_metrics:
            self.assertEqual(after["shards"][shard_of_metric(m)]["owner"], next_owner[m], m)
        status, forecasts = predict(n1, n3_metrics)
        self.assertEqual(status, 200, forecasts)
        self.assertEqual(sorted(f["metric_id"] for f in forecasts["forecasts"]),
                         sorted(n3_metrics), forecasts)
        self.assertEqual(forecasts["answered_by"], sorted(set(next_owner.values())), forecasts)
        self.assertEqual(forecasts["unanswered"], [], forecasts)
        status, warnings = request(n2.port, "GET", "/api/predictions/warnings")
        self.assertEqual((status, warnings["answered_by"]), (200, ["n1", "n2"]), warnings)
        print(f"\nshards of the killed node owned again {served_again:.1f} s after SIGKILL; "
              f"{2 * len(owned_by_n3)} acknowledged rewards of {len(owned_by_n3)} contexts "
              f"counted by the new owners; {len(n3_metrics)} of its metrics forecast by their "
              f"next owners from the snapshots handed over", file=sys.stderr)

    def test_5_samples_a_node_scrapes_go_to_their_metrics_owner(self):
        n1, n2 = self.nodes["n1"], self.nodes["n2"]
        now = wait_for(lambda: settled(n1, ["n1", "n2"]), 20)
        self.assertIsNotNone(now)
        owner_of = {s["shard"]: s["owner"] for s in now["shards"]}
        owned_by_n2 = [m for m in catalog_metrics() if owner_of[shard_of_metric(m)] == "n2"]
        owned_by_n1 = [m for m in catalog_metrics() if owner_of[shard_of_metric(m)] == "n1"]
        self.assertTrue(owned_by_n2 and owned_by_n1, owner_of)
        before = {n: accepted_samples(node) for n, node in (("n1", n1), ("n2", n2))}
        Exporter.serving = True
        try:
            # Every scrape of n1 (one a second) sends n2 its metrics' samples.
            routed = wait_for(lambda: accepted_samples(n2) - before["n2"]
                              >= 2 * len(owned_by_n2), 15)
        finally:
            Exporter.serving = False
        self.assertTrue(routed, (accepted_samples(n2) - before["n2"], owned_by_n2))
        # Once the last scrape has landed: each scrape gave each owner exactly
        # its own metrics' samples.
        time.sleep(2)
        taken = {"n1": accepted_samples(n1) - before["n1"],
                 "n2": accepted_samples(n2) - before["n2"]}
        owned = {"n1": len(owned_by_n1), "n2": len(owned_by_n2)}
        for n in taken:
            self.assertEqual(taken[n] % owned[n], 0, (taken, owned))
        self.assertEqual(taken["n1"] // owned["n1"], taken["n2"] // owned["n2"], (taken, owned))


    def test_6_a_new_member_takes_shards_from_live_owners_with_their_history(self):
        n1, n2 = self.nodes["n1"], self.nodes["n2"]
        now = wait_for(lambda: settled(n1, ["n1", "n2"]), 20)
        self.assertIsNotNone(now)
        for n, node in (("n1", n1), ("n2", n2)):
            other = ["n2"] if n == "n1" else ["n1"]
            self.assertTrue(wait_for(lambda: view(node)["peers"] == other, 15), view(node))
        # The catalog metrics n4 will win from the owner serving them now.
        owner_of = {s["shard"]: s["owner"] for s in now["shards"]}
        moving = [m for m in catalog_metrics()
                  if preferred_owner(shard_of_metric(m), ["n1", "n2", "n4"]) == "n4"]
        self.assertTrue(moving, "no catalog metric moves to n4")
        old_owner = {m: owner_of[shard_of_metric(m)] for m in moving}
        # Their history at the live owners: six windows each, pushed through
        # n1 just inside the aggregators' 60 s lateness, so that they close
        # within seconds.
        now_ms = int(time.time() * 1000)
        samples = [{"metric": m, "value": 2.0 + 0.1 * k, "ts": now_ms - 58000 + 1000 * k}
                   for m in moving for k in range(6)]
        status, body = request(n1.port, "POST", "/api/metrics", body=json.dumps(samples).encode(),
                               headers={"Content-Type": "application/json",
                                        "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual((status, body["rejected"]), (200, []), body)
        for m in moving:
            held = wait_for(lambda: len(stored_snapshots(self.nodes[old_owner[m]], m)) >= 5, 20)
            self.assertTrue(held, (m, old_owner[m], stored_snapshots(self.nodes[old_owner[m]], m)))
        before = {m: len(stored_snapshots(self.nodes[old_owner[m]], m)) for m in moving}
        # A kill switch set before n4 exists is applied by n4 when it joins.
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        status, body = request(n1.port, "POST", "/api/playbooks/kill-switch",
                               body=json.dumps({"engaged": True, "reason": "n4 joins"}).encode(),
                               headers=auth)
        self.assertEqual(status, 200, body)
        # n4 joins: rendezvous hashing gives it the shards of `moving` (and
        # others) from their live owners, which hand the history over first.
        n4 = cluster_node("n4", self.etcd, self.certs.name, extra_yaml=FAST_WINDOWS).start()
        self.nodes["n4"] = n4
        members = ["n1", "n2", "n4"]
        live = {n: self.nodes[n] for n in members}
        now = wait_for(lambda: balanced(live), 30)
        self.assertIsNotNone(now, {n: view(x) for n, x in live.items()})
        for m in moving:
            self.assertEqual(now["n1"]["shards"][shard_of_metric(m)]["owner"], "n4", m)
            # n4 holds at least every window the old owner had when it joined.
            self.assertGreaterEqual(len(stored_snapshots(n4, m)), before[m], m)
        status, body = request(n4.port, "GET", "/api/playbooks")
        self.assertTrue(wait_for(lambda: request(n4.port, "GET", "/api/playbooks")[1]
                                 ["governance"]["kill_switch"]["engaged"], 10), body)
        self.assertIn("set through n1", request(n4.port, "GET", "/api/playbooks")[1]
                      ["governance"]["kill_switch"]["reason"])
        status, body = request(n1.port, "POST", "/api/playbooks/kill-switch",
                               body=json.dumps({"engaged": False, "reason": "joined"}).encode(),
                               headers=auth)
        self.assertEqual(status, 200, body)
        handed = "".join(self.nodes[n].output() for n in set(old_owner.values()))
        self.assertIn("handing shard", handed)
        self.assertNotIn("released to n4 without its history", handed)
        # A forecast of each, asked through n1, is answered by n4 from that history.
        status, forecasts = predict(n1, moving)
        self.assertEqual(status, 200, forecasts)
        self.assertEqual(sorted(f["metric_id"] for f in forecasts["forecasts"]), sorted(moving),
                         forecasts)
        for f in forecasts["forecasts"]:
            self.assertTrue(f["points"], f)
        self.assertEqual((forecasts["answered_by"], forecasts["unanswered"]), (["n4"], []),
                         forecasts)


@unittest.skipUnless(shutil.which("prometheus") and shutil.which("promtool"),
                     "Debian's prometheus (with promtool) is not installed")
class ClusterPromqlTest(unittest.TestCase):
    """PromQL in a cluster: both nodes share one configuration (one Prometheus,
    the same catalog); each reads only the metrics of the shards it serves, so
    the metric is polled and its week of history backfilled once, by its
    owner, and read through the other node from the owner."""

    def test_each_metric_is_read_and_backfilled_by_its_owner(self):
        import promql_source_test as promql
        metric = "shop.latency_p95"
        owner = preferred_owner(shard_of_metric(metric), ["n1", "n2"])
        other = "n2" if owner == "n1" else "n1"
        with tempfile.TemporaryDirectory(prefix="grace-cluster-promql-") as d:
            make_ca("ca", d)
            for name in ("server", "n1", "n2"):
                make_cert(name, "ca", d)
            source = os.path.join(d, "history.om")
            with open(source, "w") as f:
                f.write(promql.history(int(time.time())))
            tsdb = os.path.join(d, "tsdb")
            subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                            "--max-block-duration=168h", source, tsdb],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            prom_port = free_port()
            with open(os.path.join(d, "prometheus.yml"), "w") as f:
                f.write("global:\n  scrape_interval: 1m\n")
            prom_log = open(os.path.join(d, "prometheus.log"), "w+")
            prom = subprocess.Popen(
                ["prometheus", f"--config.file={os.path.join(d, 'prometheus.yml')}",
                 f"--storage.tsdb.path={tsdb}", "--storage.tsdb.retention.time=30d",
                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                stdout=prom_log, stderr=subprocess.STDOUT)
            catalog = os.path.join(d, "catalog.yaml")
            with open(catalog, "w") as f:
                f.write(promql.CATALOG)
            etcd = Etcd(d)
            nodes = {}
            try:
                for n in (other, owner):
                    nodes[n] = cluster_node(
                        n, etcd, d, catalog=catalog,
                        extra_yaml=f"prometheus:\n  url: http://127.0.0.1:{prom_port}\n").start()
                self.assertIsNotNone(wait_for(lambda: balanced(nodes), 30),
                                     {n: view(x) for n, x in nodes.items()})

                def promql_metrics(node):
                    status, body = request(node.port, "GET", "/api/status")
                    return {m["metric"]: m for m in (body.get("promql") or {}).get("metrics", [])}

                def backfilled():
                    m = promql_metrics(nodes[owner]).get(metric)
                    return m if m and m["backfill"]["done"] else None
                m = wait_for(backfilled, 90)
                self.assertIsNotNone(m, nodes[owner].output()[-3000:])
                self.assertGreaterEqual(m["backfill"]["snapshots"], 1500, m)
                self.assertGreaterEqual(len(stored_snapshots(nodes[owner], metric)), 1000)
                # The other node reads none of the owner's metrics (it holds
                # their windows only as the shard's next owner, handed over)
                # and answers a read of them from the owner.
                self.assertNotIn(metric, promql_metrics(nodes[other]))
                body = routed_snapshots(nodes[other], metric)
                self.assertEqual(body["answered_by"], owner, body.get("answered_by"))
                self.assertGreaterEqual(len(body["snapshots"]), 1000)
                # Between them the two nodes read every PromQL metric once.
                read = list(promql_metrics(nodes[owner])) + list(promql_metrics(nodes[other]))
                self.assertEqual(sorted(read), ["shop.error_rate", "shop.latency_p95"], read)
            finally:
                for node in nodes.values():
                    node.stop()
                etcd.stop()
                prom.terminate()
                prom.wait(timeout=10)
                prom_log.close()


class ClusterConfigTest(unittest.TestCase):
    def test_a_cluster_node_without_certificates_does_not_start(self):
        node = Node(args=["--node-id", "n1", "--cluster-etcd", "https://127.0.0.1:1",
                          "--cluster-listen", "127.0.0.1:7000"])
        try:
            node.start(wait_ready=False)
            self.assertEqual(node.proc.wait(timeout=10), 2)
            out = node.output()
            self.assertIn("cannot start a cluster node", out)
            self.assertIn("cluster.cert (--cluster-cert) is required", out)
            self.assertIn("cluster.ca (--cluster-ca) is required", out)
        finally:
            node.stop()

    def refused_start(self, node_id, cert, extra_args=()):
        """What a cluster node with `cert` (from a fresh CA) prints when it
        refuses to start (exit code 2)."""
        with tempfile.TemporaryDirectory(prefix="grace-certs-") as d:
            make_ca("ca", d)
            make_cert(cert, "ca", d)
            node = Node(args=list(extra_args) + [
                "--node-id", node_id, "--cluster-etcd", "https://127.0.0.1:1",
                "--cluster-listen", "127.0.0.1:7000",
                "--cluster-cert", os.path.join(d, f"{cert}.pem"),
                "--cluster-key", os.path.join(d, f"{cert}.key"),
                "--cluster-ca", os.path.join(d, "ca.pem")])
            try:
                node.start(wait_ready=False)
                self.assertEqual(node.proc.wait(timeout=10), 2)
                return node.output()
            finally:
                node.stop()

    def test_a_node_id_that_its_certificate_does_not_name_does_not_start(self):
        out = self.refused_start("n1", cert="n2")
        self.assertIn("cluster.node_id 'n1' is not a name of the certificate", out)
        self.assertIn("(it names 'n2')", out)

    def test_etcd_over_plain_http_is_refused(self):
        node = Node(args=["--node-id", "n1", "--cluster-etcd", "http://127.0.0.1:2379",
                          "--cluster-listen", "127.0.0.1:7000", "--cluster-cert", "c",
                          "--cluster-key", "k", "--cluster-ca", "a"])
        try:
            node.start(wait_ready=False)
            self.assertEqual(node.proc.wait(timeout=10), 2)
            self.assertIn("etcd is reached over TLS only", node.output())
        finally:
            node.stop()

    def test_a_cluster_node_needs_a_fixed_http_port(self):
        out = self.refused_start("n1", cert="n1", extra_args=["--http-port", "0"])
        self.assertIn("must be a fixed port in a cluster", out)

    def test_a_node_alone_says_so(self):
        node = Node().start()
        try:
            status, body = request(node.port, "GET", "/api/cluster")
            self.assertEqual(status, 404)
            self.assertIn("this node runs alone", body["error"])
        finally:
            node.stop()


if __name__ == "__main__":
    grace_node.main()
