"""cocotb tests of fp16_mul (with its fp16_to_fp32 widening), fp32_add, fp32_mul and fp32_to_fp16 (through fp_units_tb) against models.golden,
bit for bit.

Each unit gets directed corner cases and random vectors drawn to stress its corners. The wrapper has
many lanes per unit, so one `await Timer(1, "ns")` checks a whole batch; no clock is needed.
Env: SEED (default: cocotb's random seed) and NVEC (random vectors per unit; test_fp_units.py sets it).
The stimulus functions also import outside a simulator: test_fp_units.py checks on them that the
fp32_mul and fp32_to_fp16 vectors tell the golden model apart from plausible wrong ones (truncation,
no gradual underflow, ...).
"""
from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from models import golden

# cocotb.RANDOM_SEED exists only inside a simulator run.
SEED = int(os.environ.get("SEED", getattr(cocotb, "RANDOM_SEED", 1)))
NVEC = int(os.environ.get("NVEC", 65536))
MAX_REPORTED = 10

# ---------------------------------------------------------------------------------------------------
# Directed corner cases (raw bit patterns)
# ---------------------------------------------------------------------------------------------------

# FP16: +-0, +-subnormals (IEEE values), +-min normal, 1.0, 1+ulp, 2-ulp, max, +-inf, NaNs.
FP16_SPECIALS = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x3C00, 0xBC00,
                 0x3C01, 0x3FFF, 0x4000, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFE00,
                 0x7FFF, 0xFFFF, 0x0555, 0x5555]

# FP32 (a, b) pairs, each with the rule it checks.
FP32_DIRECTED = [
    (0x00000000, 0x00000000),  # +0 + +0 = +0
    (0x00000000, 0x80000000),  # +0 + -0 = +0
    (0x80000000, 0x00000000),
    (0x80000000, 0x80000000),  # -0 + -0 = -0
    (0x00000001, 0x80000000),  # subnormal in reads as +0: +0 + -0 = +0
    (0x80000001, 0x80000000),  # -0 + -0 = -0
    (0x807FFFFF, 0x807FFFFF),  # subnormals only: -0
    (0x007FFFFF, 0x807FFFFF),  # +0 + -0
    (0x007FFFFF, 0x3F800000),  # subnormal + 1.0 = 1.0 exactly (not 1.0 + 2^-126)
    (0x80000001, 0xBF800000),
    (0x3F800000, 0xBF800000),  # exact cancellation: +0
    (0xBF800000, 0x3F800000),
    (0x7F7FFFFF, 0xFF7FFFFF),
    (0x00800000, 0x80800000),
    (0x00800001, 0x80800000),  # 2^-149: subnormal result flushes to +0
    (0x80800001, 0x00800000),  # -2^-149: flushes to -0
    (0x01000000, 0x80800001),  # 2^-126 - 2^-149: subnormal, flushed
    (0x00800000, 0x00800000),  # 2 * min normal
    (0x00FFFFFF, 0x80800000),  # difference just below 2^-126: flushed
    (0x01000001, 0x80800000),  # difference just above 2^-126: stays normal
    (0x3F800000, 0x33800000),  # 1 + 2^-24: tie, LSB even -> 1.0
    (0x3F800001, 0x33800000),  # tie, LSB odd -> up
    (0x3F800000, 0x33800001),  # just above half -> up
    (0x3F800000, 0x337FFFFF),  # just below half -> down
    (0x3F800000, 0xB3000000),  # 1 - 2^-25: tie below 1.0 -> 1.0 (even)
    (0x3F800001, 0xB3800000),  # 1+ulp - 2^-24: tie, even result 1.0
    (0x3F800000, 0xB3000001),  # 1 - (2^-25 + tiny): below the tie -> 1 - ulp
    (0x3FFFFFFF, 0x33800000),  # rounding carries into the next exponent: 2.0
    (0x3FFFFFFF, 0x34000000),  # 2 - ulp + ulp = 2.0 exactly
    (0x4B7FFFFF, 0x3F000000),  # 2^24 - 1 + 0.5: tie, odd -> 2^24
    (0x4B7FFFFF, 0x3F800000),  # carry out of the addition itself
    (0x3FFFFFFE, 0x3E000019),  # carry shifts out a 1: above half, not a tie -> up
    (0x7F7FFFFF, 0x7F7FFFFF),  # overflow -> +inf
    (0xFF7FFFFF, 0xFF7FFFFF),  # overflow -> -inf
    (0x7F7FFFFF, 0x73000000),  # max + half ulp: tie, odd LSB -> overflow
    (0x7F7FFFFF, 0x72FFFFFF),  # just below the tie -> max
    (0x7F7FFFFE, 0x73000000),  # tie with even LSB -> stays
    (0x7F7FFFFF, 0x00000000),  # largest finite + 0
    (0x7F000000, 0x7F000000),  # 2^127 * 2 -> inf
    (0x7F800000, 0x7F800000),  # inf + inf
    (0x7F800000, 0xFF800000),  # inf - inf -> canonical NaN
    (0xFF800000, 0x7F800000),
    (0xFF800000, 0xFF800000),
    (0x7F800000, 0x00000000),
    (0xFF800000, 0x00000001),
    (0x7F800000, 0xFF7FFFFF),
    (0x7F800001, 0x3F800000),  # signalling NaN in -> canonical NaN
    (0xFFFFFFFF, 0x00000000),
    (0x7FC00000, 0x7F800000),
    (0x3F800000, 0xFFC00001),
    (0x7FBFFFFF, 0xFF800000),
    (0x3F800000, 0x0DA24260),  # exponent difference far beyond 27: 1.0
    (0x3F800000, 0x8DA24260),  # 1.0 - tiny -> 1.0
    (0x3F800000, 0xB3800001),  # 1 - (2^-24 + tiny) -> 1 - ulp
    (0x3F800000, 0xB2800000),  # shift of 26
    (0x3F800000, 0xB2000000),  # shift of 27
    (0x3F800000, 0xB1800001),  # shift of 28
    (0x4B000000, 0xBF800000),  # 2^23 - 1: exact, one-bit normalization
    (0x3F800001, 0xBF800000),  # 2^-23: long normalization
    (0x3FC00000, 0xBFBFFFFF),
]

