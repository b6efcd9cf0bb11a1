#!/usr/bin/env python3
"""Analytics through the real binary: the dashboard reports on a simulated
run, /metrics in Prometheus's text format, and a real Prometheus (Debian's
`prometheus`, on loopback) scraping the node and answering a forecast series
back through its query API."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

import grace_node
from grace_node import Node, free_port, request, unix_ms, wait_for

REPORTS = ["overview", "learning-progress", "playbook-performance", "forecast-accuracy",
           "training-history", "health-report"]


def prometheus_name(port, metric_id):
    status, body = request(port, "GET", f"/api/catalog/metrics/{metric_id}")
    assert status == 200, body
    return body["prometheus_name"]


def metrics_text(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


# One sample line of the text format: name{labels} value
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? '
                    r'(-?[0-9.eE+-]+|NaN|[+-]Inf)$')


class FreshNodeTest(unittest.TestCase):
    """Before anything happened: no made-up numbers."""

    def test_health_report_without_data_has_no_score(self):
        node = Node().start()
        try:
            status, body = request(node.port, "GET", "/api/ml/dashboard/health-report")
            self.assertEqual(status, 200, body)
            self.assertIsNone(body["score"])
            self.assertIsNone(body["label"])
            self.assertIn("no data", body["summary"])
            self.assertEqual(len(body["parts"]), 6)
            self.assertTrue(all(not p["has_data"] and p["value"] is None for p in body["parts"]))
            status, body = request(node.port, "GET", "/api/forecasts/latest")
            self.assertEqual((status, body["forecasts"]), (200, []))
        finally:
            node.stop()


class SimulatedRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 3600x: an hour a second; training (6 h) after ~6 s, forecasts every 0.25 s.
        cls.node = Node(args=["--simulate", "--time-scale", "3600", "--seed", "7"]).start()
        try:
            ok = wait_for(lambda: cls.health_with("forecast_accuracy", "training_freshness"), 90)
        except BaseException:
            cls.node.stop()  # tearDownClass does not run when setUpClass fails
            raise
        if not ok:
            cls.node.stop()
            raise AssertionError("no forecast accuracy and training within 90 s")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    @classmethod
    def health_with(cls, *names):
        status, body = request(cls.node.port, "GET", "/api/ml/dashboard/health-report")
        if status != 200:
            return None
        parts = {p["name"]: p for p in body["parts"]}
        return body if all(parts[n]["has_data"] for n in names) else None

    def test_every_report_answers_its_shape(self):
        for name in REPORTS:
            status, body = request(self.node.port, "GET", f"/api/ml/dashboard/{name}")
            self.assertEqual(status, 200, (name, body))
            unix_ms(body["generated_at"])  # ISO 8601 UTC to the millisecond, or it raises
        status, body = request(self.node.port, "GET", "/api/ml/dashboard/overview")
        for key in ["health", "forecast_accuracy_7d", "warnings", "playbooks", "learning",
                    "training"]:
            self.assertIn(key, body)
        self.assertGreaterEqual(body["training"]["cycles"], 1)
        status, body = request(self.node.port, "GET", "/api/ml/dashboard/training-history")
        self.assertGreaterEqual(body["count"], 1)
        self.assertGreater(body["cycles"][0]["samples"], 0)

    def test_console_announces_the_systems_and_each_report(self):
        # The seed's startup and report lines, in the order a reader expects.
        self.assertTrue(self.node.wait_for_log("[ML-ANALYTICS] ✅ Health Score", 30))
        out = self.node.output()
        online = out.index("[ML-SYSTEMS] 🧠 Advanced ML systems online")
        self.assertLess(out.index("[ML-SYSTEMS] ✅ Causal RL Agent ready"), online)
        self.assertLess(out.index("[ML-SYSTEMS] ✅ Temporal Forecaster ready"), online)
        generating = out.index("[ML-ANALYTICS] 📊 Generating ML performance report...")
        self.assertLess(generating, out.index("[ML-ANALYTICS] ", generating + 1))

    def test_health_score_is_the_weighted_mean_of_its_parts(self):
        body = self.health_with("forecast_accuracy")
        with_data = [p for p in body["parts"] if p["has_data"]]
        expected = sum(p["weight"] * p["value"] for p in with_data) / sum(
            p["weight"] for p in with_data)
        self.assertAlmostEqual(body["score"], expected, places=6)
        self.assertIn(body["label"], ["good", "fair", "poor"])
        for p in body["parts"]:
            self.assertTrue(p["detail"])

    def test_forecast_accuracy_is_scored_against_actuals(self):
        status, body = request(self.node.port, "GET", "/api/ml/dashboard/forecast-accuracy")
        self.assertEqual(status, 200)
        week = body["windows"]["7d"]
        self.assertGreater(week["overall"]["points"], 0)
        self.assertTrue(0 <= week["overall"]["accuracy_pct"] <= 100)
        self.assertTrue(0 <= week["overall"]["coverage80"] <= 1)
        metric = next(m for m in week["metrics"] if m["overall"]["points"] > 0)
        horizons = [h["horizon_minutes"] for h in metric["by_horizon"]]
        self.assertEqual(horizons, sorted(horizons))
        # Whole snapshot steps ahead (5 min), up to the horizon and one step past
        # it (a forecast made mid-window covers the horizon from its own time).
        self.assertTrue(all(h % 5 == 0 and 5 <= h <= 65 for h in horizons), horizons)

    def test_latest_forecasts_carry_bands_and_thresholds(self):
        status, body = request(self.node.port, "GET", "/api/forecasts/latest")
        self.assertEqual(status, 200)
        self.assertGreater(len(body["forecasts"]), 0)
        f = body["forecasts"][0]
        self.assertIsNotNone(f["warning"])
        p = f["points"][-1]
        self.assertLessEqual(p["lo95"], p["lo80"])
        self.assertLessEqual(p["lo80"], p["hi80"])
        self.assertLessEqual(p["hi80"], p["hi95"])

    def test_unknown_report_is_a_404(self):
        status, body = request(self.node.port, "GET", "/api/ml/dashboard/nope")
        self.assertEqual(status, 404)

    def test_metrics_exposition(self):
        status, content_type, text = metrics_text(self.node.port)
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, SAMPLE)
        for name in ["grace_samples_ingested_total", "grace_snapshots_total",
                     "grace_forecasts_total", "grace_http_requests_total",
                     "grace_http_request_duration_seconds_bucket", "grace_actor_restarts_total",
                     "grace_breach_probability"]:
            self.assertIn(name, text)
        name = prometheus_name(self.node.port, "api.latency_p95")
        self.assertIn(f'{name}:predicted{{ml_forecast="yhat",horizon_minutes="60",'
                      f'metric="api.latency_p95"', text)
        self.assertIn('ml_forecast="yhat_upper_95"', text)
        self.assertRegex(text, r'\n[a-z_]+:anomaly_score\{')


@unittest.skipUnless(shutil.which("prometheus"), "Debian's prometheus is not installed")
class PrometheusScrapeTest(unittest.TestCase):
    """A real Prometheus scrapes /metrics and answers a forecast series."""

    def setUp(self):
        self.node = Node(args=["--simulate", "--time-scale", "3600", "--seed", "9"]).start()
        self.addCleanup(self.node.stop)
        self.dir = tempfile.TemporaryDirectory(prefix="grace-prom-")
        self.addCleanup(self.dir.cleanup)
        self.prom_port = free_port()
        config = os.path.join(self.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: grace\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{self.node.port}']\n")
        self.log = open(os.path.join(self.dir.name, "prometheus.log"), "w+")
        self.addCleanup(self.log.close)
        self.prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.dir.name, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.prom_port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_prometheus)

    def stop_prometheus(self):
        self.prom.terminate()
        try:
            self.prom.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.prom.kill()
            self.prom.wait()

    def query(self, promql):
        url = (f"http://127.0.0.1:{self.prom_port}/api/v1/query?"
               + urllib.parse.urlencode({"query": promql}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.loads(r.read())
        except OSError:
            return None
        return body["data"]["result"] if body.get("status") == "success" else None

    def test_forecast_series_comes_back_through_prometheus(self):
        name = prometheus_name(self.node.port, "api.latency_p95")
        promql = f'{name}:predicted{{ml_forecast="yhat",horizon_minutes="60"}}'
        result = wait_for(lambda: self.query(promql), 60)
        self.log.flush()
        self.log.seek(0)
        self.assertTrue(result, "no forecast series in Prometheus:\n" + self.log.read()[-3000:])
        sample = result[0]
        self.assertEqual(sample["metric"]["__name__"], f"{name}:predicted")
        self.assertEqual(sample["metric"]["job"], "grace")
        self.assertGreater(float(sample["value"][1]), 0.0)
        up = self.query('up{job="grace"}')
        self.assertEqual(up[0]["value"][1], "1")
        probability = wait_for(lambda: self.query("grace_breach_probability"), 20)
        self.assertTrue(probability)
        self.assertTrue(all(0.0 <= float(s["value"][1]) <= 1.0 for s in probability))


if __name__ == "__main__":
    grace_node.main()
