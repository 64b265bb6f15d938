#!/usr/bin/env bash
# Lab test of `iotmap resolve` (needs the lab up: tests/lab/up). Everything that talks to a lab
# address runs inside the namespace.
#  1. Every lab name from the lab's vantage points (vp-a, vp-b, vp-ecs, vp-dead) plus two more
#     client-subnet vantage points: the stored rows equal lab.json (status, CNAME chain, sorted
#     addresses, IPv6 included), vp-a and vp-b differ where the lab makes them differ, and the
#     client-subnet vantage points get their subnet's answers. vp-dead's dead first resolver is
#     reported and its second answers. A second run in the same hour adds nothing.
#  2. A resolver that drops every query (our own silent socket on faults.dns_drop): timeout rows
#     when it is a vantage point's only resolver (exit 1), the second resolver's answers when not.
#  3. A resolver sending malformed, mismatched-ID, garbage and truncated replies
#     (faults.dns_bad_replies): error rows, TCP after truncation, no crash.
#  4. CNAME loop and over-long chain through the authoritative server (the engine follows each
#     hop itself): CNAME_LOOP and CNAME_TOO_LONG rows; through the resolvers: SERVFAIL rows.
#  5. SIGTERM mid-run: rows so far kept, run marked interrupted, exit 1; the next run of the
#     hour resolves only the rest.
#   bash tests/lab/resolver_lab_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail  # no -e: every check runs and reports
IOTMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
. "$SRC/tests/lab/env.sh"
lab_is_up || { echo "resolver_lab_test: the lab is not up (tests/lab/up)" >&2; exit 1; }

work=$(mktemp -d /tmp/iotmap-resolver-lab.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "$LAB_DIR/run/resolver_lab_test.pid"
  rm -rf "$work"
}
trap cleanup EXIT
db=$work/lab.db
fail=0
check() {  # check DESCRIPTION CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then echo "ok: $1"; else echo "FAIL: $1" >&2; fail=1; fi
}

# The configuration: the lab's vantage points from lab.json, plus test-only ones.
"$LAB_PYTHON" - "$LAB_JSON" >"$work/lab.toml" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def endpoint(r):
    a = r["address"]
    return (f"[{a}]" if ":" in a else a) + f":{r['port']}"
def vp(name, location, resolvers, subnet=None):
    out = f'[[vantage_point]]\nname = "{name}"\nlocation = "{location}"\n'
    out += "resolvers = [" + ", ".join(f'"{r}"' for r in resolvers) + "]\n"
    if subnet: out += f'client_subnet = "{subnet}"\n'
    return out
for v in d["vantage_points"]:
    print(vp(v["name"], v["location"], [endpoint(r) for r in v["resolvers"]], v["client_subnet"]))
ecs = endpoint(d["ecs"]["resolver"])
print(vp("ecs-198", "ecs-1", [ecs], "198.51.100.0/24"))
print(vp("ecs-v6", "ecs-1", [ecs], "2001:db8:e1::/48"))
f = d["faults"]
drop = f"{f['dns_drop']['addresses'][0]}:{f['dns_drop']['port']}"
bad = f"{f['dns_bad_replies']['addresses'][0]}:{f['dns_bad_replies']['port']}"
first_vp = d["vantage_points"][0]
print(vp("vp-drop", "lab-a", [drop, endpoint(first_vp["resolvers"][0])]))
print(vp("vp-droponly", "lab-a", [drop]))
print(vp("vp-bad", "lab-a", [bad]))
print(vp("vp-auth", "lab-a", [endpoint(d["authoritative"][0])]))
print("[resolver]\ntimeout_ms = 400\nretries = 1\nmax_cname_chain = 16\n")
EOF
lab_vps=$(lab_json '",".join(v["name"] for v in d["vantage_points"])')
lab_json '"\n".join(n["name"] for n in d["names"] + [{"name": x} for x in d["faults"]["cname_loop"]["names"]] + [{"name": d["faults"]["long_cname_chain"]["first"]}])' >"$work/names.txt"

