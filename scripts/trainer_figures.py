"""The Trainer core's own figures from the last `make compare` (build/compare.json): what
speculation, the BP/WG masks and one-pass BN save on the trainer's records, measured by the RTL.

Usage: python scripts/trainer_figures.py [--compare build/compare.json] [--out build/trainer_figures.json]
Needs the variants trainer@skips, trainer@no_skips, trainer@audit and trainer@two_pass_bn
(the trainer manifest's compare_tests). Every number is a counter of the simulated core:
- full-precision MACs removed = MAC_EFFECTUAL with every skip off - with the skips on (same record);
- mis-speculation rate = SPEC_WRONG / SPEC_SKIPPED of the audit run (outputs the estimate skipped
  whose exact value is not on the rule's skip side);
- BN reads = result-buffer reads by the BN unit (BN_READS) and all reads of the result buffer
  (SRAM_RD[2], the drain included), one-pass against two-pass.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("trainer@skips", "trainer@no_skips", "trainer@audit", "trainer@two_pass_bn")


def by_variant(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """record id -> variant -> compare row."""
    out: dict[str, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(row["op"], {})[row["variant"]] = row
    return out


def speculation(ops: dict[str, dict[str, dict]]) -> list[dict]:
    rows = []
    for rec, v in sorted(ops.items()):
        on, off, audit = v.get("trainer@skips"), v.get("trainer@no_skips"), v.get("trainer@audit")
        if not on or not off or not on["core_counters"].get("SPEC_SKIPPED"):
            continue
        c = on["core_counters"]
        row = {"op": rec, "speculated_outputs": c["SPEC_SKIPPED"], "estimate_macs": c["EST_MACS"],
               "full_macs_without": off["effectual_macs"], "full_macs_with": on["effectual_macs"],
               "full_macs_removed": off["effectual_macs"] - on["effectual_macs"],
               "cycles_without": off["cycles"], "cycles_with": on["cycles"],
               "replay_reads_writes": c["REPLAY_RD"] + c["REPLAY_WR"]}
        row["full_macs_removed_fraction"] = row["full_macs_removed"] / max(off["effectual_macs"], 1)
        if audit:
            a = audit["core_counters"]
            row["misspeculated"] = a["SPEC_WRONG"]
            row["misspeculation_rate"] = a["SPEC_WRONG"] / max(a["SPEC_SKIPPED"], 1)
        rows.append(row)
    return rows


def masks(ops: dict[str, dict[str, dict]]) -> list[dict]:
    rows = []
    for rec, v in sorted(ops.items()):
        on, off = v.get("trainer@skips"), v.get("trainer@no_skips")
        if not on or not off:
            continue
        c = on["core_counters"]
        skipped = c["BP_SKIPPED"] + c["WG_SKIPPED"]
        if not skipped:
            continue
        rows.append({"op": rec, "outputs_skipped": skipped, "tiles_skipped": c["TILES_SKIPPED"],
                     "full_macs_removed": off["effectual_macs"] - on["effectual_macs"],
                     "cycles_without": off["cycles"], "cycles_with": on["cycles"]})
    return rows


def bn_reads(ops: dict[str, dict[str, dict]]) -> list[dict]:
    rows = []
    for rec, v in sorted(ops.items()):
        one, two = v.get("trainer@skips"), v.get("trainer@two_pass_bn")
        if not one or not two:
            continue
        rows.append({"op": rec, "bn_reads_one_pass": one["core_counters"]["BN_READS"],
                     "bn_reads_two_pass": two["core_counters"]["BN_READS"],
                     "result_buffer_reads_one_pass": one["sram_by_buffer"]["RD[2]"],
                     "result_buffer_reads_two_pass": two["sram_by_buffer"]["RD[2]"],
                     "cycles_one_pass": one["cycles"], "cycles_two_pass": two["cycles"]})
    return rows


def markdown(title: str, rows: list[dict]) -> str:
    if not rows:
        return f"{title}: no rows (run make compare with the trainer first)\n"
    cols = list(rows[0])
    fmt = lambda x: f"{x:.4f}" if isinstance(x, float) else str(x)  # noqa: E731
    lines = [f"{title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=ROOT / "build" / "compare.json")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "trainer_figures.json")
    args = parser.parse_args(argv)
    if not args.compare.exists():
        parser.error(f"{args.compare}: no such file; run `make compare DESIGNS=trainer` first")
    data = json.loads(args.compare.read_text())
    ops = by_variant(data["ops"])
    present = {variant for v in ops.values() for variant in v}
    missing = [v for v in VARIANTS if v not in present]
    if missing:
        parser.error(f"{args.compare} lacks the variants {', '.join(missing)}: run make compare with the trainer")
    figures = {"speculation": speculation(ops), "masks": masks(ops), "bn": bn_reads(ops),
               "totals": [t for t in data["totals"] if t["variant"].startswith("trainer") or t["variant"] == "dense"]}
    args.out.write_text(json.dumps(figures, indent=1))
    print(markdown("FF speculation (trainer@skips against trainer@no_skips and trainer@audit)", figures["speculation"]))
    print(markdown("BP/WG output masks", figures["masks"]))
    print(markdown("BN statistics, one-pass against two-pass", figures["bn"]))
    print(f"[trainer_figures] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
