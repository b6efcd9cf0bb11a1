#!/usr/bin/python3
"""Leave-one-category-out choice of a forecaster setting on NAB (P1) and M4.

Usage: p1_loco.py NAME=P1_TXT[,M4_TXT] ...
  P1_TXT: the output of p1_categories.py for one setting (all NAB
  categories); M4_TXT: forecaster_m4_dev's output for the same setting
  (optional; when given for every setting, M4 Hourly's even half is one more
  training category: its odd half stays held out).

Criterion on a set of categories: the mean over them of
log rel_mase + log rel_winkler (M4: log MASE + log Winkler80/scale of the
even half; constants do not change the choice). For each NAB category, the
setting with the best criterion on the others (M4 included) is chosen, and
its figures on the held-out category printed beside the in-sample best.
"""
import math
import re
import sys

LINE = re.compile(r"(\S+)\s+n=\s*(\d+) rel_mase=(\S+) rel_winkler=(\S+) cov80=(\S+) cov95=(\S+)")
CATS = ["artificialNoAnomaly", "artificialWithAnomaly", "realAWSCloudwatch",
        "realAdExchange", "realTraffic", "realTweets"]


def read_p1(path):
    out = {}
    for line in open(path):
        m = LINE.match(line)
        if m:
            out[m.group(1)] = tuple(float(m.group(i)) for i in range(3, 7))
    return out


def read_m4(path):
    mase = wink = None
    for line in open(path):
        m = re.match(r"even\s+series=\d+ smape=\S+ mase=(\S+)", line)
        if m:
            mase = float(m.group(1))
        m = re.match(r"winkler80/scale: all \S+ even (\S+)", line)
        if m:
            wink = float(m.group(1))
    if mase is None or wink is None:
        sys.exit("no even-half MASE / Winkler in " + path)
    return mase, wink


names, p1, m4 = [], {}, {}
for arg in sys.argv[1:]:
    name, files = arg.split("=", 1)
    parts = files.split(",")
    names.append(name)
    p1[name] = read_p1(parts[0])
    if len(parts) > 1:
        m4[name] = read_m4(parts[1])
use_m4 = len(m4) == len(names) and names


def term(n, c):
    if c == "m4even":
        return math.log(m4[n][0]) + math.log(m4[n][1])
    return math.log(p1[n][c][0]) + math.log(p1[n][c][1])


def crit(n, cs):
    return sum(term(n, c) for c in cs) / len(cs)


print("%-10s" % "setting" + "".join("%17s" % c[:15] for c in CATS) + ("   M4 even mase/wink" if use_m4 else ""))
for n in names:
    row = "".join("   %.4f/%.4f" % p1[n][c][:2] for c in CATS)
    print("%-10s" % n[:10] + row + ("   %.3f/%.4f" % m4[n] if use_m4 else ""))
print("leave one NAB category out (chosen on the other five%s):" % (" and M4's even half" if use_m4 else ""))
for c in CATS:
    train = [x for x in CATS if x != c] + (["m4even"] if use_m4 else [])
    chosen = min(names, key=lambda n: crit(n, train))
    best = min(names, key=lambda n: crit(n, [c]))
    print("  %-22s chosen %-8s held out %.5f / %.5f   in-sample best %-8s %.5f / %.5f"
          % (c, chosen, p1[chosen][c][0], p1[chosen][c][1], best, p1[best][c][0], p1[best][c][1]))
