"""Random operands every FP16 core's stimulus draws from (one definition of "random FP16 values at a
sparsity, with special values"), and the special encodings its coverage looks for."""
from __future__ import annotations

import numpy as np

FP16_SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, 6.0e-8, -6.0e-8, 6.1e-5, 65504.0, -65504.0, 1.0],
                         dtype=np.float16)  # zeros, infinities, subnormals (IEEE values), extremes
# NaN operands as raw bits, several payloads: canonical quiet, signalling with payload 1, negative quiet
# with a payload, every mantissa bit set. Every FP unit must give the canonical NaN for each.
FP16_NAN_BITS = np.array([0x7E00, 0x7C01, 0xFE01, 0x7FFF], dtype=np.uint16)


def random_matrix(rng: np.random.Generator, shape, sparsity: float = 0.0, specials: float = 0.0,
                  nans: float = 0.0) -> np.ndarray:
    """FP16 values spread over many exponents, a `sparsity` fraction of exact zeros (both signs), a
    `specials` fraction of special values and a `nans` fraction of NaNs (FP16_NAN_BITS)."""
    mag = np.exp2(rng.integers(-12, 6, size=shape)) * rng.uniform(1.0, 2.0, size=shape)
    x = (mag * rng.choice([-1.0, 1.0], size=shape)).astype(np.float16)
    x[rng.random(shape) < sparsity] = 0.0
    x[(x == 0) & (rng.random(shape) < 0.5)] = -0.0
    if specials:
        pick = rng.random(shape) < specials
        x[pick] = rng.choice(FP16_SPECIALS, size=int(pick.sum()))
    if nans:
        pick = rng.random(shape) < nans
        x.view(np.uint16)[pick] = rng.choice(FP16_NAN_BITS, size=int(pick.sum()))
    return x


FP16_SPECIAL_KINDS = ("subnormal", "nan", "inf", "negative_zero")  # coverage bins of <core>.operand_specials


def fp16_special_kinds(*arrays: np.ndarray) -> frozenset[str]:
    """Which FP16_SPECIAL_KINDS occur among the raw bits of FP16 arrays (what reached the RTL)."""
    bits = np.concatenate([np.asarray(x, np.float16).view(np.uint16).ravel() for x in arrays])
    exp, mant = (bits >> 10) & 0x1F, bits & 0x3FF
    kinds = {"subnormal": (exp == 0) & (mant != 0), "nan": (exp == 31) & (mant != 0),
             "inf": (exp == 31) & (mant == 0), "negative_zero": bits == 0x8000}
    return frozenset(name for name, hit in kinds.items() if hit.any())
