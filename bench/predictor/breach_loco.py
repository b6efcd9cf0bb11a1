#!/usr/bin/python3
"""Protocol P3h (breach early warning) per category and leave-one-category-out.

Usage:
  breach_loco.py --bin WARN_BIN --grid GRID.json [--data DIR] [--work DIR] [--jobs 2]

WARN_BIN is `grace-detect-dev` (`warn ... --params JSON`) or `grace-node`
(grid `[{}]` only). Each setting of the grid (a list of parameter objects or
an object of lists) runs `warn --csv F --threshold T --out O` on every file
of DATA, T = numpy.percentile(values, 99) as breach_run.sh computes it, and
is scored with breach_score.py's own evaluate() (P3h, episode cap 60) on:
all files (the corpus line of breach_run.sh), each category alone, and all
files but one category (the tuning side when that category is left out).
LOCO: per category, the setting with the best AUC on the others is chosen
and the category is scored with it.
"""
import argparse, hashlib, itertools, json, os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

TOOLS = os.environ.get("GRACE_SHARED_TOOLS", "/work/shared/tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import breach_score as bs  # noqa: E402


def settings_of(grid):
    if isinstance(grid, list):
        return grid
    keys = sorted(grid)
    return [dict(zip(keys, vals)) for vals in itertools.product(*(grid[k] for k in keys))]


def subset_dir(root, name, keys, data):
    """A data folder of symlinks holding only `keys` (breach_score reads folders)."""
    d = os.path.join(root, name)
    if not os.path.isdir(d):
        for k in keys:
            dst = os.path.join(d, k)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(os.path.join(data, k), dst)
    return d


def run_setting(binary, setting, corpus, work, jobs):
    out = os.path.join(work, hashlib.sha1(json.dumps(setting, sort_keys=True).encode()).hexdigest()[:12])
    if os.path.exists(os.path.join(out, ".done")):
        return out
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "setting.json"), "w") as f:
        json.dump(setting, f, sort_keys=True)

    def one(item):
        key, path = item
        ts, t, y = bs.read_series(path)
        dst = os.path.join(out, key)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        cmd = [binary, "warn", "--csv", path, "--threshold", repr(bs.threshold(y)), "--out", dst]
        if setting:
            cmd += ["--params", json.dumps(setting)]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed on %s: %s" % (binary, key, r.stderr.strip()))

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, corpus))
    open(os.path.join(out, ".done"), "w").close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--grid", required=True)
    ap.add_argument("--data", default="/work/shared/data/nab/data")
    ap.add_argument("--work", default="/tmp/breach_loco")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    grid = json.loads(open(a.grid).read() if os.path.exists(a.grid) else a.grid)
    settings = settings_of(grid)
    corpus = bs.load_corpus(a.data)
    keys = [k for k, _ in corpus]
    cats = sorted({k.split("/")[0] for k in keys})
    subsets = os.path.join(a.work, "subsets")
    only = {c: subset_dir(subsets, "only_" + c, [k for k in keys if k.startswith(c + "/")], a.data) for c in cats}
    others = {c: subset_dir(subsets, "but_" + c, [k for k in keys if not k.startswith(c + "/")], a.data) for c in cats}

    def figures(r):
        return (r[1.0]["early"], r["auc"], r["events"])

    results = []
    for i, s in enumerate(settings):
        out = run_setting(a.bin, s, corpus, a.work, a.jobs)
        cached = os.path.join(out, "scores.json")  # the figures of a finished setting
        if os.path.exists(cached):
            res = json.load(open(cached))
        else:
            res = {"setting": s, "all": figures(bs.evaluate(a.data, out, cap=60.0)), "cat": {}, "tune": {}}
            for c in cats:
                res["cat"][c] = figures(bs.evaluate(only[c], out, cap=60.0))
                res["tune"][c] = figures(bs.evaluate(others[c], out, cap=60.0))
            with open(cached, "w") as f:
                json.dump(res, f)
        results.append(res)
        print("[%d/%d] %s all early@1=%.3f auc=%.3f | %s" % (
            i + 1, len(settings), json.dumps(s, sort_keys=True), res["all"][0], res["all"][1],
            " ".join("%s=%.3f/%.3f" % (c[:10], res["cat"][c][0], res["cat"][c][1]) for c in cats)), flush=True)

    best = max(results, key=lambda r: r["all"][1])
    print("| category (events) | LOCO early@1 / AUC | setting chosen on the others | in-sample best early@1 / AUC |")
    print("|---|---|---|---|")
    for c in cats:
        ch = max(results, key=lambda r: r["tune"][c][1])
        print("| %s (%d) | %.3f / %.3f | `%s` | %.3f / %.3f |" % (
            c, ch["cat"][c][2], ch["cat"][c][0], ch["cat"][c][1], json.dumps(ch["setting"], sort_keys=True),
            best["cat"][c][0], best["cat"][c][1]))
    # All files pooled, each category's files from the setting chosen without
    # it (one corpus cut, as the corpus line): the held-out corpus figure.
    pooled = os.path.join(a.work, "loco_pooled")
    if os.path.isdir(pooled):
        import shutil
        shutil.rmtree(pooled)
    for c in cats:
        ch = max(results, key=lambda r: r["tune"][c][1])
        src = run_setting(a.bin, ch["setting"], corpus, a.work, a.jobs)
        for k in keys:
            if k.startswith(c + "/"):
                dst = os.path.join(pooled, k)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.symlink(os.path.join(src, k), dst)
    lp = figures(bs.evaluate(a.data, pooled, cap=60.0))
    print("LOCO pooled, all files (each category scored with the setting chosen on the others): "
          "early@1=%.3f auc=%.3f events=%d" % lp)
    print("in-sample best on all files: %s early@1=%.3f auc=%.3f events=%d" % (
        json.dumps(best["setting"], sort_keys=True), best["all"][0], best["all"][1], best["all"][2]))


if __name__ == "__main__":
    main()
