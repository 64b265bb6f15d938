#!/usr/bin/env bash
# What SQLite's part of an hourly resolve costs, in instructions per name (valgrind's callgrind
# count: the same on a loaded machine as on an idle one), and what each of its costs is:
# foreign keys, the two secondary indexes, copying bound text, and what SQLite's default
# locking and allocation counting (which iotmap turns off) would add. The first line is the
# inserts as iotmap made them before 5471268; since then it turns the foreign keys off for the
# batch and checks the references once a batch (the second line; the check adds two queries
# per batch of 10,000).
# bench/dns/store_inserts.c replays db/store_dns.cpp's inserts into a database that iotmap made.
#   bash bench/dns/store_cost.sh IOTMAP_BINARY [N]      (N default 20000)
set -euo pipefail
IOTMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
N=${2:-20000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mktemp -d /tmp/iotmap-bench-store.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"
cc -O2 "$SRC/bench/dns/store_inserts.c" -o store_inserts -lsqlite3
"$IOTMAP" --db template.db db migrate >/dev/null
sqlite3 template.db "INSERT INTO vantage_points(id, name) VALUES (1, 'bench');
  WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $N)
  INSERT INTO names(id, name) SELECT k, 'n' || k || '.bench.' FROM i"
base=""
for variant in 0 1 4 8 16 29 2; do
  cp template.db run.db
  rm -f run.db-wal run.db-shm
  ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect=main \
    ./store_inserts run.db "$N" "$variant" 2>&1 | sed -n 's/.*refs: *//p' | tr -d ,)
  [ -n "$base" ] || base=$ir
  case $variant in
    0) what="with foreign keys" ;; 1) what="no foreign keys (iotmap)" ;;
    4) what="no answers ip index" ;; 8) what="no resolutions_name index" ;;
    16) what="bound text not copied" ;; 29) what="all four off" ;;
    2) what="SQLite's default locking" ;;
  esac
  python3 -c "import sys; ir, base, n = map(int, sys.argv[1:4]); d = (base - ir) / base; print(f'{sys.argv[4]:26s} {ir / n:8,.0f} instructions/name ({abs(d):5.1%} {\"saved\" if d >= 0 else \"more\"})')" \
    "$ir" "$base" "$N" "$what"
done
