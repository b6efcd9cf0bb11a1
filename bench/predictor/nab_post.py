#!/usr/bin/python3
"""Prototype of the anomaly score's last stage (episode rule + refractory
period) in Python, on the raw evidence stream, scored on NAB in sample and
leave-one-category-out. Exploration only: a rule that wins here is then
written in anomaly_score.cpp and measured with nab_loco.py on the binary.

Usage:
  1. dump the raw evidence once (every score = the raw evidence e/(e+10)):
     nab_loco.py --bin grace-detect-dev --work RAW \
         --grid '[{"hold_ms": 1, "peak_delay": 0, "warmup_samples": 0, "refractory_ms": 0, "refractory_samples": 0}]'
  2. nab_post.py RAW/<key> --grid GRID.json   (a list of post-processing settings)

Post-processing settings (defaults = the node's defaults): hold_ms,
repeat_factor, new_high_margin, peak_delay, refractory_ms, fire_level,
warmup_samples, and the prototypes:
  refractory_samples  the rest in samples of the series' sampling interval
                      (as the model infers it): the rest is the longer of
                      refractory_ms and refractory_samples steps;
  hold_samples        the same for the episode rule's hold_ms;
  calm_level, calm_samples  the rest also lasts until the raw evidence has
                      stayed below calm_level for calm_samples samples in a
                      row (the episode's end, learned from the data).
With the node's defaults it scores what the binary scores (68.91 before
round 7, 69.19 after); --check DIR prints the largest per-sample difference
to a binary's output (0.02: the dump's 9 digits flip one comparison).
"""
import argparse, bisect, json, math, os, sys
from collections import deque

import numpy as np

TOOLS = os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import nab_score as ns  # noqa: E402

NO_WINDOWS = "artificialNoAnomaly"
DEFAULTS = {"hold_ms": 12 * 3600000, "repeat_factor": 0.25, "new_high_margin": 0.1,
            "peak_delay": 3, "refractory_ms": 3600000, "fire_level": 0.3,
            "warmup_samples": 150, "refractory_samples": 18, "hold_samples": 0,
            "calm_level": 0.0, "calm_samples": 0}


def post(ts, raw, s):
    """The episode rule and refractory period of anomaly_scorer::update."""
    p = dict(DEFAULTS, **s)
    hold, rep, margin, delay = p["hold_ms"], p["repeat_factor"], p["new_high_margin"], p["peak_delay"]
    fire, warm = p["fire_level"], p["warmup_samples"]
    refr = p["refractory_ms"]
    if p["refractory_samples"] > 0:
        # the model's sampling interval: the upper median of the first 16 positive steps
        steps = np.diff(ts)
        steps = np.sort(steps[steps > 0][:16])
        if len(steps) == 16:
            refr = max(refr, p["refractory_samples"] * int(steps[8]))
    if p["hold_samples"] > 0:
        steps = np.diff(ts)
        steps = np.sort(steps[steps > 0][:16])
        if len(steps) == 16:
            hold = max(hold, p["hold_samples"] * int(steps[8]))
    peaks = deque()
    pending, age, fired = -1.0, 0, None
    calm_level, calm_n = p["calm_level"], p["calm_samples"]
    episode, calm_run = False, 0
    out = np.zeros(len(raw))
    for i in range(len(raw)):
        t, r = ts[i], raw[i]
        n = i + 1
        while peaks and peaks[0][0] + hold <= t:
            peaks.popleft()
        fresh = r > 0.0 and (not peaks or peaks[0][1] * (1.0 + margin) < r)
        while peaks and peaks[-1][1] <= r:
            peaks.pop()
        peaks.append((t, r))
        reported = r if fresh else r * rep
        if pending >= 0.0 and fresh and age < delay:
            pending = r
            age += 1
            reported = r * rep
        elif pending >= 0.0:
            reported = r if fresh else max(pending, reported)
            pending = -1.0
        elif fresh and delay > 0:
            pending, age = r, 1
            reported = r * rep
        if episode:
            calm_run = calm_run + 1 if r < calm_level else 0
            if calm_run >= calm_n:
                episode = False
        if refr > 0 and n > warm:
            if (fired is not None and t - fired < refr) or episode:
                reported = min(reported, r * rep)
            elif reported >= fire:
                fired = t
                if calm_n > 0:
                    episode, calm_run = True, 0
        out[i] = reported if n > warm else 0.0
    return out


class Corpus:
    """Per file: timestamps (ms), raw evidence, and NAB's per-row weights."""

    def __init__(self, raw_dir, labels):
        self.files = []
        for key, rows, wins in ns.load(raw_dir, labels):
            ts = np.array([int(r[0].timestamp() * 1000) for r in rows], dtype=np.int64)
            raw = np.array([r[1] for r in rows])
            pts = ns.file_points([(r[0], 0.0) for r in rows], wins, 1.0, 1.0)
            n_drop = len(rows) - len(pts)
            wid = [w for _, _, w in pts]
            # tp weight (tpw = 1) and fp unit weight (fpw = 1: scaled per profile)
            wt = np.array([w for _, w, _ in pts])
            self.files.append((key, ts, raw, n_drop, wt, wid))

    def keys(self):
        return [f[0] for f in self.files]


