#!/usr/bin/env python3
"""Integration tests of forecasting through the real binary: the scheduler's
cycle, on-demand forecasts and their validation, training on schedule and on
demand with its artifact and record, and the fallback to the previous artifact
when the current one is corrupt.

Run by ctest as `forecasting_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import glob
import json
import os
import sys
import time
import unittest
import urllib.request

import grace_node
from grace_node import TOKEN, Node, request, unix_ms, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def predict(node, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request(node.port, "POST", "/api/ml/forecaster/predict", body=data,
                   headers=dict(headers if headers is not None else AUTH,
                                **{"Content-Type": "application/json"}))


class ForecastTest(unittest.TestCase):
    """The simulator at 3600x: a virtual hour per second."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(args=["--simulate", "--time-scale", "3600", "--seed", "11"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_scheduler_forecasts_the_six_metrics_and_publishes_them(self):
        node = self.node
        self.assertTrue(node.wait_for_log("[FORECAST-SCHED] 🔮 Generating 6-metric forecast..."),
                        node.output())
        with urllib.request.urlopen(
                f"http://127.0.0.1:{node.port}/api/events?topic=forecasts", timeout=20) as r:
            self.assertEqual(r.readline().decode(), "event: forecasts\n")
            event = json.loads(r.readline().decode()[len("data: "):])
        self.assertIn(event["metric_id"], {"api.latency_p95", "api.error_rate",
                                           "executor.queue_depth", "autonomy.plan_success_rate",
                                           "infra.cpu_utilization", "infra.memory_utilization"})
        self.assertGreaterEqual(len(event["points"]), 12)

    def test_predict_answers_points_with_intervals_and_importance(self):
        node = self.node

        def answered():
            status, body = predict(node, {"metric_ids": ["api.latency_p95", "infra.cpu_utilization"],
                                          "horizon_minutes": 60})
            return body if status == 200 and len(body["forecasts"]) == 2 else None
        body = wait_for(answered)
        self.assertIsNotNone(body, node.output())
        for f in body["forecasts"]:
            points = f["points"]
            self.assertGreaterEqual(len(points), 12)
            made = unix_ms(f["generated_at"])
            self.assertGreaterEqual(points[-1]["ts"], made + 3600000)
            self.assertLess(points[-1]["ts"], made + 3600000 + 300000)
            for p in points:
                self.assertEqual(set(p), {"ts", "mean", "lo80", "hi80", "lo95", "hi95"})
                self.assertLessEqual(p["lo95"], p["lo80"])
                self.assertLessEqual(p["lo80"], p["mean"])
                self.assertLessEqual(p["mean"], p["hi80"])
                self.assertLessEqual(p["hi80"], p["hi95"])
            weights = [w["weight"] for w in f["feature_importance"]]
            self.assertEqual({w["feature"] for w in f["feature_importance"]},
                             {"statistical_component", "recent_lags", "seasonal_lag",
                              "rolling_statistics", "trend", "calendar"})
            self.assertAlmostEqual(sum(weights), 1.0, places=6)
        # The default horizon is the configured one (60 minutes).
        status, body = predict(node, {"metric_ids": ["api.error_rate"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["horizon_minutes"], 60)

    def test_predict_validation(self):
        node = self.node
        cases = [
            ({"metric_ids": ["api.latency_p95", "bogus"]}, 404, "unknown metric 'bogus'"),
            # A 5-minute metric may look 6 h ahead (48 steps would be 4 h);
            # an hourly one 48 h.
            ({"metric_ids": ["api.latency_p95"], "horizon_minutes": 900}, 400,
             "horizon_minutes 900 is beyond metric 'api.latency_p95': it is sampled every 5 "
             "minutes, so at most 360"),
            ({"metric_ids": ["api.latency_p95"], "horizon_minutes": 20000}, 400,
             "horizon_minutes must be between 5 and 10080, found 20000"),
            ({"metric_ids": ["api.latency_p95"], "horizon_minutes": 0}, 400,
             "horizon_minutes' must be a positive number"),
            ({"metric_ids": ["api.latency_p95"], "horizon_minutes": "60"}, 400,
             "field 'horizon_minutes' must be a number, found string"),
            ({"horizon_minutes": 60}, 400, "field 'metric_ids' is missing"),
            ({"metric_ids": [1]}, 400, "metric_ids[0] must be a string, found number"),
            ({"metric_ids": []}, 400, "metric_ids must name at least one metric"),
            ({"metric_ids": ["api.error_rate"], "horizon": 60}, 400, "unknown field 'horizon'"),
            (b"{not json", 400, "body is not valid JSON"),
        ]
        for body, code, message in cases:
            status, answer = predict(node, body)
            self.assertEqual(status, code, (body, answer))
            self.assertIn(message, answer["error"], body)
        status, _ = predict(node, {"metric_ids": ["api.latency_p95"]}, headers={})
        self.assertEqual(status, 401)


class TrainingTest(unittest.TestCase):

    def test_training_on_schedule_on_demand_and_artifact_fallback(self):
        node = Node(args=["--simulate", "--time-scale", "3600", "--seed", "5"]).start()
        data_dir = node.data_dir
        try:
            # The 6-hour cycle comes after 6 s of real time at 3600x.
            self.assertTrue(node.wait_for_log("[AUTO-TRAIN] ✅ Training complete: cycle #1,", 40),
                            node.output())
            self.assertIn("[AUTO-TRAIN] 🎓 Collecting metrics for ML training...", node.output())
            self.assertIn("[AUTO-TRAIN] 🧠 Training forecaster on 14 metrics...", node.output())
            status, stats = request(node.port, "GET", "/api/ml/forecaster/statistics")
            self.assertEqual(status, 200, stats)
            self.assertGreaterEqual(stats["training_cycles"], 1)
            self.assertEqual(stats["metrics_modelled"], 14)
            self.assertEqual(len(stats["validation"]["per_metric"]), 14)
            self.assertTrue(stats["model_version"].startswith("tft-"))
            # Training needs the token, then answers with the new cycle's record.
            status, _ = request(node.port, "POST", "/api/ml/forecaster/train")
            self.assertEqual(status, 401)
            status, first = request(node.port, "POST", "/api/ml/forecaster/train", headers=AUTH)
            self.assertEqual(status, 200, first)
            status, second = request(node.port, "POST", "/api/ml/dashboard/trigger-training",
                                     headers=AUTH)
            self.assertEqual(status, 200, second)
            self.assertEqual(second["training"]["cycle"], first["training"]["cycle"] + 1)
            self.assertEqual(second["training"]["metrics"], 14)
            cycles = second["training"]["cycle"]
        finally:
            node.proc.send_signal(2)
            node.proc.wait(timeout=10)
        artifacts = os.path.join(data_dir, "ml_artifacts", "temporal_forecaster")
        self.assertTrue(os.path.exists(os.path.join(artifacts, "tft_model.json")))
        versions = sorted(glob.glob(os.path.join(artifacts, "tft_model.v*.json")))
        self.assertTrue(versions)
        records = glob.glob(os.path.join(data_dir, "grace_training", "code_patterns", "*",
                                         "*_tft_training_*.json"))
        self.assertGreaterEqual(len(records), cycles)
        with open(sorted(records)[-1]) as f:
            record = json.load(f)
        self.assertEqual(record["type"], "tft_training")
        self.assertIn("per_metric", record["validation"])
        # A torn current artifact: the restarted node reports it and loads the
        # newest previous version; cycle numbers continue.
        with open(os.path.join(artifacts, "tft_model.json"), "w") as f:
            f.write('{"format": "grace.temporal_forecaster", "version": 1, "series": [')
        first = node  # owns the data directory: keep it alive
        node = Node(data_dir=data_dir)
        try:
            node.start()
            self.assertTrue(node.wait_for_log("Temporal Forecaster ready (14 metrics)"),
                            node.output())
            self.assertIn("is unusable", node.output())
            status, stats = request(node.port, "GET", "/api/ml/forecaster/statistics")
            self.assertEqual(status, 200)
            self.assertIn("tft_model.v", stats["loaded_from"])
            self.assertEqual(len(stats["rejected_artifacts"]), 1)
            self.assertEqual(stats["training_cycles"], cycles)
        finally:
            node.stop()
            first.stop()


if __name__ == "__main__":
    grace_node.main()
