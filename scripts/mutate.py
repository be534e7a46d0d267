"""RTL mutation testing: how many small bugs in a core's RTL (and the shell's) its own tests catch.

Usage: python scripts/mutate.py --design dense [-n 20] [--seed 1] [--jobs 2] [--tests a,b]
                                [--scheduler tcp://host:8786]
Finds every mutation site in the core's sources (its own RTL and the shell's, as the manifest lists
them), draws -n of them with --seed, and runs each mutant against the core's tests (default: every
test of its regression, one seed, the default size) on Verilator, each in its own copy of the tree (hard links but the mutated
file), after a control run of the unmutated copy that must pass. The mutants are jobs on the
regression's engine (verif/common/regression.py): a LocalCluster of --jobs workers, or the Dask
cluster at --scheduler (or SCHEDULER), whose workers share this folder. Mutations:
  operator     a binary operator swapped: + -, && ||, == !=, < <=, > >=, & |
  negate       an if condition negated
  constant     a one-bit constant flipped (1'b0 <-> 1'b1), a decimal constant in an expression +1
  stuck        a valid or ready assignment stuck at 0 or 1
A mutant is killed when a test fails (a scoreboard check, an assertion, a timeout), survives when all
pass, and is invalid when it does not build (left out of the score). Writes build/mutate/<core>/
mutate.json (score per core and per file, every mutant with its diff and outcome) and prints the
survivors' diffs: each is a missing check or an equivalent mutant (README, "Mutation testing").
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, core_names, load_core  # noqa: E402
from verif.common import regression  # noqa: E402

TREE = ("hdl", "verif", "models", "scripts", "Makefile", "requirements.txt")  # what a mutant's copy holds
SWAPS = {"+": "-", "-": "+", "&&": "||", "||": "&&", "==": "!=", "!=": "==", "<": "<=", "<=": "<",
         ">": ">=", ">=": ">", "&": "|", "|": "&"}
# A binary operator between two operands (not part of <=, >>, ->, a unary use or a part select `+:`).
OPERATOR = re.compile(r"(?<=[\w)\]] )(&&|\|\||==|!=|<=|>=|<|>|\+|-|&|\|)(?= [\w(!~'])")
IF_CONDITION = re.compile(r"\bif \((.+)\)(?= begin|$| [\w.\[\]]+ <?=)")
ONE_BIT = re.compile(r"1'b([01])")
DECIMAL = re.compile(r"(?<=[-+*/(,=<>] )(\d+)(?=[ );,])")
HANDSHAKE = re.compile(r"^(\s*assign\s+\w*(?:valid|ready)\w*\s*=\s*)(.+);")
# The text before a `<=` that makes it a non-blocking assignment, not a comparison: an lvalue at the
# start of a statement (after nothing, an if's condition, else or begin).
NBA_LVALUE = re.compile(r"(^|\)|\belse|\bbegin)\s*[\w.]+(\[[^\]]*\])*\s*$")
SKIPPED_STARTS = ("`", "localparam", "parameter", "input", "output", "logic", "wire [", "module", "import",
                  "typedef", "&&", "||")  # declarations, macros, continued macro arguments (assertions)


@dataclass
class Mutant:
    file: str          # path from the project root
    line: int          # 1-based
    kind: str          # operator, negate, constant, stuck
    before: str        # the line as it is
    after: str         # the line mutated
    outcome: str = ""  # killed, survived, invalid
    detail: str = ""   # the failing tests, or the build error's first line

    def diff(self) -> str:
        return "".join(difflib.unified_diff([self.before + "\n"], [self.after + "\n"],
                                            f"a/{self.file}:{self.line}", f"b/{self.file}:{self.line}"))


def code_part(line: str) -> str:
    """The line without its // comment (mutations never touch comments)."""
    return line.split("//", 1)[0]


