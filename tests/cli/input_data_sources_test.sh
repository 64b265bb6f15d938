#!/usr/bin/env bash
# Hostile data-source files (issue 14, items 12 and 14). A CAIDA as2org file with a byte that
# is not UTF-8 (a Latin-1 organisation name) and markup in a name: classify and every report
# format finish, the byte becomes U+FFFD, the Markdown report shows the markup as text, and a
# pfx2as line with a terminal escape is reported escaped. A classify that fails after its run
# began marks the run failed instead of leaving it `running`.
# Usage: input_data_sources_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: input_data_sources_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: input_data_sources_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/d.db"
day=2024-05-01
"$IOTMAP" --db "$db" db migrate >/dev/null || bad "migrate"
sqlite3 "$db" "
INSERT INTO vantage_points(name) VALUES ('vp');
INSERT INTO names(name) VALUES ('a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.');
INSERT INTO resolutions(hour, name_id, qtype, vantage_id, status, rcode, resolved_at)
VALUES (strftime('%s', '$day'), 1, 'A', 1, 'NOERROR', 0, strftime('%s', '$day') + 5);
INSERT INTO resolution_answers(resolution_id, ip, ttl) VALUES (1, '198.51.100.10', 60);
" || bad "insert"
printf '198.51.100.0\t24\t64500\n\033[2J\033]2;owned\007\t24\t1\n' >"$tmp/pfx2as.txt"
printf '# format:org_id|changed|org_name|country|source\n' >"$tmp/as2org.txt"
printf 'ORG-1|20240101|Telef\363nica <script>alert(1)</script> [x](javascript:y)|ES|RIPE\n' >>"$tmp/as2org.txt"
printf '# format:aut|changed|aut_name|org_id|opaque_id|source\n' >>"$tmp/as2org.txt"
printf '64500|20240101|AS-\377BAD|ORG-1||RIPE\n' >>"$tmp/as2org.txt"
printf '[sources]\npfx2as = "%s"\nas2org = "%s"\n' "$tmp/pfx2as.txt" "$tmp/as2org.txt" >"$tmp/c.toml"
iot() { run --config "$tmp/c.toml" --db "$db" "$@"; }

iot classify --date $day
[ "$rc" = 0 ] || [ "$rc" = 7 ] && ok "classify finishes (exit $rc)" || bad "classify exit $rc: $out"
has "the pfx2as line is named" "pfx2as.txt:2"
grep -q $'\033' <<<"$out" && bad "a raw escape reached the terminal" || ok "no raw escape in messages"
has "the escape is shown escaped" '\\x1B\[2J'
grep -q "type_error" <<<"$out" && bad "a JSON error: $out" || ok "no JSON error"
same "no run left running" "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE status = 'running'")" 0

iot report footprint --date $day --format json --output "$tmp/r.json"
[ "$rc" = 0 ] || [ "$rc" = 7 ] && ok "report json finishes (exit $rc)" || bad "report json exit $rc: $out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=json.dumps(d, ensure_ascii=False); assert "Telef\ufffdnica" in s, s' \
  "$tmp/r.json" && ok "the JSON report holds the name with U+FFFD" || bad "JSON report wrong"
iot report footprint --date $day --format md --output "$tmp/r.md"
[ "$rc" = 0 ] || [ "$rc" = 7 ] && ok "report md finishes (exit $rc)" || bad "report md exit $rc: $out"
grep -q "AS64500" "$tmp/r.md" && ok "the Markdown report names the AS" || bad "no AS64500 in: $(cat "$tmp/r.md")"
grep -q "<script>" "$tmp/r.md" && bad "raw <script> in the Markdown report" || ok "no raw <script>"
grep -q "&lt;script&gt;" "$tmp/r.md" && ok "the markup is shown as text" || bad "no escaped script in: $(grep AS64500 "$tmp/r.md")"
grep -qE '[^\\]\]\(javascript' "$tmp/r.md" && bad "a Markdown link from as2org" || ok "no link from as2org"
iot report footprint --date $day --format html --output "$tmp/r.html"
grep -q "<script>alert" "$tmp/r.html" && bad "raw <script> in the HTML report" || ok "HTML report escaped"

# A failure after the run began (the footprint table is gone) marks the run failed.
sqlite3 "$db" "DROP TABLE footprint"
iot classify --date $day
check "classify fails on a broken database" 1 "footprint"
same "the failed classify is not left running" \
  "$(sqlite3 "$db" "SELECT status FROM runs WHERE kind = 'classify' ORDER BY id DESC LIMIT 1")" failed

ops_summary input_data_sources_test
