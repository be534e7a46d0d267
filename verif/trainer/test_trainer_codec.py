"""The Trainer codec against references written out element by element (hdl/trainer/trainer_top.sv's
layout, read from the spec, not from the codec's numpy), and against the trainer's own records."""
from __future__ import annotations

import numpy as np
import pytest

from models import golden
from models.records import load_records
from verif.common.csr_map import load_csr_map
from verif.common.env import Operation
from verif.trainer.trainer_codec import BUF_MASK, BUF_SPEC, BUF_X, BUF_XHAT, BUF_Y, CORE, TrainerCodec
from verif.trainer.trainer_stimulus import DEFAULT_RECORDS, masked_op, random_op, record_op, spec_op, with_bn

MAP = load_csr_map(CORE.rdl)


def codec(lanes: int) -> TrainerCodec:
    return TrainerCodec(MAP, {**CORE.parameters, "Lanes": lanes})


def fp16_lane(word: int, i: int) -> np.float16:
    return np.array([(word >> (16 * i)) & 0xFFFF], np.uint16).view(np.float16)[0]


@pytest.mark.parametrize("lanes", [4, 8, 16])
@pytest.mark.parametrize("mode", ["compress_A", "compress_B"])
def test_operand_words_by_element(lanes, mode):
    rng = np.random.default_rng(lanes)
    c = codec(lanes)
    op = random_op(rng, "x", 7, 2 * lanes + 1, 21, 0.3, 0.3, dataflow=mode)
    a, b = op.operands["a"], op.operands["b"]
    m, n, k = 7, 2 * lanes + 1, 21
    frames = dict(c.frames(op))
    kb_count, yt_count = -(-k // 16), -(-(n if mode == "compress_A" else m) // lanes)
    rows = m if mode == "compress_A" else n
    assert len(frames[BUF_X]) == rows * kb_count and len(frames[BUF_Y]) == k * yt_count
    for r in range(rows):
        for kk in range(k):
            want = a[r, kk] if mode == "compress_A" else b[kk, r]
            got = fp16_lane(frames[BUF_X][r * kb_count + kk // 16], kk % 16)
            assert got.view(np.uint16) == want.view(np.uint16)
    for kk in range(k):
        for yt in range(yt_count):
            word = frames[BUF_Y][kk * yt_count + yt]
            for j in range(16):
                col = yt * lanes + j
                if j >= lanes or col >= (n if mode == "compress_A" else m):
                    assert fp16_lane(word, j).view(np.uint16) == 0
                else:
                    want = b[kk, col] if mode == "compress_A" else a[col, kk]
                    assert fp16_lane(word, j).view(np.uint16) == want.view(np.uint16)


@pytest.mark.parametrize("mode", ["compress_A", "compress_B"])
def test_mask_rule_xhat_and_result_by_element(mode):
    lanes = 8
    rng = np.random.default_rng(3)
    c = codec(lanes)
    m, n = 11, 13
    op = with_bn(rng, masked_op(rng, "m", "BP", m, n, 9, 0.5, dataflow=mode), 1)
    frames = dict(c.frames(op))
    rows, yts = (m, -(-n // lanes)) if mode == "compress_A" else (n, -(-m // lanes))
    beats = []
    expected = c.expected(op)
    for t in range(rows * yts):
        word = 0
        for j in range(lanes):
            r, yt = (t // yts, t % yts) if mode == "compress_A" else (t % rows, t // rows)
            mm, nn = (r, yt * lanes + j) if mode == "compress_A" else (yt * lanes + j, r)
            inside = mm < m and nn < n
            bit = (frames[BUF_MASK][(t * lanes + j) // 256] >> ((t * lanes + j) % 256)) & 1
            assert bit == (int(op.operands["skip"][mm, nn]) if inside else 0)
            xh = fp16_lane(frames[BUF_XHAT][t], j)
            assert xh.view(np.uint16) == (op.operands["xhat"][mm, nn].view(np.uint16) if inside else 0)
            if inside:
                word |= int(expected[mm, nn].view(np.uint32)) << (32 * j)
        beats.append(word)
    groups = -(-m // lanes)
    for g in range(groups):
        for col in (n, n + 1):                  # s1 word, then s2 word
            word = 0
            for j in range(lanes):
                if g * lanes + j < m:
                    word |= int(expected[g * lanes + j, col].view(np.uint32)) << (32 * j)
            beats.append(word)
    assert len(beats) == c.result_words(op)
    np.testing.assert_array_equal(c.decode(op, beats).view(np.uint32), expected.view(np.uint32))


def test_rule_words():
    rng = np.random.default_rng(5)
    op = spec_op(rng, "s", 6, 5, 8)
    words = dict(codec(16).frames(op))[BUF_SPEC]
    assert len(words) == 2
    for row in range(6):
        entry = (words[row // 4] >> (64 * (row % 4))) & ((1 << 64) - 1)
        assert entry & 0xFFFFFFFF == int(op.operands["thr"][row:row + 1].view(np.uint32)[0])
        assert {1: 0b01, -1: 0b11, 0: 0b00}[int(op.operands["dir"][row])] == entry >> 32


def test_expected_values_follow_the_skips():
    rng = np.random.default_rng(7)
    c = codec(16)
    op = spec_op(rng, "s", 9, 20, 30)
    est = golden.speculation_estimate(op.operands["a"], op.operands["b"], 2)
    skip = golden.speculation_skip(est, op.operands["thr"], op.operands["dir"])
    exact = golden.gemm_fp16(op.operands["a"], op.operands["b"])
    got = c.expected(op)
    assert 0 < skip.sum() < skip.size
    np.testing.assert_array_equal(got[skip].view(np.uint32), est[skip].view(np.uint32))
    np.testing.assert_array_equal(got[~skip].view(np.uint32), exact[~skip].view(np.uint32))
    off = Operation("off", "FF", op.operands, meta={**op.meta, "spec": False})
    np.testing.assert_array_equal(c.expected(off).view(np.uint32), exact.view(np.uint32))
    assert c.core_counts(op)["SPEC_SKIPPED"] == skip.sum()
    assert c.macs(off)[1] - c.macs(op)[1] == golden.effectual_macs(op.operands["a"], op.operands["b"]) - \
        golden.effectual_macs_skip(op.operands["a"], op.operands["b"], out_keep=~skip)


def test_records_expected_equals_what_the_trainer_recorded():
    c = codec(16)
    for rec in load_records(DEFAULT_RECORDS):
        op = record_op(rec)
        got = c.expected(op)
        core = rec.core_result()
        np.testing.assert_array_equal(got[:, :core.shape[1]].view(np.uint32), core.view(np.uint32), err_msg=rec.id)
        if "bn_sum" in rec.arrays:
            np.testing.assert_array_equal(got[:, -2].view(np.uint32), rec.arrays["bn_sum"].view(np.uint32))
            np.testing.assert_array_equal(got[:, -1].view(np.uint32), rec.arrays["bn_sumsq"].view(np.uint32))


def test_good_jobs_that_do_not_fit_are_refused_clearly():
    c = codec(16)
    rng = np.random.default_rng(1)
    op = spec_op(rng, "big", 2, 4, CORE.parameters["MaxSpecK"] + 1)
    with pytest.raises(ValueError, match="MaxSpecK"):
        c.split(op)
    with pytest.raises(ValueError, match="dataflow must be"):
        c.geometry(random_op(rng, "bad", 2, 2, 2, dataflow="compress_C"))
    assert {BUF_X, BUF_Y} <= set(dict(c.frames(random_op(rng, "x", 2, 2, 2))))