def sites(path: str, text: str) -> list[Mutant]:
    """Every mutation of a source text, one change a mutant."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        code = code_part(line)
        rest = line[len(code):]
        if not code.strip() or code.lstrip().startswith(SKIPPED_STARTS) or "#(" in code:
            continue

        def add(kind: str, start: int, end: int, new: str) -> None:
            out.append(Mutant(path, n, kind, line, code[:start] + new + code[end:] + rest))

        if m := HANDSHAKE.match(code):
            for stuck in ("1'b0", "1'b1"):
                if m.group(2).strip() != stuck:
                    add("stuck", m.start(2), m.end(2), stuck)
            continue
        for m in OPERATOR.finditer(code):
            if m.group(1) == "<=" and NBA_LVALUE.search(code[:m.start(1)]):
                continue
            add("operator", m.start(1), m.end(1), SWAPS[m.group(1)])
        for m in IF_CONDITION.finditer(code):
            add("negate", m.start(1), m.end(1), f"!({m.group(1)})")
        for m in ONE_BIT.finditer(code):
            add("constant", m.start(), m.end(), f"1'b{1 - int(m.group(1))}")
        for m in DECIMAL.finditer(code):
            add("constant", m.start(1), m.end(1), str(int(m.group(1)) + 1))
    return out


def mutable_sources(core_name: str) -> list[Path]:
    """The core's RTL and the shell's, as the manifest lists them: not the generated CSR block, not the
    simulation-only protocol checkers (*_check.sv: verification IP, not the design)."""
    core = load_core(core_name)
    return [p for p in core.sources if p.suffix == ".sv" and "hdl/" in p.as_posix()
            and not p.stem.endswith("_check")]


def link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system: a copy
        shutil.copy2(src, dst)


def make_tree(dest: Path) -> None:
    """A copy of the project for one mutant: hard links, so only the mutated file takes space."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in TREE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, copy_function=link_or_copy,
                            ignore=shutil.ignore_patterns("__pycache__", "build"))
        else:
            shutil.copy2(src, dest / name)


def run_mutant(index: int, mutant: Mutant | None, core: str, tests: list[str], work: Path, timeout_s: int) -> Mutant:
    """Run the tests on a copy of the tree with `mutant` applied (None: the unmutated control run)."""
    tree = work / f"m{index:03d}"
    make_tree(tree)
    if mutant is None:
        mutant = Mutant("(none)", 0, "control", "", "")
    else:
        target = tree / mutant.file
        text = target.read_text().splitlines(keepends=True)
        assert text[mutant.line - 1].rstrip("\n") == mutant.before, f"{mutant.file}:{mutant.line} changed"
        text[mutant.line - 1] = mutant.after + "\n"
        target.unlink()  # break the hard link: the project's own file stays as it is
        target.write_text("".join(text))
    cmd = [sys.executable, str(tree / "scripts" / "sim.py"), "--design", core, "--sim", "verilator",
           "--tests", ",".join(tests), "--no-toggles", "--out", str(tree / "out")]
    try:
        proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        mutant.outcome, mutant.detail = "killed", f"no result within {timeout_s} s (a hang)"
    else:
        summary = tree / "out" / "summary.json"
        if summary.is_file():
            failed = json.loads(summary.read_text()).get("failed_tests") or []
            mutant.outcome = "killed" if proc.returncode else "survived"
            mutant.detail = ", ".join(failed) if failed else ("" if not proc.returncode else "tests failed")
        else:
            lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "rror" in ln]
            mutant.outcome, mutant.detail = "invalid", (lines[0] if lines else "no summary")[:200]
    shutil.rmtree(tree, ignore_errors=True)
    return mutant


def score(mutants: list[Mutant]) -> dict:
    """Killed / (killed + survived), per file and in all; invalid mutants are left out."""
    def of(sel):
        killed = sum(m.outcome == "killed" for m in sel)
        survived = sum(m.outcome == "survived" for m in sel)
        return {"killed": killed, "survived": survived, "invalid": sum(m.outcome == "invalid" for m in sel),
                "score": killed / (killed + survived) if killed + survived else None}
    files = sorted({m.file for m in mutants})
    return {"all": of(mutants), "by_file": {f: of([m for m in mutants if m.file == f]) for f in files}}


