#!/usr/bin/env bash
# Playbook learning through the REST API (EVALUATION.md section 3,
# docs/evaluation/learning.md "Through the REST API").
#
# Per seed: writes the world's metrics catalog, a grace.yaml (fresh data dir,
# a free port, a random http.token), starts `grace-node run` (no simulator),
# waits for /readyz, plays the world's 3,000 incidents against the node with
# `rl-scenario --via` (GET recommend, POST reward, as an external executor
# would; the anchors run in process on the same world and noise) and stops the
# node. Then runs the same seeds in process and prints, per seed and as the
# mean over seeds, best picks after 20 incidents per context and regret.
#
#   bench/rl_agent/rest_scenario.sh [--seeds 5] [--first-seed 1]
#       [--policy hierarchical_thompson] [--agent-seed matched|raw]
#       [--build-dir build-rl] [--keep]
#
# --agent-seed matched (default): the node's rl.seed is the one rl-scenario
# gives its in-process agent for that world (seed * 7919 + 1, agent_factory in
# rl_scenario.cpp), so the REST agent must make exactly the in-process agent's
# choices. raw: rl.seed = the world seed, so the two agents draw differently
# and agree only statistically.
set -euo pipefail

seeds=5
first_seed=1
policy=hierarchical_thompson
agent_seed_mode=matched
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-rl"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
  --seeds) seeds=$2; shift 2 ;;
  --first-seed) first_seed=$2; shift 2 ;;
  --policy) policy=$2; shift 2 ;;
  --agent-seed) agent_seed_mode=$2; shift 2 ;;
  --build-dir) build=$(cd "$2" && pwd); shift 2 ;;
  --keep) keep=1; shift ;;
  -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
  *) echo "rest_scenario.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$agent_seed_mode" in matched | raw) ;; *)
  echo "rest_scenario.sh: --agent-seed must be matched or raw" >&2; exit 2 ;;
esac

node="$build/grace-node"
scenario="$build/bench/rl_agent/rl-scenario"
for b in "$node" "$scenario"; do
  if [ ! -x "$b" ]; then
    echo "rest_scenario.sh: $b is missing; build it: ninja -C $build -j2 grace-node rl-scenario" >&2
    exit 1
  fi
done

work=$(mktemp -d /tmp/rest-scenario.XXXXXX)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fail() {
  echo "rest_scenario.sh: $1" >&2
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "--- last lines of $2:" >&2; tail -n 20 "$2" >&2; }
  exit 1
}

start_all=$(date +%s.%N)
: >"$work/rest.csv"
for ((s = first_seed; s < first_seed + seeds; ++s)); do
  dir="$work/seed-$s"
  mkdir -p "$dir"
  "$scenario" --write-catalog "$dir/catalog.yaml" --first-seed "$s" >/dev/null
  "$node" validate-catalog "$dir/catalog.yaml" >"$dir/validate.txt" 2>&1 ||
    fail "the catalog of seed $s does not validate" "$dir/validate.txt"
  port=$(free_port)
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  if [ "$agent_seed_mode" = matched ]; then agent_seed=$((s * 7919 + 1)); else agent_seed=$s; fi
  cat >"$dir/grace.yaml" <<YAML
node:
  data_dir: $dir/data
  log_level: warn
catalog:
  path: $dir/catalog.yaml
http:
  bind: 127.0.0.1
  port: $port
  token: "$token"
  request_timeout: 60s         # the node answers in ~50 ms, with multi-second stalls when busy
rl:
  policy: $policy
  seed: $agent_seed
