#!/usr/bin/env python3
"""Mutation run: do the unit and CLI tests catch small plausible bugs in the core rules?

Each entry of tests/mutation/mutations.txt replaces one exact piece of text in one source file.
The run applies the mutations one at a time to a throwaway clone (never to this checkout),
rebuilds incrementally, runs the tests and prints, per mutation, whether a test failed
("caught") or every test passed ("NOT caught"), then the score per set. Run by hand, not in CI:

  tests/mutation/run.py                 # every mutation
  tests/mutation/run.py --set listed    # one set (see the `set:` field)
  tests/mutation/run.py ID...           # some mutations, by id
  tests/mutation/run.py --check         # only check that every mutation applies to the sources
  tests/mutation/run.py --rev REV       # the tests of an older commit (a score before new tests)
  tests/mutation/run.py --new-tag '[mutation]'   # score with and without the tests of a tag

The clone is $IOTMAP_MUTATION_DIR (default $TMPDIR/iotmap-mutation), kept between runs so that
rebuilds stay incremental. It is reset to this checkout's HEAD, plus its uncommitted changes and
untracked files, at the start of every run: tests being written count before they are committed.
Builds run under `nice -n 10`. ccache is optional: source a file exporting
CMAKE_CXX_COMPILER_LAUNCHER=ccache (with its CCACHE_* settings) first; the run sets
CCACHE_BASEDIR=/ so that the clone reuses objects compiled in any other checkout.

Tests per mutation, stopping at the first failure: the unit tests of the entry's `hint:` Catch2
tags, then every unit test, then tests/cli/*.sh (not fuzz_*). The lab is not used. A test that
runs past its time limit counts as a failure (a mutation that makes the code hang is caught).
A mutation that does not compile is reported and left out of the score.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
LIST = SOURCE / "tests" / "mutation" / "mutations.txt"
UNIT_TIMEOUT = 900  # seconds for the whole unit binary; the slowest tests take a few seconds
CLI_TIMEOUT = 300   # seconds per CLI script


class Mutation:
    def __init__(self, fields, where):
        self.where = where
        for key in ("id", "set", "file", "why", "find", "into"):
            if key not in fields:
                sys.exit(f"{where}: mutation without '{key}:'")
        self.id = fields["id"]
        self.set = fields["set"]
        self.file = fields["file"]
        self.why = fields["why"]
        self.find = unescape(fields["find"])
        self.into = unescape(fields["into"])
        self.hint = fields.get("hint", "")


def unescape(text):
    """`\\n` is a newline and `\\\\` a backslash; nothing else is special."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "n\\":
            out.append("\n" if text[i + 1] == "n" else "\\")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def read_list(path):
    """Entries are blocks of `key: value` lines separated by blank lines; `#` starts a comment
    line. `find:` and `into:` keep their text exactly after the one space that follows the
    colon."""
    mutations, fields, start = [], {}, 0
    lines = path.read_text().split("\n") + [""]
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                mutations.append(Mutation(fields, f"{path}:{start}"))
            fields = {}
            continue
        key, sep, value = line.partition(":")
        if not sep or key not in ("id", "set", "file", "why", "find", "into", "hint"):
            sys.exit(f"{path}:{n}: expected 'key: value' with key id, set, file, why, hint, "
                     f"find or into, got '{line}'")
        if key in fields:
            sys.exit(f"{path}:{n}: '{key}' given twice in one mutation")
        if not fields:
            start = n
        fields[key] = value[1:] if value.startswith(" ") else value
    ids = [m.id for m in mutations]
    for m in mutations:
        if ids.count(m.id) > 1:
            sys.exit(f"{m.where}: id '{m.id}' is used twice")
    return mutations


