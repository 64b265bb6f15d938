#!/usr/bin/env bash
# The repository stands alone: a clone has nothing beside it, so no tracked file may send the
# reader or a test to a path outside it (the research method is docs/method.md, the reference
# data tests/data/). Usage: self_contained_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
SRC=${2:?usage: self_contained_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
cd "$SRC" || exit 1
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "SKIP: $SRC is not a git checkout (the check reads the tracked files)"
  exit 0
fi
# This file names the patterns it looks for; every other tracked file must not.
self=tests/cli/self_contained_test.sh
hits=$(git grep -nE '\.\./shared|/work/shared|METHOD\.md' -- . ":(exclude)$self")
same "no tracked file refers to a path beside the clone or to the old method file" "$hits" ""
[ -f docs/method.md ] && ok "docs/method.md describes the method" || bad "docs/method.md missing"
for f in top16_companies_dnsdb_queries.csv top16_companies_dnsdb_patterns.csv; do
  [ -s "tests/data/imc22-iot-backend-patterns/$f" ] && ok "reference data $f in the repository" ||
    bad "tests/data/imc22-iot-backend-patterns/$f missing"
done
ops_summary self_contained