run() {  # run ARGS...: iotmap inside the namespace; sets rc, stderr in $work/err
  rc=0
  in_lab "$IOTMAP" --config "$work/lab.toml" --db "$db" "$@" 2>"$work/err" || rc=$?
}
export_day() {
  "$IOTMAP" --db "$db" export resolutions --date "$(date -u +%F)" --format jsonl \
    >"$work/rows.jsonl" 2>/dev/null
}

# --- 1. the lab's vantage points and the client-subnet ones ---
vp_args=()
for v in ${lab_vps//,/ } ecs-198 ecs-v6; do vp_args+=(--vantage "$v"); done
run resolve --once "${vp_args[@]}" - <"$work/names.txt"
check "resolve from the lab's vantage points exits 0 (rc $rc)" "$([ "$rc" -eq 0 ]; echo $?)"
grep -q "192.0.2.14:53 (vantage point vp-dead) stopped answering" "$work/err"
check "vp-dead's dead resolver is reported" $?
export_day
"$LAB_PYTHON" - "$LAB_JSON" "$work/rows.jsonl" "$lab_vps" <<'EOF'
import json, sys, ipaddress
d = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
vps = sys.argv[3].split(",")
got = {}
for r in rows:
    key = (r["name"], r["qtype"], r["vantage"])
    assert key not in got, f"two rows for {key}"
    got[key] = r
status_of = {"ANSWER": "NOERROR"}
bad = 0
def compare(name, qtype, vp, want_status, want_chain, want_addrs):
    global bad
    r = got.get((name, qtype, vp))
    if r is None:
        print(f"FAIL: no row for {name} {qtype} {vp}"); bad += 1; return
    addrs = sorted(str(ipaddress.ip_address(a["ip"])) for a in r["answers"])
    have = (r["status"], r["cname_chain"], addrs)
    want = (want_status, want_chain, sorted(want_addrs))
    if have != want:
        print(f"FAIL: {name} {qtype} {vp}: stored {have}, lab.json {want}"); bad += 1
checked = ecs_checked = 0
for n in d["names"]:
    for vp in vps:
        for qtype, exp in n["answers"][vp].items():
            compare(n["name"], qtype, vp, status_of.get(exp["status"], exp["status"]),
                    exp["cname_chain"], exp["addresses"])
            checked += 1
    for e in n.get("ecs", []):
        vp = {"198.51.100.0/24": "ecs-198", "2001:db8:e1::/48": "ecs-v6"}.get(e["subnet"])
        if vp is None: continue
        for qtype in ("A", "AAAA"):
            compare(n["name"], qtype, vp, "NOERROR", [], e[qtype]); checked += 1
            # The resolver echoes the subnet it was given, with the scope of the geo rule.
            r = got.get((n["name"], qtype, vp))
            if r and (r["ecs"] != e["subnet"] or not isinstance(r["ecs_scope"], int)
                      or r["ecs_scope"] <= 0):
                print(f"FAIL: {n['name']} {qtype} {vp}: ecs {r['ecs']!r} scope {r['ecs_scope']}, "
                      f"want {e['subnet']} with a scope"); bad += 1
            ecs_checked += 1
# The vantage points differ where the lab makes them differ.
differ = [n["name"] for n in d["names"] if n["answers"]["vp-a"] != n["answers"]["vp-b"]]
seen_differ = [x for x in differ
               if got[(x, "A", "vp-a")]["answers"] != got[(x, "A", "vp-b")]["answers"]]
if not differ or seen_differ != differ:
    print(f"FAIL: vp-a and vp-b should differ for {differ}, stored rows differ for {seen_differ}")
    bad += 1
for x in d["faults"]["cname_loop"]["names"] + [d["faults"]["long_cname_chain"]["first"]]:
    for vp in vps:
        if got[(x, "A", vp)]["status"] != "SERVFAIL":
            print(f"FAIL: {x} from {vp}: {got[(x, 'A', vp)]['status']}, want SERVFAIL"); bad += 1
# Every CNAME link keeps its own TTL (the lab's unbounds cache nothing and answer with TTL 0;
# the values are checked against the authoritative below); rows without an ECS echo store none.
chains = [r for r in got.values() if r["cname_chain"]]
for r in chains:
    if len(r["cname_ttls"]) != len(r["cname_chain"]) or not all(t >= 0 for t in r["cname_ttls"]):
        print(f"FAIL: {r['name']} {r['qtype']} {r['vantage']}: cname_ttls {r['cname_ttls']} "
              f"for chain {r['cname_chain']}"); bad += 1
for r in got.values():
    if r["vantage"] in ("vp-a", "vp-b") and (r["ecs"] != "" or r["ecs_scope"] is not None):
        print(f"FAIL: {r['name']} {r['qtype']} {r['vantage']}: ecs {r['ecs']!r} without ECS"); bad += 1
if not chains or ecs_checked == 0:
    print(f"FAIL: {len(chains)} rows with a chain, {ecs_checked} ECS rows: nothing to check"); bad += 1
print(f"{'ok' if bad == 0 else 'FAIL'}: {checked} rows compared with lab.json ({ecs_checked} ECS "
      f"echoes, {len(chains)} chains with TTLs), {bad} differences")
sys.exit(1 if bad else 0)
EOF
check "rows equal lab.json for every vantage point, type and name" $?
before=$(wc -l <"$work/rows.jsonl")
run resolve --once "${vp_args[@]}" - <"$work/names.txt"
export_day
check "a second run in the same hour adds nothing (rc $rc)" \
  "$([ "$rc" -eq 0 ] && [ "$(wc -l <"$work/rows.jsonl")" -eq "$before" ] && grep -q 'already resolved' "$work/err"; echo $?)"

# --- 2. a resolver that drops every query ---
drop_ip=$(lab_json 'd["faults"]["dns_drop"]["addresses"][0]')
bad_ip=$(lab_json 'd["faults"]["dns_bad_replies"]["addresses"][0]')
cat >"$work/servers.py" <<'EOF'
# Fault resolvers: sys.argv[1] drops every UDP query; sys.argv[2] answers badly, by name.
import socket, struct, sys, threading
def qname(msg):
    i, labels = 12, []
    while i < len(msg) and msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace")); i += 1 + msg[i]
    return ".".join(labels).lower(), i + 5
def reply(msg, tcp):
    name, end = qname(msg)
    qid, question = msg[:2], msg[12:end]
    head = lambda i, flags, an: i + struct.pack(">HHHHH", flags, 1, an, 0, 0)
    if name.startswith("malformed"):  # one answer announced, a broken one sent
        return head(qid, 0x8180, 1) + question + b"\xc0\x0c\x00\x01\x00\x01\x00"
    if name.startswith("wrongid"):
        return head(bytes([qid[0] ^ 0xff, qid[1]]), 0x8180, 0) + question
    if name.startswith("garbage"):
        return b"\x00\x01\x02"
    if name.startswith("truncated") and not tcp:
        return head(qid, 0x8380, 0) + question
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 99])
    return head(qid, 0x8180, 1) + question + answer