def check_applies(m, root):
    """The text must occur exactly once, so that a list gone stale with the code fails loudly."""
    path = root / m.file
    if not path.is_file():
        return f"{m.where} ({m.id}): no file {m.file}"
    n = path.read_text().count(m.find)
    if n != 1:
        return f"{m.where} ({m.id}): the text to replace occurs {n} times in {m.file}, not once"
    if m.find == m.into:
        return f"{m.where} ({m.id}): the replacement equals the original"
    return None


def run(cmd, cwd, timeout=None, env=None):
    """(exit code or "timeout", output). The command runs in its own process group, killed
    whole on a timeout, so that a hanging test leaves no server or child behind."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return "timeout", out
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        raise


def git(args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, text=True,
                          stdout=subprocess.PIPE).stdout


def sync_clone(work, rev=None):
    """The clone: this checkout's HEAD, its uncommitted changes and its untracked files; or
    only the commit `rev`."""
    if not (work / ".git").is_dir():
        if work.exists():
            sys.exit(f"{work} exists and is no git clone; remove it or set IOTMAP_MUTATION_DIR")
        git(["clone", "--quiet", "--no-checkout", str(SOURCE), str(work)], SOURCE)
    head = git(["rev-parse", rev or "HEAD"], SOURCE).strip()
    git(["fetch", "--quiet", str(SOURCE), head], work)
    git(["checkout", "--quiet", "--force", "--detach", head], work)
    git(["clean", "--quiet", "-fd", "-e", "build/"], work)
    if rev:
        return
    diff = subprocess.run(["git", "diff", "--binary", "HEAD"], cwd=SOURCE, check=True,
                          stdout=subprocess.PIPE).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=work, input=diff, check=True)
    untracked = git(["ls-files", "--others", "--exclude-standard", "-z"], SOURCE)
    for rel in filter(None, untracked.split("\0")):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SOURCE / rel, work / rel)


def build(work, env):
    b = work / "build"
    if not (b / "build.ninja").exists():
        # The flags of scripts/build.sh with IOTMAP_WERROR=ON, as every checkout builds: the
        # same compiler command, so ccache serves the files no mutation touches. A mutation
        # that draws a warning is reported as not compiling: mutations are meant to be clean.
        rc, out = run(["cmake", "-S", ".", "-B", "build", "-G", "Ninja",
                       "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DIOTMAP_WERROR=ON"], work, env=env)
        if rc != 0:
            sys.exit("cmake failed in the clone:\n" + out)
    jobs = os.environ.get("IOTMAP_MUTATION_JOBS", str(os.cpu_count() or 1))
    return run(["nice", "-n", "10", "cmake", "--build", "build", "-j", jobs, "--target", "iotmap",
                "iotmap_unit_tests"], work, env=env)


def cli_tests(work):
    return sorted(p for p in (work / "tests" / "cli").glob("*.sh")
                  if not p.name.startswith("fuzz_"))


def run_tests(work, hint, env, spec=""):
    """None when every test passes, else the name of the first failing test. `spec` narrows
    the unit tests (a Catch2 test spec such as "~[mutation]"); the CLI tests run unless the
    spec selects a tag (then only those unit tests run)."""
    unit = str(work / "build" / "tests" / "iotmap_unit_tests")
    only = spec.startswith("[")
    steps = []
    if hint and not only:
        steps.append((f"unit {hint}{spec}", [unit, "--abort", hint + spec], UNIT_TIMEOUT))
    steps.append((f"unit {spec}".strip(), [unit, "--abort"] + ([spec] if spec else []),
                  UNIT_TIMEOUT))
    if not only:
        for t in cli_tests(work):
            steps.append((f"cli {t.name}", ["bash", str(t), str(work / "build" / "src" / "iotmap"),
                                           str(work)], CLI_TIMEOUT))
    for name, cmd, limit in steps:
        rc, out = run(cmd, work / "build" / "tests", timeout=limit, env=env)
        if rc == "timeout":
            return f"{name} (timed out after {limit} s)"
        if rc != 0:
            return name
    return None


def judge(work, m, env, new_tag):
    """(caught before the new tests, caught with them, what caught it)."""
    if not new_tag:
        failing = run_tests(work, m.hint, env)
        return bool(failing), bool(failing), failing
    failing = run_tests(work, m.hint, env, "~" + new_tag)
    if failing:
        return True, True, failing
    failing = run_tests(work, "", env, new_tag)
    return False, bool(failing), failing and f"{failing} (new tests only)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ids", nargs="*", help="mutation ids (default: all)")
    ap.add_argument("--set", help="only the mutations of this set")
    ap.add_argument("--check", action="store_true", help="only check that every mutation applies")
    ap.add_argument("--list", default=str(LIST), help="the mutation list (default: %(default)s)")
    ap.add_argument("--rev", help="test this commit instead of the working tree (a 'before' score)")
    ap.add_argument("--new-tag", help="also score without the unit tests of this Catch2 tag, "
                    "e.g. [mutation]: a before and after from one build per mutation")
    ap.add_argument("--no-sync", action="store_true",
                    help="test the clone as it is (a run cut short, resumed without a rebuild)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the check that the unmutated sources pass every test")
    args = ap.parse_args()

    mutations = read_list(Path(args.list))
    if args.set:
        mutations = [m for m in mutations if m.set == args.set]
    if args.ids:
        unknown = set(args.ids) - {m.id for m in mutations}
        if unknown:
            sys.exit("no such mutation: " + ", ".join(sorted(unknown)))
        mutations = [m for m in mutations if m.id in args.ids]
    if args.check:
        stale = [e for e in (check_applies(m, SOURCE) for m in mutations) if e]
        if stale:
            sys.exit("\n".join(stale))
        print(f"{len(mutations)} mutations apply")
        return 0

    work = Path(os.environ.get("IOTMAP_MUTATION_DIR",
                               Path(os.environ.get("TMPDIR", "/tmp")) / "iotmap-mutation"))
    env = dict(os.environ, CCACHE_BASEDIR="/")
    if not args.no_sync:
        sync_clone(work, args.rev)
    print(f"clone: {work}", flush=True)
    stale = [e for e in (check_applies(m, work) for m in mutations) if e]
    if stale:
        sys.exit("\n".join(stale))
    rc, out = build(work, env)
    if rc != 0:
        sys.exit("the unmutated sources do not build:\n" + out[-3000:])
    failing = None if args.no_baseline else run_tests(work, "", env)
    if failing:
        sys.exit(f"the unmutated sources fail a test ({failing}); a mutation run needs them "
                 "passing")

    results = {}  # set -> [caught before the new tests, caught, total]
    escaped = []
    for m in mutations:
        t0 = time.monotonic()
        path = work / m.file
        original = path.read_text()
        path.write_text(original.replace(m.find, m.into, 1))
        try:
            rc, out = build(work, env)
            if rc != 0:
                verdict = "does not compile (left out)"
            else:
                before, after, failing = judge(work, m, env, args.new_tag)
                score = results.setdefault(m.set, [0, 0, 0])
                score[0] += before
                score[1] += after
                score[2] += 1
                verdict = f"caught by {failing}" if after else "NOT caught"
                if not after:
                    escaped.append(m)
        finally:
            path.write_text(original)
        print(f"{m.id:<34} {verdict}  [{time.monotonic() - t0:.0f} s]", flush=True)

    build(work, env)  # leave the clone built from unmutated sources
    print()
    for s, (before, caught, total) in sorted(results.items()):
        line = f"set {s}: {caught}/{total} caught ({100 * caught // max(total, 1)}%)"
        if args.new_tag:
            line += (f"; without the tests tagged {args.new_tag}: {before}/{total} "
                     f"({100 * before // max(total, 1)}%)")
        print(line)
    for m in escaped:
        print(f"not caught: {m.id} ({m.file}): {m.why}")
    return 1 if escaped else 0


if __name__ == "__main__":
    sys.exit(main())
