#!/usr/bin/env bash
# Throughput of POST /api/metrics with 1,000-sample JSON batches, measured with
# wrk on loopback against the real binary (both on this machine's cores).
# Usage: bench/ingest/http_ingest.sh [path/to/grace-node] [seconds] [connections]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node=${1:-$here/../../build/grace-node}
seconds=${2:-10}
connections=${3:-4}
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/grace.yaml" <<YAML
node: {data_dir: $work/data, log_level: warn}
catalog: {path: $here/../../config/metrics_catalog.yaml}
http: {port: $port, threads: 8}
YAML
"$node" run --config "$work/grace.yaml" > "$work/node.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
  sleep 0.1
done
wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/push_batch.lua" \
  "http://127.0.0.1:$port/api/metrics" | tail -1
curl -s "http://127.0.0.1:$port/api/status" > /dev/null
