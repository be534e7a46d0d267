"""Bit-exact golden arithmetic: the only way scoreboards compute expected values.

The FP contract shared by every FP16 core (``shared/design/cores.md``, with issue 17's IEEE operands):
- FP16 operands are IEEE values, subnormals included (no denormals-are-zero): an FP16 subnormal is an
  FP32 normal, so FP16 x FP16 products are exact in FP32 (11x11-bit significands, magnitudes
  2^-48..2^32 within FP32's normal range) and inf x subnormal is inf.
- FP32 addition rounds to nearest even; FP32 subnormal inputs and results flush to signed zero. An FP16
  GEMM never meets one: every product is a multiple of 2^-48, so is every sum, and a non-zero multiple
  of 2^-48 is an FP32 normal.
- FP32 -> FP16 rounds to nearest even with gradual underflow (FP16 subnormal results are kept).
- Any NaN result is the canonical quiet NaN 0x7FC00000 (FP16: 0x7E00); overflow gives a signed infinity.

numpy's float32 addition is IEEE round-to-nearest-even. Flushing after numpy's (gradual-underflow)
rounding equals the hardware's flush before rounding: two FP32 normals are multiples of 2**-149, so a
sum below 2**-126 in magnitude is exact and rounds nowhere.
"""
from __future__ import annotations

import numpy as np

CANONICAL_NAN_BITS = np.uint32(0x7FC00000)
FP32_MIN_NORMAL = np.float32(2.0**-126)


def _canonical_nan(x: np.ndarray) -> np.ndarray:
    nan = np.array(CANONICAL_NAN_BITS).view(np.float32)
    return np.where(np.isnan(x), nan, x).astype(np.float32)


def flush_fp32(x) -> np.ndarray:
    """Subnormal FP32 values become zero of the same sign; NaNs become the canonical NaN."""
    x = np.asarray(x, dtype=np.float32)
    flushed = np.where(np.abs(x) < FP32_MIN_NORMAL, np.copysign(np.float32(0), x), x)
    return _canonical_nan(flushed)


