#!/usr/bin/env bash
# The README's first command, as a new user runs it: a fresh `git clone` of this repository into
# an empty directory (nothing beside it: no sibling directory, no build), then the first command of
# README.md run there as it stands. It must build iotmap, run the day against its own lab (its
# own namespace, not the ctest fixture's) and print a hitlist that is row for row the dedicated
# rows of lab.json's expected_hitlist, plus the paths of the hitlist file and the HTML report.
# Usage: first_run_test.sh IOTMAP_BINARY SOURCE_DIR (the binary only locates the build dir: the
# clone is made inside it so that a shared ccache can serve the clone's build).
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: first_run_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: first_run_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
[ "$(id -u)" = 0 ] || { echo "FAIL needs root (the first run's lab is a network namespace)"; exit 1; }
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || { echo "SKIP: $SRC is not a git checkout"; exit 0; }
builddir=$(cd "$(dirname "$IOTMAP")/.." && pwd)
tmp=$(mktemp -d "$builddir/first-run-test.XXXXXX")
trap 'IOTMAP_LAB_NS=$IOTMAP_LAB_NS IOTMAP_LAB_DIR=$IOTMAP_LAB_DIR "$SRC/tests/lab/down" --quiet; rm -rf "$tmp"' EXIT
# A namespace of its own, named after the suite's lab so that two checkouts do not collide.
export IOTMAP_LAB_NS=${IOTMAP_LAB_NS:-iotmap-lab}-first-run IOTMAP_LAB_DIR=$tmp/lab
unset IOTMAP_BUILD_DIR IOTMAP_FIRST_RUN_DIR IOTMAP_LAB_JSON
# The suite's build flags (scripts/test.sh builds with warnings as errors): with ccache, the
# clone's build of iotmap is then cache hits (about 1 min instead of some 10 on two cores).
export IOTMAP_WERROR=ON

git clone -q "$SRC" "$tmp/iotmap" && ok "git clone into an empty directory" || { bad "git clone"; exit 1; }
same "nothing beside the clone" "$(ls -A "$tmp")" "iotmap"
# The README's first command: its first indented (code) line.
first=$(awk '/^    [^ ]/ {sub(/^    /, ""); print; exit}' "$tmp/iotmap/README.md")
same "README's first command" "$first" "bash scripts/first-run.sh"
t0=$(date +%s)
out=$(cd "$tmp/iotmap" && bash -c "$first" 2>"$tmp/stderr")
rc=$?
same "it exits 0 (in $(($(date +%s) - t0)) s)" "$rc" 0
[ "$rc" = 0 ] || tail -40 "$tmp/stderr"
echo "$out"

today=$(date -u +%F)
has "it names the hitlist file" "^Hitlist .*: $tmp/iotmap/first-run/out/hitlist-$today.csv$"
has "it names the HTML report" "^HTML report .*: $tmp/iotmap/first-run/out/footprint-$today.html$"
counts=$(python3 -c '
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["expected_hitlist"]["rows"] if r[5] == "dedicated"]
ips = {r[2] for r in rows}
v6 = sum(":" in i for i in ips)
print(f"{len(rows)} rows: {len({r[0] for r in rows})} providers, {len(ips)} addresses ({len(ips) - v6} IPv4, {v6} IPv6)")' \
  "$SRC/tests/lab/lab.json")
has "it counts rows, providers, addresses and families as lab.json" "^  ${counts//[()]/.}$"
# The shared addresses it names are lab.json's shared rows' addresses (the CDN edges, Google's).
shared_want=$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["expected_hitlist"]["rows"]
print(" ".join(sorted({r[2] for r in rows if r[5] != "dedicated"})))' "$SRC/tests/lab/lab.json")
shared_got=$(sed -n 's/^Classification: .*(left out of the hitlist: \(.*\))$/\1/p' <<<"$out" | tr ' ' '\n' | sort | xargs)
same "the shared addresses it names are lab.json's" "$shared_got" "$shared_want"
[ -s "$tmp/iotmap/first-run/out/footprint-$today.html" ] && ok "the HTML report exists" || bad "no HTML report"

# The printed table against lab.json: the rows between the table header and the next blank line.
printed=$(awk '/^  provider +domain +ip +port +protocol$/ {on = 1; next} on && /^$/ {exit}
  on {print $1 "," $2 "," $3 "," $4 "," $5}' <<<"$out" | sort)
want=$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["expected_hitlist"]["rows"]:
    if r[5] == "dedicated": print(",".join(str(v) for v in r[:5]))' "$SRC/tests/lab/lab.json" | sort)
[ -n "$printed" ] && ok "the printed hitlist has $(wc -l <<<"$printed") rows" || bad "the printed hitlist is empty"
same "the printed hitlist is lab.json's expected dedicated rows" "$printed" "$want"
ops_summary first_run_test