def corpus_score(parts, profile):
    """parts: list of (scores, weights, window ids) after probation.
    Vectorised nab_score.corpus_score; returns the normalised score."""
    tpw, fpw, fnw = ns.PROFILES[profile]
    ev_s, ev_d = [], []
    nwin = 0
    for sc, wt, wid in parts:
        isfp = np.array([w is None for w in wid])
        if isfp.any():
            ev_s.append(sc[isfp])
            ev_d.append(wt[isfp] * fpw)
        # windows: running max of tp weight as the threshold falls
        ids = {}
        for j, w in enumerate(wid):
            if w is not None:
                ids.setdefault(w, []).append(j)
        for w, idx in ids.items():
            nwin += 1
            idx = np.array(idx)
            s, t = sc[idx], wt[idx] * tpw
            order = np.lexsort((-t, -s))  # by score desc (ties: any order; resolved per group below)
            s, t = s[order], t[order]
            best = -fnw
            for k in range(len(s)):
                if t[k] > best:
                    ev_s.append(np.array([s[k]]))
                    ev_d.append(np.array([t[k] - best]))
                    best = t[k]
    s = np.concatenate(ev_s) if ev_s else np.zeros(0)
    d = np.concatenate(ev_d) if ev_d else np.zeros(0)
    order = np.argsort(-s, kind="stable")
    s, d = s[order], d[order]
    cum = np.cumsum(d)
    base = -fnw * nwin
    if len(s):
        last = np.r_[s[1:] != s[:-1], True]  # end of each group of equal scores
        best = max(base, base + cum[last].max())
    else:
        best = base
    perfect, null = tpw * nwin, -fnw * nwin
    return 100.0 * (best - null) / (perfect - null) if perfect != null else 0.0


def evaluate(corpus, setting, profiles=("standard",)):
    scored = {}
    for key, ts, raw, n_drop, wt, wid in corpus.files:
        sc = post(ts, raw, setting)[n_drop:]
        scored[key] = (sc, wt, wid)
    return scored


def summary(scored, profiles=("standard",)):
    keys = list(scored)
    cats = sorted({k.split("/")[0] for k in keys})
    held = [c for c in cats if c != NO_WINDOWS]
    r = {"all": {}, "cat": {}, "tune": {}}
    for p in profiles:
        r["all"][p] = corpus_score([scored[k] for k in keys], p)
        r["cat"][p] = {c: corpus_score([scored[k] for k in keys if k.startswith(c + "/")], p)
                       for c in held}
        r["tune"][p] = {c: corpus_score([scored[k] for k in keys if not k.startswith(c + "/")], p)
                        for c in held}
    return r, held


def print_loco(results, held, profile="standard"):
    """Leave one category out: each held category scored with the setting
    best on the other categories (r["tune"]), and the mean over them."""
    loco = []
    for c in held:
        chosen = max(results, key=lambda r: r["tune"][profile][c])
        loco.append(chosen["cat"][profile][c])
        print("LOCO %-24s %.2f  chosen %s" % (c, chosen["cat"][profile][c],
                                              json.dumps(chosen["setting"], sort_keys=True)))
    print("LOCO mean %.2f" % (sum(loco) / len(loco)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw")
    ap.add_argument("--grid", required=True, help="JSON file or inline JSON list")
    ap.add_argument("--labels", default="/work/shared/data/nab/labels/combined_windows.json")
    ap.add_argument("--check", help="a binary's output dir for the defaults: compare")
    ap.add_argument("--profiles", default="standard")
    a = ap.parse_args()
    labels = json.load(open(a.labels))
    corpus = Corpus(a.raw, labels)
    profiles = ns.PROFILES if a.profiles == "all" else a.profiles.split(",")
    if a.check:
        worst = 0.0
        for key, ts, raw, n_drop, wt, wid in corpus.files:
            mine = post(ts, raw, {})
            theirs = np.array([r[1] for r in ns.load(a.check, {key: []})[0][1]])
            worst = max(worst, float(np.abs(mine - theirs).max()))
        print("largest difference to the binary's defaults: %.3g" % worst)
    grid = json.loads(open(a.grid).read() if os.path.exists(a.grid) else a.grid)
    results = []
    for s in grid:
        r, held = summary(evaluate(corpus, s), profiles)
        r["setting"] = s
        results.append(r)
        print("%-60s all=%.2f %s" % (json.dumps(s, sort_keys=True), r["all"]["standard"],
              " ".join("%s=%.2f" % (c[4:12], r["cat"]["standard"][c]) for c in held)), flush=True)
    print_loco(results, held)


if __name__ == "__main__":
    main()
