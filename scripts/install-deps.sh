#!/usr/bin/env bash
# Installs every Debian package botwarden needs to build, run its demo and
# pass its tests. Idempotent: when everything is present it returns at once.
# Usage: scripts/install-deps.sh [--build-only]
set -euo pipefail

BUILD_PKGS=(
  cmake g++ make pkg-config git
  libpcap-dev libndpi-dev
  # Boost 1.81, not Debian's default 1.74: Beast/Asio 1.81 have the C++20
  # coroutine support (as_tuple, awaitable) and Boost.JSON / Boost.URL.
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev doctest-dev libtomlplusplus-dev libcli11-dev libspdlog-dev
  nlohmann-json3-dev libpsl-dev publicsuffix libkainjow-mustache-dev
  libcurl4-openssl-dev libsodium-dev
  # OpenSSL for HTTPS in web/server (Boost.Asio ssl).
  libssl-dev
)
TEST_PKGS=(
  tshark tcpdump python3-aiosmtpd nftables ipset iproute2 chromium
  clang-14 libfuzzer-14-dev libclang-rt-14-dev valgrind libndpi-bin wrk nginx-light
  sqlite3 curl
)

pkgs=("${BUILD_PKGS[@]}")
if [[ "${1:-}" != "--build-only" ]]; then pkgs+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#pkgs[@]} Debian packages present"
fi

if [[ "${1:-}" != "--build-only" ]] && ! command -v npm >/dev/null; then
  echo "install-deps: npm not found; installing Debian's nodejs and npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
