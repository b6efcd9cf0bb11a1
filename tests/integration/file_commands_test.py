#!/usr/bin/env python3
"""Integration tests of the file subcommands through the real binary:
`grace-node detect` (NAB) and `grace-node warn` (protocol P3h) write one row
per input row, the timestamp copied verbatim, in input order, and refuse bad
input with a message.

Run by ctest as `file_commands_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import csv
import math
import os
import subprocess
import sys
import tempfile
import unittest
from datetime import datetime, timedelta

NODE = None


def write_series(path, rows):
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        for ts, v in rows:
            f.write("%s,%s\n" % (ts, v))


def series():
    """Two days at 5 minutes with a repeated timestamp, an hour's gap and a ramp."""
    t0 = datetime(2015, 2, 26, 21, 42, 53)
    rows = []
    for i in range(2 * 288):
        if 300 <= i < 312:
            continue  # a gap
        ts = (t0 + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S")
        v = 10 + 3 * math.sin(i / 20.0) + (0.5 * (i - 500) if i > 500 else 0)
        rows.append((ts, "%.3f" % v))
        if i == 100:
            rows.append((ts, "%.3f" % (v + 1)))  # same timestamp twice
    return rows


class FileCommandsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="grace_files_")
        self.csv = os.path.join(self.dir, "in.csv")
        self.rows = series()
        write_series(self.csv, self.rows)

    def run_node(self, *args):
        return subprocess.run([NODE, *args], capture_output=True, text=True, timeout=120)

    def read(self, path):
        with open(path) as f:
            return list(csv.reader(f))

    def test_warn_writes_a_probability_per_input_row(self):
        out = os.path.join(self.dir, "warn.csv")
        r = self.run_node("warn", "--csv", self.csv, "--threshold", "30", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.read(out)
        self.assertEqual(got[0], ["timestamp", "score"])
        self.assertEqual([row[0] for row in got[1:]], [ts for ts, _ in self.rows])
        scores = [float(row[1]) for row in got[1:]]
        self.assertTrue(all(0.0 <= s <= 1.0 for s in scores))
        # the ramp (from row ~500) reaches 30 near the end: warned before it does
        first_breach = next(i for i, (_, v) in enumerate(self.rows) if float(v) > 30)
        self.assertGreater(max(scores[first_breach - 12:first_breach - 2]), 0.5)
        below = os.path.join(self.dir, "below.csv")
        r = self.run_node("warn", "--csv", self.csv, "--threshold", "2", "--direction", "below",
                          "--out", below)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.read(below)), len(self.rows) + 1)

    def test_warn_counts_a_breach_strictly_beyond_the_threshold_unless_told(self):
        # Two days flat at 5 with a dip every 2 hours: no value is beyond 5,
        # every other value is at it.
        t0 = datetime(2015, 3, 1)
        rows = [((t0 + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S"),
                 "4" if i % 24 == 0 else "5") for i in range(2 * 288)]
        flat = os.path.join(self.dir, "flat.csv")
        write_series(flat, rows)
        strict = os.path.join(self.dir, "strict.csv")
        r = self.run_node("warn", "--csv", flat, "--threshold", "5", "--out", strict)
        self.assertEqual(r.returncode, 0, r.stderr)
        strict_scores = [float(row[1]) for row in self.read(strict)[1:]]
        self.assertEqual(len(strict_scores), len(rows))
        # No value was ever beyond 5: no breach history, only the forecast's own
        # word for a forecast that sits on the threshold (at most even odds).
        self.assertLessEqual(max(strict_scores), 0.5 + 1e-9)
        at = os.path.join(self.dir, "at.csv")
        r = self.run_node("warn", "--csv", flat, "--threshold", "5", "--breach-at-threshold",
                          "--out", at)
        self.assertEqual(r.returncode, 0, r.stderr)
        at_scores = [float(row[1]) for row in self.read(at)[1:]]
        # At 5 is a breach now: on the second day one has followed every value.
        self.assertGreater(min(at_scores[288:]), 0.75)

    def test_warn_refuses_bad_input(self):
        out = os.path.join(self.dir, "never.csv")
        r = self.run_node("warn", "--csv", self.csv, "--threshold", "abc", "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("threshold", r.stderr)
        r = self.run_node("warn", "--csv", self.csv, "--threshold", "1", "--direction", "up",
                          "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("direction", r.stderr)
        bad = os.path.join(self.dir, "bad.csv")
        write_series(bad, [("2015-01-01 00:00:00", "1"), ("not a time", "2")])
        r = self.run_node("warn", "--csv", bad, "--threshold", "1", "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad.csv", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_detect_writes_a_score_per_input_row(self):
        out = os.path.join(self.dir, "detect.csv")
        r = self.run_node("detect", "--csv", self.csv, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.read(out)
        self.assertEqual(got[0], ["timestamp", "value", "anomaly_score"])
        self.assertEqual([tuple(row[:2]) for row in got[1:]], self.rows)
        self.assertTrue(all(0.0 <= float(row[2]) <= 1.0 for row in got[1:]))


if __name__ == "__main__":
    NODE = sys.argv[1]
    unittest.main(argv=sys.argv[:1])