def run_all(chosen: list[Mutant], submit, timeout_s: int) -> list[Mutant]:
    """Every mutant as a job (submit(index, mutant) -> future), with progress and an ETA."""
    from distributed import as_completed
    t0, done = time.time(), []
    futures = [submit(i, m) for i, m in enumerate(chosen)]
    for fut in as_completed(futures, timeout=timeout_s * len(chosen) + 60):
        m = fut.result()
        done.append(m)
        eta = (time.time() - t0) / len(done) * (len(chosen) - len(done))
        print(f"[mutate] {len(done)}/{len(chosen)} {m.outcome:8} {m.file}:{m.line} {m.kind}"
              f"  (ETA {eta:.0f} s)", flush=True)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", required=True, help=f"one of: {', '.join(core_names())}")
    parser.add_argument("-n", type=int, default=20, help="mutants to draw (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--tests", default="", help="comma-separated tests (default: every test of the core, "
                        "as its regression runs them)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a mutant's run may take (default 900)")
    parser.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                        help="tcp://host:port of a Dask scheduler (default: a LocalCluster of --jobs workers)")
    args = parser.parse_args(argv)
    if args.design not in core_names():
        parser.error(f"unknown design {args.design!r}; choose from {', '.join(core_names())}")
    if args.n < 1 or args.jobs < 1:
        parser.error("-n and --jobs must be at least 1")
    core = load_core(args.design)
    tests = [t for t in args.tests.split(",") if t] or regression.pyuvm_test_names(core)
    candidates = [m for p in mutable_sources(args.design)
                  for m in sites(p.relative_to(ROOT).as_posix(), p.read_text())]
    import numpy as np
    rng = np.random.default_rng(args.seed)
    chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=min(args.n, len(candidates)),
                                                        replace=False))]
    out = ROOT / "build" / "mutate" / args.design
    out.mkdir(parents=True, exist_ok=True)
    print(f"[mutate] {args.design}: {len(candidates)} sites in {len(mutable_sources(args.design))} files; "
          f"running {len(chosen)} mutants against {', '.join(tests)} on "
          f"{args.scheduler or f'{args.jobs} local workers'}", flush=True)
    with regression.connect(args.scheduler, args.jobs) as client:
        def submit(i, mutant):
            return client.submit(run_mutant, i, mutant, args.design, tests, out / "trees", args.timeout, pure=False)
        control = submit(len(chosen), None).result(timeout=args.timeout + 60)
        if control.outcome == "survived":
            done = run_all(chosen, submit, args.timeout)
    if control.outcome != "survived":
        raise SystemExit(f"[mutate] the unmutated tree does not pass its tests ({control.outcome}: {control.detail}); "
                         "fix that first: no mutant could be scored")
    done.sort(key=lambda m: (m.file, m.line, m.after))
    result = {"design": args.design, "tests": tests, "seed": args.seed, "sites": len(candidates),
              "score": score(done), "mutants": [{**asdict(m), "diff": m.diff()} for m in done]}
    (out / "mutate.json").write_text(json.dumps(result, indent=1))
    s = result["score"]["all"]
    pct = "n/a" if s["score"] is None else f"{100 * s['score']:.0f} %"
    print(f"[mutate] {args.design}: {s['killed']} killed, {s['survived']} survived, {s['invalid']} invalid: "
          f"score {pct}")
    for f, fs in result["score"]["by_file"].items():
        print(f"  {f}: {fs['killed']}/{fs['killed'] + fs['survived']} killed, {fs['invalid']} invalid")
    for m in done:
        if m.outcome == "survived":
            print(m.diff(), end="")
    print(f"[mutate] wrote {out / 'mutate.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
