"""The RowPipe core's own figures: the on-chip feature-map buffer of the row pipeline against
whole-feature-map buffering, and what the simulated core measured in the last `make compare`.

Usage: python scripts/rowpipe_figures.py [--compare build/compare.json] [--out build/rowpipe_figures.json]
- Buffer table (no simulation): bytes of layer 2's input map that each scheme keeps on chip, from
  models/methods/rowpipe.py:row_buffer_bits, the formula hdl/rowpipe's parameters follow (a line-buffer
  word holds StageMacs UINT4 channels of one position, so channels round up to StageMacs; K2+1 rows in
  the pipeline, every row layer by layer). Weights, the input image and the results are the same in
  both schemes: the table gives the ratio without them and with both layers' INT4 weights added. The
  digits network's two conv pairs and larger layer shapes.
- Measured (needs `make compare DESIGNS=rowpipe`): per conv pair (conv1 -> conv2, conv2 -> pool ->
  conv3; summed over the records' steps and images) compute and end-to-end cycles of the row pipeline,
  layer by layer and dense (dense runs the pair's two records as two GEMMs), PEAK_ROWS per job,
  the fraction of compute cycles with both layers busy; the FP16 head's GEMMs against dense.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from models.methods.rowpipe import row_buffer_bits  # noqa: E402
from verif.common.cores import load_core  # noqa: E402

ACT_BITS = W_BITS = 4
# (name, layer 1's input channels, channels of layer 2's input map, layer 2's output channels, its
# height, width, K1 = K2)
BUFFER_SHAPES = [
    ("digits conv1 -> conv2", 1, 16, 32, 8, 8, 3),
    ("digits conv2 -> pool -> conv3", 16, 32, 64, 4, 4, 3),
    ("56x56x64, K 3", 64, 64, 64, 56, 56, 3),
    ("28x28x128, K 3", 128, 128, 128, 28, 28, 3),
    ("112x112x64, K 3", 64, 64, 64, 112, 112, 3),
]
VARIANTS = ("rowpipe", "rowpipe@layerwise", "dense")


def buffer_table(group: int) -> list[dict]:
    """Per shape: the feature-map buffer of each scheme, and the same with both layers' INT4 weights
    added (the on-chip storage a fused pair needs either way, as the paper's whole-buffer claim counts)."""
    rows = []
    for name, c_in, c, c_out, h, w, k in BUFFER_SHAPES:
        b = row_buffer_bits(c, h, w, k, ACT_BITS, group)
        weights = (c * c_in + c_out * c) * k * k * W_BITS
        rows.append({"shape": name, "channels": c, "height": h, "width": w, "k2": k, "banks": b["banks"],
                     "whole_map_bytes": b["whole_map"] // 8, "row_pipeline_bytes": b["row_pipeline"] // 8,
                     "ratio": b["whole_map"] / b["row_pipeline"], "weight_bytes": weights // 8,
                     "ratio_with_weights": (b["whole_map"] + weights) / (b["row_pipeline"] + weights)})
    return rows


def end_to_end(r: dict) -> int:
    return r["cycles"] + (r.get("load_cycles") or 0) + (r.get("drain_cycles") or 0)


def pair_of(op_id: str) -> str | None:
    """rowpipe/conv2+conv3/FF/459 -> 'conv2+conv3'; None for other records."""
    parts = op_id.split("/")
    return parts[1] if len(parts) == 4 and parts[0] == "rowpipe" and "+" in parts[1] else None


def measured(rows: list[dict]) -> dict:
    pairs: dict[str, dict[str, list[dict]]] = {}
    head: dict[str, list[dict]] = {}
    for r in rows:
        if r["variant"] not in VARIANTS or not r["op"].startswith("rowpipe/"):
            continue
        pair = pair_of(r["op"])
        if pair:
            pairs.setdefault(pair, {}).setdefault(r["variant"], []).append(r)
        elif r["op"].split("/")[1].startswith("fc"):
            head.setdefault(r["variant"], []).append(r)
    out = {"pairs": [], "head": None}
    for pair, v in sorted(pairs.items()):
        if set(v) != set(VARIANTS):
            continue
        pipe, whole, dense = (v[name] for name in VARIANTS)
        cyc = {name: sum(r["cycles"] for r in v[name]) for name in VARIANTS}
        e2e = {name: sum(end_to_end(r) for r in v[name]) for name in VARIANTS}
        counter = lambda rs, n: sum(r["core_counters"].get(n, 0) for r in rs)  # noqa: E731
        out["pairs"].append({
            "pair": pair, "records": len(pipe),
            "cycles_pipeline": cyc["rowpipe"], "cycles_layerwise": cyc["rowpipe@layerwise"], "cycles_dense": cyc["dense"],
            "end_to_end_pipeline": e2e["rowpipe"], "end_to_end_dense": e2e["dense"],
            "speedup": cyc["dense"] / cyc["rowpipe"], "speedup_end_to_end": e2e["dense"] / e2e["rowpipe"],
            "pipeline_vs_layerwise": cyc["rowpipe@layerwise"] / cyc["rowpipe"],
            "images": sum(r["images"] for r in pipe),
            # PEAK_ROWS is a maximum per job, summed over an operation's jobs (one per image)
            "peak_rows_pipeline": counter(pipe, "PEAK_ROWS") / sum(r["images"] for r in pipe),
            "peak_rows_layerwise": counter(whole, "PEAK_ROWS") / sum(r["images"] for r in whole),
            "both_busy_fraction": counter(pipe, "BOTH_BUSY") / cyc["rowpipe"],
            "bank_conflicts": counter(pipe, "BANK_CONFLICT") + counter(whole, "BANK_CONFLICT"),
            "utilization": sum(r["effectual_macs"] for r in pipe) / max(sum(r["mac_slots"] for r in pipe), 1),
            "utilization_dense": sum(r["effectual_macs"] for r in dense) / max(sum(r["mac_slots"] for r in dense), 1),
        })
    if {"rowpipe", "dense"} <= set(head):
        cyc = {name: sum(r["cycles"] for r in head[name]) for name in ("rowpipe", "dense")}
        out["head"] = {"records": len(head["rowpipe"]), "cycles": cyc["rowpipe"], "cycles_dense": cyc["dense"],
                       "speedup": cyc["dense"] / cyc["rowpipe"]}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=ROOT / "build" / "compare.json")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "rowpipe_figures.json")
    args = parser.parse_args(argv)
    group = load_core("rowpipe").parameters["StageMacs"]
    result = {"note": __doc__, "stage_macs": group, "buffers": buffer_table(group)}
    print(f"{'layer 2 input map':>32} {'whole map B':>12} {'row pipeline B':>15} {'ratio':>6} {'weights B':>10} "
          f"{'ratio incl. weights':>20}")
    for b in result["buffers"]:
        print(f"{b['shape']:>32} {b['whole_map_bytes']:>12} {b['row_pipeline_bytes']:>15} {b['ratio']:>6.2f} "
              f"{b['weight_bytes']:>10} {b['ratio_with_weights']:>20.2f}")
    if args.compare.exists():
        result["measured"] = measured(json.loads(args.compare.read_text())["ops"])
        for p in result["measured"]["pairs"]:
            print(f"{p['pair']}: pipeline {p['cycles_pipeline']} cycles, layer by layer {p['cycles_layerwise']} "
                  f"({p['pipeline_vs_layerwise']:.2f}x), dense {p['cycles_dense']} ({p['speedup']:.2f}x, end to end "
                  f"{p['speedup_end_to_end']:.2f}x); rows resident per job {p['peak_rows_pipeline']:.1f} vs "
                  f"{p['peak_rows_layerwise']:.1f}; both layers busy {p['both_busy_fraction']:.0%} of the cycles; "
                  f"conflicts {p['bank_conflicts']}")
        if result["measured"]["head"]:
            h = result["measured"]["head"]
            print(f"head: {h['records']} GEMMs, {h['cycles']} cycles vs dense {h['cycles_dense']} ({h['speedup']:.2f}x)")
    else:
        print(f"[rowpipe_figures] {args.compare} does not exist: run `make compare DESIGNS=rowpipe` for the "
              "measured figures")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"[rowpipe_figures] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
