#!/usr/bin/env python3
"""Integration tests: input that used to bring the node down (issue 17).

A catalog id of 40,000 characters (std::regex overflowed the stack), a
309-digit duration (an uncaught std::stod exception) and a metric without
`thresholds` (yaml-cpp threw on the missing key): a reload answers 422 with
the errors, the last good catalog stays and the node stays up; validate-catalog
exits 1 listing them. `ledger verify` without a ledger fails and says so.

Run by ctest as `hostile_input_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import grace_node
from grace_node import TOKEN, Node, request

LATENCY_ID = "id: api.latency_p95\n"
INTERVAL = "collection_interval: 60s"
THRESHOLDS = "    thresholds: {warning: 400, critical: 500}\n"


def hostile_catalogs(good):
    """(name, catalog text, an error it must report) for each input."""
    for needle in (LATENCY_ID, INTERVAL, THRESHOLDS):
        assert needle in good, needle
    return [
        ("long-id", good.replace(LATENCY_ID, "id: a" + "b" * 39999 + "\n", 1),
         "metrics[0].id: 'a" + "b" * 59 + "...' (40000 characters) is too long for a metric id "
         "(at most 128 characters)"),
        ("long-duration", good.replace(INTERVAL, "collection_interval: " + "9" * 309 + "s", 1),
         "metrics[0].collection_interval: the duration '" + "9" * 60
         + "...' (310 characters) is out of range (at most 36500d)"),
        ("no-thresholds", good.replace(THRESHOLDS, "", 1),
         "metrics[0].thresholds: missing required key"),
    ]


class HostileCatalogTest(unittest.TestCase):
    def test_reload_refuses_each_and_keeps_the_last_good_catalog(self):
        with open(os.path.join(SOURCE, "config", "metrics_catalog.yaml")) as src:
            good = src.read()
        with tempfile.TemporaryDirectory() as d:
            catalog = os.path.join(d, "catalog.yaml")
            with open(catalog, "w") as f:
                f.write(good)
            node = Node(catalog=catalog).start()
            try:
                for name, text, expected in hostile_catalogs(good):
                    with self.subTest(name):
                        with open(catalog, "w") as f:
                            f.write(text)
                        status, body = request(node.port, "POST", "/api/catalog/reload",
                                               headers={"Authorization": f"Bearer {TOKEN}"})
                        self.assertEqual(status, 422, body)
                        self.assertFalse(body["reloaded"])
                        self.assertEqual(body["generation"], 1)
                        self.assertTrue(any(e.endswith(expected) for e in body["errors"]),
                                        body["errors"])
                        self.assertIsNone(node.proc.poll(), node.output()[-2000:])
                        status, metric = request(node.port, "GET",
                                                 "/api/catalog/metrics/api.latency_p95")
                        self.assertEqual(status, 200)
                        self.assertEqual(metric["thresholds"], {"warning": 400.0, "critical": 500.0})
                        self.assertEqual(request(node.port, "GET", "/healthz")[0], 200)
                # Not crashed and restarted either: no component restarted.
                status, body = request(node.port, "GET", "/api/status")
                self.assertEqual(status, 200)
                self.assertEqual([c["name"] for c in body["components"]
                                  if not c["up"] or c["restarts"]], [], body)
            finally:
                node.stop()

    def test_validate_catalog_lists_the_errors(self):
        with open(os.path.join(SOURCE, "config", "metrics_catalog.yaml")) as src:
            good = src.read()
        with tempfile.TemporaryDirectory() as d:
            for name, text, expected in hostile_catalogs(good):
                with self.subTest(name):
                    path = os.path.join(d, name + ".yaml")
                    with open(path, "w") as f:
                        f.write(text)
                    out = subprocess.run([BINARY, "validate-catalog", path], capture_output=True,
                                         text=True, timeout=30)
                    self.assertEqual(out.returncode, 1, out.stderr)
                    self.assertRegex(out.stderr, f"^{re.escape(path)}: [0-9]+ errors?\n")
                    self.assertIn(expected, out.stderr)
                    self.assertLess(len(out.stderr), 1000)


class LedgerVerifyTest(unittest.TestCase):
    def test_a_missing_ledger_is_no_good_ledger(self):
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "never-ran")
            out = subprocess.run([BINARY, "ledger", "verify", "--data-dir", data],
                                 capture_output=True, text=True, timeout=30,
                                 cwd=SOURCE)
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            ledger = os.path.join(data, "storage", "provenance", "ledger.jsonl")
            self.assertIn(f"{ledger}: no ledger here", out.stderr)
            self.assertNotIn("OK", out.stdout)


if __name__ == "__main__":
    grace_node.BINARY = BINARY = os.path.abspath(sys.argv[1])
    grace_node.SOURCE = SOURCE = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