def to_fp16(x) -> np.ndarray:
    """x rounded to FP16 as the cores' converter does: nearest even, FP16 subnormals kept, overflow to
    a signed infinity (numpy's float32 -> float16 cast; NaN payloads are the caller's concern)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x, dtype=np.float32).astype(np.float16)


def fp16_mul(a, b) -> np.ndarray:
    """FP16 x FP16 -> FP32, exact (subnormal operands included). Broadcasts like numpy."""
    a64 = np.asarray(a, dtype=np.float16).astype(np.float64)
    b64 = np.asarray(b, dtype=np.float16).astype(np.float64)
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


def gemm_fp16_skip(a, b, a_keep=None, out_keep=None) -> np.ndarray:
    """gemm_fp16 as a zero-skipping core computes it: only effectual products are accumulated.

    A product is effectual when both operands are non-zero (subnormals are non-zero) and ``a_keep[m, k]`` (the
    core's weight mask; None keeps all) allows it; each output still accumulates from +0 in
    ascending k. Outputs where ``out_keep[m, n]`` is False are never computed and read +0.
    With finite operands this equals gemm_fp16 (adding a zero product never changes a sum that
    starts at +0); it differs only where Inf x 0 would have made a NaN.
    """
    a = np.asarray(a, dtype=np.float16)
    b = np.asarray(b, dtype=np.float16)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"gemm_fp16_skip needs A[MxK] and B[KxN], got {a.shape} and {b.shape}")
    m, n = a.shape[0], b.shape[1]
    a_on = a != 0 if a_keep is None else (a != 0) & _mask(a_keep, a.shape, "a_keep")
    out_on = np.ones((m, n), bool) if out_keep is None else _mask(out_keep, (m, n), "out_keep")
    acc = np.zeros((m, n), dtype=np.float32)
    for k in range(a.shape[1]):
        take = a_on[:, k:k + 1] & (b[k:k + 1, :] != 0) & out_on
        acc = np.where(take, fp32_add(acc, fp16_mul(a[:, k:k + 1], b[k:k + 1, :])), acc)
    return acc


def gemm_fp16_masked(a, b, b_keep) -> np.ndarray:
    """C = A . B where only the products with ``b_keep[k, n]`` set are accumulated, whatever the
    operands are (a core that visits the positions a mask allows, zero or not): each output
    accumulates from +0 in ascending k. For A-side masks use (B^T . A^T)^T."""
    a = np.asarray(a, dtype=np.float16)
    b = np.asarray(b, dtype=np.float16)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"gemm_fp16_masked needs A[MxK] and B[KxN], got {a.shape} and {b.shape}")
    keep = _mask(b_keep, b.shape, "b_keep")
    acc = np.zeros((a.shape[0], b.shape[1]), dtype=np.float32)
    for k in range(a.shape[1]):
        acc = np.where(keep[k:k + 1, :], fp32_add(acc, fp16_mul(a[:, k:k + 1], b[k:k + 1, :])), acc)
    return acc


def effectual_macs_skip(a, b, a_keep=None, out_keep=None) -> int:
    """The products gemm_fp16_skip accumulates (a zero-skipping core's effectual MACs)."""
    nz_a = np.asarray(a, dtype=np.float16) != 0
    if a_keep is not None:
        nz_a &= _mask(a_keep, nz_a.shape, "a_keep")
    counts = nz_a.astype(np.int64) @ (np.asarray(b, dtype=np.float16) != 0).astype(np.int64)
    if out_keep is not None:
        counts = np.where(_mask(out_keep, counts.shape, "out_keep"), counts, 0)
    return int(counts.sum())


def _mask(mask, shape, name: str) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != tuple(shape):
        raise ValueError(f"{name} must be a bool array of shape {tuple(shape)}, got {mask.dtype} {mask.shape}")
    return mask


def effectual_macs(a, b) -> int:
    """MACs of A[MxK] . B[KxN] whose two FP16 operands are both non-zero (subnormals are non-zero)."""
    nz_a = (np.asarray(a, dtype=np.float16) != 0).astype(np.int64)
    nz_b = (np.asarray(b, dtype=np.float16) != 0).astype(np.int64)
    return int((nz_a @ nz_b).sum())


def bits(x) -> np.ndarray:
    """The raw bit patterns of an FP16 or FP32 array, for bit-exact comparison."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.view(np.uint16)
    if x.dtype == np.float32:
        return x.view(np.uint32)
    raise TypeError(f"bits() takes float16 or float32 arrays, not {x.dtype}")


# ---------------------------------------------------------------------------------------------------
# Integer, 2^n and helper datapaths (DQ-STP shifter and multiplier arrays, rowpipe FXP4 MACs with the
# FP16 dequantizer, Trainer's speculation and one-pass BN statistics). Integer accumulation is exact
# and order-free; an accumulator that does not fit its width raises instead of wrapping silently.
# ---------------------------------------------------------------------------------------------------

def _check_int_range(name: str, q, bits: int, signed: bool) -> np.ndarray:
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, not {q.dtype}")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"{name} holds values outside the {'signed' if signed else 'unsigned'} "
                         f"{bits}-bit range [{lo}, {hi}]")
    return q.astype(np.int64)


def _check_acc(acc: np.ndarray, acc_bits: int) -> np.ndarray:
    lim = 1 << (acc_bits - 1)
    if acc.size and (acc.min() < -lim or acc.max() >= lim):
        raise OverflowError(f"accumulator result needs more than {acc_bits} bits "
                            f"(range {acc.min()}..{acc.max()})")
    return acc


def _check_gemm_shapes(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"GEMM needs A[MxK] and B[KxN], got {a.shape} and {b.shape}")


def pow2_decode(codes, code_bits: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A 2^n weight code -> (sign in {-1, 0, +1}, shift >= 0).

    Code layout: the top bit is the sign, the low ``code_bits - 1`` bits a level l. l = 0 is the zero
    weight; l >= 1 is the magnitude 2^(e_base + l - 1), so the shifter shifts by l - 1.
    """
    codes = _check_int_range("codes", codes, code_bits, signed=False)
    level = codes & ((1 << (code_bits - 1)) - 1)
    sign = np.where(level == 0, 0, np.where(codes >> (code_bits - 1), -1, 1))
    return sign.astype(np.int64), np.maximum(level - 1, 0).astype(np.int64)


def pow2_encode(w, e_base: int, code_bits: int = 4) -> np.ndarray:
    """Real weights -> nearest 2^n codes (INQ rule): |w| in [0.75 * 2^e, 1.5 * 2^e) goes to 2^e.

    Exponents above the top level saturate; below 0.75 * 2^e_base the weight becomes the zero code.
    """
    w = np.asarray(w, dtype=np.float64)
    top = (1 << (code_bits - 1)) - 1
    # |w| = m * 2^E with m in [0.5, 1), exactly (frexp): m >= 0.75 lies in [0.75, 1.5) * 2^E, else in
    # [0.75, 1.5) * 2^(E-1). No log2 or 4/3 product, whose rounding moved weights one ulp below a boundary.
    m, big_e = np.frexp(np.abs(w))
    e = np.where(m >= 0.75, big_e, big_e - 1)
    level = np.where(np.abs(w) > 0, e - e_base + 1, 0)
    level = np.where(level < 1, 0, np.minimum(level, top)).astype(np.int64)
    sign = (w < 0) & (level > 0)
    return (level | (sign.astype(np.int64) << (code_bits - 1))).astype(np.uint8)


def pow2_values(codes, e_base: int, code_bits: int = 4) -> np.ndarray:
    """The real value of each code: sign * 2^(e_base + shift), or 0 (float64, exact)."""
    sign, shift = pow2_decode(codes, code_bits)
    return sign * np.ldexp(1.0, shift + e_base)


def shift_add_gemm(codes, b_q, code_bits: int = 4, b_bits: int = 8, acc_bits: int = 32) -> np.ndarray:
    """DQ-STP's unified shifter array: acc[m, n] = sum_k sign[m, k] * (b_q[k, n] << shift[m, k]).

    A holds 2^n codes (pow2_decode), B signed ``b_bits`` fixed-point integers. The real result is
    acc * 2^(e_base - frac_bits of B). No multiplier is involved: every term is a shifted operand.
    """
    codes = np.asarray(codes)
    b = _check_int_range("b_q", b_q, b_bits, signed=True)
    _check_gemm_shapes(codes, b)
    sign, shift = pow2_decode(codes, code_bits)
    acc = np.zeros((codes.shape[0], b.shape[1]), dtype=np.int64)
    for k in range(codes.shape[1]):
        acc += sign[:, k:k + 1] * np.left_shift(b[k:k + 1, :], shift[:, k:k + 1])
    return _check_acc(acc, acc_bits)


def int_gemm(a_q, b_q, a_bits: int = 8, b_bits: int = 8, a_signed: bool = True, b_signed: bool = True,
             acc_bits: int = 32) -> np.ndarray:
    """Integer MAC array (DQ-STP's WG multipliers, rowpipe's INT4 x UINT4 array): exact int64 result."""
    a = _check_int_range("a_q", a_q, a_bits, a_signed)
    b = _check_int_range("b_q", b_q, b_bits, b_signed)
    _check_gemm_shapes(a, b)
    if not 1 <= acc_bits <= 64:
        raise ValueError(f"acc_bits must be 1..64 (the result is int64), not {acc_bits}")
    # float64 matmul is exact while every partial sum stays below 2^53; past that, Python integers
    # (exact at any size, so that an int64 overflow is reported instead of wrapping)
    bound = int(np.abs(a).max(initial=0)) * int(np.abs(b).max(initial=0)) * a.shape[1]
    if bound < 2**53:
        return _check_acc((a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64), acc_bits)
    return _check_acc(a.astype(object) @ b.astype(object), acc_bits).astype(np.int64)


def fp32_mul(a, b) -> np.ndarray:
    """FP32 x FP32, round to nearest even, subnormal inputs and result flushed. Broadcasts."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        return flush_fp32(flush_fp32(a) * flush_fp32(b))


def dequant_affine(acc, scale, shift) -> np.ndarray:
    """The FP16 dequantizer: y = fp16(fp32(fp32(acc) * scale) + shift), per row of acc.

    acc is an integer accumulator [M, N] (|acc| <= 2^24, so the conversion to FP32 is exact); scale and
    shift are FP16 per row ([M]) or scalars: the quantization scales s_x * s_w with a frozen BN folded in.
    Each step rounds to nearest even; FP16 subnormal scales, shifts and results are IEEE values (no FP32
    subnormal arises: a non-zero |acc| >= 1 times a scale >= 2^-24 is an FP32 normal).
    """
    acc = np.asarray(acc)
    if not np.issubdtype(acc.dtype, np.integer):
        raise TypeError(f"acc must be an integer array, not {acc.dtype}")
    if acc.size and np.abs(acc).max() > 2**24:
        raise ValueError("dequant_affine needs |acc| <= 2^24 (exact conversion to FP32)")
    scale = np.asarray(scale, dtype=np.float16).astype(np.float32)
    shift = np.asarray(shift, dtype=np.float16).astype(np.float32)
    if acc.ndim == 2 and scale.ndim == 1:
        scale, shift = scale[:, None], shift[:, None]
    y = fp32_add(fp32_mul(acc.astype(np.float32), scale), shift)
    return to_fp16(y)


def requantize_unsigned(y, bits: int) -> np.ndarray:
    """ReLU and requantization between pipelined layers: clamp(round_half_even(max(y, 0)), 0, 2^bits-1).

    y is already in units of the next layer's activation scale (folded into the dequantizer).
    """
    y = np.asarray(y, dtype=np.float16)
    if np.isnan(y).any():
        raise ValueError("requantize_unsigned got NaN")
    q = np.rint(np.maximum(y.astype(np.float32), 0))
    return np.minimum(q, (1 << bits) - 1).astype(np.uint8)


def truncate_fp16(x, keep_mantissa_bits: int) -> np.ndarray:
    """FP16 with only the top ``keep_mantissa_bits`` of the 10 mantissa bits (the rest cleared)."""
    if not 0 <= keep_mantissa_bits <= 10:
        raise ValueError("keep_mantissa_bits must be in 0..10")
    drop = 10 - keep_mantissa_bits
    raw = np.asarray(x, dtype=np.float16).view(np.uint16)
    return (raw & np.uint16((0xFFFF >> drop) << drop)).view(np.float16)


def speculation_estimate(a, b, keep_mantissa_bits: int) -> np.ndarray:
    """Trainer's cheap estimate of C = A.B: the zero-skipping GEMM (gemm_fp16_skip) on
    mantissa-truncated operands; a product is effectual when both truncated operands are non-zero
    (truncation can clear a subnormal to zero, which the estimate lanes then skip). With finite
    operands this equals gemm_fp16 of the truncated operands."""
    return gemm_fp16_skip(truncate_fp16(a, keep_mantissa_bits), truncate_fp16(b, keep_mantissa_bits))


def speculation_skip(estimate, threshold, direction) -> np.ndarray:
    """Trainer's speculation rule: skip[m, n] when the estimate is on ReLU's zero side of its row's
    threshold: estimate < threshold[m] for direction +1, estimate > threshold[m] for direction -1
    (a negative BN scale flips the side), never for direction 0. Comparisons are exact."""
    est = np.asarray(estimate, dtype=np.float32)
    thr = np.asarray(threshold, dtype=np.float32)[:, None]
    d = np.asarray(direction)[:, None]
    return ((d > 0) & (est < thr)) | ((d < 0) & (est > thr))


def row_sum_dot(c, w) -> tuple[np.ndarray, np.ndarray]:
    """BN statistics per row of C[M, N] as outputs stream out in ascending n: s1 = sum c and
    s2 = sum fp32_mul(c, w), both accumulated in FP32 from +0 (RNE, flush). Backward BN takes
    w = x-hat (sum dy, sum dy * x-hat); forward takes w = c (row_sum_sumsq)."""
    c = flush_fp32(c)
    w = flush_fp32(np.asarray(w, dtype=np.float32))
    if w.shape != c.shape:
        raise ValueError(f"row_sum_dot needs w shaped like c {c.shape}, got {w.shape}")
    s1 = np.zeros(c.shape[0], dtype=np.float32)
    s2 = np.zeros(c.shape[0], dtype=np.float32)
    for n in range(c.shape[1]):
        s1 = fp32_add(s1, c[:, n])
        s2 = fp32_add(s2, fp32_mul(c[:, n], w[:, n]))
    return s1, s2


def row_sum_sumsq(c) -> tuple[np.ndarray, np.ndarray]:
    """One-pass BN statistics of C[M, N] per row as outputs stream out in ascending n:
    sum = sum c, sumsq = sum fp32_mul(c, c), both accumulated in FP32 from +0 (RNE, flush)."""
    return row_sum_dot(c, c)
