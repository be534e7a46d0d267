"""Run one core's pyuvm tests under one simulator and write build/<core>/<sim>/summary.json.

Usage: python scripts/sim.py --design dense --sim icarus [--seed N] [--tests a,b] [--waves]
       [--records DIR] [--no-toggles] [--size Rows=1,Cols=16,TileRows=16]
--size builds the core with some of its manifest parameters overridden (as a manifest `sizes` entry
is) and writes to build/<core>/<sim>-<name><value>... unless --out says otherwise. The summary holds
the parameters of the build and, per layer operation: id, phase, dims, cycles, mac_slots, effectual_macs,
dense_macs, utilization, sram_reads, sram_writes and toggles (counted from the wave file).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common import runner  # noqa: E402
from verif.common.cores import ROOT, _size, core_names, load_core  # noqa: E402


def parse_size(text: str, parameters: dict[str, int]) -> dict[str, int]:
    """`Name=value,...` as a partial override of the manifest's parameters, checked as `sizes` are."""
    size = {}
    for item in (t.strip() for t in text.split(",") if t.strip()):
        name, sep, value = item.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise ValueError(f"{item!r} is not Name=integer")
        if name.strip() in size:
            raise ValueError(f"{name.strip()} is given twice")
        size[name.strip()] = int(value)
    return _size(parameters, size, "--size")


def collect_ops(test_dir: Path) -> tuple[list[dict], dict]:
    ops, seeds = [], {}
    for path in sorted(test_dir.glob("metrics_*.json")):
        data = json.loads(path.read_text())
        seeds[data["test"]] = data["seed"]
        for op in data["ops"]:
            op["test"] = data["test"]
            ops.append(op)
    return ops, seeds


CHECKER_PREFIX = "u_chk_"  # instance names of the simulation-only protocol checkers (accel_shell.sv)


def add_toggles(ops: list[dict], wave: Path, toplevel: str) -> None:
    """Bit toggles in each operation's window (load to last result beat): the whole core, and each
    sub-instance of the top (inclusive, every net once), from the wave file the run wrote."""
    from verif.common.toggles import count_toggles
    report = count_toggles(wave, windows=[tuple(op["window_ns"]) for op in ops], unit="ns")
    tops = sorted((i for i in report.instances if i.split(".")[-1] == toplevel), key=len)
    top = tops[0] if tops else ""
    children = [i for i in report.instances if i.startswith(top + ".u_") and i.count(".") == top.count(".") + 1]
    # The shell's protocol checkers (u_chk_*) are simulation-only: their own registers are no power.
    checkers = tuple(i for i in report.instances if i.split(".")[-1].startswith(CHECKER_PREFIX))
    for i, op in enumerate(ops):
        op["toggles"] = report.inclusive(top, i, exclude=checkers) if top else report.total(i)
        op["toggles_by_instance"] = {c[len(top) + 1:]: report.inclusive(c, i, exclude=checkers) for c in children}
        op["toggles_per_effectual_mac"] = op["toggles"] / op["effectual_macs"] if op["effectual_macs"] else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run a core's tests and write its summary.json")
    parser.add_argument("--design", default="dense", help=f"one of: {', '.join(core_names())}")
    parser.add_argument("--sim", default="icarus", choices=runner.SIMULATORS)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--tests", default="", help="comma-separated test names (default: all)")
    parser.add_argument("--waves", action="store_true", help="keep the wave file for viewing")
    parser.add_argument("--no-toggles", action="store_true", help="skip wave dumping and toggle counts (faster)")
    parser.add_argument("--records", default="", help=f"operation records to stream (folders or files, joined by {os.pathsep!r})")
    parser.add_argument("--size", default="", help="parameter overrides, e.g. Rows=1,Cols=16,TileRows=16 "
                        "(names from the core's manifest `parameters`)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default build/<core>/<sim>, with -<name><value>... for --size)")
    args = parser.parse_args(argv)
    try:
        core = load_core(args.design)
        size = tuple(sorted(parse_size(args.size, core.parameters).items())) if args.size else ()
    except ValueError as exc:
        parser.error(str(exc))
    records = [Path(r).resolve() for r in args.records.split(os.pathsep) if r]
    for path in records:
        if not path.exists():
            parser.error(f"--records {path}: no such file or folder")
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    tests = [t for t in args.tests.split(",") if t]
    opts = runner.BuildOptions(args.sim, waves=args.waves or not args.no_toggles, size=size)
    out = args.out or ROOT / "build" / core.name / (args.sim + "".join(f"-{k}{v}" for k, v in size))
    for stale in out.glob("metrics_*.json"):
        stale.unlink()
    extra_env = {"RECORDS": os.pathsep.join(map(str, records))} if records else {}
    sized = f" at {', '.join(f'{k}={v}' for k, v in size)}" if size else ""
    print(f"[sim] {core.name}{sized} on {args.sim}, seed {seed}, tests: {', '.join(tests) or 'all'}", flush=True)
    t0 = time.time()
    result = runner.run(core, opts, out, tests=tests, seed=seed, extra_env=extra_env)
    wall = time.time() - t0
    ops, seeds = collect_ops(out)
    wave = runner.wave_file(opts, out)
    if wave and wave.exists() and ops:
        add_toggles(ops, wave, core.toplevel)
        if not args.waves:
            wave.unlink()
    summary = {"core": core.name, "sim": args.sim, "seed": seed, "parameters": opts.parameters(core), "passed": len(result.passed),
               "failed": len(result.failed), "passed_tests": result.passed, "failed_tests": result.failed,
               "wall_seconds": round(wall, 2), "ops": ops}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    cycles = sum(op["cycles"] for op in ops)
    eff = sum(op["effectual_macs"] for op in ops)
    slots = sum(op["mac_slots"] for op in ops)
    util = f"{100 * eff / slots:.1f}%" if slots else "n/a"
    verdict = "PASS" if result.ok else "FAIL"
    print(f"[sim] {verdict} {core.name}/{args.sim} seed {seed}: {len(result.passed)} passed, "
          f"{len(result.failed)} failed; {len(ops)} ops, {cycles} compute cycles, utilization {util}, "
          f"{wall:.1f} s -> {os.path.relpath(out / 'summary.json')}")
    if result.failed:
        print(f"[sim] failed: {', '.join(result.failed)}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
