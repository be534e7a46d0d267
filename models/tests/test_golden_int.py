"""The integer, 2^n and helper golden functions against float64 references and hypothesis properties."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models import golden
from models.tests import pyfloat


def int_matrix(lo, hi, rows=st.integers(1, 6), cols=st.integers(1, 6)):
    return st.tuples(rows, cols).flatmap(
        lambda s: hnp.arrays(np.int64, s, elements=st.integers(lo, hi)))


@st.composite
def shift_add_operands(draw, code_bits=4):
    m, k, n = draw(st.integers(1, 5)), draw(st.integers(1, 7)), draw(st.integers(1, 5))
    codes = draw(hnp.arrays(np.uint8, (m, k), elements=st.integers(0, 2**code_bits - 1)))
    b = draw(hnp.arrays(np.int8, (k, n), elements=st.integers(-128, 127)))
    return codes, b


@settings(max_examples=80, deadline=None)
@given(shift_add_operands(), st.integers(-14, 4))
def test_shift_add_equals_the_float64_product_of_decoded_weights(ops, e_base):
    codes, b = ops
    acc = golden.shift_add_gemm(codes, b)
    ref = golden.pow2_values(codes, e_base) @ b.astype(np.float64)     # exact: powers of two times ints
    np.testing.assert_array_equal(acc * 2.0**e_base, ref)


@settings(max_examples=60, deadline=None)
@given(shift_add_operands(), st.data())
def test_shift_add_is_linear_in_b_and_odd_in_the_sign_bit(ops, data):
    codes, b = ops
    b2 = data.draw(hnp.arrays(np.int8, b.shape, elements=st.integers(-64, 63)))
    half = (b // 2).astype(np.int8)
    assert np.array_equal(golden.shift_add_gemm(codes, half) + golden.shift_add_gemm(codes, b2 // 2),
                          golden.shift_add_gemm(codes, (half + b2 // 2).astype(np.int8)))
    flipped = np.where(codes & 7, codes ^ 8, codes).astype(np.uint8)
    np.testing.assert_array_equal(golden.shift_add_gemm(flipped, b), -golden.shift_add_gemm(codes, b))


def test_pow2_codes_zero_and_levels():
    sign, shift = golden.pow2_decode(np.array([0, 8, 1, 7, 9, 15]))
    np.testing.assert_array_equal(sign, [0, 0, 1, 1, -1, -1])
    np.testing.assert_array_equal(shift, [0, 0, 0, 6, 0, 6])
    with pytest.raises(ValueError, match="4-bit"):
        golden.pow2_decode(np.array([16]))


@settings(max_examples=80, deadline=None)
@given(st.floats(-8, 8, allow_nan=False), st.integers(-10, 0))
def test_pow2_encode_picks_the_inq_level(w, e_base):
    code = golden.pow2_encode(np.array([w]), e_base)
    v = golden.pow2_values(code, e_base)[0]
    top = 2.0 ** (e_base + 6)
    if abs(w) < 0.75 * 2.0**e_base:
        assert v == 0
    elif abs(w) >= 1.5 * top:
        assert v == np.sign(w) * top                         # saturates at the top level
    else:
        assert np.sign(v) == np.sign(w) and 0.75 * abs(v) <= abs(w) < 1.5 * abs(v)


@settings(max_examples=80, deadline=None)
@given(int_matrix(-8, 7), st.data())
def test_int4_by_uint4_mac_equals_python_integers(a, data):
    b = data.draw(hnp.arrays(np.int64, (a.shape[1], data.draw(st.integers(1, 6))), elements=st.integers(0, 15)))
    acc = golden.int_gemm(a, b, a_bits=4, b_bits=4, b_signed=False)
    assert acc.tolist() == python_gemm(a, b)


def python_gemm(a, b) -> list[list[int]]:
    """The reference: a triple loop over Python integers (exact, no numpy arithmetic)."""
    a, b = a.tolist(), b.tolist()
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


@settings(max_examples=80, deadline=None)
@given(int_matrix(-128, 127), st.data())
def test_int8_by_int8_mac_equals_python_integers(a, data):
    b = data.draw(hnp.arrays(np.int64, (a.shape[1], data.draw(st.integers(1, 6))), elements=st.integers(-128, 127)))
    assert golden.int_gemm(a, b).tolist() == python_gemm(a, b)


def test_a_64_bit_accumulator_overflow_raises_instead_of_wrapping():
    a = np.full((1, 4), 2**31 - 1, np.int64)
    b = np.full((4, 1), -(2**31), np.int64)
    # -(2^31 - 1) * 2^31 * 4 is below -2^63: int64 arithmetic would wrap to a positive number.
    with pytest.raises(OverflowError, match="64 bits"):
        golden.int_gemm(a, b, a_bits=32, b_bits=32, acc_bits=64)
    assert golden.int_gemm(a[:, :1], b[:1], a_bits=32, b_bits=32, acc_bits=64)[0, 0] == -(2**31 - 1) * 2**31
    with pytest.raises(ValueError, match="acc_bits"):
        golden.int_gemm(a, b, a_bits=32, b_bits=32, acc_bits=65)


@pytest.mark.parametrize("e", [-3, 0, 2])    # levels of e_base -4: 2^-4 .. 2^2
def test_pow2_encode_boundaries_one_ulp_either_side(e):
    edge = 0.75 * 2.0**e                                  # the least |w| that goes to 2^e
    below, above = np.nextafter(edge, 0), np.nextafter(1.5 * 2.0**e, 0)
    values = golden.pow2_values(golden.pow2_encode(np.array([edge, below, above, -edge]), e_base=-4), -4)
    assert values.tolist() == [2.0**e, 2.0 ** (e - 1), 2.0**e, -(2.0**e)]


def test_int_gemm_checks_ranges_and_accumulator_width():
    with pytest.raises(ValueError, match="signed 4-bit"):
        golden.int_gemm(np.array([[8]]), np.array([[1]]), a_bits=4)
    with pytest.raises(ValueError, match="unsigned 4-bit"):
        golden.int_gemm(np.array([[1]]), np.array([[-1]]), b_bits=4, b_signed=False)
    with pytest.raises(TypeError, match="integer"):
        golden.int_gemm(np.array([[1.0]]), np.array([[1]]))
    with pytest.raises(ValueError, match="GEMM needs"):
        golden.int_gemm(np.ones((2, 3), int), np.ones((2, 3), int))
    big = np.full((1, 4), 127)
    with pytest.raises(OverflowError, match="16 bits"):
        golden.int_gemm(big, big.T * -1, acc_bits=16)
    assert golden.int_gemm(big, big.T, acc_bits=17)[0, 0] == 4 * 127 * 127


@settings(max_examples=200, deadline=None)
@given(st.integers(-2**24, 2**24), st.floats(-1000, 1000, width=16, allow_nan=False),
       st.floats(-1000, 1000, width=16, allow_nan=False))
def test_dequant_affine_matches_the_float64_reference(acc, scale, shift):
    got = golden.dequant_affine(np.array([[acc]]), np.array([scale], np.float16), np.array([shift], np.float16))
    # reference in Python floats (models/tests/pyfloat.py): exact product, one rounding to FP32; exact
    # sum, one rounding; then one IEEE rounding to FP16 (subnormal scales, shifts and results are values)
    ref = pyfloat.f16(pyfloat.f32(pyfloat.f32(float(acc) * float(scale)) + float(shift)))
    assert got.dtype == np.float16
    assert float(got[0, 0]) == ref


def test_dequant_affine_per_row_and_limits():
    acc = np.array([[10, -3], [4, 0]])
    got = golden.dequant_affine(acc, np.array([0.5, 2.0], np.float16), np.array([1.0, -1.0], np.float16))
    np.testing.assert_array_equal(got, np.array([[6.0, -0.5], [7.0, -1.0]], np.float16))
    with pytest.raises(ValueError, match="2\\^24"):
        golden.dequant_affine(np.array([[2**24 + 1]]), 1.0, 0.0)
    with pytest.raises(TypeError, match="integer"):
        golden.dequant_affine(np.array([[1.5]]), 1.0, 0.0)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float16, st.integers(1, 20), elements=st.floats(-100, 100, width=16, allow_nan=False)),
       st.integers(1, 8))
def test_requantize_rounds_half_even_and_clamps(y, bits):
    q = golden.requantize_unsigned(y, bits)
    ref = np.clip(np.round(np.maximum(y.astype(np.float64), 0)), 0, 2**bits - 1)   # np.round: half to even
    np.testing.assert_array_equal(q, ref)


def test_requantize_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        golden.requantize_unsigned(np.array([np.nan], np.float16), 4)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float16, st.integers(1, 30), elements=st.floats(-60000, 60000, width=16, allow_nan=False)),
       st.integers(0, 10))
def test_truncate_fp16_keeps_sign_exponent_and_top_bits(x, keep):
    t = golden.truncate_fp16(x, keep)
    xf = x.astype(np.float64)
    tf = t.astype(np.float64)
    assert np.all(np.abs(tf) <= np.abs(xf))
    assert np.all(np.signbit(t) == np.signbit(x))
    normal = np.abs(xf) >= 2.0**-14
    # a normal keeps its exponent: the error is below one unit of the kept bits and zero stays apart
    assert np.all(np.abs(xf - tf)[normal] <= np.abs(xf[normal]) * 2.0**-keep)
    assert np.all((tf == 0)[normal] == (xf == 0)[normal])
    # a subnormal (m * 2^-24) loses the low 10 - keep bits of m: it may become zero
    assert np.all(np.abs(xf - tf)[~normal] < 2.0 ** (-14 - keep))


def test_speculation_rule_compares_exactly_per_row():
    est = np.array([[0.5, -0.5, 1.0], [0.5, -0.5, 1.0], [0.5, -0.5, 1.0]], np.float32)
    skip = golden.speculation_skip(est, np.array([0.5, 0.0, 0.0], np.float32), np.array([1, -1, 0]))
    np.testing.assert_array_equal(skip, [[False, True, False], [True, False, True], [False, False, False]])


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10), st.integers(0, 2**31 - 1))
def test_speculation_estimate_is_the_golden_gemm_of_truncated_operands(m, k, n, keep, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float16)
    b = rng.standard_normal((k, n)).astype(np.float16)
    est = golden.speculation_estimate(a, b, keep)
    if keep == 10:
        np.testing.assert_array_equal(golden.bits(est), golden.bits(golden.gemm_fp16(a, b)))
    ref = golden.truncate_fp16(a, keep).astype(np.float64) @ golden.truncate_fp16(b, keep).astype(np.float64)
    np.testing.assert_allclose(est, ref, rtol=1e-5, atol=1e-5)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 12)),
                  elements=st.floats(-1000, 1000, width=32, allow_nan=False)))
def test_one_pass_bn_statistics(c):
    s, q = golden.row_sum_sumsq(c)
    # Python doubles rounded to FP32 by struct, in the same order (models/tests/pyfloat.py)
    ref_s, ref_q = [0.0] * c.shape[0], [0.0] * c.shape[0]
    for i, row in enumerate(c.tolist()):
        for x in row:
            x = pyfloat.f32(x)                            # an FP32 subnormal input reads as zero
            ref_s[i] = pyfloat.f32(ref_s[i] + x)
            ref_q[i] = pyfloat.f32(ref_q[i] + pyfloat.f32(x * x))
    np.testing.assert_array_equal(golden.bits(s), golden.bits(np.array(ref_s, np.float32)))
    np.testing.assert_array_equal(golden.bits(q), golden.bits(np.array(ref_q, np.float32)))
    np.testing.assert_allclose(s, c.astype(np.float64).sum(axis=1), rtol=1e-4, atol=1e-2)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 10), st.integers(0, 2**31 - 1))
def test_backward_bn_statistics(m, n, seed):
    rng = np.random.default_rng(seed)
    dy = (rng.standard_normal((m, n)) * 10).astype(np.float32)
    xhat = rng.standard_normal((m, n)).astype(np.float16)
    s, d = golden.row_sum_dot(dy, xhat)
    ref_s = np.zeros(m, np.float32)
    ref_d = np.zeros(m, np.float32)
    for j in range(n):                                 # plain float32 arithmetic, the same order
        ref_s = golden.flush_fp32(ref_s + dy[:, j])
        ref_d = golden.flush_fp32(ref_d + golden.flush_fp32(dy[:, j] * xhat[:, j].astype(np.float32)))
    np.testing.assert_array_equal(golden.bits(s), golden.bits(ref_s))
    np.testing.assert_array_equal(golden.bits(d), golden.bits(ref_d))
    with pytest.raises(ValueError, match="shaped like c"):
        golden.row_sum_dot(dy, xhat[:, :-1] if n > 1 else xhat[:0])


def test_speculation_estimate_skips_zero_products():
    # Inf x 0 would make gemm_fp16 NaN; the estimate lanes never take a product with a zero operand
    a = np.array([[np.inf, 1.0]], np.float16)
    b = np.array([[0.0], [2.0]], np.float16)
    assert golden.speculation_estimate(a, b, 2)[0, 0] == np.float32(2.0)
    assert np.isnan(golden.gemm_fp16(a, b)[0, 0])