def drop(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, 53))
    while True: s.recvfrom(4096)
def bad_udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, 53))
    while True:
        msg, peer = s.recvfrom(4096); s.sendto(reply(msg, False), peer)
def bad_tcp(addr):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, 53)); l.listen(8)
    while True:
        c, _ = l.accept()
        try:
            while True:
                n = c.recv(2)
                if len(n) < 2: break
                msg = c.recv(struct.unpack(">H", n)[0])
                out = reply(msg, True); c.sendall(struct.pack(">H", len(out)) + out)
        finally:
            c.close()
threads = [threading.Thread(target=f, args=(a,), daemon=True)
           for f, a in ((drop, sys.argv[1]), (bad_udp, sys.argv[2]), (bad_tcp, sys.argv[2]))]
for t in threads: t.start()
print("ready", flush=True)
for t in threads: t.join()
EOF
# Not through the in_lab function: `ip netns exec` execs python, so $! is python's own pid.
ip netns exec "$LAB_NS" "$LAB_PYTHON" "$work/servers.py" "$drop_ip" "$bad_ip" \
  >"$work/servers.out" 2>&1 &
pids+=($!)
echo "$!" >"$LAB_DIR/run/resolver_lab_test.pid" 2>/dev/null || true
for _ in $(seq 300); do grep -q ready "$work/servers.out" && break; sleep 0.1; done