# FP32 x FP32 (a, b) pairs, each with the rule it checks (expected values come from golden.fp32_mul).
# Several tell a plausible wrong design from the golden one: truncation, ties away from zero, rounding
# without the sticky bit, rounding with an unbounded exponent before the flush (no gradual underflow),
# kept subnormals, no DAZ, NaN payloads passed through, overflow saturating, unsigned zeros.
# test_fp_units.py checks that each of those wrong models fails on this list.
FP32_MUL_DIRECTED = [
    # zeros and signs; subnormal inputs read as signed zero
    (0x00000000, 0x3F800000),  # +0 x 1 = +0
    (0x80000000, 0x3F800000),  # -0 x 1 = -0
    (0x00000000, 0xBF800000),  # +0 x -1 = -0
    (0x80000000, 0x80000000),  # -0 x -0 = +0
    (0x00000000, 0x7F7FFFFF),  # 0 x max = 0
    (0x00000001, 0x7F7FFFFF),  # 2^-149 reads as +0: +0, not 2^-21
    (0x80400000, 0x7F000000),  # -2^-127 reads as -0: -0, not -1.0
    (0x007FFFFF, 0x4B000000),  # largest subnormal x 2^23: +0, not ~2^-103
    # exact products and normalization
    (0x40400000, 0x40400000),  # 3 x 3 = 9, significand product in [2, 4)
    (0xBF800000, 0x3F800000),  # -1 x 1 = -1
    (0x3F880200, 0x3F908000),  # exact 24-bit product in [1, 2)
    (0x00800000, 0x7F000000),  # 2^-126 x 2^127 = 2: both exponent extremes
    (0x7F7FFFFF, 0x00800000),  # max x min normal = 2 - 2^-22
    # round to nearest even in the normal range (guard, sticky, LSB)
    (0x3FC00000, 0x3F800001),  # 1.5 x (1 + 2^-23): tie, odd LSB -> up (truncation stays)
    (0x3F880201, 0x3FC00000),  # tie, odd LSB -> up
    (0x3FC00000, 0x3F800003),  # tie, even LSB -> stays (ties-away goes up)
    (0x3FC00680, 0x3F828000),  # tie, even LSB -> stays
    (0x3F900056, 0x3F900000),  # above half by the sticky only, even LSB -> up (guard-and-LSB-only stays)
    (0x3FA00340, 0x3F804000),  # above half, odd LSB -> up
    (0x3FC00800, 0x3F803400),  # below half, odd LSB -> down
    (0x3FA04100, 0x3FE04000),  # below half, even LSB, product in [2, 4)
    (0x3F800001, 0x3F7FFFFF),  # 1 + 2^-24 - 2^-47: just below the tie -> 1.0
    (0x3F800001, 0x3F800001),  # 1 + 2^-22 + 2^-46 -> 1 + 2^-22
    (0x3FFFFFFF, 0x3F800001),  # 2 + 2^-23 - 2^-46: below half an ulp of [2, 4) -> 2.0
    (0x3FF80000, 0x3F042108),  # 2 - 2^-24: tie, odd LSB, rounding carries into the exponent -> 2.0
    (0x6FF80000, 0x4E842108),  # 2^127 - 2^102: the same near the top -> 2^127
    (0x3FFFFFFF, 0x3FFFFFFF),  # (2 - 2^-23)^2 = 4 - 2^-21 + 2^-46 -> 4 - 2^-21
    # the 2^-126 boundary: numpy rounds at 2^-149 (gradual underflow), then flushes below 2^-126
    (0x00800000, 0x3F800000),  # min normal x 1 = min normal
    (0x1F800000, 0x20800000),  # 2^-64 x 2^-62 = 2^-126 exactly
    (0x00800001, 0x3F800001),  # just above 2^-126: normal rounding -> 2^-126 + 2^-22 ulp
    (0x00800000, 0x3F7FFFFF),  # 2^-126 - 2^-150: tie at the subnormal LSB, rounds to even 2^-126: kept
    (0x80800000, 0x3F7FFFFF),  # the same, negative
    (0x3F000000, 0x00FFFFFF),  # 0.5 x (2^-125 - 2^-149) = 2^-126 - 2^-150: kept
    (0x20400000, 0x1FAAAAAA),  # 1.5 x 4/3 significands, the same tie: kept
    (0x320005A9, 0x0DFFF4AE),  # 2^-126 - 2^-150 + 0.999 * 2^-151: above the tie -> 2^-126, kept
    (0x3F000001, 0x00FFFFFD),  # just below the tie -> subnormal 0x007FFFFF -> +0
    (0x00800000, 0x3F7FFFFE),  # 2^-126 - 2^-149 exactly: subnormal -> +0
    (0x00800000, 0x3F000000),  # 2^-127 -> +0
    (0x80800000, 0x3F000000),  # -2^-127 -> -0
    (0x00800000, 0x00800000),  # 2^-252 -> +0
    (0x80800000, 0x00800000),  # -> -0
    # overflow
    (0x7F7FFFFF, 0x3F800000),  # max x 1 = max
    (0x7F000000, 0x3FFFFFFF),  # 2^127 x (2 - 2^-23) = max exactly
    (0x7F7FFFFF, 0x3F800001),  # max x (1 + 2^-23) > 2^128 -> +inf
    (0xFF7FFFFF, 0x3F800001),  # -> -inf
    (0x6FF80000, 0x4F042108),  # 2^128 - 2^103: a tie between max and 2^128, odd LSB -> +inf (truncation: max)
    (0x7F000000, 0x40000000),  # 2^128 -> +inf
    (0x5F800000, 0x5F800000),  # 2^64 x 2^64 -> +inf
    (0x7F7FFFFF, 0x7F7FFFFF),  # -> +inf
    (0x7F7FFFFF, 0xFF7FFFFF),  # -> -inf
    # inf and NaN
    (0x7F800000, 0x00000000),  # inf x 0 -> canonical NaN
    (0x7F800000, 0x80000001),  # inf x subnormal (reads as -0) -> canonical NaN
    (0xFF800000, 0x00400000),
    (0xFF800000, 0x3F800000),  # -inf x 1 = -inf
    (0x7F800000, 0xFF800000),  # inf x -inf = -inf
    (0xFF800000, 0xFF800000),  # -inf x -inf = +inf
    (0x7F800000, 0x00800000),  # inf x min normal = inf
    (0xFF800000, 0x80800000),  # = +inf
    (0x7F800001, 0x3F800000),  # signalling NaN in -> canonical NaN
    (0xFFFFFFFF, 0x00000000),
    (0xFFC00000, 0x7F800000),  # negative quiet NaN -> positive canonical NaN
    (0x7FC00001, 0xBF800000),
    (0x7FBFFFFF, 0xFF800000),
]