YAML
  t0=$(date +%s.%N)
  "$node" run --config "$dir/grace.yaml" >"$dir/node.log" 2>&1 &
  node_pid=$!
  ready=0
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$node_pid" 2>/dev/null || fail "grace-node (seed $s) exited before it was ready" "$dir/node.log"
    sleep 0.1
  done
  [ "$ready" = 1 ] || fail "grace-node (seed $s) not ready after 30 s" "$dir/node.log"
  t1=$(date +%s.%N)
  "$scenario" --via "http://127.0.0.1:$port" --token "$token" --first-seed "$s" --seeds 1 \
    --per-seed >"$dir/scenario.txt" 2>&1 || fail "rl-scenario --via failed (seed $s)" "$dir/scenario.txt"
  t2=$(date +%s.%N)
  kill -TERM "$node_pid"
  wait "$node_pid" || true
  node_pid=""
  grep '^per-seed,' "$dir/scenario.txt" >>"$work/rest.csv"
  agent=$(grep '^per-seed,[0-9]*,agent,' "$dir/scenario.txt")
  printf 'seed %d: node ready in %.1f s; 3,000 incidents via REST in %.1f s; agent best picks %.1f%%, regret %.1f (%s)\n' \
    "$s" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" \
    "$(echo "$agent" | awk -F, '{print 100 * $4}')" "$(echo "$agent" | awk -F, '{print $5}')" \
    "$(grep -o 'agent via REST ([a-z_]*)' "$dir/scenario.txt" | head -1)"
done

"$scenario" --first-seed "$first_seed" --seeds "$seeds" --policy "$policy" --per-seed |
  grep '^per-seed,' >"$work/in_process.csv"

echo
echo "Seeds $first_seed..$((first_seed + seeds - 1)), policy $policy, node rl.seed $agent_seed_mode; total $(echo "$(date +%s.%N) - $start_all" | bc | cut -d. -f1) s."
echo "Each cell: best picks after 20 incidents per context / regret over 3,000 incidents."
echo
awk -F, -v seeds="$seeds" '
  FNR == 1 { file++ }
  file == 1 { share[$2, $3] = $4; regret[$2, $3] = $5; seen[$2] = 1 }
  file == 2 && $3 == "agent" { ishare[$2] = $4; iregret[$2] = $5 }
  function cell(s, r) { return sprintf("%.1f%% / %.1f", 100 * s, r) }
  END {
    n = split("agent greedy_ema ts_gaussian_world ts_gaussian_1 ts_beta", keys, " ")
    print "| seed | agent via REST | agent in process | REST = in process | greedy-EMA 0.3 (seed rule) | Thompson per context, Gaussian, sd = world | Thompson, Gaussian, sd 1 | Thompson, Beta-Bernoulli |"
    print "|---|---|---|---|---|---|---|---|"
    same_all = 1
    for (s in seen) order[++m] = s + 0
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
    for (i = 1; i <= m; i++) {
      s = order[i]
      same = (share[s, "agent"] == ishare[s] && regret[s, "agent"] == iregret[s])
      if (!same) same_all = 0
      line = sprintf("| %d | %s | %s | %s |", s, cell(share[s, "agent"], regret[s, "agent"]),
                     cell(ishare[s], iregret[s]), same ? "identical" : sprintf("differs (%+.1f regret)", regret[s, "agent"] - iregret[s]))
      for (k = 2; k <= n; k++) line = line sprintf(" %s |", cell(share[s, keys[k]], regret[s, keys[k]]))
      print line
      for (k = 1; k <= n; k++) { ms[keys[k]] += share[s, keys[k]] / m; mr[keys[k]] += regret[s, keys[k]] / m }
      mis += ishare[s] / m; mir += iregret[s] / m
    }
    line = sprintf("| **mean** | **%s** | %s | %s |", cell(ms["agent"], mr["agent"]), cell(mis, mir), same_all ? "identical" : "differs")
    best = ""
    for (k = 2; k <= n; k++) {
      line = line sprintf(" %s |", cell(ms[keys[k]], mr[keys[k]]))
      if (best == "" || mr[keys[k]] < mr[best]) best = keys[k]
    }
    print line
    print ""
    printf "agent via REST: regret / better anchor'"'"'s (%s, %.1f) = %.3f (target <= 0.8); best picks %.1f%% (target >= 85%%)\n",
      best, mr[best], mr["agent"] / mr[best], 100 * ms["agent"]
    printf "targets: %s\n", (mr["agent"] <= 0.8 * mr[best] && ms["agent"] >= 0.85) ? "met" : "NOT met"
  }' "$work/rest.csv" "$work/in_process.csv"