run resolve --once --vantage vp-drop - <"$work/names.txt"
check "vp-drop (silent resolver + unbound-a) exits 0 (rc $rc)" "$([ "$rc" -eq 0 ]; echo $?)"
grep -q "$drop_ip:53 (vantage point vp-drop) stopped answering" "$work/err"
check "the silent resolver is reported as stopped answering" $?
run resolve --once --vantage vp-droponly a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com mqtt.googleapis.com
check "a vantage point whose only resolver is silent exits 1 (rc $rc)" "$([ "$rc" -eq 1 ]; echo $?)"

# --- 3. bad replies, 4. chains through the authoritative ---
run resolve --once --vantage vp-bad malformed.faults.example wrongid.faults.example \
  garbage.faults.example truncated.faults.example
check "vp-bad (bad replies) ends without a crash (rc $rc)" "$([ "$rc" -le 1 ]; echo $?)"
run resolve --once --vantage vp-auth "$(lab_json 'd["faults"]["cname_loop"]["names"][0]')" \
  "$(lab_json 'd["faults"]["long_cname_chain"]["first"]')"
check "vp-auth exits 0 (rc $rc)" "$([ "$rc" -eq 0 ]; echo $?)"
export_day
auth_ip=$(lab_json 'd["authoritative"][0]["address"]')
chain_ttl=$(in_lab dig +noall +answer @"$auth_ip" "$(lab_json 'd["faults"]["long_cname_chain"]["first"]')" A |
  awk '$4 == "CNAME" {print $2; exit}')
"$LAB_PYTHON" - "$LAB_JSON" "$work/rows.jsonl" "${chain_ttl:-none}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
chain_ttl = sys.argv[3]
rows = {}
for l in open(sys.argv[2]):
    r = json.loads(l); rows[(r["name"], r["qtype"], r["vantage"])] = r
bad = 0
def want(name, qtype, vp, status, test=lambda r: True, what=""):
    global bad
    r = rows.get((name, qtype, vp))
    ok = r is not None and r["status"] == status and test(r)
    print(f"{'ok' if ok else 'FAIL'}: {name} {qtype} {vp}: {r and r['status']}, want {status} {what}")
    bad += not ok
for n in d["names"]:
    for qtype, exp in n["answers"]["vp-a"].items():
        addrs = sorted(exp["addresses"])
        st = {"ANSWER": "NOERROR"}.get(exp["status"], exp["status"])
        r = rows.get((n["name"], qtype, "vp-drop"))
        if r is None or r["status"] != st or sorted(a["ip"] for a in r["answers"]) != addrs \
           or r["resolver"].startswith(d["faults"]["dns_drop"]["addresses"][0]):
            print(f"FAIL: vp-drop {n['name']} {qtype}: {r}"); bad += 1
print("ok: vp-drop rows checked against vp-a's expectations")
for name in ("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.", "mqtt.googleapis.com."):
    for qtype in ("A", "AAAA"):
        r = rows.get((name, qtype, "vp-droponly"))
        ok = r is not None and r["status"] in ("TIMEOUT", "NO_RESOLVER") and r["rcode"] is None \
            and ("timeout" in r["detail"] or "stopped answering" in r["detail"])
        print(f"{'ok' if ok else 'FAIL'}: {name} {qtype} vp-droponly: {r and r['status']}"); bad += not ok
want("malformed.faults.example.", "A", "vp-bad", "MALFORMED", lambda r: r["detail"] != "",
     "(with its detail)")
want("wrongid.faults.example.", "A", "vp-bad", "TIMEOUT")
want("garbage.faults.example.", "A", "vp-bad", "TIMEOUT")
want("truncated.faults.example.", "A", "vp-bad", "NOERROR",
     lambda r: [a["ip"] for a in r["answers"]] == ["192.0.2.99"], "(answer over TCP)")
