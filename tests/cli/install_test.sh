#!/usr/bin/env bash
# Installing iotmap as a package manager would (cmake/Install.cmake): `cmake --install` of this
# build into a scratch prefix puts the binary, the man page, the example configuration and
# blocklist, the systemd units and the Kubernetes and Slurm examples in their GNUInstallDirs
# places; the man page holds every `--help` text verbatim; `systemd-analyze verify` accepts the
# units; the example configuration loads; `cpack -G DEB` makes a package whose binary runs and
# prints the project's version, with its units naming /usr/bin/iotmap.
# Usage: install_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: install_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: install_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
build=$(cd "$(dirname "$IOTMAP")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -nE 's/^project\(iotmap VERSION ([0-9.]+).*/\1/p' "$SRC/CMakeLists.txt")

# --- cmake --install into a prefix ---
p=$tmp/prefix
cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1
rc=$?
same "cmake --install exits 0" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$tmp/install.log"
for f in bin/iotmap share/man/man1/iotmap.1 share/iotmap/examples/iotmap.toml \
  share/iotmap/examples/blocklist.conf share/iotmap/examples/kubernetes/iotmap-cronjobs.yaml \
  share/iotmap/examples/slurm/iotmap-shards.sbatch share/iotmap/examples/slurm/iotmap-merge.sbatch \
  share/iotmap/examples/slurm/submit.sh lib/systemd/system/iotmap-daily.service \
  lib/systemd/system/iotmap-daily.timer lib/systemd/system/iotmap-hourly.service \
  lib/systemd/system/iotmap-hourly.timer; do
  [ -s "$p/$f" ] && ok "installed $f" || bad "missing $p/$f"
done
out=$("$p/bin/iotmap" --version 2>&1); rc=$?
check "the installed binary prints the project's version" 0 "^iotmap $version$"

# --- the man page is the --help texts ---
man=$p/share/man/man1/iotmap.1
# roff escapes undone: \e is a backslash, \& before a leading . or ' is nothing
page=$(sed -e 's/\\e/\\/g' -e 's/^\\&//' "$man")
in_page() { python3 -c 'import sys; sys.exit(0 if sys.argv[1] in sys.argv[2] else 1)' "$1" "$page"; }
in_page "$("$IOTMAP" --help)" && ok "man page: iotmap --help verbatim" || bad "man page lacks iotmap --help"
mapfile -t commands < <("$IOTMAP" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}')
missing=""
for c in "${commands[@]}"; do in_page "$("$IOTMAP" "$c" --help)" || missing="$missing $c"; done
same "man page: each of the ${#commands[@]} commands' --help verbatim" "$missing" ""
if command -v man >/dev/null; then
  out=$(MANWIDTH=100 man -l "$man" 2>&1); rc=$?
  check "man renders the page" 0 "usage: iotmap daily"
fi

# --- the systemd units ---
grep -qx "ExecStart=$p/bin/iotmap .* daily --out /var/lib/iotmap/out" "$p/lib/systemd/system/iotmap-daily.service" &&
  ok "the daily service runs the installed binary" || bad "ExecStart of iotmap-daily.service: $(grep ExecStart= "$p/lib/systemd/system/iotmap-daily.service")"
if command -v systemd-analyze >/dev/null; then
  # MANPATH: verify also opens Documentation=man:iotmap(1), the installed page
  out=$(MANPATH=$p/share/man systemd-analyze verify "$p"/lib/systemd/system/iotmap-*.{service,timer} 2>&1)
  rc=$?
  # Only findings about our units count (verify also reads the host's units they refer to).
  ours=$(grep -E 'iotmap-(daily|hourly)\.(service|timer)' <<<"$out")
  same "systemd-analyze verify: exit 0" "$rc" 0
  same "systemd-analyze verify: no finding on the units" "$ours" ""
else
  echo "SKIP systemd-analyze verify: systemd-analyze is not installed (apt-get install systemd)"
fi

# --- the example configuration loads (its blocklist path pointed at the installed example) ---
sed "s#/etc/iotmap/blocklist.conf#$p/share/iotmap/examples/blocklist.conf#" \
  "$p/share/iotmap/examples/iotmap.toml" >"$tmp/iotmap.toml"
out=$("$p/bin/iotmap" --config "$tmp/iotmap.toml" config 2>&1); rc=$?
check "the example configuration loads" 0 "campus"

# --- the Debian package ---
if command -v dpkg-deb >/dev/null; then
  out=$(cd "$build" && cpack -G DEB -B "$tmp/pkg" 2>&1); rc=$?
  check "cpack -G DEB" 0 "package: .*\\.deb generated"
  deb=$(ls "$tmp"/pkg/iotmap_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    same "package name and version" "$(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')" "Package: iotmap Version: $version "
    grep -q libssl <<<"$(dpkg-deb -f "$deb" Depends)" && ok "Depends from the shared libraries: $(dpkg-deb -f "$deb" Depends | cut -c1-80)..." ||
      bad "Depends does not list libssl: $(dpkg-deb -f "$deb" Depends)"
    dpkg-deb -x "$deb" "$tmp/root"
    out=$("$tmp/root/usr/bin/iotmap" --version 2>&1); rc=$?
    check "the packaged binary runs: iotmap --version" 0 "^iotmap $version$"
    grep -q "^ExecStart=/usr/bin/iotmap " "$tmp/root/usr/lib/systemd/system/iotmap-daily.service" 2>/dev/null ||
      grep -q "^ExecStart=/usr/bin/iotmap " "$tmp/root/lib/systemd/system/iotmap-daily.service" 2>/dev/null
    same "the packaged units name /usr/bin/iotmap" "$?" 0
    [ -s "$tmp/root/usr/share/man/man1/iotmap.1" ] || [ -s "$tmp/root/usr/share/man/man1/iotmap.1.gz" ]
    same "the package holds the man page" "$?" 0
  else
    bad "no .deb in $tmp/pkg"$'\n'"$out"
  fi
else
  bad "dpkg-deb is not installed (scripts/install-deps.sh test)"
fi
ops_summary install_test
