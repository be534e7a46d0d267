"""Event energy of every operation of a `make compare` run, with its breakdown, and Accelergy action counts.

Usage: python scripts/energy.py [--compare build/compare.json] [--out build]
Reads compare.json (scripts/compare.py; its rows carry each operation's counters) and prices every row
with verif/common/energy.py: the counters the operation really produced (MACs by kind, SRAM reads and
writes per buffer, accumulator updates; each core's manifest key energy_events says which counter is
which) times the per-event energies of models/data/energy_45nm.hjson (Horowitz, ISSCC 2014, 45 nm, and
the rules stated there for what it does not publish). Writes into --out:
  energy.json, energy.csv   per operation and per record set and variant: energy (pJ), its breakdown
                            (compute by MAC kind, SRAM by buffer, registers), pJ per effectual MAC and
                            per dense MAC, the baseline's energy over this one's; toggles of instances
                            with no per-event figure stay a separate count (never pJ). The record-set
                            totals are compare.json's (one summation, in compare.py)
  energy.png                stacked pJ per effectual MAC (compute, SRAM, registers) per record set and variant
  accelergy/<variant>/<op>.yaml   the operation's action counts in Accelergy's action-count layout
and prints the totals. A proxy for comparing cores, not absolute energy (no wires, clock or leakage).
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, load_core  # noqa: E402
from verif.common.energy import accelergy_action_counts, core_of, energy_of, load_table  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import fmt, ratio  # noqa: E402  (one number format, one ratio rule)

PARTS = ("compute", "sram", "registers")
CSV_COLUMNS = ["op", "variant", "phase", "energy_pj", "compute_pj", "sram_pj", "registers_pj", "pj_per_effectual_mac",
               "pj_per_dense_mac", "baseline_energy_ratio", "effectual_macs", "dense_macs", "toggles_without_figure"]


def op_rows(rows: list[dict]) -> list[dict]:
    """One priced entry per compare row (operation and variant)."""
    out = []
    for r in rows:
        e = energy_of(r["variant"], r)
        out.append({"op": r["op"], "variant": r["variant"], "phase": r["phase"], "parts": r.get("parts") or [],
                    "effectual_macs": r["effectual_macs"], "dense_macs": r["dense_macs"], **e,
                    "toggles_without_figure": sum(e["toggles_without_figure"].values()),
                    "toggles_without_figure_by_instance": e["toggles_without_figure"]})
    return out


def with_baseline_ratio(ops: list[dict], baseline: str) -> list[dict]:
    """Each entry gets baseline_energy_ratio = the baseline's energy on the same operation / this one's."""
    base = {o["op"]: o["energy_pj"] for o in ops if o["variant"] == baseline}
    return [{**o, "baseline_energy_ratio": base[o["op"]] / o["energy_pj"] if o["energy_pj"] and o["op"] in base
             else None} for o in ops]


def totals(compare_totals: list[dict], baseline: str) -> list[dict]:
    """compare.json's energy totals per record set and variant (its single-record operations, and its
    multi-record jobs apart; the per-step groups are left out), laid out as the operations' entries."""
    out = []
    for t in compare_totals:
        if " step " in t["op"] or t.get("energy_pj") is None:
            continue
        detail = t["energy_detail_pj"]
        toggles_only = load_core(core_of(t["variant"])).energy_events.get("toggles_only", [])
        out.append({"op": t["op"], "variant": t["variant"], "phase": "", "parts": [], "energy_pj": t["energy_pj"],
                    **{f"{p}_pj": t["energy_breakdown_pj"].get(p, 0.0) for p in PARTS},
                    **{key: {name.split(" ", 1)[1]: pj for name, pj in detail.items() if name.startswith(kind + " ")}
                       for key, kind in (("compute_pj_by_event", "compute"), ("sram_pj_by_buffer", "sram"),
                                         ("register_pj_by_kind", "registers"))},
                    "pj_per_effectual_mac": t["pj_per_effectual_mac"],
                    "pj_per_dense_mac": ratio(t["energy_pj"], t["dense_macs"]),
                    "baseline_energy_ratio": t["energy_ratio"],
                    "effectual_macs": t["effectual_macs"], "dense_macs": t["dense_macs"],
                    "toggles_without_figure": sum(t["toggles_by_instance"].get(i, 0) for i in toggles_only)})
    return sorted(out, key=lambda t: (t["op"], t["variant"] != baseline, t["variant"]))


