"""Run the same operation records on several cores and compare them per operation.

Usage: python scripts/compare.py [--designs a,b,...] [--records DIR ...] [--out build] [--no-run | --dry-run]
Everything about the cores comes from their manifests (verif/common/cores.py): --designs defaults to
every core, and the one core with `baseline: true` (dense) is always added; each design runs its
manifest's compare_tests (default test_training_records) on Verilator with toggle counting
(scripts/sim.py), streaming the records as that core runs them (the baseline: every record's own
operands, zeros and all; another core: the records of its own training method, in its masks and
formats; a core may run a record in several variants, such as swpu@clustered and swpu@natural).
--records defaults to the union of the compared cores' manifest compare_records. Operations are
matched by record id. Writes compare.json, compare.csv and compare.png into --out and prints the
table. Definitions: architecture.md, Metrics.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models.records import RecordError, load_records  # noqa: E402
from verif.common.cores import ROOT, baseline_core, core_names, load_core  # noqa: E402
from verif.common.energy import energy_of  # noqa: E402

DEFINITIONS = {
    "end_to_end_cycles": "the headline: load + compute + drain cycles (CYC_LOAD + CYC_COMPUTE + CYC_DRAIN), "
                         "summed over the operation's jobs; no core overlaps them (the loader is off while a "
                         "job computes, results drain after done), so they add",
    "speedup_end_to_end": "baseline (dense) end-to-end cycles / this core's, on the same operation",
    "fraction_of_ideal_end_to_end": "speedup_end_to_end / ideal_speedup",
    "cycles": "compute cycles from start to done (CYC_COMPUTE), summed over the operation's jobs",
    "speedup": "baseline (dense) compute cycles / this core's compute cycles on the same operation, same number "
               "of multipliers",
    "ideal_speedup": "dense MACs / effectual MACs of this core (both operands non-zero, output not removed)",
    "fraction_of_ideal": "speedup / ideal_speedup",
    "utilization": "effectual MACs / (multipliers x compute cycles), from the core's counters",
    "sram_reads": "SRAM word reads of every buffer during the operation (load, compute, drain)",
    "toggles_per_effectual_mac": "bit toggles of the whole core in the operation's window (FST) / the "
                                 "core's effectual MACs: a power proxy, not an energy figure",
    "bank_conflicts": "the core's BANK_CONFLICT counter: requests that waited for a bank another requester held "
                      "(empty for a core without that counter)",
    "software_bits": "bits the driver prepares in Python for the operation (manifest software_costs, sized on "
                     "its dims): work a chip would do itself or be sent",
    "energy_ratio": "the baseline's event energy / the core's, on the same records (energy efficiency against "
                    "dense: the same work, fewer pJ)",
    "iso_area_speedup": "end-to-end speedup x baseline logic cells / the core's (whole-core Yosys cells of make "
                        "area, flip-flops included, SRAM bits apart): throughput per cell against dense",
    "energy_pj": "event energy: the operation's counted events (MACs by kind, SRAM reads and writes by buffer, "
                 "accumulator updates) x per-event energies of models/data/energy_45nm.hjson (Horowitz ISSCC 2014, "
                 "45 nm, and labelled rules); a proxy, see scripts/energy.py",
    "pj_per_effectual_mac": "energy_pj / the core's effectual MACs",
    "parts": "records a job does at once (dqstp: BP with WG); the baseline's row is then the sum of its runs "
             "of those records, and such jobs are totalled apart",
}
COLUMNS = ["op", "variant", "phase", "end_to_end_cycles", "speedup_end_to_end", "fraction_of_ideal_end_to_end",
           "cycles", "speedup", "ideal_speedup", "fraction_of_ideal", "load_cycles", "drain_cycles", "utilization",
           "sram_reads", "toggles", "toggles_per_effectual_mac", "energy_pj", "pj_per_effectual_mac", "effectual_macs",
           "dense_macs"]


def select_designs(requested: list[str] | None = None) -> tuple[str, list[str]]:
    """(baseline, designs to run): `requested` (default: every core) with the manifests' one baseline
    core first. Raises ValueError on an unknown name, on not exactly one baseline, or on nothing to
    compare the baseline with."""
    names = core_names()
    baseline = baseline_core(names)
    requested = list(dict.fromkeys(requested or names))
    unknown = [d for d in requested if d not in names]
    if unknown:
        raise ValueError(f"unknown design(s) {', '.join(unknown)}; known: {', '.join(names)}")
    designs = [baseline] + [d for d in requested if d != baseline]
    if len(designs) < 2:
        raise ValueError(f"name at least one core to compare with the baseline {baseline}")
    return baseline, designs


def default_records(designs: list[str]) -> list[Path]:
    """The union, in order and without repeats, of the designs' manifest compare_records."""
    return list(dict.fromkeys(r for d in designs for r in load_core(d).compare_records))


