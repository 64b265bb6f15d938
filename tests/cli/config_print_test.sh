#!/usr/bin/env bash
# `iotmap config` prints the merged effective configuration as TOML: every key of the embedded
# default with the value a run would use (the file's where it sets one, paths made absolute,
# --db's database), so that the output, saved and given back with --config, is the same
# configuration (printing it again gives the same text) and loads on its own.
# Usage: config_print_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: config_print_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: config_print_test.sh IOTMAP_BINARY SOURCE_DIR}
IOTMAP=$(cd "$(dirname "$IOTMAP")" && pwd)/$(basename "$IOTMAP")
. "$SRC/tests/cli/ops_common.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/etc"
touch "$tmp/etc/blocklist.txt" "$tmp/etc/optout.txt"
printf 'nameserver 192.0.2.53\nnameserver 2001:db8::53\n' >"$tmp/etc/resolv.conf"
cat >"$tmp/etc/site.toml" <<TOML
[[vantage_point]]
name = "fra"
location = "Frankfurt"
resolvers = ["192.0.2.11:53", "[2001:db8::11]:5353"]
client_subnet = "203.0.113.0/24"

[[vantage_point]]
name = "here"
location = "this host"
resolv_conf = "$tmp/etc/resolv.conf"

[resolver]
qps = 123.5
retries = 4

[scan]
ports = [8883, 443]
seed = 4242
tls_mode = "cert"

[ethics]
blocklist_file = "blocklist.txt"
optout_file = "optout.txt"
contact = "ops@example.org"

[sources]
passive_dns = ["a.jsonl", "b.jsonl"]

[classify]
window_days = 3
TOML

run --config "$tmp/etc/site.toml" --db "$tmp/x.db" config
check "config prints the effective configuration" 0 "^# iotmap config: the effective configuration; loaded from: <embedded default> $tmp/etc/site.toml$"
printf '%s\n' "$out" >"$tmp/effective.toml"
python3 - "$tmp/effective.toml" "$SRC/config/default.toml" "$tmp" <<'PY'
import sys, tomllib
eff = tomllib.load(open(sys.argv[1], "rb"))
default = tomllib.load(open(sys.argv[2], "rb"))
tmp = sys.argv[3]
bad = 0
def check(what, got, want):
    global bad
    if got != want:
        print(f"FAIL {what}: {got!r}, want {want!r}"); bad += 1
    else:
        print(f"ok   {what}")
# every key of the default, in every section (vantage points are the file's)
missing = [f"{s}.{k}" for s, keys in default.items() if s != "vantage_point"
           for k in keys if k not in eff.get(s, {})]
check("every key of the embedded default is printed", missing, [])
check("the file's vantage points replace the default's", eff["vantage_point"], [
    {"name": "fra", "location": "Frankfurt", "resolvers": ["192.0.2.11:53", "[2001:db8::11]:5353"],
     "client_subnet": "203.0.113.0/24"},
    {"name": "here", "location": "this host", "resolv_conf": f"{tmp}/etc/resolv.conf"}])
check("the file's values", (eff["resolver"]["qps"], eff["resolver"]["retries"], eff["scan"]["ports"],
      eff["scan"]["seed"], eff["scan"]["tls_mode"], eff["classify"]["window_days"]),
      (123.5, 4, [8883, 443], 4242, "cert", 3))
check("the defaults for what the file leaves out", (eff["resolver"]["timeout_ms"],
      eff["scan"]["max_names_per_address"], eff["ethics"]["default_blocklist"]), (2000, 4, True))
check("relative paths absolute, from the file's directory",
      (eff["ethics"]["blocklist_file"], eff["ethics"]["optout_file"]),
      (f"{tmp}/etc/blocklist.txt", f"{tmp}/etc/optout.txt"))
check("--db is the database", eff["database"]["path"], f"{tmp}/x.db")
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && ok "the printed TOML holds the effective values" || bad "the printed TOML differs from the effective values"
has "it names the resolvers resolv.conf gives today" \
  "^# vantage point here asks, from $tmp/etc/resolv.conf today: 192.0.2.53:53 \\[2001:db8::53\\]:53$"

# Saved and fed back: the same configuration, alone or on top of the default.
cd "$tmp" || exit 1
run --config "$tmp/effective.toml" config
check "the saved output loads with --config" 0 "loaded from: <embedded default> $tmp/effective.toml"
same "printed again, the same configuration" "$(grep -v '^# iotmap config' <<<"$out")" \
  "$(grep -v '^# iotmap config' "$tmp/effective.toml")"
run --config "$tmp/effective.toml" config --check
check "the saved output passes config --check" 0 "^configuration ok$"
ops_summary config_print_test
