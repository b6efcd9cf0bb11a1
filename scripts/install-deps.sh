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
# Real peers used by integration tests (Alertmanager, Prometheus).
test_packages=(prometheus prometheus-alertmanager)

want=("${build_packages[@]}")
if [[ "${1:-}" == "--with-test-peers" ]]; then
  want+=("${test_packages[@]}")
fi

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[install-deps] all ${#want[@]} packages present"
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
echo "[install-deps] done"
