#!/usr/bin/python3
"""What the data does in the NAB windows a setting misses (exploration only).

Usage: nab_missed.py RESULTS_DIR [--raw RAW_DIR] [--category C ...] [--threshold T]
       [--block-hours H] [--ref-days D]

For every window of the chosen categories where no score of RESULTS_DIR
reaches the threshold (default: the standard profile's corpus threshold
over all files, as nab_score.py picks it), prints the window, its label
point, the highest reported score inside (and the highest raw evidence
when RAW_DIR, a dump of the raw evidence as in nab_post.py, is given), and
the values in blocks of H hours from a day before the window to its end:
per block the median, the spread (interquartile range), the minimum and
the maximum, each with its percentile among the same statistic of every
block of the D days before the window (100: higher than any block there,
0: lower). A level shift shows as a run of extreme medians, a variance
change as extreme spreads with ordinary medians, a drop to a floor as
extreme minima; a window whose blocks stay within 5-95 holds nothing the
preceding days did not.
"""
import argparse, csv, json, os, sys
from datetime import timedelta

import numpy as np

TOOLS = os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import nab_score as ns  # noqa: E402

DATA = "/work/shared/data/nab/data"
LABELS = "/work/shared/data/nab/labels"


def read(path, col):
    ts, xs = [], []
    with open(path) as f:
        for r in csv.DictReader(f):
            ts.append(ns.parse_ts(r["timestamp"]))
            xs.append(float(r[col]))
    return ts, np.array(xs)


def block_stats(x):
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    return med, q3 - q1, x.min(), x.max()


def pct(ref, v):
    ref = np.asarray(ref)
    if len(ref) == 0:
        return float("nan")
    return 100.0 * (np.sum(ref < v) + 0.5 * np.sum(ref == v)) / len(ref)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--raw")
    ap.add_argument("--category", action="append")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--block-hours", type=float, default=6.0)
    ap.add_argument("--ref-days", type=float, default=7.0)
    a = ap.parse_args()
    windows = json.load(open(os.path.join(LABELS, "combined_windows.json")))
    points = json.load(open(os.path.join(LABELS, "combined_labels.json")))
    files = ns.load(a.results, windows)
    tpw, fpw, fnw = ns.PROFILES["standard"]
    scored = [(k, ns.file_points(rows, wins, tpw, fpw)) for k, rows, wins in files]
    _, thr, _ = ns.corpus_score(scored, tpw, fpw, fnw)
    t = a.threshold if a.threshold is not None else thr
    print("threshold %.4f" % t)
    block = timedelta(hours=a.block_hours)
    for key, wins in sorted(windows.items()):
        if a.category and key.split("/")[0] not in a.category:
            continue
        ts, score = read(os.path.join(a.results, key), "anomaly_score")
        _, val = read(os.path.join(DATA, key), "value")
        raw = read(os.path.join(a.raw, key), "anomaly_score")[1] if a.raw else None
        tarr = np.array(ts)
        for i, (s, e) in enumerate(wins):
            s, e = ns.parse_ts(s), ns.parse_ts(e)
            inside = (tarr >= s) & (tarr <= e)
            if score[inside].max(initial=0.0) >= t:
                continue
            lab = [p for p in points.get(key, []) if s <= ns.parse_ts(p) <= e]
            print("\n%s window #%d %s .. %s  label %s  reported max %.3f%s" % (
                key, i + 1, s, e, ",".join(lab), score[inside].max(initial=0.0),
                "  raw max %.3f" % raw[inside].max(initial=0.0) if raw is not None else ""))
            # Reference: every block of the ref-days before the window.
            ref = []
            b0 = s - timedelta(days=a.ref_days)
            while b0 + block <= s:
                m = (tarr >= b0) & (tarr < b0 + block)
                if m.sum() >= 2:
                    ref.append(block_stats(val[m]))
                b0 += block
            ref = np.array(ref) if ref else np.zeros((0, 4))
            print("  %-19s %4s  %10s %4s  %10s %4s  %10s %4s  %10s %4s" % (
                "block", "n", "median", "pct", "spread", "pct", "min", "pct", "max", "pct"))
            b0 = s - timedelta(days=1)
            while b0 < e:
                m = (tarr >= b0) & (tarr < b0 + block)
                if m.sum() >= 2:
                    st = block_stats(val[m])
                    mark = "*" if any(b0 <= ns.parse_ts(p) < b0 + block for p in lab) else (
                        " " if b0 < s else "|")
                    print("  %s%-18s %4d  " % (mark, b0.strftime("%m-%d %H:%M"), m.sum()) + "  ".join(
                        "%10.4g %4.0f" % (st[j], pct(ref[:, j], st[j])) for j in range(4))
                        + "  score %.2f" % score[m].max())
                b0 += block


if __name__ == "__main__":
    main()
