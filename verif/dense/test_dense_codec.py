"""The dense driver's packing and tiling, checked in Python against models/golden.py."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import golden
from verif.common.env import Operation
from verif.dense.dense_codec import LANES, DenseCodec, ceil_div
from verif.common.stimulus import random_matrix


def op_of(rng, m, n, k) -> Operation:
    return Operation(f"{m}x{n}x{k}", "FF", {"a": golden.flush_fp16(random_matrix(rng, (m, k), 0.3)),
                                           "b": golden.flush_fp16(random_matrix(rng, (k, n), 0.3))})


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), k=st.integers(1, 80),
       words=st.sampled_from([4, 8, 16, 64]))  # small buffers so that most shapes are tiled
def test_tiles_fit_and_join_to_the_whole_result(m, n, k, words):
    codec = DenseCodec(None, a_words=words, b_words=words, c_words=words)
    if ceil_div(k, LANES // 4) > words:
        with pytest.raises(ValueError, match="does not fit"):
            codec.tile_shape(m, n, k)
        return
    op = op_of(np.random.default_rng(m * 7919 + n * 31 + k), m, n, k)
    parts = codec.split(op)
    for part in parts:
        pm, pn, pk = codec.shape(part)
        assert ceil_div(pm, 4) * ceil_div(pk, 4) <= words and ceil_div(pn, 4) * ceil_div(pk, 4) <= words
        assert pm * ceil_div(pn, 4) <= words
    joined = codec.join(op, parts, [golden.gemm_fp16(p.operands["a"], p.operands["b"]) for p in parts])
    assert np.array_equal(golden.bits(joined), golden.bits(golden.gemm_fp16(op.operands["a"], op.operands["b"])))
    assert sum(codec.result_beats(p) for p in parts) == codec.result_beats(op)


def test_packing_lanes():
    """Lane kk * rows + i of A word (mt, kb) is A[mt*rows + i, kb*4 + kk]; B likewise by columns."""
    codec = DenseCodec(None)
    a = np.arange(6 * 9, dtype=np.float16).reshape(6, 9)
    words = codec.pack_a(a)
    assert len(words) == ceil_div(6, 4) * ceil_div(9, 4)
    lanes = [(words[0] >> (16 * lane)) & 0xFFFF for lane in range(16)]
    expect = [a[i, kk] for kk in range(4) for i in range(4)]
    assert lanes == [int(np.float16(v).view(np.uint16)) for v in expect]
    b = np.arange(9 * 6, dtype=np.float16).reshape(9, 6)
    assert codec.pack_b(b) == codec.pack_tiles(b.T, 4)
