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
  tests/mutation/run.py --set rules --command 'python3 tests/lab/fortnight/fortnight.py build/src/iotmap .'
                                        # another test instead: the fortnight test against the
                                        # rules themselves (root, about 5 minutes per mutation)

The clone is $IOTMAP_MUTATION_DIR (default $TMPDIR/iotmap-mutation), kept between runs so that
rebuilds stay incremental. It is reset to this checkout's HEAD, plus its uncommitted changes and
untracked files, at the start of every run: tests being written count before they are committed.
Builds run under `nice -n 10`. ccache is optional: source a file exporting
CMAKE_CXX_COMPILER_LAUNCHER=ccache (with its CCACHE_* settings) first; the run sets
CCACHE_BASEDIR=/ so that the clone reuses objects compiled in any other checkout.

Tests per mutation, stopping at the first failure: the unit tests of the entry's `hint:` Catch2
tags, then the tests that matter for the mutated file's folder (SUBSETS below: the unit tests of
some tags and some tests/cli/*.sh), so that a run stays affordable on a shared 2-core machine.
`--all-tests` adds, after those, every unit test and every tests/cli/*.sh (not fuzz_*): use it
to confirm that a mutation the subset lets through escapes the whole suite. The lab is not
used. A test that runs past its time limit counts as a failure (a mutation that makes the code
hang is caught). A mutation that does not compile is reported and left out of the score.
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

# The tests that exercise each source folder: Catch2 tags and tests/cli scripts. A file of a
# folder not listed gets every test. Keep it in step with the tests: a subset too narrow only
# shows as mutations "NOT caught" that --all-tests catches.
SUBSETS = {
    "backend_map/": (["[backend_map]"], ["export_hitlist_order_test.sh", "match_test.sh",
                                         "input_data_sources_test.sh"]),
    "ethics/": (["[ethics]", "[optout]", "[info_page]", "[scanner]"],
                ["ethics_config_test.sh", "ops_info_page_test.sh"]),
    "scanner/": (["[scanner]"], ["ops_info_page_test.sh"]),
    "resolver/": (["[resolver]"], ["clock_test.sh", "input_untrusted_text_test.sh",
                                   "ops_daily_test.sh"]),
    "db/": (["[db]"], ["db_test.sh", "ops_prune_test.sh"]),
    "config/": (["[catalogue]", "[config]"], ["match_test.sh", "input_command_line_test.sh"]),
    "detect/": (["[detect]"], []),
}


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


def configure(work, env):
    """The flags of scripts/build.sh with IOTMAP_WERROR=ON, as every checkout builds: the same
    compiler command, so ccache serves the files no mutation touches. A mutation that draws a
    warning is reported as not compiling: mutations are meant to be clean. Links use lld when
    it is installed: each mutation links two large binaries, and lld does it several times
    faster than the default linker (the objects, and so the cache, are the same)."""
    flags = ["-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DIOTMAP_WERROR=ON"]
    if shutil.which("ld.lld"):
        flags.append("-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld")
    rc, out = run(["cmake", "-S", ".", "-B", "build", "-G", "Ninja", *flags], work, env=env)
    if rc != 0:
        sys.exit("cmake failed in the clone:\n" + out)


def build(work, env, targets=("iotmap", "iotmap_unit_tests")):
    jobs = os.environ.get("IOTMAP_MUTATION_JOBS", str(os.cpu_count() or 1))
    return run(["nice", "-n", "10", "cmake", "--build", "build", "-j", jobs, "--target", *targets],
               work, env=env)


def subset_of(path):
    """(unit tags, CLI script names) for a source file, or None for every test."""
    for folder, subset in SUBSETS.items():
        if path.startswith(folder):
            return subset
    return None


def cli_tests(work, names=None):
    return sorted(p for p in (work / "tests" / "cli").glob("*.sh")
                  if not p.name.startswith("fuzz_") and (names is None or p.name in names))


def choose_tests(mutations, all_tests):
    """(unit tags in order, CLI script names, everything after them?) for some mutations: their
    hint tags first, then their folders' subsets; everything when asked or when a folder has
    no subset."""
    tags, scripts, everything = [], [], all_tests
    for m in mutations:
        subset = subset_of(m.file)
        everything = everything or subset is None
        for t in ([m.hint] if m.hint else []) + (subset[0] if subset else []):
            if t not in tags:
                tags.append(t)
        scripts += [c for c in (subset[1] if subset else []) if c not in scripts]
    return tags, scripts, everything


def run_tests(work, chosen, env, spec=""):
    """None when every test passes, else the name of the first failing test. `chosen` is
    choose_tests()'s answer: the first unit tag alone (a mutation's hint, the cheap catch),
    the other tags together, the CLI scripts, then (if asked) every unit test and CLI script.
    `spec` narrows the unit tests (a Catch2 test spec such as "~[mutation]"); the CLI tests run
    unless the spec selects a tag (then only those unit tests run)."""
    tags, scripts, everything = chosen
    unit = str(work / "build" / "tests" / "iotmap_unit_tests")
    only = spec.startswith("[")
    steps = []
    if only:
        steps.append((f"unit {spec}", [unit, "--abort", spec], UNIT_TIMEOUT))
    else:
        for group in (tags[:1], tags[1:]):
            if group:
                name = ",".join(t + spec for t in group)
                steps.append((f"unit {name}", [unit, "--abort", name], UNIT_TIMEOUT))
        if everything:
            steps.append((f"unit {spec}".strip(), [unit, "--abort"] + ([spec] if spec else []),
                          UNIT_TIMEOUT))
        for t in cli_tests(work, None if everything else scripts):
            steps.append((f"cli {t.name}", ["bash", str(t), str(work / "build" / "src" / "iotmap"),
                                           str(work)], CLI_TIMEOUT))
    for name, cmd, limit in steps:
        rc, out = run(cmd, work / "build" / "tests", timeout=limit, env=env)
        if rc == "timeout":
            return f"{name} (timed out after {limit} s)"
        if rc != 0:
            return name
    return None


def judge(work, m, env, new_tag, all_tests, command=None):
    """(caught before the new tests, caught with them, what caught it)."""
    if command:
        rc, out = run(["bash", "-c", command], work, env=env)
        log = work / "build" / "mutation-logs" / f"{m.id}.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text(out)
        # What failed, and the command's own summary; the whole output is in the log.
        lines = out.splitlines()
        shown = [ln for ln in lines if ln.startswith("FAIL")][:60] + lines[-3:]
        print("\n".join(shown) + f"\n(whole output: {log})", flush=True)
        return rc != 0, rc != 0, command
    chosen = choose_tests([m], all_tests)
    if not new_tag:
        failing = run_tests(work, chosen, env)
        return bool(failing), bool(failing), failing
    failing = run_tests(work, chosen, env, "~" + new_tag)
    if failing:
        return True, True, failing
    failing = run_tests(work, chosen, env, new_tag)
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
    ap.add_argument("--all-tests", action="store_true",
                    help="after a mutation's subset of tests, run every unit and CLI test")
    ap.add_argument("--command", help="instead of the unit and CLI tests, run this shell command "
                    "in the clone (build/src/iotmap is built, not the unit tests); a mutation is "
                    "caught when it exits non-zero. For the fortnight test: --set rules --command "
                    "'python3 tests/lab/fortnight/fortnight.py build/src/iotmap .'")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the check that the unmutated sources pass the tests the run uses")
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
    configure(work, env)
    targets = ("iotmap",) if args.command else ("iotmap", "iotmap_unit_tests")
    rc, out = build(work, env, targets)
    if rc != 0:
        sys.exit("the unmutated sources do not build:\n" + out[-3000:])
    if args.no_baseline:
        failing = None
    elif args.command:
        failing = run(["bash", "-c", args.command], work, env=env)[0] and args.command
    else:
        failing = run_tests(work, choose_tests(mutations, args.all_tests), env)
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
            rc, out = build(work, env, targets)
            if rc != 0:
                verdict = "does not compile (left out)"
            else:
                before, after, failing = judge(work, m, env, args.new_tag, args.all_tests,
                                               args.command)
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

    build(work, env, targets)  # leave the clone built from unmutated sources
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
