"""Operations for the Trainer core: random GEMMs over a sparsity grid in either dataflow, speculated
FF jobs with a rule that splits the outputs, masked BP/WG jobs, BN statistics jobs, and the
operations recorded from real `trainer` training (models/methods/trainer.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models import golden
from verif.common.env import Operation
from verif.common.stimulus import random_matrix

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records" / "trainer"
GRID = (0.0, 0.5, 0.75, 0.9)   # the (weight, activation) sparsity grid of the issue
XHAT_SPECIALS = np.array([0.0, -0.0, 6.0e-8, -3.0e-5, 6.1e-5, np.inf, -np.inf, np.nan], dtype=np.float16)


def gemm_op(op_id: str, a, b, phase: str = "FF", operands: dict | None = None, **meta) -> Operation:
    """Operands go to the core as they are: FP16 subnormals reach the RTL as IEEE values (non-zero;
    truncated to zero in the estimate lanes when their top bits are clear, as the golden model does)."""
    a, b = np.asarray(a, dtype=np.float16), np.asarray(b, dtype=np.float16)
    meta.setdefault("sparsity_a", float(np.mean(a == 0)))
    meta.setdefault("sparsity_b", float(np.mean(b == 0)))
    return Operation(op_id, phase, {"a": a, "b": b, **(operands or {})}, meta=meta)


def random_op(rng, op_id: str, m: int, n: int, k: int, sparsity_a=0.0, sparsity_b=0.0, phase="FF",
              specials=0.0, **meta) -> Operation:
    return gemm_op(op_id, random_matrix(rng, (m, k), sparsity_a, specials),
                   random_matrix(rng, (k, n), sparsity_b, specials), phase, source="random", **meta)


def spec_rule(rng, a, b, keep: int, split: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A per-row rule that skips about `split` of each row's outputs: the threshold is the row's
    estimate quantile, the direction random (+1, -1, and 0 for every fifth row: never skip).
    split >= 1 skips every finite estimate (threshold +inf, direction +1 on every row)."""
    if split >= 1:
        return np.full(a.shape[0], np.inf, np.float32), np.ones(a.shape[0], np.int8)
    est = golden.speculation_estimate(a, b, keep).astype(np.float64)
    est = np.where(np.isfinite(est), est, 0.0)
    direction = rng.choice(np.array([1, -1], np.int8), size=a.shape[0])
    direction[::5] = 0
    q = np.where(direction > 0, split, 1.0 - split)
    thr = np.array([np.quantile(row, qi) for row, qi in zip(est, q)], dtype=np.float32)
    return thr, direction


def spec_op(rng, op_id: str, m: int, n: int, k: int, sparsity_a=0.5, sparsity_b=0.5, keep: int = 2,
            split: float = 0.5, **meta) -> Operation:
    """A speculated FF job: random operands and a rule that skips about `split` of the outputs."""
    op = random_op(rng, op_id, m, n, k, sparsity_a, sparsity_b, "FF", spec=True, keep=keep, **meta)
    thr, direction = spec_rule(rng, op.operands["a"], op.operands["b"], keep, split)
    op.operands.update(thr=thr, dir=direction)
    return op


def masked_op(rng, op_id: str, phase: str, m: int, n: int, k: int, masked: float = 0.5,
              sparsity_a=0.3, sparsity_b=0.3, **meta) -> Operation:
    """A BP or WG job whose outputs are removed at random (`masked` of them) plus whole rows, so
    that some tiles are skipped whole in either dataflow."""
    op = random_op(rng, op_id, m, n, k, sparsity_a, sparsity_b, phase, skip=True, **meta)
    skip = rng.random((m, n)) < masked
    if masked > 0:
        skip[rng.random(m) < 0.25, :] = True       # whole rows: compress_A skips their tiles
        skip[:, rng.random(n) < 0.25] = True       # whole columns: compress_B skips their tiles
    op.operands["skip"] = skip
    return op


def with_bn(rng, op: Operation, mode: int) -> Operation:
    """The same job with BN statistics on (FF: sum, sum of squares; BP: sum, sum of dy * x-hat)."""
    op.meta["bn"] = mode
    if op.phase == "BP":
        m, n = op.operands["a"].shape[0], op.operands["b"].shape[1]
        xhat = rng.standard_normal((m, n)).astype(np.float16)
        pick = rng.random((m, n)) < 0.1           # zeros, FP16 subnormals (exact in FP32), inf, NaN
        xhat[pick] = rng.choice(XHAT_SPECIALS, size=int(pick.sum()))
        op.operands["xhat"] = xhat
    return op


def record_op(rec, spec: bool = True, skips: bool = True, dataflow: str | None = None,
              bn: int = 1, variant: str | None = None) -> Operation:
    """A recorded operation as the trainer's runtime gives it to the core: the dataflow the runtime
    rule picks for the build's lanes (models/methods/trainer.py:choose_dataflow; `dataflow` forces
    one), FF speculation with the recorded rule, BP/WG masks from out_skip, BN statistics of FF conv
    outputs (bn: 1 one-pass, 2 two-pass, 0 off). spec/skips False turn the technique off on the same
    operands (its effect measured). The op id is <record id>@<variant>."""
    meta = {"source": "record", "variant": variant or ("skips" if spec and skips else "no_skips")}
    if dataflow:
        meta["dataflow"] = dataflow
    operands = {}
    if rec.phase == "FF" and "spec_threshold" in rec.arrays and spec:
        meta.update(spec=True, keep=int(rec.meta["keep_mantissa_bits"]))
        operands.update(thr=rec.arrays["spec_threshold"], dir=rec.arrays["spec_direction"])
    if rec.phase in ("BP", "WG") and "out_skip" in rec.arrays and skips:
        meta["skip"] = True
        operands["skip"] = rec.arrays["out_skip"]
    if rec.phase == "FF" and "bn_sum" in rec.arrays and bn:
        meta["bn"] = bn
    return gemm_op(f"{rec.id}@{meta['variant']}", rec.a, rec.b, rec.phase, operands, **meta)


def record_ops(path: str | Path | None = None, max_macs: int | None = None, **how) -> list[Operation]:
    """Every record under `path` (RECORDS overrides; default the trainer's records), each as
    record_op(rec, **how)."""
    from models.records import load_records
    path = Path(path or os.environ.get("RECORDS") or DEFAULT_RECORDS)
    ops = []
    for rec in load_records(path):
        if max_macs is not None and rec.a.shape[0] * rec.a.shape[1] * rec.b.shape[1] > max_macs:
            continue
        ops.append(record_op(rec, **how))
    if not ops:
        raise ValueError(f"no usable operation records under {path}")
    return ops


class TrainerTraining:
    """The trainer's `trainer` operations on the Trainer core (verif/common/train_rtl.py): each FP
    operation as one job, FF with the recorded speculation rule and BN statistics, BP and WG skipping
    the outputs FF's speculation removed. The core fills skipped outputs itself (the estimate in FF,
    +0 in BP and WG), so its C is the executor's as it is; the BN statistics it appends are checked
    by the scoreboard, and the trainer's BN keeps its own."""

    method = "trainer"

    def jobs(self, rec):
        if rec.meta["kind"] != "fp":
            return f"the Trainer core multiplies FP16 operands, not {rec.meta['kind']} ones"
        return [record_op(rec)]

    def result(self, op, jobs, results):
        return np.ascontiguousarray(results[0][:, :op.shape[2]])
