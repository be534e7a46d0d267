"""Operations for the RowPipe core: random CONV jobs (two frozen conv layers on one image) with
dequantizer scales that land layer 1's outputs across the UINT4 range (ties, saturation and negatives
included), the extremes of INT4 and UINT4, HEAD jobs (FP16 GEMMs), and the jobs of recorded
training (models/data/records/rowpipe): the conv pairs conv1 -> conv2 and conv2 -> pool -> conv3 per
image, and every phase of the FP16 head fc1, fc2."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models import golden
from models.records import load_records
from models.methods.rowpipe import FrozenConv, frozen_conv
from verif.common.env import Operation
from verif.common.stimulus import random_matrix

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records" / "rowpipe"
PAIRS = (("conv1", "conv2"), ("conv2", "conv3"))     # consecutive conv layers of the digits CNN


def spread_scale(rng, acc: np.ndarray, top: float) -> np.ndarray:
    """FP16 scales per output channel that map the accumulators' spread onto about [0, top]."""
    spread = np.maximum(np.abs(acc).reshape(len(acc), -1).max(axis=1), 1)
    return (rng.uniform(0.5, 1.0, len(acc)) * top / spread).astype(np.float16)


def conv_op(rng, op_id: str, h: int, w: int, c0: int, c1: int, c2: int, k1: int = 3, p1: int = 1,
            k2: int = 3, p2: int = 1, pool: bool = False, layerwise: bool = False, extremes: bool = False,
            zeros: float = 0.4, subnormals: bool = False) -> Operation:
    """A random CONV job. Layer 1's scales spread its outputs over 0..~20 (saturating some at 15, some
    negative ReLU'd to 0); channel 0 has scale 0.5 and shift 0, so odd accumulators give ties x.5.
    extremes: weights only -8 and 7, inputs only 0 and 15, and layer 2's last channel scaled to
    overflow FP16 (y2 = +-inf).
    subnormals (c2 >= 3): layer 2's channel 1 has the scale 2^-24 (the smallest subnormal) and no shift,
    so every |accumulator| below 1024 gives a subnormal y2; channel 2 has a subnormal shift."""
    x = rng.integers(0, 16, (c0, h, w)).astype(np.uint8)
    x[rng.random(x.shape) < zeros] = 0
    w1 = rng.integers(-8, 8, (c1, c0, k1, k1)).astype(np.int8)
    w2 = rng.integers(-8, 8, (c2, c1, k2, k2)).astype(np.int8)
    if extremes:
        x = np.where(x > 0, 15, 0).astype(np.uint8)
        w1 = np.where(w1 >= 0, 7, -8).astype(np.int8)
        w2 = np.where(w2 >= 0, 7, -8).astype(np.int8)
    w1[rng.random(w1.shape) < 0.15] = 0
    w2[rng.random(w2.shape) < 0.15] = 0
    ones = lambda n: np.ones(n, np.float16)        # noqa: E731
    acc1, _ = frozen_conv(x, FrozenConv(w1, ones(c1), np.zeros(c1, np.float16), p1))
    scale1 = spread_scale(rng, acc1, 20.0)
    shift1 = rng.uniform(-2, 3, c1).astype(np.float16)
    scale1[0], shift1[0] = 0.5, 0.0
    scale2 = (rng.uniform(0.001, 0.05, c2) * rng.choice([-1, 1], c2)).astype(np.float16)
    shift2 = rng.uniform(-10, 10, c2).astype(np.float16)
    if extremes:
        scale2[-1] = np.float16(60000.0)
    if subnormals:
        scale2[1], shift2[1] = np.float16(2.0**-24) * np.sign(scale2[1]), 0.0
        shift2[2] = np.float16(-3.0e-5)
    operands = {"x_q": x, "w1": w1, "scale1": scale1, "shift1": shift1, "w2": w2, "scale2": scale2, "shift2": shift2}
    return Operation(op_id, "FF", operands,
                     meta={"kind": "conv", "p1": p1, "p2": p2, "pool": pool, "layerwise": layerwise, "source": "random"})


