"""Operations for the dense core: random matrices at a chosen sparsity with special values, the
GEMM forms of conv and FC layer phases (lowered by models/lowering.py), and recorded operations."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models import golden, lowering
from models.executor import apply_skip
from verif.common.env import Operation
from verif.common.stimulus import random_matrix

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records"

# Shapes at the array's edges: 1x1x1, below a tile, ragged M/N/K, exact multiples.
# (2, 1, 3) and (3, 2, 6): 2 and 3 C row segments, a partly filled result beat at 4 x 4.
EDGE_SHAPES = [(1, 1, 1), (1, 1, 5), (4, 4, 4), (5, 3, 7), (3, 9, 17), (8, 8, 16), (7, 13, 2), (2, 1, 3),
               (3, 2, 6)]

def gemm_op(op_id: str, a, b, phase: str = "FF", **meta) -> Operation:
    """Operands go to the core as their raw bits, subnormals and NaN payloads included: subnormals are
    IEEE values in the core and in the golden model (models/golden.py)."""
    a, b = np.asarray(a, dtype=np.float16), np.asarray(b, dtype=np.float16)
    meta.setdefault("sparsity_a", float(np.mean(a == 0)))
    meta.setdefault("sparsity_b", float(np.mean(b == 0)))
    return Operation(op_id, phase, {"a": a, "b": b}, meta=meta)


def random_op(rng, op_id: str, m: int, n: int, k: int, sparsity_a=0.0, sparsity_b=0.0, specials=0.0,
              phase: str = "FF", nans: float = 0.0) -> Operation:
    return gemm_op(op_id, random_matrix(rng, (m, k), sparsity_a, specials, nans),
                   random_matrix(rng, (k, n), sparsity_b, specials, nans), phase, source="random")


def layer_phase_ops(rng, prefix: str = "layer") -> list[Operation]:
    """FF, BP and WG of a small conv layer (8 -> 4 channels, 3x3, 6x6 input, batch 2) and an FC
    layer (36 -> 10, batch 4), lowered to GEMMs exactly as the trainer lowers them."""
    ops = []
    x = random_matrix(rng, (2, 8, 6, 6), 0.5)                # post-ReLU activations: half zeros
    w = random_matrix(rng, (4, 8, 3, 3), 0.3)
    cols = lowering.im2col(x.astype(np.float32), 3, 3, pad=1).astype(np.float16)
    dy = random_matrix(rng, (4, cols.shape[1]), 0.6)         # errors: ReLU derivative zeros
    w2 = w.reshape(4, -1)
    ops.append(gemm_op(f"{prefix}/conv/FF", w2, cols, "FF", source="conv"))
    ops.append(gemm_op(f"{prefix}/conv/BP", w2.T.copy(), dy, "BP", source="conv"))
    ops.append(gemm_op(f"{prefix}/conv/WG", dy, cols.T.copy(), "WG", source="conv"))
    xf = random_matrix(rng, (4, 36), 0.5)
    wf = random_matrix(rng, (10, 36), 0.2)
    dyf = random_matrix(rng, (4, 10), 0.1)
    ops.append(gemm_op(f"{prefix}/fc/FF", wf, xf.T.copy(), "FF", source="fc"))
    ops.append(gemm_op(f"{prefix}/fc/BP", wf.T.copy(), dyf.T.copy(), "BP", source="fc"))
    ops.append(gemm_op(f"{prefix}/fc/WG", dyf.T.copy(), xf, "WG", source="fc"))
    return ops


def record_ops(path: str | Path | None = None, limit: int | None = None, max_macs: int | None = None) -> list[Operation]:
    """Operations recorded from real training (models/records.py); RECORDS overrides the folder."""
    from models.records import load_records
    path = Path(path or os.environ.get("RECORDS") or DEFAULT_RECORDS)
    ops = []
    for rec in load_records(path):
        m, k = rec.a.shape
        n = rec.b.shape[1]
        if max_macs is not None and m * n * k > max_macs:
            continue
        op = gemm_op(rec.id, rec.a, rec.b, rec.phase, source="record")
        if not np.array_equal(golden.bits(golden.gemm_fp16(op.operands["a"], op.operands["b"])), golden.bits(rec.c)):
            raise ValueError(f"record {rec.id}: its stored result disagrees with models/golden.py")
        ops.append(op)
        if limit is not None and len(ops) >= limit:
            break
    if not ops:
        raise ValueError(f"no usable operation records under {path}")
    return ops


class DenseTraining:
    """The trainer's operations on the dense core (verif/common/train_rtl.py): every FP operation as
    one GEMM; outputs a method removes are zeroed by the driver, since the dense core computes all."""

    method = "dense"

    def jobs(self, rec):
        if rec.meta["kind"] != "fp":
            return f"the dense core multiplies FP16 operands, not {rec.meta['kind']} ones"
        return [gemm_op(rec.id, rec.a, rec.b, rec.phase, source="training")]

    def result(self, op, jobs, results):
        return apply_skip(op, results[0])
