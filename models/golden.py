"""Bit-exact golden arithmetic: the only way scoreboards compute expected values.

The FP contract shared by every FP16 core (``shared/design/cores.md``):
- FP16 operands: subnormal inputs are read as signed zero (denormals-are-zero).
- FP16 x FP16 products are exact in FP32 (11x11-bit significands, exponents within FP32's normal range).
- FP32 addition rounds to nearest even; subnormal inputs and results flush to signed zero.
- Any NaN result is the canonical quiet NaN 0x7FC00000; overflow gives a signed infinity.

numpy's float32 addition is IEEE round-to-nearest-even. Flushing after numpy's (gradual-underflow)
rounding equals the hardware's flush before rounding: two FP32 normals are multiples of 2**-149, so a
sum below 2**-126 in magnitude is exact and rounds nowhere.
"""
from __future__ import annotations

import numpy as np

CANONICAL_NAN_BITS = np.uint32(0x7FC00000)
FP32_MIN_NORMAL = np.float32(2.0**-126)
FP16_MIN_NORMAL = np.float16(2.0**-14)


def _canonical_nan(x: np.ndarray) -> np.ndarray:
    nan = np.array(CANONICAL_NAN_BITS).view(np.float32)
    return np.where(np.isnan(x), nan, x).astype(np.float32)


def flush_fp32(x) -> np.ndarray:
    """Subnormal FP32 values become zero of the same sign; NaNs become the canonical NaN."""
    x = np.asarray(x, dtype=np.float32)
    flushed = np.where(np.abs(x) < FP32_MIN_NORMAL, np.copysign(np.float32(0), x), x)
    return _canonical_nan(flushed)


def flush_fp16(x) -> np.ndarray:
    """Subnormal FP16 values become zero of the same sign (how the cores read FP16 operands)."""
    x = np.asarray(x, dtype=np.float16)
    return np.where(np.abs(x) < FP16_MIN_NORMAL, np.copysign(np.float16(0), x), x).astype(np.float16)


def fp16_mul(a, b) -> np.ndarray:
    """FP16 x FP16 -> FP32, exact (after DAZ on the inputs). Broadcasts like numpy."""
    a64 = flush_fp16(a).astype(np.float64)
    b64 = flush_fp16(b).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return _canonical_nan((a64 * b64).astype(np.float32))


def fp32_add(a, b) -> np.ndarray:
    """FP32 + FP32, round to nearest even, subnormal inputs and result flushed. Broadcasts."""
    with np.errstate(invalid="ignore", over="ignore"):
        return flush_fp32(flush_fp32(a) + flush_fp32(b))


def gemm_fp16(a, b) -> np.ndarray:
    """C[MxN] = A[MxK] . B[KxN] as the FP16 arrays compute it.

    Each output accumulates from +0 in ascending k: acc = fp32_add(acc, fp16_mul(A[m,k], B[k,n])).
    """
    a = np.asarray(a, dtype=np.float16)
    b = np.asarray(b, dtype=np.float16)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"gemm_fp16 needs A[MxK] and B[KxN], got {a.shape} and {b.shape}")
    acc = np.zeros((a.shape[0], b.shape[1]), dtype=np.float32)
    for k in range(a.shape[1]):
        acc = fp32_add(acc, fp16_mul(a[:, k:k + 1], b[k:k + 1, :]))
    return acc


def bits(x) -> np.ndarray:
    """The raw bit patterns of an FP16 or FP32 array, for bit-exact comparison."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.view(np.uint16)
    if x.dtype == np.float32:
        return x.view(np.uint32)
    raise TypeError(f"bits() takes float16 or float32 arrays, not {x.dtype}")
