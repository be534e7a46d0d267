"""cocotb tests for the protocol checkers in verif/units/assert_tb.sv.

`legal_traffic` drives rule-abiding random traffic on every checker (back-pressure, multi-beat
frames, AXI4-Lite requests up to the outstanding limit) and must pass. Every other test breaks
exactly one rule and must be failed by exactly the assertion named in VIOLATIONS (the test itself
never fails from Python: only a firing assertion, which ends the simulation with $fatal, fails it).
verif/units/test_assertions.py runs each violation in its own simulation and checks both.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.types import Logic

MAX_OUTSTANDING = 4  # assert_tb's default MaxOutstanding

# violation test -> the assertion (path under assert_tb) that must fail it; x_only: Icarus only
# (Verilator is 2-state: an X cannot be driven, and $isunknown is always 0).
VIOLATIONS = {
    "chan_valid_drop": "u_chan.ValidHeldUntilReady_A",
    "chan_payload_change": "u_chan.PayloadStable_A",
    "chan_valid_x": "u_chan.ValidKnown_A",
    "chan_ready_x": "u_chan.ReadyKnown_A",
    "axil_b_without_w": "u_axil.BOnlyAfterWrite_A",
    "axil_r_twice": "u_axil.ROnlyAfterRead_A",
    "axil_too_many_writes": "u_axil.WrOutstandingMax_A",
    "axil_too_many_reads": "u_axil.RdOutstandingMax_A",
    "axil_bresp_exokay": "u_axil.BRespLegal_A",
    "axil_rresp_decerr": "u_axil.RRespLegal_A",
    "frame_last_early": "u_frame.LastIffFinalBeat_A",
    "frame_last_missing": "u_frame.LastIffFinalBeat_A",
    "frame_beat_without_frame": "u_frame.BeatWithoutFrame_A",
    "frame_start_overlap": "u_frame.StartAfterFrameSent_A",
    "frame_start_empty": "u_frame.StartEmptyFrame_A",
}
X_ONLY = ("chan_valid_x", "chan_ready_x")
# Run on a build with MaxOutstanding=0: fails at time 0, before any clock edge.
INIT_VIOLATION = ("init_max_outstanding_zero", "u_axil.MaxOutstandingPositive_A")

INPUTS = ("ch_valid_i", "ch_ready_i", "ch_payload_i", "aw_hs_i", "w_hs_i", "b_valid_i", "b_ready_i",
          "b_resp_i", "ar_hs_i", "r_valid_i", "r_ready_i", "r_resp_i", "start_i", "words_i",
          "s_valid_i", "s_ready_i", "s_last_i")


async def reset(dut) -> None:
    """Every input 0, clock running, reset held for 3 edges; returns just after the edge at which
    reset is first seen released (the checkers check from that edge on)."""
    for name in INPUTS:
        getattr(dut, name).value = 0
    dut.rst_ni.value = 0
    Clock(dut.clk_i, 10, unit="ns", impl="gpi").start()
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)


async def cycle(dut, **values) -> None:
    """Drive the given inputs (the rest keep their values) and let the checkers sample them at the
    next rising edge."""
    for name, value in values.items():
        getattr(dut, name).value = value
    await RisingEdge(dut.clk_i)


async def idle(dut, n: int = 5) -> None:
    """Nothing offered for n edges: a violation that fires one edge late still fires in the test."""
    await cycle(dut, ch_valid_i=0, ch_ready_i=0, aw_hs_i=0, w_hs_i=0, b_valid_i=0, b_ready_i=0,
                ar_hs_i=0, r_valid_i=0, r_ready_i=0, start_i=0, s_valid_i=0, s_ready_i=0)
    await ClockCycles(dut.clk_i, n - 1)


# ------------------------------------------------------------------------------------ legal traffic

@cocotb.test()
async def legal_traffic(dut) -> None:
    """Random traffic that keeps every rule; the checkers must stay silent. Also checks that the
    traffic reached the corners (stalls, the outstanding limit, a start with the final beat)."""
    await reset(dut)
    rng = random.Random(random.getrandbits(32))
    st = dict(stalls=0, beats=0, max_wr=0, max_rd=0, writes=0, reads=0, frames=0, max_words=0,
              start_on_final=0, frame_stalls=0)
    # channel: the offered beat
    ch_valid, ch_payload = 0, 0
    # AXI4-Lite: handshakes taken at earlier edges and not yet answered; the offered responses
    aw_out = w_out = ar_out = 0
    b_valid, b_resp, r_valid, r_resp = 0, 0, 0, 0
    # frame: beats of the pending frame not yet taken; the offered beat
    left, s_valid, s_last = 0, 0, 0

    for _ in range(1500):
        # VALID/READY channel: hold VALID and payload until READY.
        if not ch_valid and rng.random() < 0.7:
            ch_valid, ch_payload = 1, rng.randrange(256)
        ch_ready = int(rng.random() < 0.4)
        ch_payload_drv = ch_payload if ch_valid else rng.randrange(256)

        # AXI4-Lite: requests up to the limit, slow responses (B needs both AW and W).
        aw_hs = int(aw_out < MAX_OUTSTANDING and rng.random() < 0.5)
        w_hs = int(w_out < MAX_OUTSTANDING and rng.random() < 0.5)
        ar_hs = int(ar_out < MAX_OUTSTANDING and rng.random() < 0.5)
        if not b_valid and min(aw_out, w_out) > 0 and rng.random() < 0.5:
            b_valid, b_resp = 1, rng.choice((0b00, 0b10))
        if not r_valid and ar_out > 0 and rng.random() < 0.5:
            r_valid, r_resp = 1, rng.choice((0b00, 0b10))
        b_ready = int(rng.random() < 0.3)
        r_ready = int(rng.random() < 0.3)
        # Response codes are only checked while valid: drive anything (EXOKAY, DECERR) otherwise.
        b_resp_drv = b_resp if b_valid else rng.randrange(4)
        r_resp_drv = r_resp if r_valid else rng.randrange(4)

        # Frame: beats only while a frame is pending, tlast on its final one; the next start once
        # it is sent, possibly with the final beat's handshake.
        if left and not s_valid and rng.random() < 0.7:
            s_valid, s_last = 1, int(left == 1)
        s_ready = int(rng.random() < 0.5)
        s_hs = s_valid and s_ready
        final = s_hs and left == 1
        start, words = 0, rng.randrange(2**32)  # words_i is only sampled with start_i
        if (left == 0 and rng.random() < 0.3) or (final and rng.random() < 0.7):
            start, words = 1, rng.randint(1, 8)
        s_last_drv = s_last if s_valid else rng.randrange(2)

        await cycle(dut, ch_valid_i=ch_valid, ch_ready_i=ch_ready, ch_payload_i=ch_payload_drv,
                    aw_hs_i=aw_hs, w_hs_i=w_hs, b_valid_i=b_valid, b_ready_i=b_ready,
                    b_resp_i=b_resp_drv, ar_hs_i=ar_hs, r_valid_i=r_valid, r_ready_i=r_ready,
                    r_resp_i=r_resp_drv, start_i=start, words_i=words, s_valid_i=s_valid,
                    s_ready_i=s_ready, s_last_i=s_last_drv)

        if ch_valid and ch_ready:
            ch_valid = 0
            st["beats"] += 1
        elif ch_valid:
            st["stalls"] += 1
        if b_valid and b_ready:
            b_valid, aw_out, w_out = 0, aw_out - 1, w_out - 1
            st["writes"] += 1
        if r_valid and r_ready:
            r_valid, ar_out = 0, ar_out - 1
            st["reads"] += 1
        aw_out, w_out, ar_out = aw_out + aw_hs, w_out + w_hs, ar_out + ar_hs
        st["max_wr"] = max(st["max_wr"], aw_out, w_out)
        st["max_rd"] = max(st["max_rd"], ar_out)
        if s_valid and not s_ready:
            st["frame_stalls"] += 1
        if s_hs:
            s_valid, left = 0, left - 1
            st["frames"] += int(final)
        if start:
            left = words
            st["max_words"] = max(st["max_words"], words)
            st["start_on_final"] += int(final)
    # Take whatever is still offered (withdrawing it would break the VALID rule), then go idle.
    await cycle(dut, ch_valid_i=ch_valid, ch_ready_i=1, ch_payload_i=ch_payload, aw_hs_i=0,
                w_hs_i=0, ar_hs_i=0, b_valid_i=b_valid, b_ready_i=1, b_resp_i=b_resp,
                r_valid_i=r_valid, r_ready_i=1, r_resp_i=r_resp, start_i=0, s_valid_i=s_valid,
                s_ready_i=1, s_last_i=s_last)
    await idle(dut)

    dut._log.info("legal traffic: %s", st)
    assert st["stalls"] > 50 and st["beats"] > 200, st
    assert st["max_wr"] == MAX_OUTSTANDING and st["max_rd"] == MAX_OUTSTANDING, st
    assert st["writes"] > 50 and st["reads"] > 50, st
    assert st["frames"] > 30 and st["max_words"] >= 6 and st["frame_stalls"] > 50, st
    assert st["start_on_final"] > 0, st


# ------------------------------------------------------------------- one violation per assertion

@cocotb.test()
async def chan_valid_drop(dut) -> None:
    await reset(dut)
    await cycle(dut, ch_valid_i=1, ch_ready_i=0, ch_payload_i=0x5A)
    await cycle(dut, ch_valid_i=0, ch_ready_i=0, ch_payload_i=0x5A)  # VALID withdrawn, not taken
    await idle(dut)


@cocotb.test()
async def chan_payload_change(dut) -> None:
    await reset(dut)
    await cycle(dut, ch_valid_i=1, ch_ready_i=0, ch_payload_i=0x5A)
    await cycle(dut, ch_valid_i=1, ch_ready_i=0, ch_payload_i=0x5B)  # changed while waiting
    await cycle(dut, ch_valid_i=1, ch_ready_i=1, ch_payload_i=0x5B)
    await idle(dut)


@cocotb.test()
async def chan_valid_x(dut) -> None:
    await reset(dut)
    await cycle(dut, ch_valid_i=1, ch_ready_i=1, ch_payload_i=1)
    await cycle(dut, ch_valid_i=Logic("X"), ch_ready_i=1)  # READY high: no stall is recorded
    await idle(dut)


@cocotb.test()
async def chan_ready_x(dut) -> None:
    await reset(dut)
    await cycle(dut, ch_valid_i=0, ch_ready_i=Logic("X"))  # VALID low: no stall is recorded
    await idle(dut)


@cocotb.test()
async def axil_b_without_w(dut) -> None:
    await reset(dut)
    await cycle(dut, aw_hs_i=1)  # the address only: the write is not complete
    await cycle(dut, aw_hs_i=0, b_valid_i=1, b_ready_i=1, b_resp_i=0b00)
    await idle(dut)


@cocotb.test()
async def axil_r_twice(dut) -> None:
    await reset(dut)
    await cycle(dut, ar_hs_i=1)
    await cycle(dut, ar_hs_i=0, r_valid_i=1, r_ready_i=1, r_resp_i=0b00)  # the answer
    await cycle(dut, r_valid_i=1, r_ready_i=1, r_resp_i=0b00)  # a second answer to one read
    await idle(dut)


@cocotb.test()
async def axil_too_many_writes(dut) -> None:
    await reset(dut)
    for _ in range(MAX_OUTSTANDING + 1):
        await cycle(dut, aw_hs_i=1, w_hs_i=1)
    await idle(dut)


@cocotb.test()
async def axil_too_many_reads(dut) -> None:
    await reset(dut)
    for _ in range(MAX_OUTSTANDING + 1):
        await cycle(dut, ar_hs_i=1)
    await idle(dut)


@cocotb.test()
async def axil_bresp_exokay(dut) -> None:
    await reset(dut)
    await cycle(dut, aw_hs_i=1, w_hs_i=1)
    await cycle(dut, aw_hs_i=0, w_hs_i=0, b_valid_i=1, b_ready_i=0, b_resp_i=0b01)
    await idle(dut)


@cocotb.test()
async def axil_rresp_decerr(dut) -> None:
    await reset(dut)
    await cycle(dut, ar_hs_i=1)
    await cycle(dut, ar_hs_i=0, r_valid_i=1, r_ready_i=0, r_resp_i=0b11)
    await idle(dut)


@cocotb.test()
async def frame_last_early(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=3)
    await cycle(dut, start_i=0, s_valid_i=1, s_ready_i=1, s_last_i=1)  # beat 1 of 3 with tlast
    await idle(dut)


@cocotb.test()
async def frame_last_missing(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=2)
    await cycle(dut, start_i=0, s_valid_i=1, s_ready_i=1, s_last_i=0)
    await cycle(dut, s_valid_i=1, s_ready_i=1, s_last_i=0)  # beat 2 of 2 without tlast
    await idle(dut)


@cocotb.test()
async def frame_beat_without_frame(dut) -> None:
    await reset(dut)
    await cycle(dut, s_valid_i=1, s_ready_i=1, s_last_i=1)  # nothing announced
    await idle(dut)


@cocotb.test()
async def frame_start_overlap(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=3)
    await cycle(dut, start_i=0, s_valid_i=1, s_ready_i=1, s_last_i=0)
    await cycle(dut, start_i=1, words_i=3, s_valid_i=0)  # two beats of the first frame unsent
    await idle(dut)


@cocotb.test()
async def frame_start_empty(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=0)
    await idle(dut)


@cocotb.test()
async def init_max_outstanding_zero(dut) -> None:
    """On a build with MaxOutstanding=0 the parameter check fails at time 0; elsewhere it passes."""
    await reset(dut)
    await idle(dut)
