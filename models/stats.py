"""Operation statistics: dense and effectual MACs, operand sparsity, per layer and phase.

An effectual MAC has two non-zero operands and is not removed by the method's technique (an output in
op.out_skip costs no MAC). FP operands count as zero when they round to an FP16 zero (|x| <= 2^-25;
FP16 subnormals are values). Estimate MACs are counted apart: the reduced-precision MACs a
method spends to decide which outputs to remove (Trainer's speculation estimate), never included in
the effectual MACs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np


# FP16 rounding keeps every magnitude above 2^-25 non-zero (2^-25 itself ties to even: zero)
_FP16_ZERO_BELOW = 2.0**-25


def nonzero(x: np.ndarray, kind: str) -> np.ndarray:
    return np.abs(x) > _FP16_ZERO_BELOW if kind == "fp" else x != 0


def effectual_macs(op, a_nz=None, b_nz=None) -> int:
    a_nz = nonzero(op.a, op.kind) if a_nz is None else a_nz
    b_nz = nonzero(op.b, op.kind) if b_nz is None else b_nz
    if op.out_skip is None:
        return int(a_nz.sum(axis=0).astype(np.int64) @ b_nz.sum(axis=1).astype(np.int64))
    pairs = a_nz.astype(np.float32) @ b_nz.astype(np.float32)    # exact: counts < 2^24
    return int(pairs[~op.out_skip].sum(dtype=np.float64))


class Stats:
    """Accumulates over a run; ``epoch_rows`` keeps the per-epoch sparsity for the plots."""

    FIELDS = ("ops", "dense_macs", "effectual_macs", "estimate_macs", "a_zeros", "a_size", "b_zeros",
              "b_size", "out_skipped", "out_size")

    def __init__(self):
        self.total = defaultdict(lambda: dict.fromkeys(self.FIELDS, 0))
        self.epoch = defaultdict(lambda: dict.fromkeys(self.FIELDS, 0))
        self.samples = 0

    def add(self, op) -> None:
        m, k, n = op.shape
        a_nz, b_nz = nonzero(op.a, op.kind), nonzero(op.b, op.kind)
        row = dict(ops=1, dense_macs=m * k * n, effectual_macs=effectual_macs(op, a_nz, b_nz),
                   a_zeros=int(a_nz.size - a_nz.sum()), a_size=a_nz.size,
                   b_zeros=int(b_nz.size - b_nz.sum()), b_size=b_nz.size,
                   out_skipped=0 if op.out_skip is None else int(op.out_skip.sum()), out_size=m * n)
        self._accumulate(op, row)

    def add_estimate(self, op) -> None:
        """A reduced-precision estimate of op's whole result (Trainer's speculation): it runs before any
        output is removed, so it takes the non-zero pairs of every output, skipped or not."""
        self._accumulate(op, {"estimate_macs": effectual_macs(replace(op, out_skip=None))})

    def _accumulate(self, op, row: dict) -> None:
        for table in (self.total, self.epoch):
            acc = table[(op.layer, op.phase)]
            for key, v in row.items():
                acc[key] += v

    def add_samples(self, n: int) -> None:
        self.samples += n

    def end_epoch(self) -> dict:
        rows = summarize(self.epoch)
        self.epoch.clear()
        return rows

    def summary(self) -> dict:
        return summarize(self.total)

    def totals(self) -> dict:
        t = dict.fromkeys(self.FIELDS, 0)
        for acc in self.total.values():
            for k in self.FIELDS:
                t[k] += acc[k]
        return t


def summarize(table) -> dict:
    """{layer: {phase: {a_sparsity, b_sparsity, effectual_fraction, skipped_output_fraction, ...}}}"""
    out: dict = {}
    for (layer, phase), acc in sorted(table.items()):
        out.setdefault(layer, {})[phase] = {
            "ops": acc["ops"],
            "dense_macs": acc["dense_macs"],
            "effectual_macs": acc["effectual_macs"],
            "effectual_fraction": acc["effectual_macs"] / max(acc["dense_macs"], 1),
            "estimate_macs": acc["estimate_macs"],
            "a_sparsity": acc["a_zeros"] / max(acc["a_size"], 1),
            "b_sparsity": acc["b_zeros"] / max(acc["b_size"], 1),
            "skipped_output_fraction": acc["out_skipped"] / max(acc["out_size"], 1),
        }
    return out
