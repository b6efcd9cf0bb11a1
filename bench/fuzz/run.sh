#!/usr/bin/env bash
# Fuzzes every reader of outside input (tests/fuzz/: the catalog, grace.yaml,
# simulator.yaml, the JSON and Prometheus-text sample batches, the CSV replay
# reader) with libFuzzer, ASan and UBSan, and prints per target the
# executions, their rate and the crashes found.
#
#   bench/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60, all)
#
# One fuzzing process at a time (one core). Each target starts from its kept
# corpus (tests/fuzz/corpus/<target>/, copied: the repository is not changed);
# a crash, leak, timeout or out-of-memory input is written to
# <build>/fuzz-artifacts/<target>/, to be fixed and then added to the corpus.
# Needs clang-14 and libclang-rt-14-dev (scripts/install-deps.sh --with-fuzz);
# builds build-fuzz/ (GRACE_FUZZ_BUILD to use another directory) when missing.
# Exit status: 0 when no target crashed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(catalog node_config simulator_config json_batch prometheus_text csv_series etcd_response)
fi
build="${GRACE_FUZZ_BUILD:-$root/build-fuzz}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRACE_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
fi
cmake --build "$build" --target fuzz >/dev/null

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

printf '%-18s %8s %12s %10s %8s\n' target seconds executions "exec/s" crashes
failed=0
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/fuzz_$target"
  [[ -x "$binary" ]] || { echo "no fuzz target '$target'" >&2; exit 2; }
  corpus="$scratch/$target"
  artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp "$root/tests/fuzz/corpus/$target/"* "$corpus/"
  before=$(find "$artifacts" -type f | wc -l)
  log="$scratch/$target.log"
  # -max_len: inputs up to 4 KiB (longer seeds are read cut; the corpus
  # replay runs them whole): ten times the executions of 16 KiB for the YAML
  # readers. -timeout: an input taking 10 s counts as a crash (a reader that
  # hangs brings a node down as surely as one that crashes).
  "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || true
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [[ -z "$executions" ]]; then # stopped by a crash: the last status line
    executions=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  fi
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(($(find "$artifacts" -type f | wc -l) - before))
  printf '%-18s %8s %12s %10s %8s\n' "$target" "$seconds" "${executions:-?}" "${rate:-?}" "$crashes"
  if ((crashes > 0)); then
    failed=1
    grep -E '^==[0-9]+==ERROR|^SUMMARY|fuzz invariant broken|^INFO: .* timeout|deadly signal' "$log" \
      | head -5 | sed 's/^/    /'
    find "$artifacts" -type f -newer "$corpus" | sed 's/^/    artifact: /'
  fi
done
exit "$failed"