# FP32 inputs of fp32_to_fp16, each with the rule it checks (expected values come from
# golden.to_fp16, numpy's IEEE conversion; NaN -> 0x7E00). Several tell a plausible wrong converter
# from the golden one: truncation, ties away from zero, rounding without the sticky bit, flushing
# before rounding, flushed subnormal results, NaN payloads passed through, overflow
# saturating to 65504, unsigned zeros.
FP32_TO_FP16_DIRECTED = [
    0x00000000, 0x80000000,  # zeros keep their sign
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  # FP32 subnormals: signed zero
    0x00800000, 0x80800000,  # FP32 min normal: far below 2^-25 -> signed zero
    0x3F800000, 0xBF800000,  # +-1.0 -> 0x3C00 / 0xBC00
    0x3F801000,  # 1 + 2^-11: tie, even LSB -> 1.0 (ties away: 0x3C01)
    0x3F803000,  # 1 + 3 * 2^-11: tie, odd LSB -> 0x3C02
    0x3F801001,  # just above the tie -> 0x3C01 (truncation, no sticky: 0x3C00)
    0x3F800FFF,  # just below the tie -> 1.0
    0x3F800001,  # sticky only -> 1.0
    0x3FFFF000,  # 2 - 2^-11: tie, odd LSB, the carry steps the exponent -> 2.0
    0x3FFFEFFF,  # just below it -> 2 - 2^-10
    0x47000000,  # 2^15: top FP16 exponent -> 0x7800
    0x3E000000, 0x4B000000,  # 0.125, 2^23 (-> inf)
    # 2^-14 (the smallest FP16 normal) and the subnormal grid (steps of 2^-24) below it
    0x38800000, 0xB8800000,  # 2^-14 -> 0x0400 / 0x8400
    0x38801000,  # 2^-14 (1 + 2^-11): tie on the normal grid, even -> 2^-14
    0x38803000,  # tie, odd -> 0x0402
    0x38FFF000,  # (2 - 2^-11) 2^-14: carries into the next exponent -> 0x0800
    0x387FFFFF,  # just below 2^-14: rounds up to 2^-14 (flush before rounding: 0)
    0x387FE001,  # above the tie 2^-14 - 2^-25 -> 2^-14
    0x387FE000, 0xB87FE000,  # 2^-14 - 2^-25: tie between subnormal 0x3FF and 0x400, even -> 0x400
                             # (truncation: 0x3FF)
    0x387FDFFF,  # just below that tie -> subnormal 0x3FF (flushing: +0)
    0x387FC000, 0xB87FC000,  # 2^-14 - 2^-24, the largest subnormal exactly: 0x03FF / 0x83FF
    0x387FD000,  # tie between 0x3FE and 0x3FF on the subnormal grid, even -> 0x3FE
    0x38000000, 0x38000001, 0x37800000,  # 2^-15, just above, 2^-16: subnormals 0x200, 0x200, 0x100
    0x33800000, 0xB3800000,  # 2^-24: the smallest subnormal 0x0001 / 0x8001 (flushing: +-0)
    0x33800001, 0x337FFFFF,  # around 2^-24: round to 2^-24
    0x33000000,  # 2^-25: tie between 0 and 2^-24, even -> 0
    0x33000001, 0xB3000001,  # just above 2^-25: rounds to +-2^-24
    0x32FFFFFF, 0x32800000,  # below 2^-25: 0
    0x33C00000,  # 1.5 * 2^-24: tie, odd -> 2^-23 (0x0002)
    # 65504 is the largest finite FP16, 65520 the tie that rounds into inf
    0x477FE000, 0xC77FE000,  # 65504 -> 0x7BFF / 0xFBFF
    0x477FEFFF,  # just below 65520 -> 65504
    0x477FF000, 0xC77FF000,  # 65520: tie, odd LSB -> +-inf (saturating: 0x7BFF; truncation: 0x7BFF)
    0x477FF001,  # just above -> inf
    0x477FD000,  # 65488: tie, even LSB -> 65472 (0x7BFE)
    0x47800000, 0xC7800000,  # 2^16 -> +-inf
    0x7F7FFFFF, 0xFF7FFFFF,  # FP32 max -> +-inf
    0x5F800000, 0x1F800000,  # 2^64 -> inf, 2^-64 -> 0
    0x7F800000, 0xFF800000,  # +-inf -> 0x7C00 / 0xFC00
    0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FBFFFFF, 0xFFFFFFFF, 0x7FC00001,  # NaNs -> 0x7E00
    0x7F802000, 0xFFFFE000,  # NaNs whose payload survives a 13-bit shift
]


