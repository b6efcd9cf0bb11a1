#!/usr/bin/env bash
# The kill loop of tests/chaos for 100 iterations (or $2): pushes with their
# acknowledgements recorded, kill -9 (one in four: SIGTERM) at random moments,
# restarts on the same data directory; then every acknowledged sample must be
# in the store, `grace-node ledger verify` and SQLite's integrity_check must
# pass. Prints the iterations, acknowledged and lost figures (goal: 0 lost).
# Usage: bench/chaos/kill_loop.sh [path/to/grace-node] [iterations] [seed]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node=${1:-$here/../../build/grace-node}
iterations=${2:-100}
seed=${3:-$RANDOM}
exec python3 "$here/../../tests/chaos/kill_loop.py" "$node" "$here/../.." \
  --iterations "$iterations" --seed "$seed"
