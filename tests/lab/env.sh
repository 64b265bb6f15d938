# Source this from a lab test:  . "$SRC/tests/lab/env.sh"
# Gives LAB_NS, LAB_DIR, LAB_JSON, LAB_CA, LAB_TOOL and the function in_lab.
# Every command that talks to a lab address must run inside the namespace (in_lab ...):
# in the host namespace those documentation addresses are routed to the real network.
LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_NS=${IOTMAP_LAB_NS:-iotmap-lab}
LAB_DIR=${IOTMAP_LAB_DIR:-/tmp/iotmap-lab}
LAB_JSON=${IOTMAP_LAB_JSON:-$LAB_HOME/lab.json}
LAB_CA=$LAB_DIR/pki/ca.pem
# Debian's python3 first: a version-manager shim (pyenv) can cost half a second per start
if [ -n "${IOTMAP_LAB_PYTHON:-}" ]; then LAB_PYTHON=$IOTMAP_LAB_PYTHON
elif [ -x /usr/bin/python3 ]; then LAB_PYTHON=/usr/bin/python3
else LAB_PYTHON=python3; fi
LAB_TOOL="$LAB_PYTHON $LAB_HOME/labtool.py"
export LAB_NS LAB_DIR LAB_JSON LAB_CA LAB_HOME LAB_PYTHON

# in_lab CMD ARGS...: run CMD inside the lab's network namespace.
in_lab() { ip netns exec "$LAB_NS" "$@"; }

# lab_is_up: true when the namespace exists and its knot answers.
lab_is_up() {
  grep -qx -- "$LAB_NS" <<<"$(ip netns list 2>/dev/null | awk '{print $1}')" &&
    grep -q 'status: NOERROR' <<<"$(in_lab dig +time=1 +tries=1 +norec @"$(lab_json 'd["authoritative"][0]["address"]')" . SOA 2>/dev/null)"
}

# lab_json EXPR: print a value from lab.json, e.g. lab_json 'd["authoritative"][0]["address"]'
lab_json() { "$LAB_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))' "$LAB_JSON" "$1"; }