def runs_of(designs: list[str]) -> dict[str, tuple[str, dict[str, int]]]:
    """Every simulation make compare runs: label -> (core, parameter overrides). A core's default build is
    labelled with its name, each of its manifest compare_sizes as <core>@<name>."""
    runs = {}
    for d in designs:
        runs[d] = (d, {})
        runs.update({f"{d}@{name}": (d, size) for name, size in load_core(d).compare_sizes})
    return runs


def sim_command(design: str, records: list[Path], out: Path, size: dict[str, int] | None = None) -> list[str]:
    """scripts/sim.py running the design's manifest compare_tests on Verilator over the records."""
    tests = load_core(design).compare_tests
    return ([sys.executable, str(ROOT / "scripts" / "sim.py"), "--design", design, "--sim", "verilator",
             "--tests", ",".join(tests), "--records", os.pathsep.join(map(str, records)), "--out", str(out)]
            + (["--size", ",".join(f"{k}={v}" for k, v in size.items())] if size else []))


def run_design(label: str, records: list[Path], out: Path, size: dict[str, int] | None = None) -> Path:
    """One run's records tests on Verilator with toggles; returns its summary.json."""
    design = label.split("@")[0]
    cmd = sim_command(design, records, out, size)
    print(f"[compare] {label}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    summary = out / "summary.json"
    tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"[compare] {label}: {tail}", flush=True)
    if proc.returncode != 0 or not summary.exists():
        raise RuntimeError(f"{label}: the records test failed (see {out}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return summary


def variant_of(design: str, op_id: str) -> tuple[str, str]:
    """(record id, variant label): 'swpu/conv2/FF/899@natural' on swpu -> (..., 'swpu@natural')."""
    rec, _, variant = op_id.partition("@")
    return rec, f"{design}@{variant}" if variant else design


def compare(summaries: dict[str, dict], baseline: str, costs: dict[str, tuple] | None = None,
            with_energy: bool = False) -> list[dict]:
    """One row per record and variant that ran on the baseline and on another core. `costs`: per core,
    its manifest software_costs (sized on each operation's dims; left out when not given); with_energy
    adds the event-energy columns (verif/common/energy.py: needs every counter energy_events names)."""
    by_op: dict[str, dict[str, dict]] = {}
    for design, summary in summaries.items():
        for op in summary["ops"]:
            rec, variant = variant_of(design, op["id"])
            # the build's parameters go with each op: a sized build's buffers and arrays differ
            by_op.setdefault(rec, {})[variant] = {**op, "parameters": summary.get("parameters") or {}}
    dense = {rec: variants[baseline] for rec, variants in by_op.items() if baseline in variants}
    rows = []
    for rec in sorted(by_op):
        variants = dict(by_op[rec])
        # A job that does several records at once (dqstp: BP with WG) is set against the baseline doing each
        parts = next((op["parts"] for op in variants.values() if op.get("parts")), None)
        if baseline not in variants and parts and all(p in dense for p in parts):
            variants[baseline] = combined_op([dense[p] for p in parts], parts)
        base = variants.get(baseline)
        if base is None or len(variants) < 2:
            continue
        for variant, op in sorted(variants.items(), key=lambda kv: (kv[0] != baseline, kv[0])):
            rows.append({**row(rec, variant, op, base, (costs or {}).get(variant.split("@")[0])),
                         **(energy_columns(variant, op) if with_energy else {})})
    return rows


def combined_op(ops: list[dict], parts: list[str]) -> dict:
    """Several metrics entries of one core as one: counts summed, ratios recomputed."""
    total = {key: sum(op[key] for op in ops) for key in
             ("cycles", "dense_macs", "golden_effectual_macs", "effectual_macs", "mac_slots", "sram_reads")}
    total["skipped_macs"] = sum(op.get("skipped_macs") or 0 for op in ops)
    total.update({key: sum(op.get(key) or 0 for op in ops) for key in ("load_cycles", "drain_cycles")})
    toggles = sum(op.get("toggles") or 0 for op in ops)
    return {**total, "phase": "+".join(op["phase"] for op in ops), "parts": parts,
            "utilization": total["effectual_macs"] / total["mac_slots"] if total["mac_slots"] else 0.0,
            "toggles": toggles, "toggles_per_effectual_mac": toggles / total["effectual_macs"] if total["effectual_macs"] else None,
            "sram_by_buffer": {k: sum(op["sram_by_buffer"][k] for op in ops) for k in ops[0]["sram_by_buffer"]},
            "toggles_by_instance": sum_counts(op.get("toggles_by_instance") or {} for op in ops)}


def sum_counts(dicts) -> dict:
    """Key-wise sum of count dicts (keys missing in some count as 0)."""
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + (v or 0)
    return out


def end_to_end(op: dict) -> int:
    return op["cycles"] + (op.get("load_cycles") or 0) + (op.get("drain_cycles") or 0)


def ratio(num, den):
    return num / den if num and den else None


def row(rec: str, variant: str, op: dict, base: dict, costs: tuple | None = None) -> dict:
    eff = op["golden_effectual_macs"]
    speedup = ratio(base["cycles"], op["cycles"])
    speedup_e2e = ratio(end_to_end(base), end_to_end(op))
    ideal = op["dense_macs"] / eff if eff else None
    return {
        "op": rec, "variant": variant, "phase": op["phase"], "cycles": op["cycles"],
        "load_cycles": op.get("load_cycles"), "drain_cycles": op.get("drain_cycles"),
        "end_to_end_cycles": end_to_end(op), "speedup_end_to_end": speedup_e2e,
        "fraction_of_ideal_end_to_end": ratio(speedup_e2e, ideal),
        "speedup": speedup, "ideal_speedup": ideal,
        "fraction_of_ideal": ratio(speedup, ideal),
        "utilization": op["utilization"], "sram_reads": op["sram_reads"], "toggles": op.get("toggles"),
        "toggles_per_effectual_mac": op.get("toggles_per_effectual_mac"),
        "effectual_macs": op["effectual_macs"], "dense_macs": op["dense_macs"], "mac_slots": op["mac_slots"],
        "sram_by_buffer": op["sram_by_buffer"], "core_counters": op.get("core_counters", {}),
        "toggles_by_instance": op.get("toggles_by_instance") or {},
        "parts": op.get("parts") or [],
        "images": op.get("images", 1),      # a conv operation run as one job per image (rowpipe)
        "bank_conflicts": op.get("core_counters", {}).get("BANK_CONFLICT"),
        # what the driver prepared for it in Python (manifest software_costs on the operation's dims)
        "software_bits": None if costs is None else sum(c.bits_for(op.get("dims") or {}, op["phase"]) or 0
                                                       for c in costs),
        "skipped_macs": op.get("skipped_macs"),
    }


def energy_columns(variant: str, op: dict) -> dict:
    energy = energy_of(variant, op)
    detail = {**{f"compute {k}": v for k, v in energy["compute_pj_by_event"].items()},
              **{f"sram {k}": v for k, v in energy["sram_pj_by_buffer"].items()},
              **{f"registers {k}": v for k, v in energy["register_pj_by_kind"].items()}}
    return {"energy_pj": energy["energy_pj"], "pj_per_effectual_mac": energy["pj_per_effectual_mac"],
            "energy_breakdown_pj": {k: energy[f"{k}_pj"] for k in ("compute", "sram", "registers")},
            "energy_detail_pj": detail}


def step_of(op_id: str) -> str:
    """The training step of a record id (method/layer/phase/step), or '' when it has none."""
    last = op_id.rsplit("/", 1)[-1].split("+")[0]
    return last if last.isdigit() else ""


def totals(rows: list[dict], baseline: str) -> list[dict]:
    """Per record set (the training method a record id starts with, so that the baseline is totalled over
    the same records as the core it is set against) and variant: over all its operations and over
    those of each training step, summed cycles, MACs, reads and toggles. Jobs made of several
    records are totalled apart (their records are already counted one by one)."""
    groups: dict[str, list[dict]] = {}
    for method in dict.fromkeys(r["op"].split("/")[0] for r in rows):
        mine = [r for r in rows if r["op"].split("/")[0] == method]
        single = [r for r in mine if not r["parts"]]
        groups[f"ALL {method}"] = single
        for step in sorted({step_of(r["op"]) for r in single} - {""}, key=int):
            groups[f"ALL {method} step {step}"] = [r for r in single if step_of(r["op"]) == step]
        if len(single) < len(mine):
            groups[f"ALL {method} multi-record jobs"] = [r for r in mine if r["parts"]]
    return [t for label, sel in groups.items() if sel for t in group_totals(label, sel, baseline)]


def sums(sel: list[dict]) -> dict:
    """Counts of several rows summed, and the ratios recomputed from the sums."""
    eff = sum(r["effectual_macs"] for r in sel)
    dense = sum(r["dense_macs"] for r in sel)
    golden_eff = sum(r["dense_macs"] / r["ideal_speedup"] for r in sel if r["ideal_speedup"])
    toggles = sum(r["toggles"] or 0 for r in sel)
    conflicts = [r["bank_conflicts"] for r in sel if r.get("bank_conflicts") is not None]
    energy = sum(r["energy_pj"] for r in sel) if all("energy_pj" in r for r in sel) else None
    slots = sum(r["mac_slots"] for r in sel)
    return {"end_to_end_cycles": sum(r["end_to_end_cycles"] for r in sel), "cycles": sum(r["cycles"] for r in sel),
            "ideal_speedup": dense / golden_eff if golden_eff else None,
            "utilization": eff / slots if slots else None, "mac_slots": slots,
            "sram_reads": sum(r["sram_reads"] for r in sel), "toggles": toggles,
            "toggles_per_effectual_mac": toggles / eff if eff else None,
            "energy_pj": energy, "pj_per_effectual_mac": ratio(energy, eff),
            "energy_breakdown_pj": sum_counts(r.get("energy_breakdown_pj") or {} for r in sel),
            "energy_detail_pj": sum_counts(r.get("energy_detail_pj") or {} for r in sel),
            "effectual_macs": eff, "dense_macs": dense,
            "bank_conflicts": sum(conflicts) if conflicts else None,
            "software_bits": sum(r.get("software_bits") or 0 for r in sel),
            "toggles_by_instance": sum_counts(r.get("toggles_by_instance") or {} for r in sel)}


# A variant's totals also carry the baseline's, summed over the same operations (key "baseline").
BASELINE_KEYS = ("end_to_end_cycles", "cycles", "utilization", "sram_reads", "toggles_per_effectual_mac",
                 "energy_pj", "pj_per_effectual_mac", "energy_breakdown_pj", "effectual_macs",
                 "toggles_by_instance")


def group_totals(label: str, rows: list[dict], baseline: str) -> list[dict]:
    out = []
    base_rows = {r["op"]: r for r in rows if r["variant"] == baseline}
    for variant in sorted({r["variant"] for r in rows}, key=lambda v: (v != baseline, v)):
        sel = [r for r in rows if r["variant"] == variant]
        own, base = sums(sel), sums([base_rows[r["op"]] for r in sel])
        speedup = ratio(base["cycles"], own["cycles"])
        speedup_e2e = ratio(base["end_to_end_cycles"], own["end_to_end_cycles"])
        out.append({"op": label, "variant": variant, "phase": "", **own,
                    "speedup_end_to_end": speedup_e2e,
                    "fraction_of_ideal_end_to_end": ratio(speedup_e2e, own["ideal_speedup"]),
                    "speedup": speedup, "fraction_of_ideal": ratio(speedup, own["ideal_speedup"]),
                    "energy_ratio": ratio(base["energy_pj"], own["energy_pj"]),
                    "baseline": {k: base[k] for k in BASELINE_KEYS}})
    return out


def core_figures(totals: list[dict], baseline: str, area: dict | None, sized: list[str] = ()) -> list[dict]:
    """Per core variant and record set (a method's single-record operations, "ALL <method>", and its
    multi-record jobs apart, "<method> multi-record jobs": RowPipe's conv pairs, DQ-STP's BP+WG), the
    headline figures against the baseline on the same operations; iso-area speedup when `area` (make
    area's JSON, cores keyed by name, sized builds by their label) has both. `sized`: the labels of
    builds at other parameters."""
    cells = {core: fig.get("cells") for core, fig in ((area or {}).get("cores") or {}).items()}
    out = []
    for t in totals:
        records = t["op"].removeprefix("ALL ")
        if records == t["op"] or " step " in records or t["variant"] == baseline:
            continue        # per-step groups are not a core's headline
        core = t["variant"].split("@")[0]
        build = t["variant"] if t["variant"] in sized else core     # whose cells
        iso = (t["speedup_end_to_end"] * cells[baseline] / cells[build]
               if t["speedup_end_to_end"] and cells.get(build) and cells.get(baseline) else None)
        out.append({"core": core, "variant": t["variant"], "records": records,
                    **{k: t.get(k) for k in ("speedup_end_to_end", "speedup", "ideal_speedup",
                                             "fraction_of_ideal_end_to_end", "fraction_of_ideal", "utilization",
                                             "end_to_end_cycles", "cycles", "sram_reads", "toggles_per_effectual_mac",
                                             "bank_conflicts", "software_bits", "energy_pj", "pj_per_effectual_mac",
                                             "energy_ratio", "energy_breakdown_pj", "energy_detail_pj",
                                             "toggles_by_instance", "effectual_macs")},
                    **{f"baseline_{k}": v for k, v in t["baseline"].items()},
                    "cells": cells.get(build), "baseline_cells": cells.get(baseline), "iso_area_speedup": iso})
    return out


def software_costs(designs: list[str]) -> dict[str, list[dict]]:
    return {d: [{"what": c.what, "how_often": c.how_often, "bits": c.bits, "phases": "/".join(c.phases)}
                for c in load_core(d).software_costs]
            for d in designs}


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def print_table(rows: list[dict]) -> None:
    cols = ["op", "variant", "end_to_end_cycles", "speedup_end_to_end", "cycles", "speedup", "ideal_speedup",
            "fraction_of_ideal_end_to_end", "utilization", "sram_reads", "toggles_per_effectual_mac",
            "pj_per_effectual_mac"]
    titles = {"end_to_end_cycles": "e2e_cycles", "speedup_end_to_end": "e2e_speedup", "cycles": "compute_cycles",
              "speedup": "compute_speedup", "fraction_of_ideal_end_to_end": "e2e_fraction_of_ideal"}
    cells = [[fmt(r.get(c)) for c in cols] for r in rows]
    cols = [titles.get(c, c) for c in cols]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for line in cells:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)))


