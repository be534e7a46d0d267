"""Tests of golden.py's FP functions against references computed independently in float64.

The references decode the raw bit patterns themselves (FP16 subnormals as IEEE values, FP32 ones as
signed zero, inf, NaN) instead of reusing golden's helpers, compute in float64 (exact for FP16 x FP16; a float64 sum rounded once
to float32 is the correctly rounded FP32 sum, since 53 >= 2 * 24 + 2), then flush and canonicalise.
"""
from __future__ import annotations

import math
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from models import golden  # noqa: E402

NAN32 = 0x7FC00000
FP32_MAX = 0x7F7FFFFF
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
SETTINGS = settings(max_examples=400, deadline=None)


# ---------------------------------------------------------------------------------------------------
# Independent references
# ---------------------------------------------------------------------------------------------------

def fp16_value(h: int) -> float:
    """An FP16 bit pattern's IEEE value: a subnormal is man * 2^-24."""
    sign, exp, man = h >> 15, (h >> 10) & 0x1F, h & 0x3FF
    if exp == 0x1F:
        return math.nan if man else (-math.inf if sign else math.inf)
    mag = math.ldexp(man, -24) if exp == 0 else math.ldexp(1024 + man, exp - 25)
    return -mag if sign else mag


def fp32_value(w: int) -> float:
    """An FP32 bit pattern as the cores read it: subnormals are signed zero."""
    sign, exp, man = w >> 31, (w >> 23) & 0xFF, w & 0x7FFFFF
    if exp == 0xFF:
        return math.nan if man else (-math.inf if sign else math.inf)
    mag = 0.0 if exp == 0 else math.ldexp((1 << 23) + man, exp - 150)
    return -mag if sign else mag


def fp32_bits(x: float) -> int:
    """float64 -> FP32 bits: round to nearest even, overflow to inf, flush subnormals, canonical NaN."""
    if math.isnan(x):
        return NAN32
    try:
        w = struct.unpack("<I", struct.pack("<f", x))[0]  # C's double -> float cast: RNE
    except OverflowError:  # the rounded value is beyond the largest finite
        w = 0xFF800000 if x < 0 else 0x7F800000
    if (w >> 23) & 0xFF == 0:  # subnormal or zero: keep only the sign
        w &= 0x80000000
    return w


def ref_fp16_mul(a: int, b: int) -> int:
    x, y = fp16_value(a), fp16_value(b)
    p = x * y  # 11 x 11 significand bits: exact in float64 (inf * 0 is NaN)
    w = fp32_bits(p)
    if not math.isnan(p) and not math.isinf(p):
        assert struct.unpack("<f", struct.pack("<I", w))[0] == p, "product not exact in FP32"
    return w


def ref_fp32_add(a: int, b: int) -> int:
    # float64 addition is IEEE RNE too: x + (-x) = +0, (-0) + (-0) = -0, inf - inf = NaN.
    return fp32_bits(fp32_value(a) + fp32_value(b))


def golden_mul_bits(a: int, b: int) -> int:
    r = golden.fp16_mul(np.array([a], np.uint16).view(np.float16), np.array([b], np.uint16).view(np.float16))
    return int(golden.bits(r)[0])


def golden_add_bits(a: int, b: int) -> int:
    r = golden.fp32_add(np.array([a], np.uint32).view(np.float32), np.array([b], np.uint32).view(np.float32))
    return int(golden.bits(r)[0])


# Vectorised versions of the same references, for bulk sweeps.

def fp16_values(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.int64)
    sign, exp, man = h >> 15, (h >> 10) & 0x1F, h & 0x3FF
    mag = np.where(exp == 0, np.ldexp(man.astype(np.float64), -24),
                   np.ldexp((1024 + man).astype(np.float64), exp - 25))
    mag = np.where(exp == 0x1F, np.where(man == 0, np.inf, np.nan), mag)
    return np.where(sign == 1, -mag, mag)


