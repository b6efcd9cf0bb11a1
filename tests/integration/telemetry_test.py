#!/usr/bin/env python3
"""Integration tests of the telemetry path through the real binary: pushed and
simulated samples become snapshots in SQLite, served by the API and the event
stream, and kept across a restart.

Run by ctest as `telemetry_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import http.server
import json
import os
import sys
import threading
import time
import unittest
import urllib.request

import grace_node
from grace_node import TOKEN, Node, request, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def push(node, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request(node.port, "POST", "/api/metrics", body=data,
                   headers=dict(AUTH, **{"Content-Type": content_type}))


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

    def test_extreme_finite_values_keep_a_finite_mean_and_the_right_band(self):
        # Issue 17: ±1.7e308 gave a null mean and the band "good" above critical.
        status, body = push(self.node, [{"metric": "infra.disk_utilization", "value": v}
                                        for v in (1.7e308, 1.7e308, -1.7e308)])
        self.assertEqual((status, body["accepted"]), (200, 3), body)

        def extreme_snapshot():
            _, body = request(self.node.port, "GET",
                              "/api/metrics/infra.disk_utilization/snapshots?limit=10")
            hits = [s for s in body["snapshots"] if s["max"] == 1.7e308]
            return hits[0] if hits else None

        snap = wait_for(extreme_snapshot)
        self.assertIsNotNone(snap, self.node.output())
        self.assertEqual(snap["count"], 3, snap)
        self.assertAlmostEqual(snap["mean"] / 1.7e308, 1 / 3)
        self.assertEqual(snap["band"], "critical", snap)  # the mean is far above 90 %

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


class ExporterHandler(http.server.BaseHTTPRequestHandler):
    """A Prometheus exporter: /metrics serves the text format, /garbage does not."""
    page = (b"# HELP node_load1 1m load average.\n"
            b"# TYPE node_load1 gauge\n"
            b"node_load1 0.5\n"
            b"# TYPE http_request_duration_seconds histogram\n"
            b"http_request_duration_seconds_bucket{le=\"0.5\",route=\"/api\"} 3\n"
            b"http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/api\"} 4\n"
            b"app_latency_ms{quantile=\"0.95\",route=\"/api\"} 432.5\n"
            b"app_latency_ms{quantile=\"0.95\",route=\"/admin\"} 9000\n")

    def do_GET(self):
        body = self.page if self.path == "/metrics" else b"this is {not prometheus"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class RetentionTest(unittest.TestCase):
    def test_old_snapshots_are_deleted(self):
        node = Node(extra_yaml="aggregation:\n  retention: 1h\n",
                    args=["--simulate", "--time-scale", "3600"]).start()
        try:
            self.assertTrue(node.wait_for_log("[TRAINING-STORAGE] 🧹 Retention: removed", 40),
                            node.output())
            _, body = request(node.port, "GET",
                              "/api/metrics/api.latency_p95/snapshots?limit=100000")
            # At most the last hour (12 windows) plus one hour between checks
            # plus the windows still settling.
            self.assertLessEqual(len(body["snapshots"]), 12 * 2 + 4)
            span = body["snapshots"][-1]["window_start"] - body["snapshots"][0]["window_start"]
            self.assertLess(span, 2 * 3600 * 1000 + 1)
        finally:
            node.stop()


class ScrapeTest(unittest.TestCase):
    def test_scrapes_a_prometheus_endpoint_and_survives_bad_targets(self):
        exporter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ExporterHandler)
        threading.Thread(target=exporter.serve_forever, daemon=True).start()
        port = exporter.server_address[1]
        down = grace_node.free_port()
        targets = f"""scrape_targets:
  - name: app
    url: http://127.0.0.1:{port}/metrics
    interval: 60s
    mappings:
      - {{series: app_latency_ms, labels: {{quantile: "0.95", route: /api}}, metric: api.latency_p95}}
      - {{series: node_load1, metric: infra.cpu_utilization}}
  - name: down
    url: http://127.0.0.1:{down}/metrics
    interval: 60s
    timeout: 1s
    mappings: [{{series: x, metric: api.error_rate}}]
  - name: garbage
    url: http://127.0.0.1:{port}/garbage
    mappings: [{{series: x, metric: api.error_rate}}]
"""
        node = Node(extra_yaml=targets, args=["--time-scale", "600"]).start()
        try:
            def scraped():
                _, body = request(node.port, "GET",
                                  "/api/metrics/api.latency_p95/snapshots?limit=10")
                return body["snapshots"] or None
            snaps = wait_for(scraped, 30)
            self.assertIsNotNone(snaps, node.output())
            # Only the /api series matched its rule.
            self.assertEqual(snaps[0]["max"], 432.5)
            self.assertIn("[SCRAPE] ⚠️ down: cannot reach", node.output())
            self.assertIn("[SCRAPE] ⚠️ garbage:", node.output())
            self.assertIn("invalid exposition", node.output())
            self.assertEqual(request(node.port, "GET", "/readyz")[0], 200)
        finally:
            node.stop()
            exporter.shutdown()

    def test_mapping_to_an_unknown_metric_refuses_to_start(self):
        node = Node(extra_yaml="scrape_targets:\n  - name: a\n    url: http://127.0.0.1:1/m\n"
                               "    mappings: [{series: x, metric: no.such}]\n")
        try:
            node.start(wait_ready=False)
            self.assertEqual(node.proc.wait(timeout=10), 2)
            self.assertIn("maps 'x' to 'no.such', which is not in the catalog", node.output())
        finally:
            node.stop()


class ReplayTest(unittest.TestCase):
    def test_replay_feeds_a_csv_at_event_time(self):
        node = Node()
        csv = os.path.join(node.dir.name, "series.csv")
        with open(csv, "w") as f:
            f.write("timestamp,value\n")
            for i in range(60):  # five hours of 5-minute rows
                f.write(f"2014-02-14 {10 + i // 12:02d}:{(i % 12) * 5:02d}:00,{i}\n")
        node.args = ["--replay", csv, "--metric", "infra.cpu_utilization",
                     "--time-scale", "36000"]
        node.start()
        try:
            def all_replayed():
                _, body = request(node.port, "GET",
                                  "/api/metrics/infra.cpu_utilization/snapshots?limit=1000")
                return body["snapshots"] if len(body["snapshots"]) == 60 else None
            snaps = wait_for(all_replayed, 30)
            self.assertIsNotNone(snaps, node.output())
            self.assertEqual([s["mean"] for s in snaps], list(range(60)))
            self.assertEqual(snaps[0]["window_start"], 1392372000000)  # 2014-02-14 10:00 UTC
            self.assertTrue(node.wait_for_log("[REPLAY] ✅ Finished: 60 samples replayed"))
        finally:
            node.stop()

    def test_replay_needs_a_known_metric(self):
        node = Node(args=["--replay", "/nonexistent.csv", "--metric", "no.such"])
        try:
            node.start(wait_ready=False)
            self.assertEqual(node.proc.wait(timeout=10), 2)
            self.assertIn("--metric 'no.such' is not in the catalog", node.output())
        finally:
            node.stop()


if __name__ == "__main__":
    grace_node.main()