def plot(rows: list[dict], path: Path, baseline: str) -> None:
    """Per record set (one column of panels each): end-to-end speedup (bars; compute-only as dots)
    against the ideal (log scale), utilization and toggles per effectual MAC for every operation and
    variant."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sets = list(dict.fromkeys(r["op"].split("/")[0] for r in rows))
    get = {(r["op"], r["variant"]): r for r in rows}
    ops_of = {m: list(dict.fromkeys(r["op"] for r in rows if r["op"].split("/")[0] == m)) for m in sets}
    variants_of = {m: [v for v in dict.fromkeys(r["variant"] for r in rows if r["op"].split("/")[0] == m)
                       if v != baseline] for m in sets}
    widths = [max(4.0, 0.35 * len(ops_of[m]) * (len(variants_of[m]) + 1)) for m in sets]
    fig, axes = plt.subplots(3, len(sets), figsize=(min(sum(widths), 40), 11), squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    for col, m in enumerate(sets):
        ops, variants = ops_of[m], variants_of[m]
        labels = [o.split("/", 1)[1] for o in ops]
        width = 0.8 / (len(variants) + 1)
        x = range(len(ops))
        for i, v in enumerate(variants):
            pos = [xi + (i + 1) * width for xi in x]
            axes[0][col].bar(pos, [get.get((o, v), {}).get("speedup_end_to_end") or 0 for o in ops], width,
                             label=f"{v} end to end")
            axes[0][col].scatter(pos, [get.get((o, v), {}).get("speedup") or 0 for o in ops], s=12,
                                 color="black", marker="o", zorder=3, label="compute only" if i == 0 else None)
        axes[0][col].scatter([xi + width * (len(variants) + 1) / 2 for xi in x],
                             [max(get.get((o, v), {}).get("ideal_speedup") or 0 for v in variants) for o in ops],
                             marker="_", s=300, color="black", zorder=3, label="ideal (dense MACs / effectual MACs)")
        axes[0][col].axhline(1.0, color="grey", lw=0.8)
        axes[0][col].set_yscale("log")
        for i, v in enumerate([baseline] + variants):
            pos = [xi + i * width for xi in x]
            axes[1][col].bar(pos, [get.get((o, v), {}).get("utilization") or 0 for o in ops], width, label=v)
            axes[2][col].bar(pos, [get.get((o, v), {}).get("toggles_per_effectual_mac") or 0 for o in ops],
                             width, label=v)
        axes[0][col].set_title(f"{m} records")
        axes[2][col].set_xticks([xi + width * len(variants) / 2 for xi in x], labels, rotation=60, ha="right",
                                fontsize=8)
        for ax in (axes[0][col], axes[1][col]):
            ax.set_xticks([])
        for ax in (axes[0][col], axes[1][col], axes[2][col]):
            ax.legend(fontsize=7)
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel(f"speedup over {baseline}, end to end (log)")
    axes[1][0].set_ylabel("utilization")
    axes[2][0].set_ylabel("toggles / effectual MAC")
    fig.suptitle("the same operation records on each core (Verilator; proxies, see compare.json definitions)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default="",
                        help=f"comma- or space-separated, from {', '.join(core_names())} (default: every core; "
                             "the baseline core of the manifests is always added)")
    parser.add_argument("--records", type=Path, nargs="+", default=None,
                        help="operation records (folders or files); each core runs those of its own "
                             "training method, the baseline runs them all (default: the union of the "
                             "compared cores' manifest compare_records)")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--area", type=Path, default=ROOT / "build" / "area.json",
                        help="make area's JSON, for iso-area figures (skipped when the file is missing)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-run", action="store_true",
                      help="re-tabulate the summaries of the last run instead of simulating again")
    mode.add_argument("--dry-run", action="store_true",
                      help="print the baseline, designs, records and simulation commands, run nothing")
    args = parser.parse_args(argv)
    try:
        baseline, designs = select_designs([d for d in args.designs.replace(" ", ",").split(",") if d])
    except ValueError as exc:
        parser.error(str(exc))
    records = [r.resolve() for r in (args.records or default_records(designs))]
    if not records:
        parser.error(f"no --records given and no compare_records in the manifests of {', '.join(designs)}")
    for design in designs:
        if design != baseline:  # a core runs the records of its own method (same name)
            try:
                load_records(records, method=design)
            except RecordError as exc:
                parser.error(f"{design} has no records of its own method among the records ({exc}); give "
                             f"RECORDS, add compare_records to its manifest, or leave it out of DESIGNS")
    runs = runs_of(designs)
    outs = {label: args.out / "compare" / label for label in runs}
    if args.dry_run:
        print(f"[compare] baseline {baseline}; designs {', '.join(designs)}")
        print(f"[compare] records {', '.join(os.path.relpath(r, ROOT) for r in records)}")
        for label, (d, size) in runs.items():
            print(f"[compare] {label}: {' '.join(sim_command(d, records, outs[label], size)[1:])}")
        return 0
    if args.no_run:
        missing = [str(outs[label] / "summary.json") for label in runs if not (outs[label] / "summary.json").exists()]
        if missing:
            parser.error(f"--no-run: no summary from a previous run: {', '.join(missing)}")
        summaries = {label: json.loads((outs[label] / "summary.json").read_text()) for label in runs}
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {label: pool.submit(run_design, label, records, outs[label], size)
                       for label, (_, size) in runs.items()}
            summaries = {label: json.loads(f.result().read_text()) for label, f in futures.items()}
    rows = compare(summaries, baseline, {d: load_core(d).software_costs for d in designs}, with_energy=True)
    sized = [label for label, (_, size) in runs.items() if size]
    if not rows:
        print(f"[compare] no operation of {', '.join(map(str, records))} ran on {baseline} and on another core",
              file=sys.stderr)
        return 1
    group_rows = totals(rows, baseline)
    all_rows = rows + group_rows
    area = json.loads(args.area.read_text()) if args.area.is_file() else None
    if area is None:
        print(f"[compare] no {args.area}: iso-area figures left out (run make area first)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(json.dumps(
        {"records": [str(r) for r in records], "baseline": baseline, "designs": designs, "definitions": DEFINITIONS,
         "note": "cycles, utilization, SRAM reads and toggles are counted by the simulated RTL; toggles "
                 "are a power proxy for comparing cores, not an energy estimate",
         "cores": core_figures(group_rows, baseline, area, sized), "software_costs": software_costs(designs),
         "ops": rows, "totals": group_rows}, indent=1))
    with open(args.out / "compare.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(all_rows)
    plot(rows, args.out / "compare.png", baseline)
    print_table(all_rows)
    print(f"[compare] wrote {args.out / 'compare.json'}, compare.csv, compare.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
