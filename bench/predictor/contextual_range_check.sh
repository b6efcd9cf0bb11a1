#!/bin/bash
# Scores the contextual detector alone on every NAB file, as NAB ran it or as
# the node runs it. Usage: contextual_range_check.sh BIN OUT_DIR [--file-range] [--nab-rest]
set -eu
bin=$1 out=$2; shift 2
data=${NAB_DATA:-/work/shared/data/nab/data}
labels=${NAB_LABELS:-/work/shared/data/nab/labels/combined_windows.json}
rm -rf "$out"; mkdir -p "$out"
for f in $(cd "$data" && find . -name '*.csv' | sort); do
  mkdir -p "$out/$(dirname "$f")"
  "$bin" "$data/$f" "$out/$f" "$@"
done
/usr/bin/python3 /work/shared/tools/nab_score.py "$out" "$labels"
