"""Train the digits CNN through a simulated core, bit-identical to the golden executor step by step.

Usage: python scripts/train_rtl.py --design dense [--method NAME] [--steps 3] [--batch 4] [--start N]
                                   [--epochs 2] [--seed 0] [--set OPT=VALUE] [--sim verilator] [--no-toggles]
                                   [--out DIR]
Runs the core's test_train_rtl (verif/common/train_rtl.py): the method's run (default: the core's own
method) is prepared and trained on numpy for --start steps (default: all but the last --steps with a
whole batch of an --epochs run, so that the technique is at full strength), then --steps steps run
with the core computing every layer operation it supports, each compared with the same step on the
golden executor (every operation's C, then weights, momentum, BN statistics and loss). Prints per
step the loss, the core's cycles, utilization and toggles; writes DIR/train_rtl_summary.json and
DIR/train_rtl.png (loss and cycles per step). Exits 1 at the first mismatch, naming the operation.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common import runner  # noqa: E402
from verif.common.cores import ROOT, core_names, load_core  # noqa: E402
from verif.common.train_rtl import RESULT_FILE, TrainRtlConfig  # noqa: E402
from models.train import DEFAULT_EPOCHS as FULL_RUN_EPOCHS  # noqa: E402  (a whole run, for the projection)

TEST = "test_train_rtl"


def step_rows(result: dict, ops: list[dict]) -> list[dict]:
    """Per step: the loss and the core's counters and toggles summed over the step's jobs."""
    by_job = {op["id"]: op for op in ops}
    rows = []
    for step in result["steps"]:
        missing = [j for op in step["ops"] for j in op["jobs"] if j not in by_job]
        if missing:
            raise ValueError(f"step {step['step']}: no metrics for job(s) {missing[:3]}")
        jobs = [by_job[j] for op in step["ops"] for j in op["jobs"]]
        slots = sum(j["mac_slots"] for j in jobs)
        rows.append({
            "step": step["step"], "loss": step["loss"], "identical": step["identical"],
            "ops": len(step["ops"]), "ops_on_core": sum(op["on_core"] for op in step["ops"]), "jobs": len(jobs),
            "compute_cycles": sum(j["cycles"] for j in jobs),
            "cycles": sum(j["load_cycles"] + j["cycles"] + j["drain_cycles"] for j in jobs),
            "effectual_macs": sum(j["effectual_macs"] for j in jobs), "mac_slots": slots,
            "utilization": sum(j["effectual_macs"] for j in jobs) / slots if slots else 0.0,
            "toggles": sum(j["toggles"] for j in jobs) if jobs and all("toggles" in j for j in jobs) else None,
            "rtl_seconds": step["rtl_seconds"], "golden_seconds": step["golden_seconds"],
        })
    return rows


def duration(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 1 else f"{60 * hours:.0f} min"


def plot(rows: list[dict], title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    steps = [r["step"] for r in rows]
    fig, (ax_loss, ax_cyc) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(steps, [r["loss"] for r in rows], "o-")
    ax_loss.set(xlabel="training step", ylabel="loss (RTL = golden, bit for bit)", title="loss")
    ax_cyc.bar(steps, [r["compute_cycles"] for r in rows], label="compute")
    ax_cyc.bar(steps, [r["cycles"] - r["compute_cycles"] for r in rows],
               bottom=[r["compute_cycles"] for r in rows], label="load + drain")
    ax_cyc.set(xlabel="training step", ylabel="core cycles", title="core cycles per step")
    ax_cyc.legend()
    for ax in (ax_loss, ax_cyc):
        ax.grid(alpha=0.3)
        ax.set_xticks(steps)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train through a simulated core, checked against the golden executor")
    parser.add_argument("--design", default="dense", help=f"one of: {', '.join(core_names())}")
    parser.add_argument("--method", default="", help="training method (default: the core's own)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--start", type=int, default=None, help="numpy steps first (default: all but the last --steps with a whole batch)")
    parser.add_argument("--epochs", type=int, default=2, help="the run's length, which sets its schedules")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="OPT=VALUE",
                        help="a method option, as models.train's --set (e.g. sparsity=0.9); repeatable")
    parser.add_argument("--sim", default="verilator", choices=runner.SIMULATORS)
    parser.add_argument("--no-toggles", action="store_true", help="no wave file, no toggle counts (faster)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default build/train_rtl/<core>)")
    args = parser.parse_args(argv)
    try:
        core = load_core(args.design)
        config = TrainRtlConfig(method=args.method, steps=args.steps, batch=args.batch, start=args.start,
                                seed=args.seed, epochs=args.epochs, settings=args.settings)
        from models.methods import METHODS, make_method
        if args.method and args.method not in METHODS:
            raise ValueError(f"unknown method {args.method!r}; methods are {', '.join(METHODS)}")
        if args.settings:       # checked here, before a simulation starts
            make_method(args.method or core.name, args.settings)
    except ValueError as exc:
        parser.error(str(exc))
    out = (args.out or ROOT / "build" / "train_rtl" / core.name).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in [out / RESULT_FILE, *out.glob("metrics_*.json")]:
        stale.unlink(missing_ok=True)
    opts = runner.BuildOptions(args.sim, waves=not args.no_toggles)
    print(f"[train-rtl] {core.name} on {args.sim}: {config.steps} step(s) of {config.method or 'its own method'}, "
          f"batch {config.batch}, seed {config.seed}", flush=True)
    t0 = time.time()
    run = runner.run(core, opts, out, tests=[TEST], seed=args.seed,
                     extra_env={"TRAIN_RTL": json.dumps({k: v for k, v in vars(config).items() if v is not None})})
    wall = time.time() - t0
    result_path = out / RESULT_FILE
    if not result_path.exists():
        print(f"[train-rtl] FAIL: the simulation wrote no {RESULT_FILE} (see the log above)")
        return 1
    result = json.loads(result_path.read_text())
    sys.path.insert(0, str(ROOT / "scripts"))
    from sim import add_toggles, collect_ops
    ops, _ = collect_ops(out)
    wave = runner.wave_file(opts, out)
    if wave and wave.exists() and ops:
        add_toggles(ops, wave, core.toplevel)
        wave.unlink()
    try:
        rows = step_rows(result, ops)
    except ValueError as exc:   # no metrics: the test failed before its report phase (a scoreboard check)
        rows = []
        result["failure"] = result["failure"] or f"{exc}: the test failed ({', '.join(run.failed)}); see the log above"
    for r in rows:
        toggles = f"{r['toggles']:,} toggles" if r["toggles"] is not None else "toggles not counted"
        print(f"[train-rtl] step {r['step']}: loss {r['loss']:.6f}  {r['cycles']:,} cycles "
              f"({r['compute_cycles']:,} compute)  utilization {100 * r['utilization']:.1f}%  {toggles}  "
              f"{r['ops_on_core']}/{r['ops']} ops on the core")
    # the core's steps alone (the lock step's golden steps, the build and the preparation excluded)
    rtl_seconds = sum(r["rtl_seconds"] for r in rows)
    steps_per_minute = 60 * len(rows) / rtl_seconds if rtl_seconds else 0.0
    summary = {"core": core.name, "sim": args.sim, "method": result["method"], "config": result["config"],
               "start_step": result["start_step"], "steps_per_epoch": result["steps_per_epoch"],
               "total_steps": result["total_steps"], "off_core": result["off_core"],
               "wall_seconds": wall, "prepare_seconds": result["prepare_seconds"],
               "steps_per_minute": steps_per_minute,
               # a whole 20-epoch run (models.train's default) at this speed, every step through the core
               "full_run_steps": FULL_RUN_EPOCHS * result["steps_per_epoch"],
               "projected_full_run_hours": (FULL_RUN_EPOCHS * result["steps_per_epoch"] / steps_per_minute / 60
                                            if steps_per_minute else None),
               "steps": rows, "failure": result["failure"], "passed": run.ok and result["failure"] is None}
    (out / "train_rtl_summary.json").write_text(json.dumps(summary, indent=1))
    if rows:
        plot(rows, f"{core.name} core, {result['method']} training, batch {config.batch}", out / "train_rtl.png")
    if result["off_core"]:
        print("[train-rtl] computed in Python on the golden executor (not by the core):")
        for op, why in result["off_core"].items():
            print(f"[train-rtl]   {op}: {why}")
    rel = os.path.relpath(out / "train_rtl_summary.json")
    if not summary["passed"]:
        why = result["failure"] or f"the test failed ({', '.join(run.failed)}); see the log above"
        print(f"[train-rtl] FAIL {core.name}: {why} -> {rel}")
        return 1
    print(f"[train-rtl] PASS {core.name}: {len(rows)} step(s) bit-identical to the golden executor, "
          f"{steps_per_minute:.2f} steps/minute on the core ({wall:.0f} s in all, {result['prepare_seconds']:.0f} s "
          f"of it preparation); a {FULL_RUN_EPOCHS}-epoch run ({summary['full_run_steps']} steps) would take "
          f"{duration(summary['projected_full_run_hours'])} -> {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
