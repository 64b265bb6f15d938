#!/usr/bin/env bash
# docs/cli.md against the binary: every command that `iotmap --help` lists has a row in the
# commands table, and its synopsis (the `usage:` lines of `iotmap <command> --help`) stands in
# docs/cli.md word for word, so that a new option or command cannot go undocumented.
# Usage: docs_cli_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: docs_cli_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: docs_cli_test.sh IOTMAP_BINARY SOURCE_DIR}
DOC=$SRC/docs/cli.md
. "$SRC/tests/cli/ops_common.bash"

# The command names: the indented first words of the "commands:" block of `iotmap --help`.
mapfile -t commands < <("$IOTMAP" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}')
[ "${#commands[@]}" -ge 10 ] && ok "iotmap --help lists ${#commands[@]} commands" ||
  bad "iotmap --help lists only ${#commands[@]} commands"

for c in "${commands[@]}"; do
  grep -qE "^\| [^|]*\`$c\`" "$DOC" && ok "$c: a row in the commands table" ||
    bad "$c: no row in the commands table of docs/cli.md"
  # The synopsis: the usage line and the indented lines right after it, as an indented block.
  synopsis=$("$IOTMAP" "$c" --help | awk 'NR == 1 || (NR > 1 && go && /^ /) {print "    " $0; go = 1; next} {exit}')
  if [ -z "$synopsis" ] || [ "${synopsis#    usage: iotmap $c}" = "$synopsis" ]; then
    bad "$c: --help does not start with 'usage: iotmap $c'"
  elif grep -qxF -- "$(head -1 <<<"$synopsis")" "$DOC" &&
    python3 -c 'import sys; sys.exit(0 if sys.argv[1] + "\n" in open(sys.argv[2]).read() else 1)' \
      "$synopsis" "$DOC"; then
    ok "$c: synopsis in docs/cli.md"
  else
    bad "$c: docs/cli.md lacks the synopsis"$'\n'"$synopsis"
  fi
done

ops_summary docs_cli_test
