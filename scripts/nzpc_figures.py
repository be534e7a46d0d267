"""The NZPC core's own figures from the last `make compare` (build/compare.json): what the FF
position estimator saves against runtime zero detection, what the static balance saves, and the
speedup and toggles per effectual MAC against dense, per activation of the training run.

Usage: python scripts/nzpc_figures.py [--compare build/compare.json] [--out build/nzpc_figures.json]
Needs the variants nzpc (estimator, balanced), nzpc@no_balance and nzpc@detect (the nzpc manifest's
compare_tests) and dense. Every number is a counter of the simulated cores, summed over the records
of one activation and phase (conv2 and fc, first and last step):
- detect cycles avoided = compute cycles in detect mode - in estimator mode (same records); DETECT_CYC
  is the part of the detect-mode cycles spent on the detect stage itself;
- utilization = effectual MACs / (lanes x compute cycles), balanced and identity placement, with
  IMBALANCE (lane cycles idle waiting for the round's longest lane);
- end to end = load + compute + drain cycles of each job (neither core overlaps them);
- toggles / effectual MAC is the toggle power proxy (not an energy estimate).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("nzpc", "nzpc@no_balance", "nzpc@detect", "dense")


def parse_id(op_id: str) -> tuple[str, str, str] | None:
    """nzpc-relu6/conv2/BP/0 -> ('relu6', 'conv2', 'BP'); None for other records."""
    head, *rest = op_id.split("/")
    if not head.startswith("nzpc-") or len(rest) != 3:
        return None
    return head[len("nzpc-"):], rest[0], rest[1]


def group(rows: list[dict]) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """(activation, phase) -> variant -> rows, for the records every variant ran."""
    by_op: dict[str, dict[str, dict]] = {}
    for r in rows:
        if parse_id(r["op"]) and r["variant"] in VARIANTS:
            by_op.setdefault(r["op"], {})[r["variant"]] = r
    out: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for op_id, variants in sorted(by_op.items()):
        if set(variants) != set(VARIANTS):
            continue
        act, _, phase = parse_id(op_id)
        for v, r in variants.items():
            out.setdefault((act, phase), {}).setdefault(v, []).append(r)
    return out


def total(rows: list[dict], key: str) -> int:
    return sum(r[key] or 0 for r in rows)


def counter(rows: list[dict], name: str) -> int:
    return sum(r["core_counters"].get(name, 0) for r in rows)


def end_to_end(rows: list[dict]) -> int:
    return sum(r["cycles"] + (r.get("load_cycles") or 0) + (r.get("drain_cycles") or 0) for r in rows)


def figures(rows: list[dict]) -> list[dict]:
    out = []
    for (act, phase), v in sorted(group(rows).items()):
        est, nob, det, dense = (v[name] for name in VARIANTS)
        util = lambda rs: total(rs, "effectual_macs") / max(total(rs, "mac_slots"), 1)  # noqa: E731
        toggles = lambda rs: total(rs, "toggles") / max(total(rs, "effectual_macs"), 1)  # noqa: E731
        out.append({
            "activation": act, "phase": phase, "records": len(est),
            "cycles_estimator": total(est, "cycles"), "cycles_detect": total(det, "cycles"),
            "detect_cycles_avoided": total(det, "cycles") - total(est, "cycles"),
            "detect_stage_cycles": counter(det, "DETECT_CYC"),
            "cycles_no_balance": total(nob, "cycles"),
            "utilization_balanced": util(est), "utilization_no_balance": util(nob), "utilization_detect": util(det),
            "imbalance_balanced": counter(est, "IMBALANCE"), "imbalance_no_balance": counter(nob, "IMBALANCE"),
            "cycles_dense": total(dense, "cycles"),
            "speedup": total(dense, "cycles") / max(total(est, "cycles"), 1),
            "speedup_end_to_end": end_to_end(dense) / max(end_to_end(est), 1),
            "ideal_speedup": total(est, "dense_macs") / max(total(est, "effectual_macs"), 1),
            "toggles_per_effectual_mac": toggles(est), "toggles_per_effectual_mac_dense": toggles(dense),
        })
    return out


def print_table(rows: list[dict]) -> None:
    cols = [("activation", "act"), ("phase", "phase"), ("cycles_estimator", "est cyc"), ("cycles_detect", "det cyc"),
            ("detect_cycles_avoided", "avoided"), ("detect_stage_cycles", "DETECT_CYC"),
            ("utilization_balanced", "util bal"), ("utilization_no_balance", "util nobal"),
            ("speedup", "x dense"), ("speedup_end_to_end", "x dense e2e"), ("ideal_speedup", "ideal"),
            ("toggles_per_effectual_mac", "tog/MAC"), ("toggles_per_effectual_mac_dense", "dense tog/MAC")]
    print("  ".join(f"{title:>12}" for _, title in cols))
    for r in rows:
        print("  ".join(f"{r[k]:>12.3f}" if isinstance(r[k], float) else f"{r[k]:>12}" for k, _ in cols))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=ROOT / "build" / "compare.json")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "nzpc_figures.json")
    args = parser.parse_args(argv)
    if not args.compare.exists():
        parser.error(f"{args.compare} does not exist: run `make compare DESIGNS=nzpc` first")
    rows = figures(json.loads(args.compare.read_text())["ops"])
    if not rows:
        parser.error(f"{args.compare} has no nzpc record that ran as {', '.join(VARIANTS)}")
    args.out.write_text(json.dumps({"note": __doc__, "rows": rows}, indent=1))
    print_table(rows)
    print(f"[nzpc_figures] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
