#!/usr/bin/env bash
# Installs the Debian 12 packages grace-node needs to build, test and run.
# Idempotent: packages already present are skipped; apt's lists are refreshed
# only when something is missing (a fresh machine may have empty lists).
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git
  libcaf-dev libyaml-cpp-dev nlohmann-json3-dev libeigen3-dev
  libcpp-httplib-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libbenchmark-dev libcli11-dev libsqlite3-dev libssl-dev libsimdjson-dev
  curl python3 ca-certificates
)
# Real peers used by integration tests (Alertmanager, Prometheus, etcd for the
# cluster test: a node never starts etcd itself), the
# OpenAPI response checks (jsonschema), the dashboard's browser test
# (Chromium driven by playwright-core from npm, see tests/browser/) and the
# learning-loop benchmark's config reader (bench/rl_agent/simulator_loop.py).
test_packages=(prometheus prometheus-alertmanager etcd-server python3-jsonschema python3-yaml chromium)
# The opt-in fuzz build (tests/fuzz/, bench/fuzz/run.sh): clang with
# libFuzzer, ASan and UBSan. -fsanitize=fuzzer links libclang_rt.fuzzer from
# libclang-rt-14-dev; the default g++ build needs none of these.
fuzz_packages=(clang-14 libclang-rt-14-dev)

with_test_peers=0
with_fuzz=0
for arg in "$@"; do
  case "$arg" in
  --with-test-peers) with_test_peers=1 ;;
  --with-fuzz) with_fuzz=1 ;;
  *)
    echo "usage: $0 [--with-test-peers] [--with-fuzz]" >&2
    exit 2
    ;;
  esac
done

want=("${build_packages[@]}")
if ((with_fuzz)); then
  want+=("${fuzz_packages[@]}")
fi
if ((with_test_peers)); then
  want+=("${test_packages[@]}")
  # Any Node.js with npm will do (Debian's or another already installed).
  if ! command -v npm >/dev/null 2>&1; then
    want+=(nodejs npm)
  fi
fi

# npm packages of the browser test, pinned by its package-lock.json.
install_browser_test_modules() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
  if ((with_test_peers)) && [[ -f "$dir/package-lock.json" ]] \
    && [[ ! -d "$dir/node_modules/playwright-core" ]]; then
    echo "[install-deps] npm ci in tests/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[install-deps] all ${#want[@]} packages present"
  install_browser_test_modules
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "[install-deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_browser_test_modules
echo "[install-deps] done"
