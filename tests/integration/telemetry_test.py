#!/usr/bin/env python3
"""Integration tests of the telemetry path through the real binary: pushed and
simulated samples become snapshots in SQLite, served by the API and the event
stream, and kept across a restart.

Run by ctest as `telemetry_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import json
import os
import sys
import time
import unittest
import urllib.request

import grace_node
from grace_node import TOKEN, Node, request

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def push(node, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request(node.port, "POST", "/api/metrics", body=data,
                   headers=dict(AUTH, **{"Content-Type": content_type}))


def wait_for(predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


class PushTest(unittest.TestCase):
    """Pushed samples, at 600x virtual time (a 5-minute window closes in 0.5 s)."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(args=["--time-scale", "600"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_json_batch_with_rejections(self):
        status, body = push(self.node, [
            {"metric": "executor.queue_depth", "value": 120.5},
            {"metric": "no.such_metric", "value": 1},
            {"metric": "api.error_rate", "value": "12"},
            {"metric": "api.error_rate", "value": 0.5, "ts": 4102444800000},
            {"metric": "api.error_rate", "value": 0.7, "labels": {"pod": "a"}},
        ])
        self.assertEqual(status, 200, body)
        self.assertEqual(body["accepted"], 2)
        self.assertEqual(body["total"], 5)
        self.assertEqual([r["index"] for r in body["rejected"]], [1, 2, 3])
        self.assertIn("no.such_metric", body["rejected"][0]["reason"])

    def test_nothing_accepted_is_400(self):
        status, body = push(self.node, [{"metric": "no.such_metric", "value": 1}])
        self.assertEqual(status, 400)
        self.assertEqual(body["accepted"], 0)

    def test_malformed_body_is_rejected_whole(self):
        status, body = push(self.node, b'[{"metric": "api.latency_p95", "value": 1},')
        self.assertEqual(status, 400)
        self.assertIn("malformed body, nothing accepted", body["error"])
        status, _ = push(self.node, b"{}", content_type="application/xml")
        self.assertEqual(status, 415)

    def test_push_needs_the_token(self):
        status, _ = request(self.node.port, "POST", "/api/metrics", body=b"[]",
                            headers={"Content-Type": "application/json"})
        self.assertEqual(status, 401)

    def test_prometheus_text_and_snapshots(self):
        text = (b"# HELP grace_api_latency_p95_ms p95 latency\n"
                b"# TYPE grace_api_latency_p95_ms gauge\n"
                b"grace_api_latency_p95_ms 450\n"
                b"infra_cpu_utilization{host=\"a\"} 42\n"
                b"unknown_series 3\n")
        status, body = push(self.node, text, content_type="text/plain; version=0.0.4")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["accepted"], 2)
        self.assertEqual(len(body["rejected"]), 1)

        def latency_snapshot():
            status, body = request(self.node.port, "GET",
                                   "/api/metrics/api.latency_p95/snapshots?limit=10")
            self.assertEqual(status, 200)
            hits = [s for s in body["snapshots"] if s["max"] == 450]
            return hits[0] if hits else None

        snap = wait_for(latency_snapshot)
        self.assertIsNotNone(snap, "no snapshot with the pushed value:\n" + self.node.output())
        # Alone in its window: mean 450 ms, past the 400 ms warning threshold.
        self.assertEqual(snap["count"], 1, snap)
        self.assertEqual(snap["band"], "warning", snap)
        self.assertEqual(snap["window_end"] - snap["window_start"], 300000)

    def test_snapshot_query_validation(self):
        port = self.node.port
        self.assertEqual(request(port, "GET", "/api/metrics/no.such/snapshots")[0], 404)
        status, body = request(port, "GET", "/api/metrics/api.latency_p95/snapshots?limit=abc")
        self.assertEqual(status, 400)
        self.assertIn("'limit'", body["error"])
        status, _ = request(port, "GET", "/api/metrics/api.latency_p95/snapshots?since=10&until=5")
        self.assertEqual(status, 400)


class SimulatorTest(unittest.TestCase):
    def test_simulated_incident_shows_in_snapshots_and_survives_a_restart(self):
        node = Node(args=["--simulate", "--time-scale", "3600", "--seed", "7"]).start()
        data_dir = node.data_dir
        try:
            # Snapshots arrive, and within some simulated hours an incident
            # drives a metric into its warning band.
            def escalation():
                status, body = request(node.port, "GET", "/api/snapshots/latest")
                return status == 200 and body["snapshots"] and \
                    "[SNAPSHOT-INTEGRATION]" in node.output()
            self.assertTrue(wait_for(escalation, 60), node.output())
            self.assertIn("[SIMULATOR] incident inc-0001 started", node.output())
            bands = set()
            _, catalog = request(node.port, "GET", "/api/catalog")
            for metric in (m["id"] for m in catalog["metrics"]):
                _, body = request(node.port, "GET", f"/api/metrics/{metric}/snapshots?limit=5000")
                bands.update(s["band"] for s in body["snapshots"])
            self.assertIn("good", bands)
            self.assertTrue({"warning", "critical"} & bands, bands)
            # The event stream carries snapshots as they close.
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{node.port}/api/events?topic=snapshots", timeout=20) as r:
                self.assertEqual(r.headers.get_content_type(), "text/event-stream")
                first = r.readline().decode()
                data = r.readline().decode()
            self.assertEqual(first, "event: snapshots\n")
            self.assertTrue(data.startswith("data: {"), data)
            _, before = request(node.port, "GET",
                                "/api/metrics/api.latency_p95/snapshots?limit=100000")
        finally:
            node.proc.send_signal(2)
            node.proc.wait(timeout=10)
        # Restart on the same data directory without the simulator: the
        # snapshots are still there.
        again = Node(data_dir=data_dir).start()
        try:
            _, after = request(again.port, "GET",
                               "/api/metrics/api.latency_p95/snapshots?limit=100000")
            kept = {s["window_start"] for s in after["snapshots"]}
            self.assertTrue({s["window_start"] for s in before["snapshots"]} <= kept)
            self.assertGreater(len(kept), 10)
        finally:
            again.stop()
            node.stop()


if __name__ == "__main__":
    grace_node.BINARY = os.path.abspath(sys.argv[1])
    grace_node.SOURCE = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
