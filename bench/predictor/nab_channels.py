#!/usr/bin/python3
"""Prototype of new evidence channels for the anomaly score, in Python, on
NAB. Exploration only: a channel that wins here is then written in
anomaly_score.cpp and measured with nab_loco.py on the binary.

Usage:
  1. dump the raw evidence once (as for nab_post.py):
     nab_loco.py --bin grace-detect-dev --work RAW \
         --grid '[{"hold_ms": 1, "peak_delay": 0, "warmup_samples": 0, "refractory_ms": 0, "refractory_samples": 0}]'
  2. nab_channels.py RAW/<key> --grid GRID.json

Each setting names one channel computed from the values (streaming: rows up
to each timestamp only), judged against the metric's own history of that
statistic (a Gaussian upper tail around its running mean and variance, as
the scorer's window channels are), and joined to the dumped evidence as one
more tail probability in the smallest; then the node's last stage
(nab_post.post with its defaults) and the NAB scorer, in sample and LOCO.

Channels (key "channel"):
  none       the dumped evidence alone (the node's default)
  horizon    k-step-ahead error: x minus the median of the level_window
             samples that ended `horizon` samples ago (the forecast made
             then), scaled by its own clipped EWMA of |error|; statistic =
             |mean of that over the recent window|
  daily      x minus the value one day earlier (one period back, the
             period from the sampling interval; by_time: the row at or just
             before the same time yesterday), scaled the same way; |window
             mean|; gate: judged only while yesterday predicts better than
             the rolling median (EWMA 0.005 of each |error|, the model's
             choice rule)
  rank       the recent window's median against the previous `long`
             samples: -log10 of its two-sided empirical percentile
Parameters: window (12), horizon (12), long (2016), alpha (0.0002: the
memory of the judge), scale_alpha (0.003), sd_floor (0.1), level_window (48);
start: the channel's first row (the scorer's starts once its model is
ready and holds the levels: row 107 at horizon 12); hist: judged by a decaying histogram with an exponential tail (the scorer's
tail_histogram) instead of the Gaussian. Round 8 of
docs/evaluation/detection.md; the k-step channel is the scorer's
horizon_samples option.
"""
import argparse, json, math, os, sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import nab_post as npost  # noqa: E402

DATA = "/work/shared/data/nab/data"
DEF = {"channel": "none", "window": 12, "horizon": 12, "long": 2016, "alpha": 0.0002,
       "scale_alpha": 0.003, "sd_floor": 0.1, "level_window": 48,
       "clip": 6.0, "post": {}}


