"""Operations for the SWPU core: random sub-structured masks (shape and line pruning) on conv-shaped
GEMMs in all three phases, and operations recorded from real `swpu` training (models/records.py).
Operands go to the core as their raw bits, subnormals and NaN payloads included: subnormals are IEEE
values (non-zero, effectual) in the core and in the golden model (models/golden.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models import golden
from verif.common.env import Operation
from verif.common.stimulus import random_matrix

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records"


def masked_op(op_id: str, phase: str, w4: np.ndarray, line: np.ndarray, shape: np.ndarray,
              act: np.ndarray, err: np.ndarray, order: str = "clustered", **meta) -> Operation:
    """The GEMM of one phase of a conv layer W[F, C, kh, kw] whose weights are pruned by the masks.

    act: im2col activations [C*kh*kw, P]; err: output errors [F, P]. Pruned weights are exactly +0,
    whatever special value w4 held there.
    """
    f, c, kh, kw = w4.shape
    keep = np.repeat(line.reshape(f, c * kh), kw, axis=1) & shape.ravel()[None, :]
    w = np.where(keep, w4.reshape(f, -1), np.float16(0)).astype(np.float16)
    a, b = {"FF": (w, act), "BP": (w.T.copy(), err), "WG": (err, act.T.copy())}[phase]
    meta.update(line_w=kw, order=order, line_sparsity=float(1 - line.mean()),
                shape_sparsity=float(1 - shape.mean()), sparsity_a=float(np.mean(a == 0)),
                sparsity_b=float(np.mean(b == 0)))
    return Operation(op_id, phase, {"a": a, "b": b, "line": line.reshape(f, -1).astype(bool),
                                    "shape": shape.ravel().astype(bool)}, meta=meta)


def random_layer_ops(rng, prefix: str, filters: int, cin: int, k: int, pixels: int, line_sparsity: float,
                     shape_sparsity: float = 0.0, act_sparsity: float = 0.5, phases=("FF", "BP", "WG"),
                     order: str = "clustered", kw: int | None = None, specials: float = 0.0,
                     nans: float = 0.0) -> list[Operation]:
    """Random masks at the given line and shape sparsity on a conv W[filters, cin, k, kw]; a `specials`
    fraction of special values and a `nans` fraction of NaN payloads in W, activations and errors."""
    kw = k if kw is None else kw
    w4 = random_matrix(rng, (filters, cin, k, kw), 0.0, specials, nans)
    line = rng.random((filters, cin, k)) >= line_sparsity
    shape = rng.random((cin, k, kw)) >= shape_sparsity
    act = random_matrix(rng, (cin * k * kw, pixels), act_sparsity, specials, nans)
    err = random_matrix(rng, (filters, pixels), act_sparsity, specials, nans)
    return [masked_op(f"{prefix}/{phase}", phase, w4, line, shape, act, err, order, source="random")
            for phase in phases]


def record_masks(rec, unpruned: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """The line mask [N, C, kh] and shape mask [C, kh, kw] of a recorded `swpu` operation; with
    `unpruned`, all-kept masks for a conv layer the method leaves dense (conv1), None for others."""
    if "line_mask" in rec.arrays:
        return rec.arrays["line_mask"], rec.arrays["shape_mask"]
    w = rec.meta.get("w_shape", [])
    if not unpruned or len(w) != 4:
        return None
    f, c, kh, kw = w
    return np.ones((f, c, kh), bool), np.ones((c, kh, kw), bool)


def record_op(rec, order: str = "clustered", unpruned: bool = False) -> Operation:
    """A recorded `swpu` operation as the SWPU core runs it (masks from the record's metadata; with
    `unpruned`, a conv layer the method does not prune runs with every line and shape kept)."""
    masks = record_masks(rec, unpruned)
    if masks is None:
        raise ValueError(f"record {rec.id}: no line/shape masks (not an swpu record of a pruned or conv layer)")
    line, shape = masks
    f, (c, kh, kw) = line.shape[0], shape.shape
    a, b = np.asarray(rec.a, np.float16), np.asarray(rec.b, np.float16)
    meta = dict(line_w=kw, order=order, source="record", step=rec.step,
                line_sparsity=float(1 - line.mean()), shape_sparsity=float(1 - shape.mean()),
                sparsity_a=float(np.mean(a == 0)),
                sparsity_b=float(np.mean(b == 0)))
    return Operation(f"{rec.id}@{order}", rec.phase,
                     {"a": a, "b": b, "line": line.reshape(f, c * kh).astype(bool),
                      "shape": shape.ravel().astype(bool)}, meta=meta)


class SwpuTraining:
    """The trainer's `swpu` operations on the SWPU core (verif/common/train_rtl.py): each FP
    operation as one masked job, in the clustered order; the core removes the pruned weights' WG
    outputs itself, so its result is the executor's C as it is."""

    method = "swpu"

    def jobs(self, rec):
        if rec.meta["kind"] != "fp" or record_masks(rec, unpruned=True) is None:
            return "neither a pruned layer nor an FP16 conv layer: no line and shape masks"
        return [record_op(rec, unpruned=True)]

    def result(self, op, jobs, results):
        return results[0]


def record_ops(path: str | Path | None = None, orders=("clustered", "natural"), max_macs: int | None = None,
               layer: str | None = None) -> list[Operation]:
    """Operations recorded from real `swpu` training (RECORDS overrides the folder), in each order."""
    from models.records import load_records
    path = Path(path or os.environ.get("RECORDS") or DEFAULT_RECORDS)
    recs = [r for r in load_records(path, method="swpu", layer=layer) if "line_mask" in r.arrays]
    ops = [record_op(r, order) for r in recs for order in orders
           if max_macs is None or r.a.shape[0] * r.a.shape[1] * r.b.shape[1] <= max_macs]
    if not ops:
        raise ValueError(f"no swpu operation records under {path}")
    return ops