def write_accelergy(rows: list[dict], out: Path) -> int:
    """One action-count YAML per operation and variant; returns how many were written."""
    import yaml
    for r in rows:
        path = out / safe_name(r["variant"]) / f"{safe_name(r['op'])}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(accelergy_action_counts(r["variant"], r), sort_keys=False))
    return len(rows)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", text)


def print_table(entries: list[dict]) -> None:
    cols = ["op", "variant", "energy_pj", "pj_per_effectual_mac", "pj_per_dense_mac", "baseline_energy_ratio"]
    cells = [[fmt(e.get(c)) for c in cols] + [fmt(e["energy_pj"] and 100 * e[f"{p}_pj"] / e["energy_pj"])
                                               for p in PARTS] for e in entries]
    titles = cols + [f"% {p}" for p in PARTS]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(titles)]
    print("  ".join(c.ljust(w) for c, w in zip(titles, widths)))
    for line in cells:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)))


def plot(entries: list[dict], path: Path) -> None:
    """Stacked pJ per effectual MAC (compute, SRAM, registers), one bar per record set and variant."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    entries = [e for e in entries if e["pj_per_effectual_mac"] is not None]
    labels = [f"{e['op'][4:]}\n{e['variant']}" for e in entries]
    fig, ax = plt.subplots(figsize=(max(7.0, 0.7 * len(entries)), 5.5))
    bottom = [0.0] * len(entries)
    for part in PARTS:
        heights = [e[f"{part}_pj"] / e["effectual_macs"] for e in entries]
        ax.bar(range(len(entries)), heights, bottom=bottom, label=part)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(range(len(entries)), labels, rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("pJ per effectual MAC")
    ax.set_title("event energy per effectual MAC, per record set and variant\n"
                 "(counted events x Horowitz 45 nm figures; a proxy, see energy.json)", fontsize=10)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=ROOT / "build" / "compare.json",
                        help="compare.json of scripts/compare.py (default build/compare.json)")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    if not args.compare.is_file():
        parser.error(f"no {args.compare}: run `make compare` (or scripts/compare.py --no-run) first")
    data = json.loads(args.compare.read_text())
    missing = [r["variant"] for r in data["ops"] if "skipped_macs" not in r]
    if missing:
        parser.error(f"{args.compare} comes from an older compare.py (its rows lack the counters energy needs); "
                     "re-tabulate it with scripts/compare.py --no-run")
    baseline = data["baseline"]
    ops = with_baseline_ratio(op_rows(data["ops"]), baseline)
    sums = totals(data.get("totals") or [], baseline)
    args.out.mkdir(parents=True, exist_ok=True)
    table = load_table()
    (args.out / "energy.json").write_text(json.dumps({
        "source": table["source"], "energy_table": "models/data/energy_45nm.hjson", "baseline": baseline,
        "note": "event energy = counted events x per-event energies (45 nm, 0.9 V); a proxy for comparing the "
                "cores, not absolute energy: no wires, clock tree or leakage. toggles_without_figure counts the "
                "toggles of instances with no per-event figure (manifest energy_events.toggles_only), not in pJ",
        "ops": ops, "totals": sums}, indent=1))
    with open(args.out / "energy.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(ops + sums)
    plot(sums, args.out / "energy.png")
    written = write_accelergy(data["ops"], args.out / "accelergy")
    print_table(sums)
    print(f"[energy] wrote {args.out / 'energy.json'}, energy.csv, energy.png and {written} Accelergy "
          f"action-count files in {args.out / 'accelergy'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