def step_of(ts):
    steps = np.diff(ts)
    steps = np.sort(steps[steps > 0][:16])
    return int(steps[len(steps) // 2]) if len(steps) else 0


def scaled(err, alpha, clip):
    """err / s, s = EWMA of |err| clipped at clip * s (the model's scale rule)."""
    z = np.zeros(len(err))
    s, n = 0.0, 0
    for i, e in enumerate(err):
        if not np.isfinite(e):
            continue
        if n >= 12 and s > 0:
            z[i] = e / s
        a = max(alpha, 1.0 / (n + 1))
        s += a * ((min(abs(e), clip * s) if n >= 12 and s > 0 else abs(e)) - s)
        n += 1
    return np.clip(z, -30, 30)


def judge(stat, alpha, sd_floor, valid):
    """Gaussian upper-tail evidence (-log10 p) of each value against the running
    mean and variance of the earlier ones (HTM's likelihood, as gaussian_memory)."""
    e = np.zeros(len(stat))
    mean = var = 0.0
    n = 0
    for i, x in enumerate(stat):
        if not valid[i]:
            continue
        if n > 0:
            zz = (x - mean) / max(math.sqrt(var), sd_floor)
            if zz > 0:
                e[i] = -math.log10(max(math.erfc(zz / math.sqrt(2.0)), 1e-300))
        a = max(alpha, 1.0 / (n + 1))
        d = x - mean
        mean += a * d
        var = (1 - a) * (var + a * d * d)
        n += 1
    return e


class TailHistogram:
    """tail_histogram of anomaly_score.cpp: decaying log-binned histogram,
    empirical upper tail inside the data, exponential tail (top tail_share)
    beyond, mean excess at least min_excess."""
    BINS = 64

    def __init__(self, max_value=30.0):
        self.mx = max_value
        self.w = np.zeros(self.BINS)
        self.n = 0
        self.a_eff = 1.0
        self.lmx = math.log1p(max_value)

    def u_of(self, x):
        return min(max(self.BINS * math.log1p(max(x, 0.0)) / self.lmx, 0.0), float(self.BINS))

    def x_of(self, u):
        return math.expm1(u / self.BINS * self.lmx)

    def upper_tail(self, x, share, min_excess):
        if self.n == 0:
            return 1.0
        w = self.w
        n_eff = 1.0 / self.a_eff
        u = self.u_of(x)
        b = min(int(u), self.BINS - 1)
        m = w[b] * (b + 1 - u) + w[b + 1:].sum()
        p_emp = (max(m, 0.0) * n_eff + 1.0) / (n_eff + 1.0)
        above = 0.0
        b = self.BINS - 1
        while b >= 0:
            if above + w[b] >= share:
                break
            above += w[b]
            b -= 1
        if b < 0:
            return p_emp
        frac = (share - above) / w[b] if w[b] > 0 else 0.0
        u_q = b + 1 - frac
        x_q = self.x_of(u_q)
        if x <= x_q:
            return p_emp
        ssum = (share - above) * (self.x_of(0.5 * (u_q + b + 1)) - x_q)
        mass = share - above
        for i in range(b + 1, self.BINS):
            ssum += w[i] * (self.x_of(i + 0.5) - x_q)
            mass += w[i]
        excess = max(ssum / mass if mass > 0 else 0.0, min_excess)
        p_tail = share * math.exp(-(x - x_q) / excess) if excess > 0 else 0.0
        return max(min(p_emp, p_tail), 1e-300)

    def add(self, x, alpha):
        if not math.isfinite(x):
            x = self.mx
        self.n += 1
        self.a_eff = max(alpha, 1.0 / self.n)
        self.w *= 1.0 - self.a_eff
        self.w[min(int(self.u_of(x)), self.BINS - 1)] += self.a_eff


def judge_hist(stat, alpha, share, min_excess, valid, cap=30.0):
    h = TailHistogram(cap)
    e = np.zeros(len(stat))
    for i, x in enumerate(stat):
        if not valid[i]:
            continue
        e[i] = -math.log10(h.upper_tail(x, share, min_excess))
        h.add(x, alpha)
    return e


def channel(ts, x, p):
    c = p["channel"]
    n = len(x)
    if c == "none":
        return np.zeros(n)
    w = p["window"]
    s = pd.Series(x)
    if c in ("horizon", "daily"):
        if c == "horizon":
            h = p["horizon"]
            ref = s.rolling(p["level_window"], min_periods=p["level_window"]).median().shift(h)
        else:
            step = step_of(ts)
            per = int((86400000 + step // 2) // step) if step else 0
            if per < 4 or per > 2016:
                return np.zeros(n)
            if p.get("by_time"):
                # the value at or just before the same time a day earlier
                # (gaps make the row a period back another time of day)
                j = np.searchsorted(ts, ts - 86400000, side="right") - 1
                ok = (j >= 0) & (ts[np.maximum(j, 0)] > ts - 86400000 - step)
                ref = pd.Series(np.where(ok, x[np.maximum(j, 0)], np.nan))
            else:
                ref = s.shift(per)
        err = (s - ref).to_numpy()
        if p.get("start", 0) > 0:
            err[:p["start"]] = np.nan  # the channel starts at this row (the scorer's model warm-up)
        z = scaled(err, p["scale_alpha"], p["clip"])
        valid = np.isfinite(err)
        if c == "daily" and p.get("gate"):
            # judged only while yesterday predicts better than the rolling
            # median (the model's choice rule: EWMA 0.005 of each |error|)
            loc = np.abs(x - s.rolling(p["level_window"], min_periods=1).median().shift(1).to_numpy())
            dm = lm = 0.0
            nd = nl = 0
            gate = np.zeros(n, dtype=bool)
            for i in range(n):
                gate[i] = nd >= 48 and dm < lm
                if np.isfinite(err[i]):
                    nd += 1
                    dm += max(0.005, 1.0 / nd) * (abs(err[i]) - dm)
                if np.isfinite(loc[i]):
                    nl += 1
                    lm += max(0.005, 1.0 / nl) * (loc[i] - lm)
            valid_gate = gate
        stat = np.abs(pd.Series(z).rolling(w, min_periods=w).mean().to_numpy())
        valid = valid & np.isfinite(stat)
        stat = np.nan_to_num(stat)
        if c == "daily" and p.get("gate"):
            return judge(stat, p["alpha"], p["sd_floor"], valid) * valid_gate
        if p.get("hist"):
            return judge_hist(stat, p["alpha"], p.get("share", 0.05), 1.0 / math.sqrt(w), valid)
        return judge(stat, p["alpha"], p["sd_floor"], valid)
    if c == "rank":
        L = p["long"]
        med = s.rolling(w, min_periods=w).median().to_numpy()
        e = np.zeros(n)
        stat = np.zeros(n)
        valid = np.zeros(n, dtype=bool)
        for i in range(w + 2 * w, n):
            lo = max(0, i - w - L + 1)
            hist = x[lo:i - w + 1]
            if len(hist) < 4 * w:
                continue
            below = np.count_nonzero(hist < med[i]) + 0.5 * np.count_nonzero(hist == med[i])
            F = (below + 0.5) / (len(hist) + 1)
            stat[i] = -math.log10(2 * min(F, 1 - F))
            valid[i] = True
        if p.get("hist"):
            return judge_hist(stat, p["alpha"], p.get("share", 0.05), 0.1, valid, cap=4.0)
        return judge(stat, p["alpha"], p["sd_floor"], valid)
    raise ValueError(c)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw")
    ap.add_argument("--grid", required=True)
    ap.add_argument("--labels", default="/work/shared/data/nab/labels/combined_windows.json")
    a = ap.parse_args()
    labels = json.load(open(a.labels))
    corpus = npost.Corpus(a.raw, labels)
    values = {}
    for key, ts, raw, n_drop, wt, wid in corpus.files:
        df = pd.read_csv(os.path.join(DATA, key))
        values[key] = df["value"].to_numpy(dtype=float)
        assert len(values[key]) == len(raw), key
    grid = json.loads(open(a.grid).read() if os.path.exists(a.grid) else a.grid)
    results = []
    for s in grid:
        p = dict(DEF, **s)
        scored = {}
        for key, ts, raw, n_drop, wt, wid in corpus.files:
            e = channel(ts, values[key], p)
            comb = np.maximum(raw, e / (e + 10.0))
            sc = npost.post(ts, comb, p["post"])[n_drop:]
            scored[key] = (sc, wt, wid)
        r, held = npost.summary(scored)
        r["setting"] = s
        results.append(r)
        print("%-70s all=%.2f %s" % (json.dumps(s, sort_keys=True), r["all"]["standard"],
              " ".join("%s=%.2f" % (c[4:12], r["cat"]["standard"][c]) for c in held)), flush=True)
    npost.print_loco(results, held)


if __name__ == "__main__":
    main()
