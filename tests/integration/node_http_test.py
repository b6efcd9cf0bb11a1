#!/usr/bin/env python3
"""Integration tests: the real grace-node binary over HTTP and its CLI.


Run by ctest as `node_http_test.py PATH/TO/grace-node SOURCE_DIR`. Each test
starts the binary on a free loopback port with its own data directory.
"""
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grace_node
from grace_node import TOKEN, Node, free_port, request

class RunningNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node().start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def get(self, path):
        return request(self.node.port, "GET", path)

    def test_health_and_readiness(self):
        self.assertEqual(self.get("/healthz"), (200, {"status": "ok"}))
        self.assertEqual(self.get("/readyz"), (200, {"ready": True}))
        status, body = self.get("/api/status")
        self.assertEqual(status, 200)
        names = [c["name"] for c in body["components"]]
        self.assertEqual(names, ["storage", "catalog", "mesh", "aggregator", "ingest",
                                 "integration", "forecaster", "trainer", "scheduler",
                                 "rl_agent", "predictor", "executor", "analytics", "notifier", "http"])
        self.assertTrue(all(c["up"] for c in body["components"]))

    def test_catalog_shape(self):
        status, body = self.get("/api/catalog")
        self.assertEqual(status, 200)
        self.assertEqual(len(body["metrics"]), 14)
        self.assertEqual(len(body["playbooks"]), 20)
        latency = next(m for m in body["metrics"] if m["id"] == "api.latency_p95")
        for key in ("id", "category", "service", "unit", "direction", "thresholds", "playbooks"):
            self.assertIn(key, latency)
        self.assertEqual(latency["thresholds"], {"warning": 400.0, "critical": 500.0})
        self.assertEqual(latency["playbooks"][0], "scale-api-shard")
        playbook = body["playbooks"][0]
        for key in ("id", "description", "action", "risk_tier", "mode"):
            self.assertIn(key, playbook)

    def test_one_metric_and_unknown_metric(self):
        status, body = self.get("/api/catalog/metrics/autonomy.plan_success_rate")
        self.assertEqual(status, 200)
        self.assertEqual(body["direction"], "lower_is_worse")
        self.assertEqual(self.get("/api/catalog/metrics/no.such"),
                         (404, {"error": "unknown metric 'no.such'"}))
        self.assertEqual(self.get("/api/nothing-here")[0], 404)

    def test_mutations_need_the_token(self):
        port = self.node.port
        status, body = request(port, "POST", "/api/catalog/reload")
        self.assertEqual(status, 401)
        self.assertIn("Bearer", body["error"])
        status, _ = request(port, "POST", "/api/catalog/reload",
                            headers={"Authorization": "Bearer wrong"})
        self.assertEqual(status, 401)
        status, body = request(port, "POST", "/api/catalog/reload",
                               headers={"Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(status, 200)
        self.assertTrue(body["reloaded"])
        # Reads need no token.
        self.assertEqual(self.get("/api/catalog")[0], 200)

    def test_oversized_body_is_refused(self):
        status, body = request(self.node.port, "POST", "/api/catalog/reload",
                               body=b"x" * 10000,
                               headers={"Authorization": f"Bearer {TOKEN}",
                                        "Content-Type": "application/json"})
        self.assertEqual(status, 413)
        self.assertEqual(body, {"error": "request body too large (http.max_body_bytes: 4096)"})


class LifecycleTest(unittest.TestCase):
    def test_sigterm_stops_cleanly_within_5_seconds(self):
        node = Node().start()
        try:
            started = time.time()
            node.proc.send_signal(signal.SIGTERM)
            code = node.proc.wait(timeout=5)
            self.assertEqual(code, 0, node.output())
            self.assertLess(time.time() - started, 5)
            self.assertIn("[NODE] Stopped", node.output())
            self.assertIn("[CATALOG] ✅ Loaded 14 metric definitions", node.output())
            self.assertIn("[TRAINING-STORAGE] ✅ 10 category folders ready", node.output())
        finally:
            node.stop()

    def test_bad_reload_keeps_the_last_good_catalog(self):
        with tempfile.TemporaryDirectory() as d:
            catalog = os.path.join(d, "catalog.yaml")
            with open(os.path.join(SOURCE, "config", "metrics_catalog.yaml")) as src:
                good = src.read()
            with open(catalog, "w") as f:
                f.write(good)
            node = Node(catalog=catalog).start()
            try:
                with open(catalog, "w") as f:
                    f.write(good.replace("critical: 500}", "critical: 100}"))
                status, body = request(node.port, "POST", "/api/catalog/reload",
                                       headers={"Authorization": f"Bearer {TOKEN}"})
                self.assertEqual(status, 422)
                self.assertFalse(body["reloaded"])
                self.assertIn("metrics[0].thresholds: for higher_is_worse the warning threshold "
                              "must be below the critical one", body["errors"][0])
                status, metric = request(node.port, "GET", "/api/catalog/metrics/api.latency_p95")
                self.assertEqual(metric["thresholds"]["critical"], 500.0)
                # SIGHUP reloads too, and is refused the same way.
                node.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 5
                while "Reload refused" not in node.output() and time.time() < deadline:
                    time.sleep(0.1)
                self.assertIn("Reload refused", node.output())
            finally:
                node.stop()

    def test_invalid_catalog_refuses_to_start(self):
        with tempfile.TemporaryDirectory() as d:
            catalog = os.path.join(d, "catalog.yaml")
            with open(catalog, "w") as f:
                f.write("version: 1\nmetrics: []\nplaybooks: []\nextra: 1\n")
            node = Node(catalog=catalog)
            try:
                node.start(wait_ready=False)
                code = node.proc.wait(timeout=10)
                self.assertEqual(code, 2)
                self.assertIn("extra: unknown key", node.output())
            finally:
                node.stop()

    def test_port_in_use_is_a_clear_error(self):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            node = Node()
            node.port = blocker.getsockname()[1]
            subprocess_args = [BINARY, "run", "--config", node.config, "--http-port",
                               str(node.port)]
            try:
                proc = subprocess.run(subprocess_args, capture_output=True, text=True, timeout=20)
                self.assertEqual(proc.returncode, 1)
                self.assertIn(f"cannot listen on 127.0.0.1:{node.port}", proc.stdout)
            finally:
                node.stop()


class CommandLineTest(unittest.TestCase):
    def test_validate_catalog(self):
        ok = subprocess.run([BINARY, "validate-catalog",
                             os.path.join(SOURCE, "config", "metrics_catalog.yaml")],
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("valid (14 metrics, 20 playbooks)", ok.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("version: 2\nmetrics: {}\n")
            f.flush()
            bad = subprocess.run([BINARY, "validate-catalog", f.name], capture_output=True,
                                 text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("3 errors", bad.stderr)
            self.assertIn("unsupported catalog version 2", bad.stderr)
            self.assertIn("metrics: expected a list", bad.stderr)
            self.assertIn("playbooks: missing required key", bad.stderr)

    def test_ledger_verify_detects_tampering(self):
        node = Node().start()
        data = os.path.join(node.dir.name, "data")
        try:
            node.proc.send_signal(signal.SIGTERM)
            node.proc.wait(timeout=10)
            ledger = os.path.join(data, "storage", "provenance", "ledger.jsonl")
            # Two chained entries written the way the node writes them.
            prev = "0" * 64
            lines = []
            for seq in (1, 2):
                entry = {"kind": "test", "payload": {"n": seq}, "prev_hash": prev,
                         "seq": seq, "ts": 1000 + seq}
                canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
                entry["hash"] = hashlib.sha256(canonical.encode()).hexdigest()
                prev = entry["hash"]
                lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":")))
            with open(ledger, "w") as f:
                f.write("\n".join(lines) + "\n")
            args = [BINARY, "ledger", "verify", "--config", node.config]
            good = subprocess.run(args, capture_output=True, text=True)
            self.assertEqual(good.returncode, 0, good.stderr)
            self.assertIn("OK, 2 entries", good.stdout)
            with open(ledger, "w") as f:
                f.write("\n".join([lines[0], lines[1].replace('"n":2', '"n":3')]) + "\n")
            bad = subprocess.run(args, capture_output=True, text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("entry 2: hash does not match its content", bad.stderr)
        finally:
            node.stop()

    def test_version_and_help(self):
        out = subprocess.run([BINARY, "--version"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertTrue(out.stdout.startswith("grace-node "))
        out = subprocess.run([BINARY, "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        for sub in ("run", "validate-catalog", "ledger"):
            self.assertIn(sub, out.stdout)


if __name__ == "__main__":
    grace_node.BINARY = BINARY = os.path.abspath(sys.argv[1])
    grace_node.SOURCE = SOURCE = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