def fp32_values(w: np.ndarray) -> np.ndarray:
    w = w.astype(np.int64)
    sign, exp, man = w >> 31, (w >> 23) & 0xFF, w & 0x7FFFFF
    mag = np.where(exp == 0, 0.0, np.ldexp(((1 << 23) + man).astype(np.float64), exp - 150))
    mag = np.where(exp == 0xFF, np.where(man == 0, np.inf, np.nan), mag)
    return np.where(sign == 1, -mag, mag)


def fp32_bits_vec(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        w = x.astype(np.float32).view(np.uint32)  # numpy's float64 -> float32 cast rounds to nearest even
    w = np.where((w >> 23) & 0xFF == 0, w & 0x80000000, w)
    return np.where(np.isnan(x), np.uint32(NAN32), w).astype(np.uint32)


def _golden_mul_vec(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return golden.bits(golden.fp16_mul(a.view(np.float16), b.view(np.float16)))


def _golden_add_vec(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return golden.bits(golden.fp32_add(a.view(np.float32), b.view(np.float32)))


def _assert_same_bits(got: np.ndarray, exp: np.ndarray, a: np.ndarray, b: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(got != exp)
    if len(bad):
        i = bad[0]
        pytest.fail(f"{what}: {len(bad)} mismatches, first a=0x{int(a[i]):X} b=0x{int(b[i]):X} "
                    f"expected 0x{int(exp[i]):08X} golden 0x{int(got[i]):08X}")


FP16_SPECIALS = [0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x8400, 0x3C00, 0xBC00, 0x3BFF, 0x3C01,
                 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFFFF]
FP32_SPECIALS = [0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x80800000, 0x00800001,
                 0x3F800000, 0xBF800000, 0x3F800001, 0x33800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x73000000,
                 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFFFFFFF]


# ---------------------------------------------------------------------------------------------------
# fp16_mul
# ---------------------------------------------------------------------------------------------------

@SETTINGS
@given(u16 | st.sampled_from(FP16_SPECIALS), u16 | st.sampled_from(FP16_SPECIALS))
def test_fp16_mul_matches_float64(a, b):
    assert golden_mul_bits(a, b) == ref_fp16_mul(a, b), f"a=0x{a:04X} b=0x{b:04X}"


def test_fp16_mul_sweep_every_a():
    """Every FP16 a against specials and random b: bit-exact and exact (no rounding anywhere)."""
    rng = np.random.default_rng(1)
    bs = np.concatenate([np.array(FP16_SPECIALS, np.uint16), rng.integers(0, 1 << 16, 47).astype(np.uint16)])
    a = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    for b0 in bs:
        b = np.full_like(a, b0)
        with np.errstate(invalid="ignore"):
            exact = fp16_values(a) * fp16_values(b)
        exp = fp32_bits_vec(exact)
        got = _golden_mul_vec(a, b)
        _assert_same_bits(got, exp, a, b, "fp16_mul")
        finite = np.isfinite(exact)
        back = golden.fp16_mul(a.view(np.float16), b.view(np.float16)).astype(np.float64)
        assert np.array_equal(back[finite], exact[finite]), "an FP16 x FP16 product was rounded"
        nz = finite & (exact != 0)
        assert (np.abs(exact[nz]) >= 2.0**-126).all(), "a product fell below the FP32 normal range"


@pytest.mark.parametrize("a, b, expected", [
    (0x0000, 0x3C00, 0x00000000), (0x8000, 0x3C00, 0x80000000), (0x8000, 0xBC00, 0x00000000),
    (0x0001, 0x3C00, 0x33800000), (0x8001, 0x3C00, 0xB3800000), (0x03FF, 0xFBFF, 0xC07FA008),
    (0x0001, 0x0001, 0x27800000), (0x8001, 0x0400, 0xAC800000),
    (0x7C00, 0x3C00, 0x7F800000), (0x7C00, 0xBC00, 0xFF800000), (0xFC00, 0xFC00, 0x7F800000),
    (0x7C00, 0x0000, NAN32), (0x8000, 0xFC00, NAN32), (0x7C00, 0x0001, 0x7F800000), (0xFC00, 0x0001, 0xFF800000),
    (0x7E00, 0x3C00, NAN32), (0xFC01, 0x0000, NAN32), (0x7FFF, 0x7C00, NAN32),
    (0x7BFF, 0x7BFF, 0x4F7FC004), (0x0400, 0x0400, 0x31800000), (0x3C00, 0x3C00, 0x3F800000),
])
def test_fp16_mul_rules(a, b, expected):
    """Subnormals as IEEE values (2^-24 x 2^-24 = 2^-48 exact), signed zero (sign = xor), inf x nonzero
    (a subnormal included) is inf, inf x 0 and NaN -> canonical NaN, extremes exact."""
    assert golden_mul_bits(a, b) == expected
    assert golden_mul_bits(b, a) == expected


# ---------------------------------------------------------------------------------------------------
# fp32_add
# ---------------------------------------------------------------------------------------------------

@SETTINGS
@given(u32 | st.sampled_from(FP32_SPECIALS), u32 | st.sampled_from(FP32_SPECIALS))
def test_fp32_add_matches_float64_raw_bits(a, b):
    assert golden_add_bits(a, b) == ref_fp32_add(a, b), f"a=0x{a:08X} b=0x{b:08X}"


@SETTINGS
@given(st.integers(0, 1), st.integers(1, 254), st.integers(0, 0x7FFFFF),
       st.integers(0, 1), st.integers(-30, 30), st.integers(0, 0x7FFFFF))
def test_fp32_add_matches_float64_close_exponents(sa, ea, ma, sb, de, mb):
    """Exponents within 30 of each other: rounding ties, cancellation, carries, overflow, flushing."""
    eb = min(max(ea + de, 0), 255)
    a, b = (sa << 31) | (ea << 23) | ma, (sb << 31) | (eb << 23) | mb
    assert golden_add_bits(a, b) == ref_fp32_add(a, b), f"a=0x{a:08X} b=0x{b:08X}"


def test_fp32_add_bulk():
    """A million pairs: raw bits, close exponents with nearby mantissas, and the bottom of the range."""
    rng = np.random.default_rng(2)
    n = 1 << 18
    raw = rng.integers(0, 1 << 32, (2, n), dtype=np.uint64).astype(np.uint32)
    ea = rng.integers(0, 256, n)
    eb = np.clip(ea + rng.integers(-3, 4, n), 0, 255)
    ma = rng.integers(0, 1 << 23, n)
    mb = (ma + rng.integers(-8, 9, n)) & 0x7FFFFF
    sa = rng.integers(0, 2, n)
    close = np.stack([(sa << 31) | (ea << 23) | ma, ((sa ^ (rng.random(n) < 0.7)) << 31) | (eb << 23) | mb])
    lo = np.stack([(rng.integers(0, 2, n) << 31) | (rng.integers(0, 4, n) << 23) | rng.integers(0, 1 << 23, n)
                   for _ in range(2)])
    hi = np.stack([(rng.integers(0, 2, n) << 31) | (rng.integers(250, 256, n) << 23) | rng.integers(0, 1 << 23, n)
                   for _ in range(2)])
    pairs = np.concatenate([raw, close.astype(np.uint32), lo.astype(np.uint32), hi.astype(np.uint32)], axis=1)
    a, b = pairs[0].astype(np.uint32), pairs[1].astype(np.uint32)
    exp = fp32_bits_vec(fp32_values(a) + fp32_values(b))
    _assert_same_bits(_golden_add_vec(a, b), exp, a, b, "fp32_add")


@pytest.mark.parametrize("a, b, expected", [
    (0x00000000, 0x00000000, 0x00000000),  # +0 + +0
    (0x00000000, 0x80000000, 0x00000000),  # +0 + -0 = +0
    (0x80000000, 0x80000000, 0x80000000),  # -0 + -0 = -0
    (0x80000001, 0x80000000, 0x80000000),  # subnormal reads as -0
    (0x007FFFFF, 0x807FFFFF, 0x00000000),
    (0x3F800000, 0xBF800000, 0x00000000),  # exact cancellation is +0
    (0xFF7FFFFF, 0x7F7FFFFF, 0x00000000),
    (0x00800001, 0x80800000, 0x00000000),  # 2^-149 flushes to +0
    (0x80800001, 0x00800000, 0x80000000),  # -2^-149 flushes to -0
    (0x007FFFFF, 0x3F800000, 0x3F800000),  # subnormal input ignored
    (0x3F800000, 0x33800000, 0x3F800000),  # tie to even (down)
    (0x3F800001, 0x33800000, 0x3F800002),  # tie to even (up)
    (0x3FFFFFFF, 0x33800000, 0x40000000),  # rounding carries into the exponent
    (0x7F7FFFFF, 0x73000000, 0x7F800000),  # max + half ulp: tie rounds to inf
    (0x7F7FFFFF, 0x72FFFFFF, 0x7F7FFFFF),  # just below: stays max
    (0xFF7FFFFF, 0xFF7FFFFF, 0xFF800000),  # overflow to -inf
    (0x7F800000, 0xFF800000, NAN32),       # inf - inf
    (0x7F800000, 0x7F800000, 0x7F800000),
    (0xFF800000, 0x3F800000, 0xFF800000),
    (0x7F800001, 0x00000000, NAN32),       # signalling NaN in
    (0xFFFFFFFF, 0x7F800000, NAN32),
])
def test_fp32_add_rules(a, b, expected):
    """Signed zeros, flushing, RNE ties, overflow, inf and canonical NaN; addition commutes."""
    assert golden_add_bits(a, b) == expected
    assert golden_add_bits(b, a) == expected


@SETTINGS
@given(st.integers(0, 0x3FFFFF).map(lambda m: m << 1 | 1), st.integers(0, 0x1FF), st.integers(0, 1))
def test_nan_outputs_are_canonical(payload, other_hi, sign):
    """Any NaN in (any payload, quiet or signalling, either sign) gives exactly 0x7FC00000."""
    nan16 = (sign << 15) | 0x7C00 | (payload & 0x3FF) | 1
    nan32 = (sign << 31) | 0x7F800000 | payload
    other = other_hi << 23
    assert golden_mul_bits(nan16, other >> 16) == NAN32
    assert golden_add_bits(nan32, other) == NAN32
    assert golden_add_bits(other, nan32) == NAN32


# ---------------------------------------------------------------------------------------------------
# gemm_fp16
# ---------------------------------------------------------------------------------------------------

def ref_gemm(a_bits: list[list[int]], b_bits: list[list[int]]) -> list[list[int]]:
    m, k, n = len(a_bits), len(b_bits), len(b_bits[0]) if b_bits else 0
    out = []
    for i in range(m):
        row = []
        for j in range(n):
            acc = 0x00000000  # +0
            for kk in range(k):
                acc = ref_fp32_add(acc, ref_fp16_mul(a_bits[i][kk], b_bits[kk][j]))
            row.append(acc)
        out.append(row)
    return out


fp16_elem = st.sampled_from(FP16_SPECIALS) | u16 | st.integers(0x3400, 0x4400)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_gemm_fp16_matches_loop(data):
    m, k, n = (data.draw(st.integers(1, 4)) for _ in range(3))
    a = [[data.draw(fp16_elem) for _ in range(k)] for _ in range(m)]
    b = [[data.draw(fp16_elem) for _ in range(n)] for _ in range(k)]
    got = golden.bits(golden.gemm_fp16(np.array(a, np.uint16).view(np.float16),
                                       np.array(b, np.uint16).view(np.float16)))
    assert got.dtype == np.uint32 and got.shape == (m, n)
    assert got.tolist() == ref_gemm(a, b), f"A={a} B={b}"


def test_gemm_fp16_order_and_signed_zero():
    """Accumulation starts from +0 in ascending k: (-0)*1 alone gives +0; order changes rounding."""
    neg0, one = 0x8000, 0x3C00
    c = golden.gemm_fp16(np.array([[neg0]], np.uint16).view(np.float16), np.array([[one]], np.uint16).view(np.float16))
    assert int(golden.bits(c)[0, 0]) == 0x00000000
    # The accumulator is FP32, not FP16: 2048 + 1 + 1 is 2050 (FP16 would round each +1 away).
    a = np.array([[0x6800, 0x3C00, 0x3C00]], np.uint16).view(np.float16)
    ones = np.array([[0x3C00], [0x3C00], [0x3C00]], np.uint16).view(np.float16)
    assert float(golden.gemm_fp16(a, ones)[0, 0]) == 2050.0
    # Ascending k: 2^24 + 1 + 1 loses both ones to ties-to-even; 1 + 1 + 2^24 would keep them.
    a = np.array([[0x6C00, 0x3C00, 0x3C00]], np.uint16).view(np.float16)  # 4096 * 4096 = 2^24
    b = np.array([[0x6C00], [0x3C00], [0x3C00]], np.uint16).view(np.float16)
    assert float(golden.gemm_fp16(a, b)[0, 0]) == 2.0**24
    assert float(golden.gemm_fp16(a[:, ::-1].copy(), b[::-1].copy())[0, 0]) == 2.0**24 + 2


def test_gemm_fp16_rejects_bad_shapes():
    with pytest.raises(ValueError):
        golden.gemm_fp16(np.zeros((2, 3), np.float16), np.zeros((2, 3), np.float16))
    with pytest.raises(ValueError):
        golden.gemm_fp16(np.zeros(3, np.float16), np.zeros((3, 1), np.float16))


# ---------------------------------------------------------------------------------------------------
# Flush helpers and bits()
# ---------------------------------------------------------------------------------------------------

def test_flush_helpers():
    f32 = np.array([0x00000001, 0x807FFFFF, 0x00800000, 0x7FC00001, 0xFF800000], np.uint32).view(np.float32)
    assert golden.bits(golden.flush_fp32(f32)).tolist() == [0x00000000, 0x80000000, 0x00800000, NAN32, 0xFF800000]
    # FP32 -> FP16 keeps subnormal results: 2^-24, -(2^-14 - 2^-24), the 2^-25 tie (even: +0), 2^-14
    f32 = np.array([2**-24, -(2**-14 - 2**-24), 2**-25, 2**-14 - 2**-25], np.float32)
    assert golden.bits(golden.to_fp16(f32)).tolist() == [0x0001, 0x83FF, 0x0000, 0x0400]
    with pytest.raises(TypeError):
        golden.bits(np.zeros(2, np.float64))


# ---- zero-skipping GEMM (SWPU) ---------------------------------------------------------------------

def test_gemm_fp16_skip_equals_dense_on_finite_operands():
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((7, 40)) * (rng.random((7, 40)) < 0.3)).astype(np.float16)
    b = (rng.standard_normal((40, 9)) * (rng.random((40, 9)) < 0.5)).astype(np.float16)
    b[3] = -0.0                                       # signed zeros are skipped like +0
    assert np.array_equal(golden.bits(golden.gemm_fp16_skip(a, b)), golden.bits(golden.gemm_fp16(a, b)))
    assert golden.effectual_macs_skip(a, b) == golden.effectual_macs(a, b)


def test_gemm_fp16_skip_masks():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 12)).astype(np.float16)
    b = rng.standard_normal((12, 6)).astype(np.float16)
    a_keep = rng.random((5, 12)) < 0.5
    out_keep = rng.random((5, 6)) < 0.5
    got = golden.gemm_fp16_skip(a, b, a_keep, out_keep)
    want = golden.gemm_fp16(np.where(a_keep, a, np.float16(0)), b)
    assert np.array_equal(golden.bits(got), golden.bits(np.where(out_keep, want, np.float32(0))))
    assert golden.effectual_macs_skip(a, b, a_keep, out_keep) == int(((a_keep.astype(int) @ np.ones((12, 6), int)) * out_keep).sum())
    with pytest.raises(ValueError, match="a_keep must be a bool array"):
        golden.gemm_fp16_skip(a, b, a_keep[:, :3])


def test_gemm_fp16_skip_drops_inf_times_zero():
    a = np.array([[np.inf, 1.0]], np.float16)
    b = np.array([[0.0], [2.0]], np.float16)
    assert np.isnan(golden.gemm_fp16(a, b)[0, 0])
    assert golden.gemm_fp16_skip(a, b)[0, 0] == np.float32(2.0)
