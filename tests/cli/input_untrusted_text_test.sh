#!/usr/bin/env bash
# Untrusted text in outputs and messages (issue 14, items 13 and 15). Names from a shard
# database pass resolve's name check on merge (a formula, markup and bytes that are not UTF-8
# are skipped and reported, the merge ends partial); every CSV cell that starts with = + - @ is
# shown as text; rejected input is never echoed raw: a 10 MB stdin line to resolve is cut, and
# terminal escapes are shown escaped.
# Usage: input_untrusted_text_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: input_untrusted_text_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: input_untrusted_text_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
day=2024-05-01
shard="$tmp/shard.db"
main="$tmp/main.db"
"$IOTMAP" --db "$shard" db migrate >/dev/null || bad "migrate"
# The shard's names bypass iotmap (written by hand), as a hostile or broken shard would.
sqlite3 "$shard" "
INSERT INTO vantage_points(name) VALUES ('=HYPERLINK(\"http://x\")');
INSERT INTO names(name) VALUES ('=cmd|''/c calc''!a0.'), ('<script>x</script>.'),
  (CAST(X'61FF2E6578616D706C652E' AS TEXT)), ('good.example.com.');
INSERT INTO name_sources(name_id, source, first_seen, last_seen)
  SELECT id, 'cli', 1, 1 FROM names;
INSERT INTO resolutions(hour, name_id, qtype, vantage_id, status, rcode, resolved_at)
  SELECT strftime('%s', '$day'), id, 'A', 1, 'NXDOMAIN', 3, strftime('%s', '$day') + 5 FROM names;
" || bad "insert"

run --db "$main" merge "$shard" --into "$main"
check "merge skips the bad names and ends partial" 7 "rejected"
has "the formula is named" "name '=cmd\|'/c calc'!a0.' rejected"
has "the byte that is not UTF-8 is shown as hex" "a\\\\xFF.example."
same "only the good name was merged" "$(sqlite3 "$main" "SELECT group_concat(name) FROM names")" "good.example.com."

run --db "$main" export resolutions --date $day --format csv
check "export csv" 0 "1 resolutions"
has "the formula vantage name is neutralised" "\"'=HYPERLINK\(\"\"http://x\"\"\)\""
grep -qE '(^|,)[=+@-]' <<<"$(grep -v '^iotmap' <<<"$out")" && bad "a cell starts with a formula: $out" ||
  ok "no cell starts with = + - @"
run --db "$main" export resolutions --date $day --format jsonl
check "export jsonl" 0 "1 resolutions"

# resolve: a 10 MB line and a terminal escape on stdin are cut and escaped in the message.
printf '[[vantage_point]]\nname = "lo"\nresolvers = ["127.0.0.1:9"]\n' >"$tmp/r.toml"
{ head -c 10000000 /dev/zero | tr '\0' 'a'; printf '\n\033]2;owned\007bad..name\n'; } >"$tmp/names.txt"
out=$(timeout 60 "$IOTMAP" --config "$tmp/r.toml" --db "$tmp/r.db" resolve --no-catalogue - <"$tmp/names.txt" 2>&1 >/dev/null)
[ "${#out}" -lt 20000 ] && ok "resolve's messages stay short (${#out} bytes)" || bad "resolve printed ${#out} bytes"
has "the long line is cut, saying by how much" "stdin:1: 'a{120}\.\.\. \(9999880 more bytes\)' is not a name"
grep -q $'\033' <<<"$out" && bad "a raw escape reached the terminal" || ok "no raw escape"
has "the escape is shown escaped" "stdin:2: '\\\\x1B\]2;owned\\\\x07bad..name'"

ops_summary input_untrusted_text_test
