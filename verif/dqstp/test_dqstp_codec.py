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
from verif.dqstp.dqstp_codec import (EP_PIPELINE_TAIL, MALFORM_ERRORS, WORD_BITS, DqstpCodec, dense_equivalent,
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
    assert codec.result_parts(op) == (5 * -(-19 // lanes), 7 * -(-21 // lanes))
    assert len(beats) == codec.result_words(op)
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


# ---- the cycle models (hdl/dqstp/dqstp_top.sv's banked lanes and decoder)

def map_with_rows(lengths, k: int) -> np.ndarray:
    """An int8 map whose row r has lengths[r] non-zeros (the first columns)."""
    s = np.zeros((len(lengths), k), dtype=np.int8)
    for r, n in enumerate(lengths):
        s[r, :n] = 3
    return s


def ff_op(s: np.ndarray, m: int, align: bool):
    op = random_op(np.random.default_rng(0), "t", "FF", m, s.shape[0], s.shape[1], align=align)
    op.operands["s"] = s
    op.meta["align"] = align
    return op


def test_decode_cycles_by_hand():
    """3 rows of K = 40: one flag word (2 cycles: its read latency), a flagged row is 3 chunks of
    16 bits, the empty row 1 cycle, then leaving the rows, the padding read and the check."""
    op = ff_op(map_with_rows([5, 0, 40], 40), 1, True)
    assert DqstpCodec.decode_cycles(op) == 2 + (3 + 1 + 3) + 3


def test_ep_cycles_by_hand():
    """2 lanes, rows of 3, 1, 1, 1 non-zeros, M = 1. Alignment: lane 0 takes the long row, lane 1
    the three short ones in turn: 3 cycles. Groups of 2: max(3, 1) + max(1, 1) = 4. An empty row
    costs one cycle (its zero result goes down the lane). Plus the 3-stage pipeline tail."""
    codec = DqstpCodec(None, lanes=2)
    s = map_with_rows([3, 1, 1, 1], 8)
    assert codec.ep_cycles(ff_op(s, 1, True)) == 3 + EP_PIPELINE_TAIL
    assert codec.ep_cycles(ff_op(s, 1, False)) == 4 + EP_PIPELINE_TAIL
    assert codec.ep_cycles(ff_op(map_with_rows([0, 0, 0], 8), 2, True)) == 3 + EP_PIPELINE_TAIL


def stepped_schedule(costs, lanes: int, align: bool) -> int:
    """The lanes' hand-out walked cycle by cycle, as the RTL does it: every cycle, the free lanes
    (lowest first) take the next items; without alignment only when every lane is free."""
    busy_until = [0] * lanes
    nxt, t = 0, 0
    while nxt < len(costs):
        free = [lane for lane in range(lanes) if busy_until[lane] <= t]
        if align or len(free) == lanes:
            for lane in free:
                if nxt < len(costs):
                    busy_until[lane] = t + int(costs[nxt])
                    nxt += 1
        t += 1
    return max(busy_until)


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(0, 12), min_size=1, max_size=20), m=st.integers(1, 4),
       lanes=st.sampled_from([2, 4, 8, 16]), align=st.booleans())
def test_ep_cycles_match_a_stepped_schedule(lengths, m, lanes, align):
    codec = DqstpCodec(None, lanes=lanes)
    op = ff_op(map_with_rows(lengths, 12), m, align)
    costs = [max(1, n) for n in lengths] * m
    assert codec.ep_cycles(op) == stepped_schedule(costs, lanes, align) + EP_PIPELINE_TAIL
    assert codec.ep_cycles_lower_bound(op) <= codec.ep_cycles(op)


def test_sram_counts_by_hand():
    """BP with WG, M=2, N=3, K=5, J=20 at 16 lanes, 4 non-zeros: 2 J tiles, so 8 WG steps: X
    read 8 times, G read and written 8 times (plus its K x 2 = 10 words drained); C: 6 outputs written, 2 words
    x 16 slots drained; list: 4 entries written; 3 row-pointer pairs written."""
    codec = DqstpCodec(None, lanes=16)
    s = np.zeros((3, 5), dtype=np.int8)
    s[0, 1], s[0, 4], s[2, 0], s[2, 3] = 1, -2, 3, -4
    op = random_op(np.random.default_rng(1), "t", "BP", 2, 3, 5, 20, wg=True)
    op.operands["s"] = s
    want = {"SRAM_WR[3]": 4, "SRAM_RD[2]": 8, "GBUF_RD": 8 + 10, "GBUF_WR": 8, "CBUF_WR": 6,
            "CBUF_RD": 2 * 16, "ROWPTR_WR": 3}
    got = codec.sram_counts(op)
    assert {name: got[name] for name in want} == want
