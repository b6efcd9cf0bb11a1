#!/usr/bin/python3
"""Leave-one-category-out (LOCO) tuning of the anomaly score on NAB.

Usage:
  nab_loco.py --bin DETECT_BIN --grid GRID.json [--data DIR] [--labels FILE]
              [--work DIR] [--jobs 2] [--table OUT.md]

DETECT_BIN is `grace-detect-dev` (or any binary with
`detect --csv F --out O [--params JSON]`; `grace-node detect` takes no
--params, so it can only score the default setting: a grid of one `{}`).
GRID.json is either a list of parameter objects or an object of lists (the
Cartesian product); each setting is passed as --params to every file.

For every setting, every file of DATA (`<category>/<file>.csv`) is scored
once; the outputs are scored with the functions of nab_score.py (the shared
scorer, imported unchanged) on:
  * all files (one threshold, as nab_run.sh does): the in-sample figure;
  * each category alone, with its own threshold (labels of that category
    only, exactly what `nab_score.py OUT labels_of_that_category.json` does);
  * for each category C with anomaly windows, all files except C's
    (artificialNoAnomaly always stays on this tuning side, where it counts
    false positives): the tuning objective when C is left out.
LOCO: for each such C, the setting with the best standard score on the
tuning side is chosen, and C is scored with it. The table reports, per
category, the LOCO score, the chosen setting and the in-sample best.
"""
import argparse, hashlib, itertools, json, os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

TOOLS = os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import nab_score as ns  # noqa: E402

PROFILES = ns.PROFILES
NO_WINDOWS = "artificialNoAnomaly"


def settings_of(grid):
    if isinstance(grid, list):
        return grid
    keys = sorted(grid)
    return [dict(zip(keys, vals)) for vals in itertools.product(*(grid[k] for k in keys))]


def key_of(setting):
    return hashlib.sha1(json.dumps(setting, sort_keys=True).encode()).hexdigest()[:12]


def run_setting(binary, setting, data, labels, work, jobs):
    """Scores every labelled file with `setting`; returns {file key: rows}."""
    out = os.path.join(work, key_of(setting))
    done = os.path.join(out, ".done")
    keys = sorted(labels)
    if not os.path.exists(done):
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "setting.json"), "w") as f:
            json.dump(setting, f, sort_keys=True)

        def one(k):
            dst = os.path.join(out, k)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            cmd = [binary, "detect", "--csv", os.path.join(data, k), "--out", dst]
            if setting:
                cmd += ["--params", json.dumps(setting)]
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise RuntimeError("%s failed on %s: %s" % (binary, k, r.stderr.strip()))

        with ThreadPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(one, keys))
        open(done, "w").close()
    return ns.load(out, labels)


def score(files, keys, profile):
    tpw, fpw, fnw = PROFILES[profile]
    scored = [(k, ns.file_points(rows, wins, tpw, fpw)) for k, rows, wins in files if k in keys]
    raw, thr, nwin = ns.corpus_score(scored, tpw, fpw, fnw)
    perfect, null = tpw * nwin, -fnw * nwin
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--grid", required=True, help="JSON file or inline JSON")
    ap.add_argument("--data", default="/work/shared/data/nab/data")
    ap.add_argument("--labels", default="/work/shared/data/nab/labels/combined_windows.json")
    ap.add_argument("--work", default="/tmp/nab_loco")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--table", help="write the markdown table here")
    ap.add_argument("--profiles", default="standard", help="comma list, or 'all'")
    a = ap.parse_args()

    grid = json.loads(open(a.grid).read() if os.path.exists(a.grid) else a.grid)
    settings = settings_of(grid)
    labels = json.load(open(a.labels))
    cats = sorted({k.split("/")[0] for k in labels})
    held = [c for c in cats if any(labels[k] for k in labels if k.startswith(c + "/"))]
    by_cat = {c: {k for k in labels if k.startswith(c + "/")} for c in cats}
    everything = set(labels)
    profiles = list(PROFILES) if a.profiles == "all" else a.profiles.split(",")

    results = []  # per setting: dict
    for i, s in enumerate(settings):
        files = run_setting(a.bin, s, a.data, labels, a.work, a.jobs)
        r = {"setting": s, "all": {}, "cat": {}, "tune": {}}
        for p in profiles:
            r["all"][p] = score(files, everything, p)
            r["cat"][p] = {c: score(files, by_cat[c], p) for c in held}
            r["tune"][p] = {c: score(files, everything - by_cat[c], p) for c in held}
        results.append(r)
        print("[%d/%d] %s all=%.2f %s" % (
            i + 1, len(settings), json.dumps(s, sort_keys=True), r["all"]["standard"],
            " ".join("%s=%.2f" % (c[:12], r["cat"]["standard"][c]) for c in held)), flush=True)

    lines = []
    p = "standard"
    best_all = max(results, key=lambda r: r["all"][p])
    lines.append("| category | LOCO (setting chosen on the others) | in-sample best setting's score | chosen setting |")
    lines.append("|---|---|---|---|")
    loco = []
    for c in held:
        chosen = max(results, key=lambda r: r["tune"][p][c])
        loco.append(chosen["cat"][p][c])
        lines.append("| %s | %.2f | %.2f | `%s` |" % (
            c, chosen["cat"][p][c], best_all["cat"][p][c], json.dumps(chosen["setting"], sort_keys=True)))
    lines.append("| **LOCO mean** | **%.2f** | %.2f | |" % (
        sum(loco) / len(loco), sum(best_all["cat"][p][c] for c in held) / len(held)))
    lines.append("")
    lines.append("In-sample best on all %d files: %s -> %s" % (
        len(everything), json.dumps(best_all["setting"], sort_keys=True),
        " / ".join("%s %.2f" % (q, best_all["all"][q]) for q in profiles)))
    text = "\n".join(lines)
    print(text)
    if a.table:
        with open(a.table, "w") as f:
            f.write(text + "\n")
    with open(os.path.join(a.work, "last_results.json"), "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
