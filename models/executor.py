"""The one interface every layer operation goes through: a layer, a phase, operands in, result out.

A layer builds a :class:`GemmOp` (the dense-equivalent A and B of its phase, see lowering.py, plus what
the method adds: outputs to skip, integer operands, scales) and hands it to an executor. The default
executor is numpy; a later issue can pass an executor that runs the op on an RTL core instead, and the
trainer does not change.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from models import golden

PHASES = ("FF", "BP", "WG")

# What an op computes. "fp": C = A.B in FP16 operands / FP32 accumulation. "shift_add": A holds 2^n
# codes (aux "a_codes"), B fixed-point integers (aux "b_q"); "int_mac": both integer (aux "a_q", "b_q");
# for these A and B still hold the real values the integers stand for, so C = A.B either way.
# "int_dequant": integer MACs (aux "a_q", "b_q") then the per-row FP16 affine (aux "scale", "shift"),
# C = dequant_affine(a_q . b_q); A and B hold the real values s_w * q_w and s_x * q_x.
KINDS = ("fp", "shift_add", "int_mac", "int_dequant")


@dataclass
class GemmOp:
    layer: str
    phase: str
    a: np.ndarray                     # [M, K] dense-equivalent operand (training precision)
    b: np.ndarray                     # [K, N]
    kind: str = "fp"
    sample_axis: str = "N"            # which GEMM dimension runs over batch samples ("N" or "K")
    per_sample: int = 1               # entries of that dimension per sample
    out_skip: np.ndarray | None = None   # [M, N] bool: outputs the method's technique removes
    skip_fill: np.ndarray | None = None  # [M, N] value written at skipped outputs (default 0)
    # Method arrays, each with a role naming its GEMM dimensions ("M", "K", "N", "MK", "KN", "MN" or
    # "" for constants), so that keeping the first few samples slices them consistently.
    aux: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.a.ndim != 2 or self.b.ndim != 2 or self.a.shape[1] != self.b.shape[0]:
            raise ValueError(f"{self.layer}/{self.phase}: A[MxK] and B[KxN] needed, got "
                             f"{self.a.shape} and {self.b.shape}")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(M, K, N)."""
        return self.a.shape[0], self.a.shape[1], self.b.shape[1]

    @property
    def samples(self) -> int:
        size = self.shape[1] if self.sample_axis == "K" else self.shape[2]
        return size // self.per_sample

    def first_samples(self, samples: int) -> "GemmOp":
        """The same op restricted to its first ``samples`` batch samples."""
        if samples >= self.samples:
            return self
        keep = samples * self.per_sample
        dim = self.sample_axis

        def cut(role: str, x):
            if x is None or dim not in role:
                return x
            index = [slice(None)] * x.ndim
            index[role.index(dim)] = slice(0, keep)
            return x[tuple(index)]

        return replace(self, a=cut("MK", self.a), b=cut("KN", self.b),
                       out_skip=cut("MN", self.out_skip), skip_fill=cut("MN", self.skip_fill),
                       aux={k: (role, cut(role, v)) for k, (role, v) in self.aux.items()},
                       meta=dict(self.meta))

    def aux_array(self, name: str) -> np.ndarray:
        return self.aux[name][1]


class Executor(Protocol):
    def __call__(self, op: GemmOp) -> np.ndarray:
        """Return C[M, N] (float32) for the op, with skipped outputs set to its skip_fill (or 0)."""


def apply_skip(op: GemmOp, c: np.ndarray) -> np.ndarray:
    if op.out_skip is None:
        return c
    fill = 0.0 if op.skip_fill is None else op.skip_fill
    return np.where(op.out_skip, fill, c).astype(np.float32)


