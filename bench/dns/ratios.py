#!/usr/bin/env python3
"""Prints iotmap's DNS figures as ratios to massdns's, measured in the same run (bench/dns/run.sh).

  ratios.py FIGURES

FIGURES has one line per measured run: "TAG NAMES_PER_S CPU_US_PER_NAME [ANSWERED_FRACTION]",
tags engine, iotmap (the first run), hourly, massdns-200, massdns-2000, and without goals
hourly-2cores and baseline-* (BENCH_BASELINE). massdns's best run
(highest names/s, lowest CPU per name, among runs that answered at least 99%) is the reference.
The goals are issue #18's.
"""
import sys

GOALS = (("engine", 1.0, "engine alone, CPU/name"),
         ("hourly", 2.0, "hourly resolve --once, CPU/name"),
         ("iotmap", 3.0, "first run (names imported), CPU/name"))


def main(path):
    rows = {}
    for line in open(path, encoding="ascii"):
        tag, *values = line.split()
        rows[tag] = [float(v) for v in values]
    peers = [v for tag, v in rows.items() if tag.startswith("massdns-") and v[2] >= 0.99]
    if not peers:
        print("ratios: no massdns run answered 99% of the names; none computed")
        return
    rate = max(v[0] for v in peers)
    cpu = min(v[1] for v in peers)
    print(f"ratios to massdns (its best: {rate:,.0f} names/s, {cpu:.2f} us CPU/name):")
    for tag, goal, what in GOALS:
        if tag in rows:
            r = rows[tag][1] / cpu
            print(f"  {what}: {r:.2f}x (goal <= {goal}x): {'met' if r <= goal else 'NOT met'}")
    if "hourly" in rows:
        r = rows["hourly"][0] / rate
        print(f"  hourly names/s: {r:.2f}x (goal >= 0.8x): {'met' if r >= 0.8 else 'NOT met'}")
    # No goal: the hourly run with a second core, and a baseline binary's runs (BENCH_BASELINE).
    for tag, (names_s, cpu_us, *_) in rows.items():
        if tag.startswith("hourly-") or tag.startswith("baseline-"):
            print(f"  {tag}: names/s {names_s / rate:.2f}x, CPU/name {cpu_us / cpu:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])
