"""The NZPC codec against references written out element by element (no simulator): the readback
layout, the result layout, the cost model's counters stepped cycle by cycle, and the records'
results in every mode."""
from __future__ import annotations

import numpy as np
import pytest

from models import golden
from models.methods.nzpc import allowed, balance
from verif.common.csr_map import load_csr_map
from verif.nzpc.nzpc_codec import CORE, NzpcCodec
from verif.nzpc.nzpc_stimulus import ff_op, mask_ops, readback_op, record_ops


@pytest.fixture(params=[16, 8], ids=["lanes16", "lanes8"])
def codec(request):
    params = {**CORE.parameters, "Lanes": request.param}
    return NzpcCodec(load_csr_map(CORE.rdl), params)


def test_readback_layout_element_by_element(codec):
    rng = np.random.default_rng(1)
    m, n, lanes = 21, 2 * codec.lanes + 3, codec.lanes
    state = rng.integers(0, 4, (m, n)).astype(np.int8)
    words = codec.readback_words(readback_op("rb", state, 1))
    assert words.shape == (codec.result_words(readback_op("rb", state, 1)), lanes)
    keep = (state == 1) | (state == 3)
    beat = 0
    for b in range(-(-n // lanes)):                     # mask words
        for mb in range(-(-m // 16)):
            for ln in range(lanes):
                col, want = b * lanes + ln, 0
                for i in range(16):
                    row = mb * 16 + i
                    if row < m and col < n:
                        want |= int(state[row, col]) << (2 * i)
                assert words[beat, ln] == want, (b, mb, ln)
            beat += 1
    sched_bp, sched_wg = balance(keep.sum(axis=0), lanes), balance(keep.sum(axis=1), lanes)
    for values, count in ((keep.sum(axis=0), n), (keep.sum(axis=1), m), (sched_bp, n), (sched_wg, m)):
        for b in range(-(-count // lanes)):
            for ln in range(lanes):
                i = b * lanes + ln
                assert words[beat, ln] == (values[i] if i < count else 0)
            beat += 1
    assert beat == len(words)


def step_lanes(lane_lines: list[list[int]], rounds: int) -> tuple[int, int]:
    """ROUND_CYC and IMBALANCE by stepping cycles: each lane works through its lines' cycles; a
    round ends when every lane is done."""
    round_cyc = imbalance = 0
    for _ in range(rounds):
        left = [sum(lines) for lines in lane_lines]
        while any(left):
            round_cyc += 1
            imbalance += sum(1 for x in left if x == 0)
            left = [max(0, x - 1) for x in left]
    return round_cyc, imbalance


def test_counters_of_the_cost_model_match_a_cycle_stepped_reference(codec):
    rng = np.random.default_rng(2)
    ff = ff_op(rng, "ff", 9, 3 * codec.lanes + 5, 37, "relu6")
    state = codec.state_after(ff)
    for op in [ff] + mask_ops(rng, "x", ff, state, 11, 13):
        visits = codec.visits(op)
        g = codec.geometry(op)
        if op.phase != "FF" and op.meta["mode"] == "estimator":
            mask = state.T if op.phase == "BP" else state
            assert np.array_equal(visits, allowed(mask))
            cost = [max(1, int(v.sum())) for v in visits]
            lane_of = balance([int(v.sum()) for v in visits], codec.lanes) if op.meta["balance"] else \
                [q % codec.lanes for q in range(g["QB"] * codec.lanes)]
        else:
            s = codec.vs(op)[1]
            cost = [g["PW"] + int((s[q] != 0).sum()) for q in range(g["Q"])]
            lane_of = [q % codec.lanes for q in range(g["Q"])]
        lanes = [[cost[q] for q in range(g["Q"]) if lane_of[q] == ln] for ln in range(codec.lanes)]
        want = step_lanes(lanes, g["R"])
        got = codec.core_counts(op)
        assert (got["ROUND_CYC"], got["IMBALANCE"]) == want, op.op_id


def test_result_layout_and_transpose(codec):
    rng = np.random.default_rng(3)
    ff = ff_op(rng, "ff", 5, codec.lanes + 3, 20, "relu")
    for op in [ff] + mask_ops(rng, "x", ff, codec.state_after(ff), 6, 7, variants=(("estimator", True),)):
        want = codec.expected(op)
        g = codec.geometry(op)
        out = want.T if op.phase == "WG" else want         # out[r, q]
        beats = []
        for r in range(g["R"]):
            for b in range(g["QB"]):
                word = 0
                for ln in range(codec.lanes):
                    q = b * codec.lanes + ln
                    if q < g["Q"]:
                        word |= int(out[r, q:q + 1].view(np.uint32)[0]) << (32 * ln)
                beats.append(word)
        assert len(beats) == codec.result_words(op)
        assert np.array_equal(codec.decode(op, beats).view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("mode", ["estimator", "detect"])
def test_record_results_equal_the_recorded_ones_in_every_mode(mode):
    codec = NzpcCodec(load_csr_map(CORE.rdl))
    from models.records import load_records
    recorded = {rec.id: rec.c for rec in load_records(CORE.compare_records[0], method="nzpc")}
    ops = record_ops(mode=mode, readbacks=False)
    assert len(ops) == len(recorded) == 36
    for op in ops:
        assert np.array_equal(codec.expected(op).view(np.uint32), golden.bits(recorded[op.op_id])), op.op_id


def test_faults_change_only_what_they_name():
    codec = NzpcCodec(load_csr_map(CORE.rdl))
    rng = np.random.default_rng(4)
    ff = ff_op(rng, "ff", 5, 6, 7)
    bp, wg = mask_ops(rng, "x", ff, codec.state_after(ff), 3, 4, variants=(("estimator", True),))
    for op, field in ((bp, "DIM_K"), (wg, "DIM_M")):
        good = dict(codec.csr_writes(op))
        op.fault = "mask_shape"
        bad = dict(codec.csr_writes(op))
        assert {k for k in good if good[k] != bad[k]} == {field}
        op.fault = "mask_stale"
        assert {k for k, v in codec.csr_writes(op) if v != good[k]} == {"LAYER"}
