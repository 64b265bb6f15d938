#!/usr/bin/env bash
# Installs the Debian packages that one purpose needs, and nothing more:
#
#   bash scripts/install-deps.sh build   # compiler, cmake, libraries: what scripts/build.sh needs
#   bash scripts/install-deps.sh lab     # build + the lab's servers and clients (scripts/first-run.sh)
#   bash scripts/install-deps.sh test    # lab + lint tools, fuzzing runtime, packaging and unit
#                                        # checks, benchmark peers, headless browser (scripts/test.sh)
#   bash scripts/install-deps.sh --list build|lab|test   # print the packages, install nothing
#
# Without an argument: test (everything). Idempotent: it asks apt only for what is missing and
# runs `apt-get update` at most once. Daemons in the lab list (unbound, knot, mosquitto,
# rabbitmq, nginx) must not start system-wide: the lab starts its own instances inside a network
# namespace, so package post-install scripts are kept from starting services with a temporary
# policy-rc.d.
set -euo pipefail

BUILD=(
  build-essential cmake ninja-build pkg-config
  libre2-dev libpsl-dev libc-ares-dev libldns-dev libevent-dev libssl-dev libsqlite3-dev
  libcurl4-openssl-dev libtomlplusplus-dev libmaxminddb-dev libfixbuf-dev nlohmann-json3-dev catch2
  liblzma-dev zlib1g-dev
)
LAB=(
  iproute2 knot knot-module-geoip knot-dnsutils unbound mosquitto mosquitto-clients rabbitmq-server nginx
  bind9-dnsutils openssl sqlite3 python3 procps psmisc curl git
)
TEST=(
  # format and static checks, fuzz targets (clang with libFuzzer)
  clang clang-tidy clang-format libclang-rt-14-dev
  # package and unit-file tests (tests/cli/install_test.sh)
  dpkg-dev systemd
  # benchmark peers
  dnsperf adns-tools nmap sslscan
  # flow records for `iotmap detect`'s tests: an exporter, a collector and its CSV reader
  # (their daemons are kept from starting like the lab's)
  nfdump softflowd tcpdump
  # the HTML report's screenshot test (headless, no daemon)
  chromium
  # the ZMap pre-scan lab test (tests/lab/zmap_grab_test.sh, docs/zmap.md)
  zmap
)

list=0
[ "${1:-}" = --list ] && { list=1; shift; }
case "${1:-test}" in
  build) PACKAGES=("${BUILD[@]}") ;;
  lab) PACKAGES=("${BUILD[@]}" "${LAB[@]}") ;;
  test) PACKAGES=("${BUILD[@]}" "${LAB[@]}" "${TEST[@]}") ;;
  *) echo "usage: install-deps.sh [--list] [build|lab|test]" >&2; exit 2 ;;
esac
if [ $list = 1 ]; then printf '%s\n' "${PACKAGES[@]}"; exit 0; fi

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
