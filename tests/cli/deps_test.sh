#!/usr/bin/env bash
# Build dependencies apart from test dependencies (scripts/install-deps.sh): building iotmap
# installs no server, browser or test tool; the lab list adds the servers the first run starts;
# the test list adds the rest. Each library the build links is in the build list.
# Usage: deps_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
SRC=${2:?usage: deps_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
deps() { bash "$SRC/scripts/install-deps.sh" --list "$1"; }
build=$(deps build) lab=$(deps lab) all=$(deps test)
for p in chromium rabbitmq-server knot unbound mosquitto nginx clang-format clang-tidy dnsperf nmap zmap; do
  grep -qx "$p" <<<"$build" && bad "the build list holds $p" || ok "the build list leaves $p out"
done
for p in knot unbound mosquitto rabbitmq-server nginx iproute2; do
  grep -qx "$p" <<<"$lab" && ok "the lab list has $p" || bad "the lab list lacks $p"
done
for p in chromium clang-format dnsperf dpkg-dev zmap tcpdump; do
  grep -qx "$p" <<<"$all" && ok "the test list has $p" || bad "the test list lacks $p"
done
missing=$(comm -23 <(sort <<<"$build") <(sort <<<"$all"))
same "the test list includes the build list" "$missing" ""
# The -dev packages the build's pkg-config and find_package calls need.
for p in libre2-dev libpsl-dev libc-ares-dev libldns-dev libevent-dev libssl-dev libsqlite3-dev \
  libcurl4-openssl-dev libmaxminddb-dev libtomlplusplus-dev nlohmann-json3-dev catch2 cmake; do
  grep -qx "$p" <<<"$build" && ok "build list: $p" || bad "the build list lacks $p"
done
grep -q 'install-deps.sh build$' "$SRC/scripts/build.sh" && ok "build.sh installs the build list" ||
  bad "scripts/build.sh does not call install-deps.sh build"
grep -q 'install-deps.sh test$' "$SRC/scripts/test.sh" && ok "test.sh installs the test list" ||
  bad "scripts/test.sh does not call install-deps.sh test"
ops_summary deps_test
