"""Sparse formats: encode/decode and pack/unpack round trips (hypothesis), and clear errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models.formats import (CSR, FCSR, Bitmap, FormatError, LineShapeMasks, from_fields, ints_to_words,
                            pack_fields, pack_mask, to_fields, unpack_fields, unpack_mask, words_to_ints)

WORD_BITS = st.sampled_from([16, 32, 64, 128])


@st.composite
def sparse_matrices(draw, dtype=np.float16):
    shape = draw(st.tuples(st.integers(0, 9), st.integers(0, 9)))
    if np.dtype(dtype).kind == "f":
        elements = st.floats(-60000, 60000, width=16, allow_nan=False)
    else:
        info = np.iinfo(dtype)
        elements = st.integers(int(info.min), int(info.max))
    values = draw(hnp.arrays(dtype, shape, elements=elements))
    zeros = draw(hnp.arrays(np.bool_, shape))
    return np.where(zeros, dtype(0), values).astype(dtype)


def same(a, b):
    """Equal as stored values; zeros of either sign count as zero."""
    assert a.dtype == b.dtype and a.shape == b.shape
    a, b = np.where(a == 0, 0, a), np.where(b == 0, 0, b)
    np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([Bitmap, CSR, FCSR]), sparse_matrices(), WORD_BITS)
def test_fp16_matrix_formats_round_trip(fmt, dense, word_bits):
    enc = fmt.encode(dense)
    same(enc.decode(), dense)
    words = enc.pack(word_bits)
    assert words.dtype == np.uint8 and words.shape[1] == word_bits // 8
    back = fmt.unpack(words, dense.shape, np.float16, word_bits)
    same(back.decode(), dense)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([Bitmap, CSR, FCSR]), sparse_matrices(np.int8), WORD_BITS, st.sampled_from([8, 16]))
def test_int8_matrix_formats_round_trip(fmt, dense, word_bits, value_bits):
    words = fmt.encode(dense).pack(word_bits, value_bits=value_bits)
    same(fmt.unpack(words, dense.shape, np.int8, word_bits, value_bits=value_bits).decode(), dense)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int8, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(-8, 7)), WORD_BITS)
def test_int4_values_pack_as_twos_complement(dense, word_bits):
    words = FCSR.encode(dense).pack(word_bits, value_bits=4)
    same(FCSR.unpack(words, dense.shape, np.int8, word_bits, value_bits=4).decode(), dense)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 64).filter(lambda b: 64 % b == 0), st.data())
def test_fields_round_trip(bits, data):
    word_bits = data.draw(st.sampled_from([w for w in (8, 16, 32, 64, 128) if w % bits == 0]))
    fields = np.array(data.draw(st.lists(st.integers(0, 2**bits - 1), max_size=40)), dtype=np.uint64)
    words = pack_fields(fields, bits, word_bits)
    np.testing.assert_array_equal(unpack_fields(words, bits, word_bits, len(fields)), fields)
    np.testing.assert_array_equal(ints_to_words(words_to_ints(words), word_bits), words)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.data(), WORD_BITS)
def test_line_shape_masks_round_trip(n, c, kh, kw, data, word_bits):
    line = data.draw(hnp.arrays(np.bool_, (n, c, kh)))
    shape = data.draw(hnp.arrays(np.bool_, (c, kh, kw)))
    masks = LineShapeMasks(line, shape)
    back = LineShapeMasks.unpack(masks.pack(word_bits), (n, c, kh, kw), word_bits)
    np.testing.assert_array_equal(back.line, line)
    np.testing.assert_array_equal(back.shape, shape)
    # a weight with exactly that structure encodes to masks with the same element mask
    w = np.where(masks.decode(), 1.5, 0.0)
    np.testing.assert_array_equal(LineShapeMasks.encode(w).decode(), w != 0)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.bool_, hnp.array_shapes(max_dims=3, max_side=7)), WORD_BITS)
def test_masks_round_trip(mask, word_bits):
    np.testing.assert_array_equal(unpack_mask(pack_mask(mask, word_bits), mask.shape, word_bits), mask)


def test_packing_layout_is_lsb_first_little_endian():
    words = pack_fields(np.array([1, 2, 3, 0xF], dtype=np.uint64), 4, 16)
    assert words_to_ints(words) == [0xF321]
    assert Bitmap.encode(np.array([[0, 1], [1, 0]], np.float16)).pack(32)[0].tolist() == [0b0110, 0, 0, 0]


def test_fcsr_layout_flags_then_bitmaps_then_values():
    dense = np.array([[0, 0, 0], [0, 2, 0], [1, 0, 3]], dtype=np.int8)
    enc = FCSR.encode(dense)
    np.testing.assert_array_equal(enc.row_flags, [False, True, True])
    np.testing.assert_array_equal(enc.bitmaps, [[0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(enc.values, [2, 1, 3])
    words = words_to_ints(enc.pack(8))
    assert words == [0b110, 0b101010, 2, 1, 3]
    assert enc.storage_bits() == 3 + 6 + 3 * 8


def test_malformed_inputs_give_clear_errors():
    with pytest.raises(FormatError, match="2-D"):
        CSR.encode(np.zeros((2, 2, 2)))
    with pytest.raises(FormatError, match="multiple of 8"):
        pack_fields([1], 1, 12)
    with pytest.raises(FormatError, match="divide"):
        pack_fields([1], 3, 32)
    with pytest.raises(FormatError, match="does not fit"):
        pack_fields([16], 4, 32)
    with pytest.raises(FormatError, match="range"):
        to_fields(np.array([8], np.int8), 4)
    dense = np.array([[1, 0], [0, 2]], np.float16)
    words = FCSR.encode(dense).pack(32)
    with pytest.raises(FormatError, match="ends early"):
        FCSR.unpack(words[:-1], (2, 2), np.float16, 32)
    with pytest.raises(FormatError, match="runs long"):
        FCSR.unpack(np.concatenate([words, words[:1]]), (2, 2), np.float16, 32)
    with pytest.raises(FormatError, match=r"uint8\[n, 4\]"):
        FCSR.unpack(words.astype(np.int16), (2, 2), np.float16, 32)
    with pytest.raises(FormatError, match="values given"):
        Bitmap((2, 2), dense != 0, np.array([1], np.float16)).decode()
    with pytest.raises(FormatError, match="strictly increasing"):
        CSR((1, 3), np.array([0, 2]), np.array([2, 1]), np.ones(2, np.float16)).decode()
    with pytest.raises(FormatError, match="out of range"):
        CSR((1, 3), np.array([0, 1]), np.array([3]), np.ones(1, np.float16)).decode()
    with pytest.raises(FormatError, match="empty bitmap"):
        FCSR((1, 2), np.array([True]), np.zeros((1, 2), bool), np.zeros(0, np.float16)).decode()
    with pytest.raises(FormatError, match="cannot address"):
        CSR.encode(np.ones((1, 300), np.float16)).pack(32, index_bits=8)
    with pytest.raises(FormatError, match="disagree"):
        LineShapeMasks(np.ones((2, 3, 3), bool), np.ones((2, 3, 3), bool)).decode()
    with pytest.raises(FormatError, match="no stream encoding"):
        Bitmap.encode(np.array([["a"]]))
    with pytest.raises(FormatError, match="does not fit"):
        ints_to_words([1 << 40], 32)


def test_fields_of_values_keep_raw_bits():
    x = np.array([-0.0, 1.0, -2.5, np.inf], np.float16)
    np.testing.assert_array_equal(from_fields(to_fields(x), np.float16).view(np.uint16), x.view(np.uint16))
    q = np.array([-8, -1, 0, 7], np.int8)
    np.testing.assert_array_equal(to_fields(q, 4), [8, 15, 0, 7])
    np.testing.assert_array_equal(from_fields(to_fields(q, 4), np.int8, 4), q)
