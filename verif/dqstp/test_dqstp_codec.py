"""The DQ-STP driver's packing, malformed frames and record bridge, checked in Python against
models/formats.py and models/golden.py (no simulator)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import golden
from models.formats import FCSR, FormatError, ints_to_words
from models.records import load_records
from verif.common.agents import words_to_ints
from verif.common.cores import load_core
from verif.dqstp.dqstp_codec import (MALFORM_ERRORS, WORD_BITS, DqstpCodec, dense_equivalent,
                                     malformed_fcsr, operation_from_record, storage_bits)
from verif.dqstp.dqstp_stimulus import DEFAULT_RECORDS, random_op, record_ops

RECORDS = load_records(DEFAULT_RECORDS, method="dqstp")


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 80), sparsity=st.floats(0, 1), seed=st.integers(0, 99))
def test_fcsr_frame_unpacks_to_the_map(n, k, sparsity, seed):
    codec = DqstpCodec(None)
    op = random_op(np.random.default_rng(seed), "t", "FF", 2, n, k, sparsity=sparsity, empty_rows=0.2)
    beats, nnz = codec.fcsr_frame(op)
    f = FCSR.unpack(ints_to_words(beats, WORD_BITS), (n, k), np.int8, WORD_BITS, 8)
    assert np.array_equal(f.decode(), op.operands["s"]) and nnz == np.count_nonzero(op.operands["s"])


def test_code_and_activation_packing():
    """Code k of row m sits at bits 4*(k%64) of W word m*ceil(K/64) + k//64; X value j of row n at
    byte j%32 of word n*ceil(J/32) + j//32."""
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 16, size=(3, 70)).astype(np.uint8)
    words = DqstpCodec.pack_codes(codes)
    assert len(words) == 3 * 2
    for m, k in ((0, 0), (1, 63), (2, 64), (2, 69)):
        assert (words[m * 2 + k // 64] >> (4 * (k % 64))) & 0xF == codes[m, k]
    x = rng.integers(-128, 128, size=(2, 33)).astype(np.int8)
    xw = DqstpCodec.pack_x(x)
    assert len(xw) == 2 * 2
    assert np.uint8(xw[1 * 2 + 1] & 0xFF).view(np.int8) == x[1, 32]
    assert np.uint8((xw[0] >> (8 * 5)) & 0xFF).view(np.int8) == x[0, 5]


def test_codec_lanes_default_to_the_manifest():
    """Outside a simulation the codec runs at the manifest's default size (no second default)."""
    assert DqstpCodec(None).lanes == load_core("dqstp").parameters["Lanes"]


@pytest.mark.parametrize("lanes", [8, 16])
def test_result_decoding_round_trip(lanes):
    """decode(beats of the expected layout) gives back C and G, for a BP job carrying WG, at each
    lane count (int32 results per beat)."""
    codec = DqstpCodec(None, lanes)
    op = random_op(np.random.default_rng(5), "t", "BP", 5, 19, 7, 21, sparsity=0.4, wg=True)
    c, g = codec.expected_parts(op)
    pad = lambda a, w: np.pad(a, ((0, 0), (0, -a.shape[1] % w)))  # noqa: E731
    beats = (words_to_ints(pad(c, lanes).reshape(-1, lanes).view(np.uint32))
             + words_to_ints(pad(g, lanes).reshape(-1, lanes).view(np.uint32)))
    assert codec.result_words(op) == (5 * -(-19 // lanes), 7 * -(-21 // lanes))
    assert len(beats) == codec.result_beats(op)
    assert np.array_equal(codec.decode(op, beats), codec.expected(op))


@pytest.mark.parametrize("kind", sorted(MALFORM_ERRORS))
def test_malformed_frames_are_malformed(kind):
    """Each malformation the tests send really breaks the frame: the format's own unpacker rejects
    it, or its bitmap popcount differs from the values declared (FCSR_NNZ), or it sets padding bits
    that a well-formed frame keeps zero."""
    rng = np.random.default_rng(11)
    s = random_op(rng, "t", "FF", 2, 21, 13, sparsity=0.6, empty_rows=0.3).operands["s"]
    good = FCSR.encode(s).pack(WORD_BITS, 8)
    words, nnz = malformed_fcsr(s, kind, rng)
    assert nnz == np.count_nonzero(s)
    try:
        f = FCSR.unpack(words, s.shape, np.int8, WORD_BITS, 8)
        popcount_off = int(f.bitmaps.sum()) != nnz
    except FormatError:
        return
    padding = kind in ("row_past_end", "bitmap_past_end") and len(words) == len(good) and np.any(words != good)
    assert popcount_off or padding, f"{kind}: the frame still reads as a well-formed map"


def test_records_map_to_operations_with_the_recorded_result():
    codec = DqstpCodec(None)
    for rec in RECORDS:
        op = operation_from_record(rec)
        assert np.array_equal(codec.expected(op), rec.arrays["acc"]), rec.id
        a, b = dense_equivalent(rec)
        # the dense GEMM on the float operands is the integer result times its scale, exactly
        assert np.array_equal(golden.gemm_fp16(a, b), (rec.arrays["acc"] * 2.0 ** rec.meta["result_exp"]).astype(np.float32)), rec.id


def test_combined_jobs_share_the_error_map():
    combined = [op for op in record_ops() if op.meta.get("wg")]
    assert len(combined) == 6
    codec = DqstpCodec(None)
    for op in combined:
        c, g = codec.expected_parts(op)
        assert c.shape == (op.operands["codes"].shape[0], op.operands["s"].shape[0])
        assert g.shape == (op.operands["s"].shape[1], op.operands["x"].shape[1])


def test_storage_bits_against_the_records():
    """FCSR storage of each streamed map agrees with the trainer's own figure (b_q of FF/BP)."""
    for rec in RECORDS:
        if rec.phase in ("FF", "BP"):
            s = operation_from_record(rec).operands["s"]
            bits = storage_bits(s)
            assert bits["dense"] == rec.meta["b_storage_bits"]["dense"]
            assert bits["fcsr"] == FCSR.encode(s).storage_bits(8) < bits["csr16"] or np.mean(s == 0) < 0.1
