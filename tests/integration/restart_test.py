#!/usr/bin/env python3
"""What a node keeps across restarts, through the real binary: under a time
scale virtual time resumes where the node stopped (a restart once began again
from the wall clock, leaving everything stored hours "in the future"), after a
SIGTERM and after a kill -9; and RL event ids never repeat after a crash.

Run by ctest as `restart_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import json
import os
import re
import signal
import sys
import time
import unittest
import urllib.parse

import grace_node
from grace_node import TOKEN, Node, request, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def stop(node, sig):
    node.proc.send_signal(sig)
    node.proc.wait(timeout=15)


def hours_since_training(node):
    """The health report's 'last cycle X h ago', or None before a cycle."""
    _, body = request(node.port, "GET", "/api/ml/dashboard/health-report")
    for part in body.get("parts", []):
        if part["name"] == "training_freshness":
            found = re.search(r"last cycle (-?[0-9.]+) h ago", part["detail"])
            return float(found.group(1)) if found else None
    return None


def newest_snapshot_end(node):
    _, body = request(node.port, "GET", "/api/snapshots/latest")
    ends = [s["window_end"] for s in body["snapshots"]]
    return max(ends) if ends else None


class VirtualTimeResumesTest(unittest.TestCase):
    """3600x: one real second is a virtual hour."""

    args = ["--simulate", "--time-scale", "3600", "--seed", "3"]

    def restarted(self, data_dir, newest_before):
        """A node on `data_dir` whose clock carries on after `newest_before`."""
        node = Node(args=self.args, data_dir=data_dir)
        self.nodes.append(node)
        node.start()
        self.assertIn("Virtual time resumes at", node.output())
        hours = hours_since_training(node)
        self.assertIsNotNone(hours, node.output())
        self.assertGreaterEqual(hours, 0.0, node.output())
        later = wait_for(lambda: (newest_snapshot_end(node) or 0) > newest_before
                         and newest_snapshot_end(node), 20)
        self.assertTrue(later, node.output())
        return node, later

    def test_restart_after_sigterm_and_kill_resumes_virtual_time(self):
        first = Node(args=self.args).start()
        self.nodes = [first]
        try:
            self.assertIsNotNone(wait_for(lambda: newest_snapshot_end(first), 20),
                                 first.output())
            time.sleep(3)  # virtual time runs hours ahead of the wall clock
            status, _ = request(first.port, "POST", "/api/ml/dashboard/trigger-training",
                                headers=AUTH)
            self.assertEqual(status, 200)
            newest = newest_snapshot_end(first)
            self.assertGreater(newest, time.time() * 1000 + 2 * 3600 * 1000)
            stop(first, signal.SIGTERM)
            second, newest = self.restarted(first.data_dir, newest)
            time.sleep(1.5)  # at least one periodic save of the clock
            stop(second, signal.SIGKILL)
            self.restarted(first.data_dir, newest)
        finally:
            for node in reversed(self.nodes):
                node.stop()


class EventIdsTest(unittest.TestCase):

    def recommend(self, node):
        query = urllib.parse.urlencode({"service": "grace-api", "diagnosis": "api.latency_p95"})
        status, body = request(node.port, "GET", "/api/ml/causal-rl/recommend?" + query,
                               headers=AUTH)
        self.assertEqual(status, 200, body)
        return body["event_id"]

    def test_event_ids_differ_across_a_crash(self):
        first = Node().start()
        second = None
        try:
            lost = self.recommend(first)  # within the snapshot delay: not saved
            stop(first, signal.SIGKILL)
            second = Node(data_dir=first.data_dir).start()
            fresh = self.recommend(second)
            self.assertNotEqual(fresh, lost)
            # The lost event's late reward is refused, never credited to `fresh`.
            body = json.dumps({"event_id": lost, "reward": 0.9}).encode()
            status, answer = request(second.port, "POST", "/api/ml/causal-rl/reward", body=body,
                                     headers=dict(AUTH, **{"Content-Type": "application/json"}))
            self.assertEqual(status, 404, answer)
        finally:
            if second:
                second.stop()
            first.stop()


if __name__ == "__main__":
    grace_node.main()
