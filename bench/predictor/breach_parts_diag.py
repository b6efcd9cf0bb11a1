#!/usr/bin/python3
"""Where one warner output loses P3h against another: ranking within files,
false-warning fragmentation, or the scale across files (Round 10 of
docs/evaluation/early_warning.md).

Usage:
  breach_parts_diag.py A_DIR B_DIR [--data DIR] [--work DIR]

A_DIR and B_DIR are two `warn` result folders of the same corpus (e.g. two
settings' folders of breach_loco.py's --work). Prints, per file and pooled:
  1. ranking of rows: positives = rows 15-60 min before a fresh crossing
     (P3h's events, after the 24 h warm-up), negatives = rows with no value
     above T in the next 60 min; the share of positives above the per-file
     cut that passes 2/5/10/20 % of the negatives (the same false-row rate
     in every file, so the scale across files plays no part);
  2. fragmentation: false-warning episodes (P3h's, capped at 60 min) per 100
     false rows at the per-file cut passing 10 % of the negatives;
  3. each file scored alone with breach_score (its own cut): P3h AUC of A and B;
  4. upper bounds of any per-file choice of A or B, chosen in hindsight by (3):
     the corpus P3h with the chosen outputs as they are, and with B's outputs
     mapped onto A's values of the same file by rank (B's order, A's scale).
Uses only the data and the two folders; looks at nothing held out.
"""
import argparse, os, sys
import numpy as np

TOOLS = os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import breach_score as bs  # noqa: E402


def row_sets(t, y, T):
    """Positive and negative rows (see the docstring) and the fresh events' times."""
    n, br = len(y), y > T
    events, last = [], -1e18
    for i in range(n):
        if br[i]:
            if t[i] - last > 60 and i > 0 and t[i] >= t[0] + 1440:
                events.append(t[i])
            last = t[i]
    events, bt = np.array(events), t[br]
    pos, neg = np.zeros(n, bool), np.zeros(n, bool)
    for i in range(n):
        if br[i] or t[i] < t[0] + 1440:
            continue
        j = np.searchsorted(bt, t[i], side="right")
        if j >= len(bt) or bt[j] > t[i] + 60:
            neg[i] = True
        else:
            k = np.searchsorted(events, t[i] + 15, side="left")
            pos[i] = k < len(events) and events[k] <= t[i] + 60
    return pos, neg


def episodes(mask, t):
    n, i, ep = len(mask), 0, 0
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            ep += 1 + int((t[j] - t[i]) // 60)
            i = j + 1
        else:
            i += 1
    return ep


def write_scores(path, ts, s):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("timestamp,score\n")
        for i in range(len(s)):
            f.write("%s,%.9g\n" % (ts[i].strftime("%Y-%m-%d %H:%M:%S"), s[i]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--data", default="/work/shared/data/nab/data")
    ap.add_argument("--work", default="/tmp/breach_parts_diag")
    o = ap.parse_args()
    fprs = [0.02, 0.05, 0.10, 0.20]
    tpr = np.zeros((2, len(fprs)))
    frag = np.zeros((2, 2))
    n_pos = 0
    better = [0, 0]
    raw, mapped = os.path.join(o.work, "choice_raw"), os.path.join(o.work, "choice_mapped")
    print("file pos | TPR@2/5/10/20%% A | B | episodes/100 false rows A B | alone AUC A B")
    for key, path in bs.load_corpus(o.data):
        ts, t, y = bs.read_series(path)
        T = bs.threshold(y)
        pos, neg = row_sets(t, y, T)
        s = [bs.read_scores(os.path.join(d, key), ts) for d in (o.a, o.b)]
        line = [key.split("/")[1][:30], str(int(pos.sum()))]
        for k in range(2):
            sn = np.sort(s[k][neg])[::-1]
            if pos.any() and len(sn):
                r = []
                for fi, f in enumerate(fprs):
                    v = (s[k][pos] > sn[int(f * len(sn))]).mean()
                    tpr[k, fi] += v * pos.sum()
                    r.append("%.2f" % v)
                line.append(" ".join(r))
            if len(sn):
                false_rows = (s[k] > sn[int(0.10 * len(sn))]) & neg
                frag[k] += [false_rows.sum(), episodes(false_rows, t)]
        n_pos += pos.sum()
        alone = os.path.join(o.work, "alone", key.replace("/", "__"))
        if not os.path.isdir(alone):
            os.makedirs(os.path.join(alone, key.split("/")[0]))
            os.symlink(path, os.path.join(alone, key))
        auc = [bs.evaluate(alone, d, cap=60.0)["auc"] for d in (o.a, o.b)]
        use_b = auc[1] > auc[0] + 1e-9
        better[1 if use_b else 0] += 1
        line.append("%.3f %.3f" % tuple(auc))
        print(" | ".join(line), flush=True)
        ranks = np.argsort(np.argsort(s[1], kind="stable"), kind="stable")
        write_scores(os.path.join(raw, key), ts, s[1] if use_b else s[0])
        write_scores(os.path.join(mapped, key), ts, np.sort(s[0])[ranks] if use_b else s[0])
    print("pooled TPR at the per-file false-row rates 2/5/10/20 %%: A %s, B %s" % (
        " ".join("%.3f" % x for x in tpr[0] / n_pos), " ".join("%.3f" % x for x in tpr[1] / n_pos)))
    print("false episodes per 100 false rows (per-file cut at 10 %% of negatives): A %.1f, B %.1f" % (
        100 * frag[0, 1] / frag[0, 0], 100 * frag[1, 1] / frag[1, 0]))
    print("files alone, better P3h AUC: A %d, B %d (ties go to A)" % tuple(better))
    for name, d in (("as they are", raw), ("B mapped onto A's values", mapped)):
        r = bs.evaluate(o.data, d, cap=60.0)
        print("hindsight per-file choice, %s: early@1 %.3f AUC %.3f" % (name, r[1.0]["early"], r["auc"]))
    for name, d in (("A", o.a), ("B", o.b)):
        r = bs.evaluate(o.data, d, cap=60.0)
        print("%s alone: early@1 %.3f AUC %.3f" % (name, r[1.0]["early"], r["auc"]))


if __name__ == "__main__":
    main()