# ---------------------------------------------------------------------------------------------------
# Random stimulus: a mix of distributions aimed at each unit's corners
# ---------------------------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, n: int, choices) -> np.ndarray:
    return np.asarray(choices)[rng.integers(0, len(choices), n)]


def _sparse_man(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    """Mantissas with few set bits or long zero tails: these make exact rounding ties likely."""
    full = rng.integers(0, 1 << bits, n, dtype=np.uint64)
    sparse = full & rng.integers(0, 1 << bits, n, dtype=np.uint64) & rng.integers(0, 1 << bits, n, dtype=np.uint64)
    tail = rng.integers(0, bits + 1, n).astype(np.uint64)
    trimmed = (full >> tail) << tail
    edge = _pick(rng, n, [0, 1, (1 << bits) - 1, 1 << (bits - 1), (1 << bits) - 2]).astype(np.uint64)
    kind = rng.integers(0, 4, n)
    return np.select([kind == 0, kind == 1, kind == 2], [full, sparse, trimmed], edge)


def fp16_vectors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FP16 operand pairs: raw bits, biased exponents (zero/subnormal, tiny, one, huge, inf/NaN), specials."""
    def operand() -> np.ndarray:
        sign = rng.integers(0, 2, n, dtype=np.uint64)
        exp = np.where(rng.random(n) < 0.5, rng.integers(0, 32, n),
                       _pick(rng, n, [0, 0, 1, 2, 14, 15, 16, 29, 30, 30, 31]))
        man = _sparse_man(rng, n, 10)
        biased = (sign << 15) | (exp.astype(np.uint64) << 10) | man
        raw = rng.integers(0, 1 << 16, n, dtype=np.uint64)
        special = _pick(rng, n, FP16_SPECIALS).astype(np.uint64)
        kind = rng.random(n)
        return np.where(kind < 0.35, raw, np.where(kind < 0.9, biased, special)).astype(np.uint16)
    return operand(), operand()


def fp32_vectors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FP32 operand pairs from six families, shuffled together."""
    u64 = np.uint64

    def pack(sign, exp, man) -> np.ndarray:
        return ((sign.astype(u64) << u64(31)) | (exp.astype(u64) << u64(23)) | man.astype(u64)).astype(np.uint32)

    def sign(k):
        return rng.integers(0, 2, k, dtype=np.uint64)

    k = n // 6
    fams = []
    # 1. raw random bit patterns
    fams.append((rng.integers(0, 1 << 32, k, dtype=np.uint64).astype(np.uint32),
                 rng.integers(0, 1 << 32, k, dtype=np.uint64).astype(np.uint32)))
    # 2. close exponents, mostly opposite signs and nearby mantissas: cancellation, long normalization,
    #    and same-sign sums whose carry shifts a low bit out
    ea = rng.integers(1, 255, k)
    eb = np.clip(ea + rng.integers(-4, 5, k), 0, 255)
    ma = _sparse_man(rng, k, 23)
    near = (ma.astype(np.int64) + rng.integers(-64, 65, k)) & 0x7FFFFF
    mb = np.where(rng.random(k) < 0.6, near.astype(u64), _sparse_man(rng, k, 23))
    sa = sign(k)
    sb = np.where(rng.random(k) < 0.6, sa ^ u64(1), sa)
    fams.append((pack(sa, ea, ma), pack(sb, eb, mb)))
    # 3. around 2^-126: subnormal inputs, results that flush, sums just above the threshold
    ea = _pick(rng, k, [0, 1, 1, 2, 3, 24, 25])
    eb = np.clip(ea + rng.integers(-2, 3, k), 0, 255)
    fams.append((pack(sign(k), ea, _sparse_man(rng, k, 23)), pack(sign(k), eb, _sparse_man(rng, k, 23))))
    # 4. near the top: overflow, rounding into inf, largest finite, inf and NaN
    ea = _pick(rng, k, [250, 252, 253, 254, 254, 254, 255])
    eb = np.clip(ea - rng.integers(0, 30, k), 0, 255)
    ma = np.where(rng.random(k) < 0.5, u64(0x7FFFFF) - rng.integers(0, 4, k, dtype=np.uint64), _sparse_man(rng, k, 23))
    sa = sign(k)
    sb = np.where(rng.random(k) < 0.8, sa, sign(k))
    fams.append((pack(sa, ea, ma), pack(sb, eb, _sparse_man(rng, k, 23))))
    # 5. every alignment shift 0..40 with tie-prone mantissas: guard, round, sticky and RNE ties
    ea = rng.integers(41, 255, k)
    eb = ea - rng.integers(0, 41, k)
    fams.append((pack(sign(k), ea, _sparse_man(rng, k, 23)), pack(sign(k), eb, _sparse_man(rng, k, 23))))
    # 6. one operand special (zero, subnormal, inf, NaN, extremes), the other anything
    rest = n - 5 * k
    specials = np.array([0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x80800000,
                         0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
                         0xFFFFFFFF, 0x3F800000, 0xBF800000], dtype=np.uint32)
    spec = _pick(rng, rest, specials)
    other = np.where(rng.random(rest) < 0.5, _pick(rng, rest, specials),
                     rng.integers(0, 1 << 32, rest, dtype=np.uint64).astype(np.uint32))
    swap = rng.random(rest) < 0.5
    fams.append((np.where(swap, other, spec).astype(np.uint32), np.where(swap, spec, other).astype(np.uint32)))

    a = np.concatenate([f[0] for f in fams])
    b = np.concatenate([f[1] for f in fams])
    order = rng.permutation(len(a))
    return a[order], b[order]


def _band_ties() -> np.ndarray:
    """Every significand pair (X, Y), both in [2^23, 2^24), with X * Y = 2^47 - 2^23 exactly.

    At the smallest exponent that is the tie 2^-126 - 2^-150 (rounds to even 2^-126: kept); X = 2^j * d
    for each divisor d of 2^24 - 1 = 3 * 5 * 7 * 13 * 17 * 241.
    """
    n = (1 << 24) - 1
    pairs = []
    for d in range(1, 1 << 12):  # divisors come in pairs (d, n // d): one of them is below 2^12
        for x in {d, n // d} if n % d == 0 else ():
            while x < 1 << 23:
                x <<= 1
            y, r = divmod((1 << 47) - (1 << 23), x)
            if r == 0 and (1 << 23) <= y < (1 << 24):
                pairs.append((x, y))
    return np.array(sorted(set(pairs)), dtype=np.uint64)


BAND_TIES = _band_ties()


def _odd_sig(rng: np.random.Generator, k: np.ndarray) -> np.ndarray:
    """24-bit significands whose k (1..24) leading bits start and end with a one, then 24 - k zeros."""
    k = k.astype(np.uint64)
    one = np.uint64(1)
    body = rng.integers(0, 1 << 62, len(k), dtype=np.uint64) & ((one << (k - one)) - one)
    return ((one << (k - one)) | body | one) << (np.uint64(24) - k)


def _tie_prone_sigs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Significand pairs whose exact product has 24..28 significant bits: exact products, exact
    round-half-even ties (25 bits) and near ties, each guard/sticky/LSB combination often."""
    kx = rng.integers(1, 25, n)
    ky = np.clip(rng.integers(24, 29, n) - kx, 1, 24)
    return _odd_sig(rng, kx), _odd_sig(rng, ky)


def _band_sigs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Significand pairs whose product is near 2^47 - 2^23: with the right exponents that is near
    2^-126 - 2^-150 (the gradual-underflow rounding boundary) or near 2^128 (rounding into inf)."""
    x = rng.integers(1 << 23, 1 << 24, n, dtype=np.int64)
    target = (1 << 47) - (1 << 23) + rng.integers(-(1 << 23), 1 << 23, n)
    y = np.where(rng.random(n) < 0.5, target // x, -(-target // x))
    y = np.clip(y, 1 << 23, (1 << 24) - 1).astype(np.uint64)
    tie = BAND_TIES[rng.integers(0, len(BAND_TIES), n)]
    is_tie = rng.random(n) < 0.15
    return np.where(is_tie, tie[:, 0], x.astype(np.uint64)), np.where(is_tie, tie[:, 1], y)


def fp32_mul_vectors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FP32 operand pairs for fp32_mul from six families, shuffled together."""
    u64 = np.uint64

    def pack(sign, exp, sig) -> np.ndarray:
        man = sig.astype(u64) & u64(0x7FFFFF)
        return ((sign.astype(u64) << u64(31)) | (exp.astype(u64) << u64(23)) | man).astype(np.uint32)

    def sign(k):
        return rng.integers(0, 2, k, dtype=np.uint64)

    def split(s):
        """Biased exponents ea, eb in 1..254 with ea + eb = s: the product's exponent is s - 127 (+1)."""
        lo, hi = np.maximum(1, s - 254), np.minimum(254, s - 1)
        ea = lo + (rng.random(len(s)) * (hi - lo + 1)).astype(np.int64)
        return ea, s - ea

    def mixed_sigs(k):
        """Boundary pairs, tie-prone pairs, or sparse / all-ones mantissas."""
        bx, by = _band_sigs(rng, k)
        tx, ty = _tie_prone_sigs(rng, k)
        sx, sy = _sparse_man(rng, k, 23), _sparse_man(rng, k, 23)
        kind = rng.random(k)
        return (np.select([kind < 0.5, kind < 0.75], [bx, tx], sx),
                np.select([kind < 0.5, kind < 0.75], [by, ty], sy))

    def swap(x, y):
        sw = rng.random(len(x)) < 0.5
        return np.where(sw, y, x), np.where(sw, x, y)

    k = n // 6
    fams = []
    # 1. raw random bit patterns
    fams.append((rng.integers(0, 1 << 32, k, dtype=np.uint64).astype(np.uint32),
                 rng.integers(0, 1 << 32, k, dtype=np.uint64).astype(np.uint32)))
    # 2. every product exponent, from far below 2^-126 to far above 2^128, tie-prone mantissas
    ea, eb = split(rng.integers(60, 446, k))
    fams.append((pack(sign(k), ea, _sparse_man(rng, k, 23)), pack(sign(k), eb, _sparse_man(rng, k, 23))))
    # 3. exact products, ties and near ties (guard, sticky, LSB) at normal exponents
    ea, eb = split(np.where(rng.random(k) < 0.8, rng.integers(130, 379, k), rng.integers(2, 509, k)))
    x, y = swap(*_tie_prone_sigs(rng, k))
    fams.append((pack(sign(k), ea, x), pack(sign(k), eb, y)))
    # 4. around 2^-126: exponent sums 125..129 put the product just under or over the smallest normal
    ea, eb = split(rng.integers(125, 130, k))
    x, y = swap(*mixed_sigs(k))
    fams.append((pack(sign(k), ea, x), pack(sign(k), eb, y)))
    # 5. around 2^128: largest finite, rounding into inf, overflow
    ea, eb = split(rng.integers(379, 384, k))
    x, y = swap(*mixed_sigs(k))
    fams.append((pack(sign(k), ea, x), pack(sign(k), eb, y)))
    # 6. one operand special (zero, subnormal, inf, NaN, extremes), the other anything
    rest = n - 5 * k
    specials = np.array([0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x80800000,
                         0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
                         0xFFFFFFFF, 0x3F800000, 0xBF800000, 0x3F000000, 0x40000000, 0x3F7FFFFF,
                         0x3FFFFFFF], dtype=np.uint32)
    spec = _pick(rng, rest, specials)
    other = np.where(rng.random(rest) < 0.5, _pick(rng, rest, specials),
                     rng.integers(0, 1 << 32, rest, dtype=np.uint64).astype(np.uint32))
    fams.append(swap(spec, other.astype(np.uint32)))

    a = np.concatenate([f[0] for f in fams]).astype(np.uint32)
    b = np.concatenate([f[1] for f in fams]).astype(np.uint32)
    order = rng.permutation(len(a))
    return a[order], b[order]


def fp32_to_fp16_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """FP32 inputs for fp32_to_fp16 from five families, shuffled together. Mantissas are drawn
    relative to the FP16 rounding position of their exponent (bit 13 for FP16 normals, one more per
    binade below 2^-14): exact ties, near ties and all-ones runs that carry into the exponent."""
    u64 = np.uint64

    def sign(k):
        return rng.integers(0, 2, k, dtype=np.uint64)

    def pack(s, exp, man) -> np.ndarray:
        return ((s << u64(31)) | (exp.astype(u64) << u64(23)) | man.astype(u64)).astype(np.uint32)

    def grid_man(exp: np.ndarray) -> np.ndarray:
        """23-bit mantissas with tie-prone bits below the FP16 LSB of exponent exp."""
        k = len(exp)
        pos = np.clip(13 + np.maximum(0, 113 - exp), 13, 23).astype(np.uint64)  # dropped bits
        one = u64(1)
        width = u64(23) - pos
        top_rand = rng.integers(0, 1 << 10, k, dtype=np.uint64) & ((one << width) - one)
        top_ones = (one << width) - one
        top = np.select([rng.random(k) < 0.5, rng.random(k) < 0.5], [top_rand, top_ones],
                        np.where(rng.random(k) < 0.5, u64(0), top_ones - np.minimum(top_ones, one)))
        half = one << (pos - one)
        kind = rng.integers(0, 5, k)
        tail = np.select([kind == 0, kind == 1, kind == 2, kind == 3],
                         [half, half - one, half + one, u64(0)],
                         rng.integers(0, 1 << 23, k, dtype=np.uint64) & ((one << pos) - one))
        return np.where(rng.random(k) < 0.8, (top << pos) | tail, _sparse_man(rng, k, 23))

    k = n // 5
    fams = []
    # 1. raw random bit patterns
    fams.append(rng.integers(0, 1 << 32, k, dtype=np.uint64).astype(np.uint32))
    # 2. every exponent from well below 2^-25 to well above 2^16, tie-prone mantissas
    exp = rng.integers(96, 160, k)
    fams.append(pack(sign(k), exp, grid_man(exp)))
    # 3. around 2^-14 and 2^-24: the subnormal grid, the kept/flushed boundary, rounding to 2^-24
    exp = _pick(rng, k, [101, 102, 103, 111, 112, 112, 112, 113, 113])
    fams.append(pack(sign(k), exp, grid_man(exp)))
    # 4. around 65504 and 65520: largest finite, rounding into inf, overflow
    exp = _pick(rng, k, [141, 142, 142, 142, 143])
    fams.append(pack(sign(k), exp, grid_man(exp)))
    # 5. specials (zeros, FP32 subnormals, inf, NaN, FP32 extremes) and the directed values, any sign
    rest = n - 4 * k
    specials = np.array([0x00000000, 0x00000001, 0x007FFFFF, 0x00400000, 0x00800000, 0x7F7FFFFF,
                         0x7F800000, 0x7FC00000, 0x7F800001, 0x7FFFFFFF, 0x7FBFFFFF]
                        + FP32_TO_FP16_DIRECTED, dtype=np.uint32)
    fams.append(_pick(rng, rest, specials) ^ (sign(rest) << u64(31)).astype(np.uint32))

    a = np.concatenate(fams).astype(np.uint32)
    return a[rng.permutation(len(a))]


# ---------------------------------------------------------------------------------------------------
# Golden expectations and the batch driver
# ---------------------------------------------------------------------------------------------------

def expect_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return golden.bits(golden.fp16_mul(a.view(np.float16), b.view(np.float16))).astype(np.uint32)


def expect_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return golden.bits(golden.fp32_add(a.view(np.float32), b.view(np.float32))).astype(np.uint32)


def expect_mul32(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return golden.bits(golden.fp32_mul(a.view(np.float32), b.view(np.float32))).astype(np.uint32)


def expect_to16(a: np.ndarray) -> np.ndarray:
    """golden.to_fp16 (numpy's IEEE FP32 -> FP16 conversion); any NaN gives the canonical 0x7E00."""
    x = a.view(np.float32)
    y = golden.bits(golden.to_fp16(x)).astype(np.uint32)
    return np.where(np.isnan(x), np.uint32(0x7E00), y).astype(np.uint32)


def _to_bus(x: np.ndarray, dtype: str) -> int:
    return int.from_bytes(x.astype(dtype).tobytes(), "little")


def _from_bus(value: int, lanes: int, dtype: str = "<u4") -> np.ndarray:
    return np.frombuffer(value.to_bytes(np.dtype(dtype).itemsize * lanes, "little"), dtype=dtype)


async def run_batches(a_sig, b_sig, y_sig, a: np.ndarray, b, in_dtype: str, out_dtype: str = "<u4") -> np.ndarray:
    """Drive (a[i], b[i]) through every lane, a batch per await; return the outputs in order (as
    uint32). A unary unit passes b_sig and b as None."""
    lanes = len(y_sig) // (8 * np.dtype(out_dtype).itemsize)
    pad = (-len(a)) % lanes
    a = np.concatenate([a, np.zeros(pad, a.dtype)])
    if b_sig is not None:
        b = np.concatenate([b, np.zeros(pad, b.dtype)])
    got = np.empty(len(a), dtype=np.uint32)
    for i in range(0, len(a), lanes):
        a_sig.value = _to_bus(a[i:i + lanes], in_dtype)
        if b_sig is not None:
            b_sig.value = _to_bus(b[i:i + lanes], in_dtype)
        await Timer(1, "ns")
        got[i:i + lanes] = _from_bus(y_sig.value.to_unsigned(), lanes, out_dtype)
    return got[:len(got) - pad]


def check(log, unit: str, width: int, a, b, exp, got) -> int:
    """Log the first mismatches readably; return their count. A unary unit passes b as None."""
    bad = np.flatnonzero(exp != got)
    digits = width // 4
    for i in bad[:MAX_REPORTED]:
        if b is None:
            log.error("%s mismatch #%d: a=0x%0*X expected 0x%04X got 0x%04X",
                      unit, i, digits, int(a[i]), int(exp[i]), int(got[i]))
        else:
            log.error("%s mismatch #%d: a=0x%0*X b=0x%0*X expected 0x%08X got 0x%08X",
                      unit, i, digits, int(a[i]), digits, int(b[i]), int(exp[i]), int(got[i]))
    if len(bad) > MAX_REPORTED:
        log.error("%s: %d more mismatches not shown", unit, len(bad) - MAX_REPORTED)
    log.info("%s: %d vectors, %d mismatches (SEED=%d)", unit, len(a), len(bad), SEED)
    return len(bad)


def mul_stimulus(seed: int = SEED, nvec: int = NVEC) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    sp = np.array(FP16_SPECIALS, dtype=np.uint16)
    da, db = np.repeat(sp, len(sp)), np.tile(sp, len(sp))  # every pair of specials, both orders
    # every FP16 value times 1.0 (the product is the exact widening of every pattern, subnormals
    # included) and every subnormal times 2^15 (the largest exact shift into the normals)
    every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    sub = np.concatenate([np.arange(1, 0x400), np.arange(0x8001, 0x8400)]).astype(np.uint16)
    da = np.concatenate([da, every, sub])
    db = np.concatenate([db, np.full(len(every), 0x3C00, np.uint16), np.full(len(sub), 0x7800, np.uint16)])
    ra, rb = fp16_vectors(rng, nvec)
    return np.concatenate([da, ra]), np.concatenate([db, rb]), len(da)


def add_stimulus() -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(SEED + 1)
    d = np.array(FP32_DIRECTED, dtype=np.uint32)
    da, db = np.concatenate([d[:, 0], d[:, 1]]), np.concatenate([d[:, 1], d[:, 0]])  # both orders
    ra, rb = fp32_vectors(rng, NVEC)
    return np.concatenate([da, ra]), np.concatenate([db, rb]), len(da)


def mul32_stimulus(seed: int = SEED, nvec: int = NVEC) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed + 2)
    d = np.array(FP32_MUL_DIRECTED, dtype=np.uint32)
    da, db = np.concatenate([d[:, 0], d[:, 1]]), np.concatenate([d[:, 1], d[:, 0]])  # both orders
    ra, rb = fp32_mul_vectors(rng, nvec)
    return np.concatenate([da, ra]), np.concatenate([db, rb]), len(da)


def to16_stimulus(seed: int = SEED, nvec: int = NVEC) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed + 3)
    d = np.array(FP32_TO_FP16_DIRECTED, dtype=np.uint32)
    return np.concatenate([d, fp32_to_fp16_vectors(rng, nvec)]), len(d)


# ---------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------

@cocotb.test()
async def test_fp16_mul(dut):
    """fp16_mul: every pair of FP16 specials, every FP16 value times 1.0, every subnormal times 2^15,
    plus NVEC random pairs, against golden.fp16_mul."""
    a, b, n_directed = mul_stimulus()
    dut._log.info("fp16_mul: SEED=%d, %d directed + %d random vectors", SEED, n_directed, len(a) - n_directed)
    got = await run_batches(dut.mul_a_i, dut.mul_b_i, dut.mul_p_o, a, b, "<u2")
    assert check(dut._log, "fp16_mul", 16, a, b, expect_mul(a, b), got) == 0, "fp16_mul differs from golden"


@cocotb.test()
async def test_fp32_add(dut):
    """fp32_add: directed corner pairs (both orders) plus NVEC random pairs, against golden.fp32_add."""
    a, b, n_directed = add_stimulus()
    dut._log.info("fp32_add: SEED=%d, %d directed + %d random vectors", SEED, n_directed, len(a) - n_directed)
    got = await run_batches(dut.add_a_i, dut.add_b_i, dut.add_s_o, a, b, "<u4")
    assert check(dut._log, "fp32_add", 32, a, b, expect_add(a, b), got) == 0, "fp32_add differs from golden"


@cocotb.test()
async def test_fp32_mul(dut):
    """fp32_mul: directed corner pairs (both orders) plus NVEC random pairs, against golden.fp32_mul."""
    a, b, n_directed = mul32_stimulus()
    dut._log.info("fp32_mul: SEED=%d, %d directed + %d random vectors", SEED, n_directed, len(a) - n_directed)
    got = await run_batches(dut.mul32_a_i, dut.mul32_b_i, dut.mul32_p_o, a, b, "<u4")
    assert check(dut._log, "fp32_mul", 32, a, b, expect_mul32(a, b), got) == 0, "fp32_mul differs from golden"


@cocotb.test()
async def test_fp32_to_fp16(dut):
    """fp32_to_fp16: directed corner values plus NVEC random ones, against golden.to_fp16
    (NaN -> 0x7E00)."""
    a, n_directed = to16_stimulus()
    dut._log.info("fp32_to_fp16: SEED=%d, %d directed + %d random vectors", SEED, n_directed, len(a) - n_directed)
    got = await run_batches(dut.cvt_a_i, None, dut.cvt_y_o, a, None, "<u4", out_dtype="<u2")
    assert check(dut._log, "fp32_to_fp16", 32, a, None, expect_to16(a), got) == 0, \
        "fp32_to_fp16 differs from golden"


@cocotb.test(expect_fail=True)
async def test_checker_catches_error(dut):
    """Negative twin: one corrupted expected value must make the comparison fail."""
    a = np.array([0x3F800000, 0x40000000], dtype=np.uint32)
    b = np.array([0x3F800000, 0xC0000000], dtype=np.uint32)
    got = await run_batches(dut.add_a_i, dut.add_b_i, dut.add_s_o, a, b, "<u4")
    exp = expect_add(a, b)
    exp[1] ^= 1
    assert check(dut._log, "fp32_add (corrupted golden)", 32, a, b, exp, got) == 0
