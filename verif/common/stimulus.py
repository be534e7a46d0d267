"""Random operands every FP16 core's stimulus draws from (one definition of "random FP16 values at a
sparsity, with special values")."""
from __future__ import annotations

import numpy as np

FP16_SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, 6.0e-8, -6.0e-8, 6.1e-5, 65504.0, -65504.0, 1.0],
                         dtype=np.float16)  # zeros, infinities, subnormals (read as zero), extremes


def random_matrix(rng: np.random.Generator, shape, sparsity: float = 0.0, specials: float = 0.0) -> np.ndarray:
    """FP16 values spread over many exponents, a `sparsity` fraction of exact zeros (both signs) and a
    `specials` fraction of special values."""
    mag = np.exp2(rng.integers(-12, 6, size=shape)) * rng.uniform(1.0, 2.0, size=shape)
    x = (mag * rng.choice([-1.0, 1.0], size=shape)).astype(np.float16)
    x[rng.random(shape) < sparsity] = 0.0
    x[(x == 0) & (rng.random(shape) < 0.5)] = -0.0
    if specials:
        pick = rng.random(shape) < specials
        x[pick] = rng.choice(FP16_SPECIALS, size=int(pick.sum()))
    return x
