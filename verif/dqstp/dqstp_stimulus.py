"""Operations for the DQ-STP core: random int8 maps at a chosen sparsity with empty rows, random 2^n
codes (zero codes and the largest levels included), activations for WG, and operations from the
dqstp training records (models/data/records/dqstp)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models.executor import apply_skip, c_of_accumulators
from verif.common.env import Operation
from verif.dqstp.dqstp_codec import CODE_BITS, ep_wg_from_records, operation_from_record

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records" / "dqstp"
TOP_LEVEL = (1 << (CODE_BITS - 1)) - 1


def random_map(rng, n: int, k: int, sparsity: float = 0.5, empty_rows: float = 0.0,
               extreme: bool = False) -> np.ndarray:
    """int8 [n x k]: a `sparsity` fraction of zeros, an `empty_rows` fraction of all-zero rows;
    `extreme` draws only -128 and 127."""
    if extreme:
        s = rng.choice(np.array([-128, 127], dtype=np.int8), size=(n, k))
    else:
        s = rng.integers(-128, 128, size=(n, k)).astype(np.int8)
    s[rng.random((n, k)) < sparsity] = 0
    s[rng.random(n) < empty_rows] = 0
    return s


def random_codes(rng, m: int, k: int, zero_frac: float = 0.1, levels: tuple[int, int] = (1, TOP_LEVEL)) -> np.ndarray:
    """uint8 [m x k] 2^n codes: sign bit and a level in `levels`, a `zero_frac` of zero codes
    (level 0, either sign bit)."""
    level = rng.integers(levels[0], levels[1] + 1, size=(m, k))
    level[rng.random((m, k)) < zero_frac] = 0
    sign = rng.integers(0, 2, size=(m, k))
    return (level | (sign << (CODE_BITS - 1))).astype(np.uint8)


def random_op(rng, op_id: str, phase: str, m: int, n: int, k: int, j: int = 0, sparsity: float = 0.5,
              empty_rows: float = 0.0, wg: bool = False, align: bool = True, **meta) -> Operation:
    """One job: FF/BP (codes, s), WG (s, x) or BP with WG (codes, s, x)."""
    operands = {"s": random_map(rng, n, k, sparsity, empty_rows, meta.pop("extreme", False))}
    if phase in ("FF", "BP"):
        operands["codes"] = random_codes(rng, m, k, **meta.pop("codes", {}))
    if phase == "WG" or wg:
        operands["x"] = random_map(rng, n, j, meta.pop("x_sparsity", 0.3))
    meta.update(source="random", align=align, wg=wg, sparsity_s=float(np.mean(operands["s"] == 0)))
    return Operation(op_id, phase, operands, meta=meta)


def record_ops(path: str | Path | None = None, align: bool = True, combined: bool = True) -> list[Operation]:
    """Every dqstp record as a job (FF, BP, WG), and per layer and step one BP job carrying WG
    (RECORDS overrides the folder)."""
    from models.records import load_records
    path = Path(path or os.environ.get("RECORDS") or DEFAULT_RECORDS)
    recs = load_records(path, method="dqstp")
    ops = [operation_from_record(r, align) for r in recs]
    if combined:
        by_key = {(r.layer, r.phase, r.step): r for r in recs}
        for (layer, phase, step), bp in sorted(by_key.items()):
            if phase == "BP" and (layer, "WG", step) in by_key:
                ops.append(ep_wg_from_records(bp, by_key[(layer, "WG", step)], align))
    return ops


class DqstpTraining:
    """The trainer's `dqstp` operations on the DQ-STP core (verif/common/train_rtl.py): FF and BP as
    shift-add jobs (2^n weight codes, fixed-point map), WG as an integer job; the driver scales the
    core's integer accumulators to C (models.executor.c_of_accumulators). FP operations (the layers
    the method leaves in FP16) have no unit here."""

    method = "dqstp"

    def jobs(self, rec):
        if rec.meta["kind"] not in ("shift_add", "int_mac"):
            return "an FP16 layer of the method: the core has shift-add and integer arrays only"
        return [operation_from_record(rec)]

    def result(self, op, jobs, results):
        return apply_skip(op, c_of_accumulators(op, results[0]))
