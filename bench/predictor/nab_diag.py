#!/usr/bin/python3
"""Where a NAB score comes from: per file, at one threshold, the windows
detected (and how early, as the share of the window's weight earned), the
missed ones, and the false-positive samples with their cost; per category,
the points of the corpus score lost to missed windows, false positives and
late detections.

Usage: nab_diag.py RESULTS_DIR [LABELS] [--threshold T] [--category C]
Without --threshold the standard profile's corpus threshold over the files
scored is used (as nab_score.py picks it).
"""
import argparse, json, os, sys

sys.path.insert(0, os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools"))
sys.dont_write_bytecode = True
import nab_score as ns  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("labels", nargs="?", default="/work/shared/data/nab/labels/combined_windows.json")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--category")
    ap.add_argument("--profile", default="standard")
    a = ap.parse_args()
    labels = json.load(open(a.labels))
    if a.category:
        labels = {k: v for k, v in labels.items() if k.startswith(a.category + "/")}
    files = ns.load(a.results, labels)
    tpw, fpw, fnw = ns.PROFILES[a.profile]
    scored = [(k, ns.file_points(rows, wins, tpw, fpw)) for k, rows, wins in files]
    raw, thr, nwin = ns.corpus_score(scored, tpw, fpw, fnw)
    t = a.threshold if a.threshold is not None else thr
    print("threshold %.6g (corpus best %.6g, score %.2f)" % (
        t, thr, 100.0 * (raw + fnw * nwin) / (tpw * nwin + fnw * nwin)))
    cat_tot = {}
    for k, pts in scored:
        wins = {}
        fp, fpcost = 0, 0.0
        for s, wt, wid in pts:
            if wid is None:
                if s >= t:
                    fp += 1
                    fpcost += wt
            else:
                wins.setdefault(wid, -fnw)
                if s >= t:
                    wins[wid] = max(wins[wid], wt)
        det = [w for w in wins.values() if w > -fnw]
        c = cat_tot.setdefault(k.split("/")[0], [0, 0, 0, 0.0, 0.0])
        c[0] += len(det)
        c[1] += len(wins)
        c[2] += fp
        c[3] += fpcost
        c[4] += sum(tpw - w for w in det)  # detected, but later than the window's start
        print("%-55s windows %d/%d [%s] fp %d (%.2f)" % (
            k, len(det), len(wins), " ".join("%.2f" % w for w in wins.values()), fp, fpcost))
    # Points of the normalised corpus score each category loses, by cause: a
    # missed window (tpw + fnw), false positives, and a detection late in its
    # window (tpw minus the weight earned). The three sum to 100 - score.
    per_point = 100.0 / (tpw * nwin + fnw * nwin)
    for c, (d, w, fp, cost, late) in sorted(cat_tot.items()):
        print("category %-24s detected %d/%d  fp %d (%.2f)  points lost: missed %.2f, fp %.2f, late %.2f" % (
            c, d, w, fp, cost, (w - d) * (tpw + fnw) * per_point, -cost * per_point, late * per_point))


if __name__ == "__main__":
    main()