def fp16_rounded(x: np.ndarray, keep_mantissa_bits: int = 10) -> np.ndarray:
    """x rounded to FP16 (nearest even, subnormals kept, overflow to infinity), kept as float32;
    with keep_mantissa_bits < 10 the low mantissa bits of that FP16 value are then cleared.

    Same values as golden.to_fp16 (and golden.truncate_fp16). It rounds the float32 bit pattern in
    place, several times faster than a cast; only the few values that round to an FP16 subnormal or
    zero take the cast.
    """
    u = np.array(x, dtype=np.float32, order="C").view(np.uint32)
    t = u & np.uint32(0x7FFFFFFF)
    tiny = t < np.uint32(0x387FE000)       # below 2^-14 - 2^-25: rounds to an FP16 subnormal or zero
    small = u[tiny].view(np.float32)         # a copy (boolean indexing), before u is rounded
    np.right_shift(u, np.uint32(13), out=t)
    t &= np.uint32(1)
    t += np.uint32(0xFFF)
    u += t
    u &= np.uint32((0xFFFFFFFF << (23 - keep_mantissa_bits)) & 0xFFFFFFFF)
    np.bitwise_and(u, np.uint32(0x7FFFFFFF), out=t)
    band = (t < np.uint32(0x38800000)) & ~tiny            # rounds up to 2^-14
    if band.any():
        u[band] = (u[band] & np.uint32(0x80000000)) | np.uint32(0x38800000)
    if tiny.any():
        u[tiny] = golden.truncate_fp16(golden.to_fp16(small), keep_mantissa_bits).astype(np.float32).view(np.uint32)
    over = t > np.uint32(0x477FE000)                      # above 65504
    if over.any():
        u[over] = (u[over] & np.uint32(0x80000000)) | np.uint32(0x7F800000)
    return u.view(np.float32)


class NumpyExecutor:
    """Fast float32 BLAS. FP ops round their operands to FP16 first (subnormals kept) like the cores."""

    def __call__(self, op: GemmOp) -> np.ndarray:
        if op.kind == "fp":
            c = fp16_rounded(op.a) @ fp16_rounded(op.b)
        elif op.kind == "int_dequant":     # A and B stand for the integers before the dequantizer
            acc = op.aux_array("a_q").astype(np.float32) @ op.aux_array("b_q").astype(np.float32)
            scale, shift = op.aux_array("scale"), op.aux_array("shift")
            c = acc * scale.astype(np.float32)[:, None] + shift.astype(np.float32)[:, None]
        else:
            c = op.a.astype(np.float32) @ op.b.astype(np.float32)
        return apply_skip(op, c)


def c_of_accumulators(op: GemmOp, acc: np.ndarray) -> np.ndarray:
    """C[M, N] (float32, before removed outputs) of an integer op from its integer accumulators
    A_q . B_q: the scaling the golden executor and an integer core's driver apply."""
    if op.kind == "shift_add":
        return (acc * 2.0 ** (op.meta["a_exp_base"] - op.meta["b_frac_bits"])).astype(np.float32)
    if op.kind == "int_mac":
        return (acc * 2.0 ** -(op.meta["a_frac_bits"] + op.meta["b_frac_bits"])).astype(np.float32)
    if op.kind == "int_dequant":
        return golden.dequant_affine(acc, op.aux_array("scale"), op.aux_array("shift")).astype(np.float32)
    raise ValueError(f"{op.layer}/{op.phase}: a {op.kind!r} op has no integer accumulators")


class GoldenExecutor:
    """Bit-exact and slow: the arithmetic the cores are checked against (for small runs and tests)."""

    def __call__(self, op: GemmOp) -> np.ndarray:
        if op.kind == "fp":
            c = golden.gemm_fp16(golden.to_fp16(op.a), golden.to_fp16(op.b))
        elif op.kind == "shift_add":
            c = c_of_accumulators(op, golden.shift_add_gemm(op.aux_array("a_codes"), op.aux_array("b_q")))
        else:  # int_mac, int_dequant
            c = c_of_accumulators(op, golden.int_gemm(op.aux_array("a_q"), op.aux_array("b_q")))
        return apply_skip(op, c)
