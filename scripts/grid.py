"""The Trainer core's dataflows across a (weight, activation) sparsity grid, against the dense core.

Usage: python scripts/grid.py [--out build/grid] [--shape M,N,K] [--seed n] [--no-run]
Draws one FF operation per grid point (A = weights at the row's sparsity, B = activations at the
column's; FP16 values over many exponents, models' golden GEMM as c), saves them as operation records,
runs them on the trainer core in both dataflows (test_dataflow_sweep, every skip off) and on the
dense core (test_training_records), all on Verilator, and writes grid.json, grid.csv and grid.png
(utilization heatmap per dataflow, speedup over dense in each cell, the runtime rule's choice
boxed) into --out. Definitions: architecture.md, Metrics; the rule: models/methods/trainer.py.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models import golden  # noqa: E402
from models.methods.trainer import choose_dataflow  # noqa: E402
from models.records import OperationRecord, load_records  # noqa: E402
from verif.common.cores import ROOT, baseline_core, load_core  # noqa: E402
from verif.common.stimulus import random_matrix  # noqa: E402
from verif.trainer.trainer_codec import DATAFLOWS  # noqa: E402
from verif.trainer.trainer_stimulus import GRID  # noqa: E402

CORE = "trainer"
TESTS = {CORE: "test_dataflow_sweep"}   # the baseline runs its test_training_records


def point_name(sa: float, sb: float) -> str:
    return f"w{int(sa * 100)}-a{int(sb * 100)}"


def write_records(folder: Path, shape: tuple[int, int, int], seed: int) -> None:
    """One FF record per grid point, method "grid", layer w<weight %>-a<activation %>."""
    m, n, k = shape
    rng = np.random.default_rng(seed)
    for sa in GRID:
        for sb in GRID:
            a = random_matrix(rng, (m, k), sa)
            b = random_matrix(rng, (k, n), sb)
            meta = {"sparsity_a": float(np.mean(a == 0)), "sparsity_b": float(np.mean(b == 0)),
                    "grid": [sa, sb], "lowering": "A = weights, B = activations (random, FF)"}
            OperationRecord("grid", point_name(sa, sb), "FF", 0, a, b, golden.gemm_fp16(a, b), meta=meta).save(folder)


def run(design: str, records: Path, out: Path) -> dict:
    test = TESTS.get(design, "test_training_records")
    cmd = [sys.executable, str(ROOT / "scripts" / "sim.py"), "--design", design, "--sim", "verilator",
           "--tests", test, "--records", str(records), "--out", str(out), "--no-toggles"]
    print(f"[grid] {design}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    summary = out / "summary.json"
    if proc.returncode != 0 or not summary.exists():
        raise RuntimeError(f"{design}: {test} failed (see {out}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    print(f"[grid] {design}: {proc.stdout.strip().splitlines()[-1]}", flush=True)
    return json.loads(summary.read_text())


def table(records: Path, trainer: dict, dense: dict, lanes: int = 16) -> list[dict]:
    by_id = {op["id"]: op for op in trainer["ops"]}
    base = {op["id"]: op for op in dense["ops"]}
    rows = []
    for rec in load_records(records):
        sa, sb = rec.meta["grid"]
        choice = choose_dataflow(rec.a, rec.b, lanes)
        row = {"weight_sparsity": sa, "activation_sparsity": sb, "measured_a": rec.meta["sparsity_a"],
               "measured_b": rec.meta["sparsity_b"], "dense_cycles": base[rec.id]["cycles"],
               "ideal_speedup": base[rec.id]["dense_macs"] / max(base[rec.id]["golden_effectual_macs"], 1),
               "driver_choice": choice}
        for mode in DATAFLOWS:
            op = by_id[f"{rec.id}@{mode}"]
            row[f"{mode}_cycles"] = op["cycles"]
            row[f"{mode}_utilization"] = op["utilization"]
            row[f"{mode}_speedup"] = row["dense_cycles"] / op["cycles"]
        row["driver_speedup"] = row[f"{choice}_speedup"]
        row["best_dataflow"] = max(DATAFLOWS, key=lambda mo: row[f"{mo}_speedup"])
        rows.append(row)
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    for ax, mode in zip(axes, DATAFLOWS):
        util = np.zeros((len(GRID), len(GRID)))
        for r in rows:
            i, j = GRID.index(r["weight_sparsity"]), GRID.index(r["activation_sparsity"])
            util[i, j] = r[f"{mode}_utilization"]
            ax.text(j, i, f"{100 * util[i, j]:.0f}%\n{r[f'{mode}_speedup']:.2f}x", ha="center", va="center",
                    fontsize=8, color="white" if util[i, j] < 0.5 else "black")
            if r["driver_choice"] == mode:
                ax.add_patch(Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False, lw=2.2, ec="red"))
        im = ax.imshow(util, vmin=0, vmax=1, cmap="viridis", origin="upper")
        ticks = [f"{int(100 * s)}%" for s in GRID]
        ax.set_xticks(range(len(GRID)), ticks)
        ax.set_yticks(range(len(GRID)), ticks)
        ax.set_xlabel("activation (B) sparsity")
        ax.set_ylabel("weight (A) sparsity")
        ax.set_title(f"{mode}: utilization, speedup over dense")
    fig.colorbar(im, ax=axes, shrink=0.8, label="utilization (effectual MACs / lanes x cycles)")
    fig.suptitle("Trainer dataflows on FF operations (red box: the runtime rule's choice); Verilator, proxies")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "grid")
    parser.add_argument("--shape", default="32,128,144", help="M,N,K of each operation (default conv2 FF)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-run", action="store_true", help="re-use the summaries already in --out")
    args = parser.parse_args(argv)
    try:
        shape = tuple(int(v) for v in args.shape.split(","))
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--shape must be three positive integers M,N,K, not {args.shape!r}")
    records = args.out / "records"
    designs = [CORE, baseline_core()]
    if not args.no_run:
        write_records(records, shape, args.seed)
        with ThreadPoolExecutor(len(designs)) as pool:
            summaries = dict(zip(designs, pool.map(lambda d: run(d, records, args.out / d), designs)))
    else:
        summaries = {d: json.loads((args.out / d / "summary.json").read_text()) for d in designs}
    rows = table(records, summaries[CORE], summaries[designs[1]], load_core(CORE).parameters["Lanes"])
    (args.out / "grid.json").write_text(json.dumps({"shape": shape, "seed": args.seed, "rows": rows}, indent=1))
    with open(args.out / "grid.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, args.out / "grid.png")
    print(f"{'W%':>4} {'A%':>4} {'util A':>7} {'util B':>7} {'spd A':>6} {'spd B':>6} {'ideal':>6}  choice")
    for r in rows:
        print(f"{100 * r['weight_sparsity']:4.0f} {100 * r['activation_sparsity']:4.0f} "
              f"{100 * r['compress_A_utilization']:6.1f}% {100 * r['compress_B_utilization']:6.1f}% "
              f"{r['compress_A_speedup']:6.2f} {r['compress_B_speedup']:6.2f} {r['ideal_speedup']:6.2f}  "
              f"{r['driver_choice']}{'' if r['driver_choice'] == r['best_dataflow'] else ' (not the faster)'}")
    print(f"[grid] wrote {args.out / 'grid.png'}, grid.csv, grid.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
