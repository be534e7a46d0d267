"""The shared FP16 stimulus: the special kinds coverage reports, from hand-written bit patterns."""
from __future__ import annotations

import numpy as np
import pytest

from verif.common.stimulus import FP16_NAN_BITS, FP16_SPECIAL_KINDS, fp16_special_kinds, random_matrix


def fp16(*bits: int) -> np.ndarray:
    return np.array(bits, dtype=np.uint16).view(np.float16)


@pytest.mark.parametrize("bits,kinds", [
    ((0x0000, 0x3C00, 0x7BFF, 0x0400), set()),            # +0, 1.0, max normal, min normal
    ((0x0001,), {"subnormal"}), ((0x83FF,), {"subnormal"}),  # min subnormal, max negative subnormal
    ((0x7C00,), {"inf"}), ((0xFC00,), {"inf"}),
    ((0x7E00,), {"nan"}), ((0xFC01,), {"nan"}),              # quiet, negative signalling
    ((0x8000,), {"negative_zero"}),
    ((0x8000, 0x0200, 0x7C00, 0x7FFF), set(FP16_SPECIAL_KINDS)),
])
def test_special_kinds_of_bit_patterns(bits, kinds):
    assert fp16_special_kinds(fp16(*bits)) == kinds


def test_special_kinds_look_at_every_array_and_random_matrix_makes_them():
    assert fp16_special_kinds(fp16(0x3C00), fp16(0x0001)) == {"subnormal"}
    x = random_matrix(np.random.default_rng(0), (64, 64), 0.3, specials=0.2, nans=0.05)
    assert fp16_special_kinds(x) == set(FP16_SPECIAL_KINDS)
    assert set(np.unique(x.view(np.uint16)[np.isnan(x)])) <= set(FP16_NAN_BITS.tolist())
