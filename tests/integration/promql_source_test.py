#!/usr/bin/env python3
"""The PromQL source against a real Prometheus (Debian's `prometheus`, on
loopback) holding a week of history built with `promtool tsdb
create-blocks-from openmetrics`: the node backfills it at start, serves a
forecast from it, then polls live; a broken query is reported while the node
and the other metric go on; Prometheus stopped mid-run is counted and the
metric recovers when it returns."""
import json
import math
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import grace_node
from grace_node import TOKEN, Node, free_port, request, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}"}
STEP_S = 300  # the generated history: one sample every 5 minutes
DAYS = 7

CATALOG = """version: 1
metrics:
  - id: shop.latency_p95
    category: shop
    service: shop
    unit: seconds
    description: 95th percentile latency of the shop, from Prometheus.
    direction: higher_is_worse
    thresholds: {warning: 0.8, critical: 1.2}
    collection_interval: 2s
    aggregation: mean
    forecast: true
    playbooks: [noop]
    promql: 'max(shop_latency_p95_seconds{job="shop"})'
  - id: shop.error_rate
    category: shop
    service: shop
    unit: percent
    description: A query Prometheus refuses (rate of an instant vector).
    direction: higher_is_worse
    thresholds: {warning: 2, critical: 5}
    collection_interval: 2s
    aggregation: mean
    forecast: false
    playbooks: [noop]
    promql: 'rate(shop_latency_p95_seconds)'
playbooks:
  - id: noop
    description: Does nothing.
    action: {kind: noop}
    risk_tier: 1
    mode: auto
    cooldown: 1m
    max_runs_per_hour: 1
"""


