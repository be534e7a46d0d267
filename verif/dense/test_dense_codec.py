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
    return Operation(f"{m}x{n}x{k}", "FF", {"a": random_matrix(rng, (m, k), 0.3),
                                           "b": random_matrix(rng, (k, n), 0.3)})


# (rows, cols, tile_rows): the default array, the 16 x 16-tile variant, an 8 x 8 tile of 2-row groups.
ARRAYS = [(4, 4, 1), (1, 16, 16), (2, 8, 4)]


@pytest.mark.parametrize("rows,cols,tile_rows", ARRAYS)
@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), k=st.integers(1, 80),
       words=st.sampled_from([4, 8, 16, 64]))  # small buffers so that most shapes are tiled
def test_tiles_fit_and_join_to_the_whole_result(rows, cols, tile_rows, m, n, k, words):
    codec = DenseCodec(None, rows, cols, a_words=words, b_words=words, c_words=words, tile_rows=tile_rows)
    tile_m = rows * tile_rows
    if ceil_div(k, LANES // tile_m) > words or ceil_div(k, LANES // cols) > words:
        with pytest.raises(ValueError, match="does not fit"):
            codec.tile_shape(m, n, k)
        return
    op = op_of(np.random.default_rng(m * 7919 + n * 31 + k), m, n, k)
    parts = codec.split(op)
    for part in parts:
        pm, pn, pk = codec.shape(part)
        assert ceil_div(pm, tile_m) * ceil_div(pk, LANES // tile_m) <= words
        assert ceil_div(pn, cols) * ceil_div(pk, LANES // cols) <= words
        assert pm * ceil_div(pn, cols) <= words
        assert len(codec.pack_a(part.operands["a"])) == codec.format.a_words(pm, pk)
        assert len(codec.pack_b(part.operands["b"])) == codec.format.b_words(pn, pk)
    joined = codec.join(op, parts, [golden.gemm_fp16(p.operands["a"], p.operands["b"]) for p in parts])
    assert np.array_equal(golden.bits(joined), golden.bits(golden.gemm_fp16(op.operands["a"], op.operands["b"])))
    assert sum(codec.result_words(p) for p in parts) == codec.result_words(op)


def lanes_of(word: int) -> list[int]:
    return [(word >> (16 * lane)) & 0xFFFF for lane in range(LANES)]


def bits16(v) -> int:
    return int(np.float16(v).view(np.uint16))


@pytest.mark.parametrize("rows,cols,tile_rows", ARRAYS)
def test_every_lane_of_every_word_element_by_element(rows, cols, tile_rows):
    """A word w = mt * KA-blocks + kb, lane kk * TM + i is A[mt*TM + i, kb*KA + kk] (TM = rows *
    tile_rows, KA = 16 / TM), zero past the matrix; B the same by columns with C and 16 / C."""
    m, n, k = 21, 19, 11
    a = (np.arange(m * k) % 2000 + 1).astype(np.float16).reshape(m, k)
    b = (np.arange(k * n) % 1500 + 3).astype(np.float16).reshape(k, n)
    codec = DenseCodec(None, rows, cols, tile_rows=tile_rows)
    for x, words, height in ((a, codec.pack_a(a), rows * tile_rows), (b.T, codec.pack_b(b), cols)):
        per_word = LANES // height
        k_blocks = -(-x.shape[1] // per_word)
        assert len(words) == -(-x.shape[0] // height) * k_blocks
        for w, word in enumerate(words):
            group, kb = divmod(w, k_blocks)
            for lane, got in enumerate(lanes_of(word)):
                kk, i = divmod(lane, height)
                r, c = group * height + i, kb * per_word + kk
                assert got == (bits16(x[r, c]) if r < x.shape[0] and c < x.shape[1] else 0), (w, lane)


def test_the_16x16_tile_reads_a_quarter_of_the_4x4_words():
    """A 64 x 64 x 576 job: the 4x4 array holds 16 x 16 tiles of 4 x 4 and reads each A and B word
    16 times in all; the 16 x 16 tile holds 4 x 4 tiles and reads 4 times as few words in all."""
    m, n, k = 64, 64, 576
    small, large = DenseCodec(None, 4, 4).format, DenseCodec(None, 1, 16, tile_rows=16).format
    small_reads = small.a_words(m, k) * ceil_div(n, 4) + small.b_words(n, k) * ceil_div(m, 4)
    large_reads = large.a_words(m, k) * ceil_div(n, 16) + large.b_words(n, k) * ceil_div(m, 16)
    assert (small_reads, large_reads) == (2 * 16 * 9 * 16 * 16, 2 * 4 * 576 * 4)
    assert small_reads == 4 * large_reads


def test_a_tile_that_does_not_divide_a_word_is_refused():
    with pytest.raises(ValueError, match="must divide"):
        DenseCodec(None, 4, 4, tile_rows=3)
    with pytest.raises(ValueError, match="must divide"):
        DenseCodec(None, 2, 16, tile_rows=16)


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
