#!/usr/bin/python3
"""P1 figures per NAB category, five decimals, with the scorer of EVALUATION.md.

Usage: p1_categories.py DATA_DIR FC_DIR [METHOD]
FC_DIR holds <category>.<series>.<method>.csv beside R's naive
(<category>.<series>.naive.csv, from fc_run.sh). Prints, for METHOD (default
grace), one line per category, the two artificial categories together (as
in EVALUATION.md), and all series: rel_mase and rel_winkler (geometric means
over series relative to naive, floored at 0.01 as fc_summary.py), cov80, cov95.
"""
import glob, math, os, sys

sys.path.insert(0, "/work/shared/tools")
from fc_metrics import series, evaluate  # noqa: E402

data_dir, fc_dir = sys.argv[1], sys.argv[2]
method = sys.argv[3] if len(sys.argv) > 3 else "grace"
found = {}
for p in glob.glob(os.path.join(fc_dir, "*.csv")):
    cat, name, m = os.path.basename(p)[:-4].split(".", 2)
    found.setdefault(m, {})[(cat, name)] = p
keys = sorted(set(found.get(method, {})) & set(found.get("naive", {})))
scores = {}
for k in keys:
    y = series(os.path.join(data_dir, k[0], k[1] + ".csv"))
    scores[k] = (evaluate(y, found[method][k]), evaluate(y, found["naive"][k]))


def line(label, ks):
    if not ks:
        return
    n = len(ks)
    gm = lambda f: math.exp(sum(math.log(max(scores[k][0][f], .01) / max(scores[k][1][f], .01)) for k in ks) / n)
    mean = lambda f: sum(scores[k][0][f] for k in ks) / n
    print("%-22s n=%2d rel_mase=%.5f rel_winkler=%.5f cov80=%.4f cov95=%.4f"
          % (label, n, gm("mase"), gm("winkler80"), mean("cov80"), mean("cov95")))


cats = sorted({k[0] for k in keys})
for c in cats:
    line(c, [k for k in keys if k[0] == c])
line("artificial", [k for k in keys if k[0].startswith("artificial")])
line("all", keys)
