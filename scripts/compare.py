"""Run the same operation records on several cores and compare them per operation.

Usage: python scripts/compare.py --designs dense,swpu [--records DIR] [--out build]
Each design runs its test_training_records test (or its manifest's compare_tests) on Verilator with
toggle counting (scripts/sim.py),
streaming the records in DIR as that core runs them (dense: the records' own operands, zeros and
all; a sparse core: its masks and formats; a core may run a record in several variants, such as
swpu@clustered and swpu@natural). Operations are matched by record id. Writes compare.json,
compare.csv and compare.png into --out and prints the table. Definitions: architecture.md, Metrics.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, core_names, load_core  # noqa: E402

BASELINE = "dense"
TEST = "test_training_records"
DEFINITIONS = {
    "cycles": "compute cycles from start to done (CYC_COMPUTE), summed over the operation's jobs",
    "speedup": "dense cycles / this core's cycles on the same operation, same number of multipliers",
    "ideal_speedup": "dense MACs / effectual MACs of this core (both operands non-zero, output not removed)",
    "fraction_of_ideal": "speedup / ideal_speedup",
    "utilization": "effectual MACs / (multipliers x compute cycles), from the core's counters",
    "sram_reads": "SRAM word reads of every buffer during the operation (load, compute, drain)",
    "toggles_per_effectual_mac": "bit toggles of the whole core in the operation's window (FST) / the "
                                 "core's effectual MACs: a power proxy, not an energy figure",
}
COLUMNS = ["op", "variant", "phase", "cycles", "speedup", "ideal_speedup", "fraction_of_ideal", "utilization",
           "sram_reads", "toggles", "toggles_per_effectual_mac", "effectual_macs", "dense_macs"]


def run_design(design: str, records: Path, out: Path) -> Path:
    """The design's records test on Verilator with toggles; returns its summary.json."""
    tests = load_core(design).extra.get("compare_tests", [TEST])
    cmd = [sys.executable, str(ROOT / "scripts" / "sim.py"), "--design", design, "--sim", "verilator",
           "--tests", ",".join(tests), "--records", str(records), "--out", str(out)]
    print(f"[compare] {design}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    summary = out / "summary.json"
    tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"[compare] {design}: {tail}", flush=True)
    if proc.returncode != 0 or not summary.exists():
        raise RuntimeError(f"{design}: the records test failed (see {out}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return summary


def variant_of(design: str, op_id: str) -> tuple[str, str]:
    """(record id, variant label): 'swpu/conv2/FF/899@natural' on swpu -> (..., 'swpu@natural')."""
    rec, _, variant = op_id.partition("@")
    return rec, f"{design}@{variant}" if variant else design


def compare(summaries: dict[str, dict]) -> list[dict]:
    by_op: dict[str, dict[str, dict]] = {}
    for design, summary in summaries.items():
        for op in summary["ops"]:
            rec, variant = variant_of(design, op["id"])
            by_op.setdefault(rec, {})[variant] = op
    rows = []
    for rec in sorted(by_op):
        variants = by_op[rec]
        base = variants.get(BASELINE)
        if base is None or len(variants) < 2:
            continue
        for variant, op in sorted(variants.items(), key=lambda kv: (kv[0] != BASELINE, kv[0])):
            rows.append(row(rec, variant, op, base))
    return rows


def row(rec: str, variant: str, op: dict, base: dict) -> dict:
    eff = op["golden_effectual_macs"]
    speedup = base["cycles"] / op["cycles"] if op["cycles"] else None
    ideal = op["dense_macs"] / eff if eff else None
    return {
        "op": rec, "variant": variant, "phase": op["phase"], "cycles": op["cycles"],
        "speedup": speedup, "ideal_speedup": ideal,
        "fraction_of_ideal": speedup / ideal if speedup and ideal else None,
        "utilization": op["utilization"], "sram_reads": op["sram_reads"], "toggles": op.get("toggles"),
        "toggles_per_effectual_mac": op.get("toggles_per_effectual_mac"),
        "effectual_macs": op["effectual_macs"], "dense_macs": op["dense_macs"], "mac_slots": op["mac_slots"],
        "sram_by_buffer": op["sram_by_buffer"], "core_counters": op.get("core_counters", {}),
    }


def step_of(op_id: str) -> str:
    """The training step of a record id (method/layer/phase/step), or '' when it has none."""
    last = op_id.rsplit("/", 1)[-1]
    return last if last.isdigit() else ""


def totals(rows: list[dict]) -> list[dict]:
    """Per variant, over all compared operations and over those of each training step: summed
    cycles, MACs, reads and toggles."""
    groups = {"ALL": rows}
    for step in sorted({step_of(r["op"]) for r in rows} - {""}, key=int):
        groups[f"ALL step {step}"] = [r for r in rows if step_of(r["op"]) == step]
    return [t for label, sel in groups.items() for t in group_totals(label, sel)]


def group_totals(label: str, rows: list[dict]) -> list[dict]:
    out = []
    base_cycles = {r["op"]: r["cycles"] for r in rows if r["variant"] == BASELINE}
    for variant in sorted({r["variant"] for r in rows}, key=lambda v: (v != BASELINE, v)):
        sel = [r for r in rows if r["variant"] == variant]
        cycles = sum(r["cycles"] for r in sel)
        eff = sum(r["effectual_macs"] for r in sel)
        dense = sum(r["dense_macs"] for r in sel)
        golden_eff = sum(r["dense_macs"] / r["ideal_speedup"] for r in sel if r["ideal_speedup"])
        toggles = sum(r["toggles"] or 0 for r in sel)
        speedup = sum(base_cycles[r["op"]] for r in sel) / cycles if cycles else None
        ideal = dense / golden_eff if golden_eff else None
        out.append({"op": label, "variant": variant, "phase": "", "cycles": cycles, "speedup": speedup,
                    "ideal_speedup": ideal, "fraction_of_ideal": speedup / ideal if speedup and ideal else None,
                    "utilization": eff / slots if (slots := sum(r["mac_slots"] for r in sel)) else None,
                    "sram_reads": sum(r["sram_reads"] for r in sel), "toggles": toggles,
                    "toggles_per_effectual_mac": toggles / eff if eff else None,
                    "effectual_macs": eff, "dense_macs": dense})
    return out


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def print_table(rows: list[dict]) -> None:
    cols = ["op", "variant", "cycles", "speedup", "ideal_speedup", "fraction_of_ideal", "utilization",
            "sram_reads", "toggles_per_effectual_mac"]
    cells = [[fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for line in cells:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ops = list(dict.fromkeys(r["op"] for r in rows))
    variants = [v for v in dict.fromkeys(r["variant"] for r in rows) if v != BASELINE]
    get = {(r["op"], r["variant"]): r for r in rows}
    fig, axes = plt.subplots(3, 1, figsize=(max(8, 0.9 * len(ops) * max(1, len(variants))), 11), sharex=True)
    width = 0.8 / max(1, len(variants) + 1)
    x = range(len(ops))
    for i, v in enumerate(variants):
        sp = [get.get((o, v), {}).get("speedup") or 0 for o in ops]
        ideal = [get.get((o, v), {}).get("ideal_speedup") or 0 for o in ops]
        pos = [xi + i * width for xi in x]
        axes[0].bar(pos, sp, width, label=f"{v} speedup")
        axes[0].scatter(pos, ideal, marker="_", s=200, color="black", zorder=3,
                        label="ideal (dense MACs / effectual MACs)" if i == 0 else None)
    for i, v in enumerate([BASELINE] + variants):
        pos = [xi + i * width for xi in x]
        axes[1].bar(pos, [get.get((o, v), {}).get("utilization") or 0 for o in ops], width, label=v)
        axes[2].bar(pos, [get.get((o, v), {}).get("toggles_per_effectual_mac") or 0 for o in ops], width, label=v)
    axes[0].set_ylabel("speedup over dense")
    axes[1].set_ylabel("utilization")
    axes[2].set_ylabel("toggles / effectual MAC")
    axes[2].set_xticks([xi + width * len(variants) / 2 for xi in x], ops, rotation=45, ha="right")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("same operation records on each core (Verilator; proxies, see compare.json definitions)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default="dense,swpu", help=f"comma-separated, from {', '.join(core_names())}")
    parser.add_argument("--records", type=Path, default=ROOT / "models" / "data" / "compare" / "swpu-s85",
                        help="operation records (a folder or a file)")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--no-run", action="store_true",
                        help="re-tabulate the summaries of the last run instead of simulating again")
    args = parser.parse_args(argv)
    designs = [d for d in args.designs.replace(" ", ",").split(",") if d]
    unknown = [d for d in designs if d not in core_names()]
    if unknown:
        parser.error(f"unknown design(s) {', '.join(unknown)}; known: {', '.join(core_names())}")
    if BASELINE not in designs:
        designs.insert(0, BASELINE)
    if len(designs) < 2:
        parser.error("name at least one core to compare with dense")
    if not args.records.exists():
        parser.error(f"--records {args.records}: no such file or folder")
    records = args.records.resolve()
    runs = {d: args.out / "compare" / d for d in designs}
    if args.no_run:
        missing = [str(runs[d] / "summary.json") for d in designs if not (runs[d] / "summary.json").exists()]
        if missing:
            parser.error(f"--no-run: no summary from a previous run: {', '.join(missing)}")
        summaries = {d: json.loads((runs[d] / "summary.json").read_text()) for d in designs}
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {d: pool.submit(run_design, d, records, runs[d]) for d in designs}
            summaries = {d: json.loads(f.result().read_text()) for d, f in futures.items()}
    rows = compare(summaries)
    if not rows:
        print(f"[compare] no operation of {records} ran on dense and on another core", file=sys.stderr)
        return 1
    all_rows = rows + totals(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(json.dumps(
        {"records": str(records), "designs": designs, "definitions": DEFINITIONS,
         "note": "cycles, utilization, SRAM reads and toggles are counted by the simulated RTL; toggles "
                 "are a power proxy for comparing cores, not an energy estimate",
         "ops": rows, "totals": totals(rows)}, indent=1))
    with open(args.out / "compare.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(all_rows)
    plot(rows, args.out / "compare.png")
    print_table(all_rows)
    print(f"[compare] wrote {args.out / 'compare.json'}, compare.csv, compare.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
