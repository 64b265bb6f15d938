#!/usr/bin/env bash
# Installs every Debian package that iotmap's build, tests, lab and benchmarks need.
# Idempotent: it asks apt only for what is missing and runs `apt-get update` at most once.
# Daemons in the list (unbound, knot, mosquitto, rabbitmq, nginx) must not start system-wide:
# the lab starts its own instances inside a network namespace, so package post-install
# scripts are kept from starting services with a temporary policy-rc.d.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang clang-tidy clang-format libclang-rt-14-dev
  # libraries
  libre2-dev libpsl-dev libc-ares-dev libldns-dev libevent-dev libssl-dev libsqlite3-dev
  libcurl4-openssl-dev libtomlplusplus-dev libmaxminddb-dev nlohmann-json3-dev catch2
  liblzma-dev zlib1g-dev
  # lab servers and clients
  iproute2 knot knot-module-geoip knot-dnsutils unbound mosquitto mosquitto-clients rabbitmq-server nginx
  bind9-dnsutils openssl sqlite3 python3 procps psmisc curl
  # benchmark peers
  dnsperf adns-tools nmap sslscan
  # the HTML report's screenshot test (headless, no daemon)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2

policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
# An if, not `&&`: a false test as the trap's last command would become the script's exit status
# (1 after a successful install whenever policy-rc.d was there already).
cleanup() { if [ "$made_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