def head_op(rng, op_id: str, phase: str, m: int, n: int, k: int, sparsity_b: float = 0.5, specials: float = 0.0,
            nans: float = 0.0) -> Operation:
    """A random HEAD job, a `specials` fraction of special values and a `nans` fraction of NaN payloads
    in both operands. They go to the core as their raw bits: subnormals are IEEE values in fp16_gemm
    and in golden.gemm_fp16."""
    a = random_matrix(rng, (m, k), 0.0, specials, nans)
    b = random_matrix(rng, (k, n), sparsity_b, specials, nans)
    return Operation(op_id, phase, {"a": a, "b": b}, meta={"kind": "head", "source": "random"})


def records_root() -> Path:
    return Path(os.environ.get("RECORDS", DEFAULT_RECORDS))


def _frozen(rec) -> FrozenConv:
    co, ci, k = rec.meta["w_shape"][:3]
    return FrozenConv(rec.arrays["a_q"].reshape(co, ci, k, k).astype(np.int8),
                      rec.arrays["scale"].astype(np.float16), rec.arrays["shift"].astype(np.float16), rec.meta["pad"])


def record_ops(layerwise: bool = False, variant: str | None = None, root: Path | None = None) -> list[Operation]:
    """Per training step of the records: each conv pair on the recorded images, one job per image (layer
    1's input maps from its record, both layers' weights and dequantizer words from theirs; `parts`
    names the two records, which the baseline runs as two GEMMs), and every head record."""
    records = load_records(root or records_root(), method="rowpipe")
    if not records:
        raise ValueError(f"no rowpipe records under {root or records_root()}")
    ff = {(r.layer, r.step): r for r in records if r.phase == "FF" and r.meta.get("kind") == "int_dequant"}
    ops = []
    suffix = f"@{variant}" if variant else ""
    for step in sorted({s for _, s in ff}):
        for first, second in PAIRS:
            r1, r2 = ff.get((first, step)), ff.get((second, step))
            if r1 is None or r2 is None:
                continue
            l1, l2 = _frozen(r1), _frozen(r2)
            pool = r2.meta["x_shape"][2] < r1.meta["y_shape"][2]     # layer 1's block pools its output
            ops.append(Operation(
                f"rowpipe/{first}+{second}/FF/{step}{suffix}", "FF",
                {"x_q": r1.arrays["x_q"].astype(np.uint8), "w1": l1.q_w, "scale1": l1.scale, "shift1": l1.shift,
                 "w2": l2.q_w, "scale2": l2.scale, "shift2": l2.shift},
                meta={"kind": "conv", "p1": l1.pad, "p2": l2.pad, "pool": bool(pool), "layerwise": layerwise,
                      "source": "record", "parts": [r1.id, r2.id]}))
    for rec in records:
        if rec.meta.get("kind") != "int_dequant":
            ops.append(Operation(rec.id + suffix, rec.phase, {"a": rec.a, "b": rec.b},
                                 meta={"kind": "head", "source": "record",
                                       "sparsity_a": rec.meta.get("sparsity_a"), "sparsity_b": rec.meta.get("sparsity_b")}))
    return ops


class RowpipeTraining:
    """The trainer's `rowpipe` operations on the RowPipe core (verif/common/train_rtl.py): the FP16
    head's FF, BP and WG as head jobs. The frozen backbone's INT4 convolutions stay in Python: the
    core runs them as fused pairs (layer 1's output rows feed layer 2 on chip), and the trainer's
    executor hands over one layer at a time."""

    method = "rowpipe"

    def jobs(self, rec):
        if rec.meta["kind"] != "fp":
            return ("the core runs the backbone's INT4 convolutions as fused pairs; the executor hands "
                    "over one layer at a time")
        return [Operation(rec.id, rec.phase, {"a": rec.a, "b": rec.b},
                          meta={"kind": "head", "source": "training", "sparsity_a": rec.meta.get("sparsity_a"),
                                "sparsity_b": rec.meta.get("sparsity_b")})]

    def result(self, op, jobs, results):
        return results[0]