def history(end_s):
    """A week of a daily cycle at 5-minute steps ending at end_s, as OpenMetrics."""
    lines = ["# TYPE shop_latency_p95_seconds gauge"]
    n = DAYS * 86400 // STEP_S
    for i in range(n + 1):
        t = end_s - (n - i) * STEP_S
        value = 0.4 + 0.2 * math.sin(2 * math.pi * (t % 86400) / 86400) + 0.01 * (i % 7)
        lines.append(f'shop_latency_p95_seconds{{job="shop"}} {value:.4f} {t}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def promql_status(node):
    status, body = request(node.port, "GET", "/api/status")
    assert status == 200, body
    return body.get("promql")


def metric(node, metric_id):
    s = promql_status(node)
    if not s:
        return None
    return next((m for m in s["metrics"] if m["metric"] == metric_id), None)


@unittest.skipUnless(shutil.which("prometheus") and shutil.which("promtool"),
                     "Debian's prometheus (with promtool) is not installed")
class PromqlSourceTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="grace-promql-")
        d = cls.dir.name
        source = os.path.join(d, "history.om")
        with open(source, "w") as f:
            f.write(history(int(time.time())))
        cls.tsdb = os.path.join(d, "tsdb")
        # Week-long blocks: with the default 2-hour blocks promtool takes ten times longer.
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                        "--max-block-duration=168h", source, cls.tsdb],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.prom_port = free_port()
        cls.prom_config = os.path.join(d, "prometheus.yml")
        with open(cls.prom_config, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        cls.prom_log = open(os.path.join(d, "prometheus.log"), "w+")
        cls.prom = None
        cls.start_prometheus()
        cls.catalog = os.path.join(d, "catalog.yaml")
        with open(cls.catalog, "w") as f:
            f.write(CATALOG)
        cls.node = Node(catalog=cls.catalog,
                        extra_yaml=f"prometheus:\n  url: http://127.0.0.1:{cls.prom_port}\n")
        cls.started = time.time()
        cls.node.start()

    @classmethod
    def start_prometheus(cls, web_config=None, ca=None):
        cls.prom = subprocess.Popen(
            ["prometheus", f"--config.file={cls.prom_config}", f"--storage.tsdb.path={cls.tsdb}",
             "--storage.tsdb.retention.time=30d",
             f"--web.listen-address=127.0.0.1:{cls.prom_port}"]
            + ([f"--web.config.file={web_config}"] if web_config else []),
            stdout=cls.prom_log, stderr=subprocess.STDOUT)
        scheme = "https" if web_config else "http"
        context = ssl.create_default_context(cafile=ca) if ca else None

        def ready():
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{cls.prom_port}/-/ready",
                                            timeout=1, context=context) as r:
                    return r.status == 200
            except OSError:
                return False
        if not wait_for(ready, 30):
            cls.prom_log.seek(0)
            raise AssertionError("prometheus not ready:\n" + cls.prom_log.read()[-3000:])

    @classmethod
    def stop_prometheus(cls):
        if cls.prom and cls.prom.poll() is None:
            cls.prom.terminate()
            try:
                cls.prom.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cls.prom.kill()
                cls.prom.wait()

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("GRACE_PROMQL_LOG"):  # a console excerpt for the docs
            with open(os.environ["GRACE_PROMQL_LOG"], "w") as f:
                f.write(cls.node.output())
        cls.node.stop()
        cls.stop_prometheus()
        cls.prom_log.close()
        cls.dir.cleanup()

    def test_0_configuration_errors_stop_the_start(self):
        def refused(args, yaml, catalog=None):
            node = Node(catalog=catalog or self.catalog, extra_yaml=yaml, args=args)
            try:
                node.start(wait_ready=False)
                code = node.proc.wait(timeout=20)
                return code, node.output()
            finally:
                node.stop()
        url = f"prometheus:\n  url: http://127.0.0.1:{self.prom_port}\n"
        code, out = refused(["--time-scale", "60"], url)
        self.assertEqual(code, 2, out)
        self.assertIn("time_scale must be 1", out)
        code, out = refused([], "")
        self.assertEqual(code, 2, out)
        self.assertIn("no prometheus.url", out)
        code, out = refused([], "prometheus:\n  url: ftp://x\n")
        self.assertNotEqual(code, 0, out)
        self.assertIn("prometheus.url: expected an http:// or https:// URL", out)

    def test_1_backfill_forecast_live(self):
        def backfilled():
            m = metric(self.node, "shop.latency_p95")
            return m if m and m["backfill"]["done"] else None
        m = wait_for(backfilled, 60)
        self.assertTrue(m, self.node.output()[-3000:])
        self.assertGreaterEqual(m["backfill"]["snapshots"], 1500, m)
        # A chunk per 10,000 points: a week at 2 s is 302,400 of them.
        self.assertEqual(m["backfill"]["chunks"], 31, m)
        self.assertLess(time.time() - self.started, 60)
        status, snaps = request(self.node.port, "GET",
                                "/api/metrics/shop.latency_p95/snapshots?limit=5000")
        self.assertEqual(status, 200, snaps)
        rows = snaps["snapshots"] if isinstance(snaps, dict) else snaps
        self.assertGreaterEqual(len(rows), 1500)
        self.assertTrue(all(0.15 < r["mean"] < 0.7 for r in rows), rows[:3])
        # A forecast from the backfilled history, at once.
        status, body = request(self.node.port, "POST", "/api/ml/forecaster/predict",
                               body=json.dumps({"metric_ids": ["shop.latency_p95"]}).encode(),
                               headers=dict(AUTH, **{"Content-Type": "application/json"}))
        self.assertEqual(status, 200, body)
        forecasts = body["forecasts"]
        self.assertEqual(forecasts[0]["metric_id"], "shop.latency_p95")
        self.assertGreater(len(forecasts[0]["points"]), 0)
        # Live samples every collection interval.
        first = metric(self.node, "shop.latency_p95")["samples"]
        self.assertTrue(wait_for(
            lambda: metric(self.node, "shop.latency_p95")["samples"] > first, 15))
        self.assertIn("[PROMQL] ✅ shop.latency_p95: the query answers one series",
                      self.node.output())
        # The history is used at once: a forecast to the predictor, and training.
        self.assertTrue(self.node.wait_for_log(
            "[PROMQL] 🔮 shop.latency_p95: first forecast from its history", 10))
        self.assertTrue(self.node.wait_for_log("new snapshots): training now", 10))

    def test_2_broken_query_is_reported_and_the_node_stays_up(self):
        m = wait_for(lambda: (lambda x: x if x and x["failures"] >= 2 else None)(
            metric(self.node, "shop.error_rate")), 15)
        self.assertTrue(m, promql_status(self.node))
        self.assertIn("range vector", m["last_error"])  # the server's own words
        self.assertEqual(m["samples"], 0)
        self.assertIn("shop.error_rate", self.node.output())
        status, _ = request(self.node.port, "GET", "/healthz")
        self.assertEqual(status, 200)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.node.port}/metrics", timeout=10) as r:
            text = r.read().decode()
        failures = [l for l in text.splitlines()
                    if l.startswith('grace_promql_failures_total{metric="shop.error_rate"}')]
        self.assertTrue(failures and float(failures[0].split()[-1]) >= 2, failures)
        self.assertIn('grace_promql_backfilled_snapshots_total{metric="shop.latency_p95"}', text)
        # The query fixed in the catalog and reloaded: checked and backfilled anew.
        with open(self.catalog, "w") as f:
            f.write(CATALOG.replace("rate(shop_latency_p95_seconds)",
                                    "max(shop_latency_p95_seconds) * 2"))
        status, body = request(self.node.port, "POST", "/api/catalog/reload", headers=AUTH)
        self.assertEqual(status, 200, body)
        fixed = wait_for(lambda: (lambda x: x if x and x["backfill"]["done"] else None)(
            metric(self.node, "shop.error_rate")), 30)
        self.assertTrue(fixed, promql_status(self.node))
        self.assertGreaterEqual(fixed["backfill"]["snapshots"], 1500, fixed)
        self.assertEqual(fixed["failures"], 0)  # counted per expression

    def test_3_prometheus_down_then_back(self):
        before = metric(self.node, "shop.latency_p95")
        self.stop_prometheus()
        down = wait_for(lambda: (lambda x: x if x["consecutive_failures"] >= 1 else None)(
            metric(self.node, "shop.latency_p95")), 15)
        self.assertTrue(down, promql_status(self.node))
        self.assertGreater(down["failures"], before["failures"])
        self.assertIn("cannot reach", down["last_error"])
        self.assertTrue(self.node.wait_for_log("query failed (1 in a row): cannot reach", 5))
        self.start_prometheus()
        back = wait_for(lambda: (lambda x: x if x["consecutive_failures"] == 0
                                 and x["samples"] > down["samples"] else None)(
            metric(self.node, "shop.latency_p95")), 20)
        self.assertTrue(back, promql_status(self.node))
        self.assertTrue(self.node.wait_for_log("shop.latency_p95 answers again", 5))
        self.assertIsNone(self.node.proc.poll())

    def test_4_https_with_ca_file_and_token(self):
        d = self.dir.name
        ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
        cert, key, csr = (os.path.join(d, n) for n in ("server.pem", "server.key", "server.csr"))
        ext = os.path.join(d, "san.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca,
                        "-days", "1", "-subj", "/CN=grace-test-ca"], **quiet)
        subprocess.run(["openssl", "req", *ec, "-keyout", key, "-out", csr,
                        "-subj", "/CN=127.0.0.1"], **quiet)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                        "-CAcreateserial", "-out", cert, "-days", "1", "-extfile", ext], **quiet)
        web = os.path.join(d, "web.yml")
        with open(web, "w") as f:
            f.write(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
        token = os.path.join(d, "token")
        with open(token, "w") as f:
            f.write("not-checked-by-this-prometheus\n")
        self.stop_prometheus()
        self.start_prometheus(web_config=web, ca=ca)
        one_metric = os.path.join(d, "one.yaml")
        with open(one_metric, "w") as f:
            f.write(CATALOG[:CATALOG.index("  - id: shop.error_rate")]
                    + CATALOG[CATALOG.index("playbooks:\n  - id: noop"):])
        node = Node(catalog=one_metric,
                    extra_yaml=f"prometheus:\n  url: https://127.0.0.1:{self.prom_port}\n"
                               f"  ca_file: {ca}\n  bearer_token_file: {token}\n"
                               "  backfill: 1h\n")
        try:
            node.start()
            m = wait_for(lambda: (lambda x: x if x and x["backfill"]["done"]
                                  and x["samples"] > 0 else None)(
                metric(node, "shop.latency_p95")), 15)
            self.assertTrue(m, node.output()[-2000:])
            self.assertEqual(m["failures"], 0, m)
            self.assertEqual(m["backfill"]["snapshots"], 12, m)  # an hour of 5-minute windows
        finally:
            node.stop()


if __name__ == "__main__":
    grace_node.main()