loop = d["faults"]["cname_loop"]["names"]
want(loop[0], "A", "vp-auth", "CNAME_LOOP", lambda r: r["cname_chain"] == [loop[1], loop[0]])
chain = d["faults"]["long_cname_chain"]
want(chain["first"], "A", "vp-auth", "CNAME_TOO_LONG", lambda r: len(r["cname_chain"]) == 17,
     "(17 links seen, max_cname_chain 16)")
want(chain["first"], "A", "vp-auth", "CNAME_TOO_LONG",
     lambda r: [str(t) for t in r["cname_ttls"]] == [chain_ttl] * 17,
     f"(each link's TTL as the authoritative gives it: {chain_ttl})")
sys.exit(1 if bad else 0)
EOF
check "fault rows" $?
# --- 5. SIGTERM in the middle of a run ---
# SIGTERM after the first answers must keep them, mark the run interrupted and exit 1; the next
# run of the hour then asks only for what is missing. (A run that crosses the hour files the rest
# under the next hour: the completeness check needs both runs in one hour.)
# No fixed sleep decides when the signal goes: at 1 query per second per resolver (vp-a has
# two) the run would last about half a minute, and -v prints a progress line ("N/TOTAL") with
# the first answer after 5 s. The test sends SIGTERM once that line shows 0 < N < TOTAL, so
# answers are certainly in and ~20 s of queries are still to come however slowly the machine
# runs the test script.
{ cat "$work/lab.toml"; echo "qps = 1"; } >"$work/slow.toml"
sigdb=$work/sig.db
n_names=$(grep -c . "$work/names.txt")
ip netns exec "$LAB_NS" "$IOTMAP" -v --config "$work/slow.toml" --db "$sigdb" resolve --once \
  --vantage vp-a - <"$work/names.txt" 2>"$work/sig.err" &
sig_pid=$!
progress_re="^resolve [0-9T-]+: [1-9][0-9]*/[0-9]+ "
for _ in $(seq 600); do grep -qE "$progress_re" "$work/sig.err" && break; sleep 0.1; done
sig_seen=$(grep -oE "$progress_re" "$work/sig.err" | head -1)
check "a progress line with answers came before SIGTERM ('$sig_seen')" "$([ -n "$sig_seen" ]; echo $?)"
# `ip netns exec` execs iotmap, so the background pid is iotmap's own.
kill -TERM "$sig_pid"
sig_rc=0
wait "$sig_pid" || sig_rc=$?
read -r sig_status sig_covers sig_rows < <(sqlite3 -separator ' ' "$sigdb" \
  "SELECT r.status, r.covers, (SELECT count(*) FROM resolutions WHERE run_id = r.id)
   FROM runs r WHERE kind = 'resolve' ORDER BY id DESC LIMIT 1")
check "SIGTERM: exit 1 (rc $sig_rc), run interrupted ($sig_status), $sig_rows of $((n_names * 2)) rows kept" \
  "$([ "$sig_rc" -eq 1 ] && [ "$sig_status" = interrupted ] && [ "$sig_rows" -gt 0 ] &&
     [ "$sig_rows" -lt $((n_names * 2)) ] && grep -q 'stopped by a signal' "$work/sig.err"; echo $?)"
in_lab "$IOTMAP" --config "$work/lab.toml" --db "$sigdb" resolve --once --vantage vp-a - \
  <"$work/names.txt" 2>"$work/sig2.err"
sig2_rc=$?
read -r covers2 < <(sqlite3 "$sigdb" "SELECT covers FROM runs ORDER BY id DESC LIMIT 1")
total=$(sqlite3 "$sigdb" "SELECT count(*) FROM resolutions")
if [ "$covers2" = "$sig_covers" ]; then
  check "after SIGTERM the next run completes the hour ($total of $((n_names * 2)) rows, rc $sig2_rc)" \
    "$([ "$sig2_rc" -eq 0 ] && [ "$total" -eq $((n_names * 2)) ] &&
       grep -q 'already resolved' "$work/sig2.err"; echo $?)"
else
  echo "skipped: the second run started in the next hour ($sig_covers -> $covers2)"
fi

[ "$fail" -eq 0 ] && echo "resolver_lab_test: all passed" || echo "resolver_lab_test: FAILED" >&2
exit "$fail"
