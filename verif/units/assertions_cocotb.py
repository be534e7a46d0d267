"""cocotb tests for the protocol checkers and the RowPipe line buffer in verif/units/assert_tb.sv.

`legal_traffic` drives rule-abiding random traffic on every checker (back-pressure, multi-beat
frames, AXI4-Lite requests up to the outstanding limit) and must pass. `linebuf_legal` does the same
for rowpipe_linebuf (rows written in order into bank r mod (K+1), released as a consumer would, reads
of written rows; every K, both modes, jobs cut short, perf_clear) and checks every cycle against a
model (LbModel): read data, the conflict flag, BANK_CONFLICT, PEAK_ROWS and the per-bank access
counters. Every test in VIOLATIONS breaks exactly one rule and must be failed by exactly the
assertion named there (the test itself never fails from Python: only a firing assertion, which ends
the simulation with $fatal, fails it). The OFF_ONLY tests break the line buffer's rule on purpose and
pass only on a build without assertions (ACCEL_ASSERT_OFF), where they check that the conflict
counter counts what the assertion would have stopped at.
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
    "frame_cut_without_last": "u_frame.CutFrameEnds_A",
    "frame_cut_too_long": "u_frame.CutFrameEnds_A",
    "frame_dropped_then_beat": "u_frame.BeatWithoutFrame_A",
    "lb_overwrite_live": "u_linebuf.ConflictNever_A",
    "lb_layerwise_overwrite": "u_linebuf.ConflictNever_A",
    "lb_read_unwritten": "u_linebuf.ConflictNever_A",
    "lb_read_after_start": "u_linebuf.ConflictNever_A",
}
X_ONLY = ("chan_valid_x", "chan_ready_x")
# Run on a build with MaxOutstanding=0: fails at time 0, before any clock edge.
INIT_VIOLATION = ("init_max_outstanding_zero", "u_axil.MaxOutstandingPositive_A")
# Legal traffic: must pass silently on every build.
LEGAL = ("legal_traffic", "linebuf_legal", "frame_cut_legal")
# Conflicts on purpose, checked by counters: pass only where the assertions are compiled out.
OFF_ONLY = ("linebuf_conflict_count",)

INPUTS = ("ch_valid_i", "ch_ready_i", "ch_payload_i", "aw_hs_i", "w_hs_i", "b_valid_i", "b_ready_i",
          "b_resp_i", "ar_hs_i", "r_valid_i", "r_ready_i", "r_resp_i", "start_i", "words_i", "abort_i",
          "s_valid_i", "s_ready_i", "s_last_i", "lb_clear_i", "lb_start_i", "lb_layerwise_i", "lb_k_i",
          "lb_released_i", "lb_we_i", "lb_wrow_i", "lb_waddr_i", "lb_wdata_i", "lb_re_i", "lb_rrow_i",
          "lb_raddr_i")


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
                ar_hs_i=0, r_valid_i=0, r_ready_i=0, start_i=0, abort_i=0, s_valid_i=0, s_ready_i=0,
                lb_we_i=0, lb_re_i=0, lb_start_i=0, lb_clear_i=0)
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


async def beat(dut, last: int, ready: int = 1, abort: int = 0) -> None:
    """One beat offered (taken when ready), no start; abort: a soft reset in the same cycle."""
    await cycle(dut, start_i=0, abort_i=abort, s_valid_i=1, s_ready_i=ready, s_last_i=last)


@cocotb.test()
async def frame_cut_legal(dut) -> None:
    """A soft reset (abort_i) cuts a frame as buf_drain does: the beat on the bus then a tlast
    marker; a marker alone after beats were sent; the held beat when it was the last one; a frame
    with nothing sent dropped whole; each time the next frame is checked normally."""
    await reset(dut)
    await cycle(dut, start_i=1, words_i=5)
    await beat(dut, 0)
    await beat(dut, 0, ready=0, abort=1)          # on the bus, not taken, at the abort
    await beat(dut, 0)                              # ... taken
    await beat(dut, 1)                              # the marker
    await cycle(dut, s_valid_i=0, start_i=1, words_i=2)
    await beat(dut, 0)
    await cycle(dut, s_valid_i=0, abort_i=1)        # nothing on the bus: the marker ends it
    await beat(dut, 1)
    await cycle(dut, s_valid_i=0, start_i=1, words_i=2)
    await beat(dut, 0)
    await beat(dut, 1, ready=0, abort=1)          # the frame's real last beat is on the bus
    await beat(dut, 1)
    await cycle(dut, s_valid_i=0, start_i=1, words_i=3)
    await cycle(dut, start_i=0, abort_i=1)          # nothing sent: dropped
    await cycle(dut, abort_i=0, start_i=1, words_i=1)
    await beat(dut, 1)
    await idle(dut)


@cocotb.test()
async def frame_cut_without_last(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=4)
    await beat(dut, 0)
    await cycle(dut, s_valid_i=0, abort_i=1)
    await beat(dut, 0)                              # the one beat left must carry tlast
    await idle(dut)


@cocotb.test()
async def frame_cut_too_long(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=6)
    await beat(dut, 0, ready=0, abort=1)
    await beat(dut, 0)
    await beat(dut, 0)                              # a third beat after the cut
    await idle(dut)


@cocotb.test()
async def frame_dropped_then_beat(dut) -> None:
    await reset(dut)
    await cycle(dut, start_i=1, words_i=3)
    await cycle(dut, start_i=0, abort_i=1)          # nothing sent or on the bus: dropped
    await beat(dut, 1)
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


# --------------------------------------------------------------------------- rowpipe_linebuf

LB_BANKS, LB_BANK_ROWS, LB_ROW_WORDS = 4, 2, 4  # assert_tb's u_linebuf
LB_IDLE = dict(lb_clear_i=0, lb_start_i=0, lb_we_i=0, lb_re_i=0)


class LbModel:
    """rowpipe_linebuf as specified, one rising edge at a time (reset released): where each row
    lives, the residency and begun-row tracking behind the conflict flag, the memory, the held read
    data and the counters. `conflict` is the flag for the inputs of the coming edge; `step` applies
    that edge."""

    def __init__(self) -> None:
        self.res: dict[int, int] = {}        # bank slot index -> resident row (since the job began)
        self.begun = 0                       # 1 + the highest row written in this job
        self.mem: dict[tuple[int, int], int] = {}  # (bank slot index, word) -> data
        self.rdata: int | None = None        # rdata_o (None: unknown, e.g. a never-written word)
        self.conflicts = self.peak = 0
        self.wr = [0] * 4
        self.rd = [0] * 4

    @staticmethod
    def slot(row: int, k: int, layerwise: int) -> tuple[int, int]:
        """(bank, bank slot index): bank row mod (K+1); slot row div (K+1) layer by layer, else 0
        (the RTL keeps the slot number's low bits: BankRows is a power of two here)."""
        nb = k + 1
        bank = (row % nb) & 3
        return bank, bank * LB_BANK_ROWS + ((row // nb) % LB_BANK_ROWS if layerwise else 0)

    def conflict(self, i: dict) -> tuple[bool, bool]:
        """(write conflict, read conflict) for the inputs i of the coming edge."""
        wr = rd = False
        if i["lb_we_i"]:
            r = self.res.get(self.slot(i["lb_wrow_i"], i["lb_k_i"], i["lb_layerwise_i"])[1])
            wr = r is not None and r != i["lb_wrow_i"] and r >= i["lb_released_i"]
        if i["lb_re_i"]:
            rd = i["lb_rrow_i"] >= self.begun
        return wr, rd

    def step(self, i: dict) -> None:
        live = max(self.begun - i["lb_released_i"], 0)
        hit = any(self.conflict(i))
        if i["lb_re_i"]:
            bank, idx = self.slot(i["lb_rrow_i"], i["lb_k_i"], i["lb_layerwise_i"])
            self.rdata = self.mem.get((idx, i["lb_raddr_i"]))
            self.rd[bank] += 1
        if i["lb_we_i"]:
            bank, idx = self.slot(i["lb_wrow_i"], i["lb_k_i"], i["lb_layerwise_i"])
            self.mem[(idx, i["lb_waddr_i"])] = i["lb_wdata_i"]
            self.wr[bank] += 1
        if i["lb_start_i"]:
            self.res, self.begun = {}, 0
        elif i["lb_we_i"]:
            self.res[idx] = i["lb_wrow_i"]
            self.begun = max(self.begun, i["lb_wrow_i"] + 1)
        if i["lb_clear_i"]:
            self.conflicts = self.peak = 0
            self.wr, self.rd = [0] * 4, [0] * 4
        else:
            self.conflicts += int(hit)
            self.peak = max(self.peak, live)


class LbDriver:
    """Drives u_linebuf one cycle at a time and checks, at every rising edge, the flag the assertion
    samples (conflict_o) and the outputs the earlier edges left (rdata_o, conflicts_o, peak_o, the
    access counters) against LbModel."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.model = LbModel()
        self.inputs = {name: 0 for name in INPUTS if name.startswith("lb_")}  # reset() drove 0
        self.flagged = 0                     # edges at which conflict_o was 1

    async def cycle(self, idle: bool = False, **values) -> None:
        """One edge with the given inputs (the rest keep their values; idle: no write, read, start
        or clear unless given)."""
        self.inputs.update({**LB_IDLE, **values} if idle else values)
        await cycle(self.dut, **{name: self.inputs[name] for name in LB_IDLE | values})
        dut, m = self.dut, self.model
        wr, rd = m.conflict(self.inputs)
        got = int(dut.lb_conflict_o.value)
        assert got == int(wr or rd), f"conflict_o {got}, expected write {wr} read {rd}: {self.inputs}"
        self.flagged += got
        if m.rdata is not None:
            assert dut.lb_rdata_o.value.to_unsigned() == m.rdata, \
                f"rdata_o 0x{dut.lb_rdata_o.value.to_unsigned():04X}, expected 0x{m.rdata:04X}"
        assert dut.lb_conflicts_o.value.to_unsigned() == m.conflicts, \
            f"conflicts_o {dut.lb_conflicts_o.value.to_unsigned()}, expected {m.conflicts}"
        assert dut.lb_peak_o.value.to_unsigned() == m.peak, \
            f"peak_o {dut.lb_peak_o.value.to_unsigned()}, expected {m.peak}"
        for name, exp in (("lb_wr_count_o", m.wr), ("lb_rd_count_o", m.rd)):
            v = getattr(dut, name).value.to_unsigned()
            got_counts = [(v >> (32 * b)) & 0xFFFFFFFF for b in range(4)]
            assert got_counts == exp, f"{name} {got_counts}, expected {exp}"
        m.step(self.inputs)

    async def write_row(self, row: int, released: int | None = None) -> None:
        """Every word of row, one a cycle, random data."""
        for addr in range(LB_ROW_WORDS):
            extra = {} if released is None else {"lb_released_i": released}
            await self.cycle(idle=True, lb_we_i=1, lb_wrow_i=row, lb_waddr_i=addr,
                             lb_wdata_i=random.randrange(1 << 16), **extra)

    async def idle(self, n: int = 3) -> None:
        for _ in range(n):
            await self.cycle(idle=True)


async def lb_job(lb: LbDriver, rng: random.Random, k: int, layerwise: int, rows: int, st: dict,
                 profile: tuple[float, float, float], cut_short: bool = False) -> None:
    """One job: a producer writes rows 0..rows-1 in order (each row's words in random order), a row
    only once its bank slot holds no live row; a consumer reads random words of fully written,
    unreleased rows and releases rows in order. profile: the chances per cycle of a write, a read
    and a release (release 0: only when the producer waits for a slot or is done, so the buffer
    fills). Ends with every row released (or, cut_short, half way), then start_i begins the next job."""
    p_write, p_read, p_release = profile
    released = complete = 0
    row, left = 0, None                      # the row being written; its words not yet written
    blocked = False                          # the producer waited for a slot last cycle
    await lb.cycle(idle=True, lb_k_i=k, lb_layerwise_i=layerwise, lb_released_i=0)
    while released < rows and not (cut_short and released >= rows // 2 and row > released):
        drive = dict(LB_IDLE)
        freed = False
        on_demand = p_release == 0 and (blocked or row == rows)
        if complete > released and (rng.random() < p_release or on_demand):
            released, freed = released + 1, True
        drive["lb_released_i"] = released
        blocked = False
        if row < rows and rng.random() < p_write:
            if left is None:                 # a new row: its slot must hold no live row
                resident = lb.model.res.get(LbModel.slot(row, k, layerwise)[1])
                if resident is None or resident < released:
                    left = rng.sample(range(LB_ROW_WORDS), LB_ROW_WORDS)
                    st["slot_freed_same_cycle"] += int(freed and resident == released - 1)
                    st["slot_reuse"] += int(resident is not None)
                else:
                    st["producer_waits"] += 1
                    blocked = True
            if left is not None:
                drive.update(lb_we_i=1, lb_wrow_i=row, lb_waddr_i=left.pop(),
                             lb_wdata_i=rng.randrange(1 << 16))
                st["writes"] += 1
                st["bank_writes"][LbModel.slot(row, k, layerwise)[0]] += 1
                if not left:
                    row, left, complete = row + 1, None, complete + 1
        if complete > released and rng.random() < p_read:
            rrow = rng.randrange(released, complete)
            drive.update(lb_re_i=1, lb_rrow_i=rrow, lb_raddr_i=rng.randrange(LB_ROW_WORDS))
            st["reads"] += 1
            st["bank_reads"][LbModel.slot(rrow, k, layerwise)[0]] += 1
            st["read_newest"] += int(rrow == complete - 1)
        if rng.random() < 0.01:
            drive["lb_clear_i"] = 1          # perf_clear: counters and PEAK_ROWS only
            st["clears"] += 1
        await lb.cycle(**drive)
        mode = "live_layer" if layerwise else "live_row"  # rows begun and not released
        st[mode] = max(st[mode], lb.model.begun - released)
    await lb.cycle(idle=True, lb_start_i=1)  # the next job: nothing resident or begun
    st["jobs"] += 1
    st["cut_short"] += int(cut_short)


@cocotb.test()
async def linebuf_legal(dut) -> None:
    """rowpipe_linebuf: legal producer/consumer traffic for every K (0..3) in both modes, some jobs
    cut short by start_i, perf_clear now and then. No conflict, every output as LbModel says."""
    await reset(dut)
    rng = random.Random(random.getrandbits(32))
    lb = LbDriver(dut)
    st = dict(jobs=0, cut_short=0, writes=0, reads=0, read_newest=0, producer_waits=0, slot_reuse=0,
              slot_freed_same_cycle=0, clears=0, live_row=0, live_layer=0, bank_writes=[0] * 4,
              bank_reads=[0] * 4)
    # every K in both modes: a consumer that releases only on demand (the buffer fills), a slow
    # one and a fast one
    jobs = [(k, lw, prof) for k in range(LB_BANKS) for lw in (0, 1)
            for prof in ((0.9, 0.3, 0.0), (0.8, 0.5, 0.1), (0.4, 0.5, 0.4))]
    rng.shuffle(jobs)
    # only K = 3 uses the last bank, and a job cut short may barely touch it: a few more K = 3 jobs
    # (at most 12) until every bank has seen more than 10 writes and reads, as the last check asks
    extra = [(LB_BANKS - 1, rng.randint(0, 1), (0.8, 0.5, 0.1)) for _ in range(12)]
    for n, (k, layerwise, profile) in enumerate(jobs + extra):
        if n >= len(jobs) and min(st["bank_writes"] + st["bank_reads"]) > 10:
            break
        nb = k + 1
        rows = rng.randint(nb * LB_BANK_ROWS, nb * LB_BANK_ROWS + 6) if layerwise else rng.randint(nb + 2, nb + 8)
        await lb_job(lb, rng, k, layerwise, rows, st, profile, cut_short=n % 5 == 4 and n < len(jobs))
    await lb.idle()
    dut._log.info("linebuf legal traffic: %s", st)
    assert lb.flagged == 0 and lb.model.conflicts == 0
    assert st["writes"] > 300 and st["reads"] > 200 and st["read_newest"] > 50, st
    assert st["producer_waits"] > 20 and st["slot_reuse"] > 20 and st["slot_freed_same_cycle"] > 0, st
    assert st["clears"] > 0 and st["cut_short"] > 0, st
    # Row pipeline: at most K+1 rows live (one a bank); layer by layer: up to (K+1) x BankRows.
    assert st["live_row"] == LB_BANKS and st["live_layer"] == LB_BANKS * LB_BANK_ROWS, st
    assert min(st["bank_writes"] + st["bank_reads"]) > 10, st


# One line-buffer violation per test; the cycles before it are legal.

@cocotb.test()
async def lb_overwrite_live(dut) -> None:
    """K=1, row pipeline: rows 0 and 1 written, row 0 released, row 2 into bank 0 (legal); then row 3
    into bank 1, whose resident row 1 is live (released = 1): ConflictNever_A."""
    await reset(dut)
    lb = LbDriver(dut)
    await lb.cycle(lb_k_i=1, lb_layerwise_i=0, lb_released_i=0)
    await lb.write_row(0)
    await lb.write_row(1)
    await lb.write_row(2, released=1)
    await lb.write_row(3, released=1)
    await lb.idle()


@cocotb.test()
async def lb_layerwise_overwrite(dut) -> None:
    """K=1, layer by layer: rows 0..3 fill both slots of both banks; row 4 (bank 0, slot 0 again)
    while row 0 is live: ConflictNever_A."""
    await reset(dut)
    lb = LbDriver(dut)
    await lb.cycle(lb_k_i=1, lb_layerwise_i=1, lb_released_i=0)
    for row in range(5):
        await lb.write_row(row)
    await lb.idle()


@cocotb.test()
async def lb_read_unwritten(dut) -> None:
    """K=2: rows 0 and 1 written and read; then a read of row 2, never written: ConflictNever_A."""
    await reset(dut)
    lb = LbDriver(dut)
    await lb.cycle(lb_k_i=2, lb_layerwise_i=0, lb_released_i=0)
    await lb.write_row(0)
    await lb.write_row(1)
    for row in (0, 1, 2):
        await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=row, lb_raddr_i=3)
    await lb.idle()


@cocotb.test()
async def lb_read_after_start(dut) -> None:
    """K=1: row 0 written and read; start_i begins a new job; a read of row 0 (of the old job):
    ConflictNever_A."""
    await reset(dut)
    lb = LbDriver(dut)
    await lb.cycle(lb_k_i=1, lb_layerwise_i=0, lb_released_i=0)
    await lb.write_row(0)
    await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=0, lb_raddr_i=0)
    await lb.cycle(idle=True, lb_start_i=1)
    await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=0, lb_raddr_i=0)
    await lb.idle()


@cocotb.test()
async def linebuf_conflict_count(dut) -> None:
    """OFF_ONLY (ACCEL_ASSERT_OFF build): conflicts on purpose. conflict_o flags each, conflicts_o
    counts one per cycle (a write and a read conflict in one cycle count once), perf_clear zeroes it
    and PEAK_ROWS even in a conflict cycle; every cycle also against LbModel."""
    await reset(dut)
    lb = LbDriver(dut)

    async def count() -> int:
        await lb.cycle(idle=True)            # outputs now show every earlier edge
        return lb.dut.lb_conflicts_o.value.to_unsigned()

    await lb.cycle(lb_k_i=1, lb_layerwise_i=0, lb_released_i=0)
    await lb.write_row(0)
    await lb.write_row(1)                    # begun 2, rows 0 and 1 live
    assert await count() == 0 and lb.dut.lb_peak_o.value.to_unsigned() == 2
    await lb.cycle(idle=True, lb_we_i=1, lb_wrow_i=2, lb_waddr_i=0)  # bank 0 holds live row 0
    assert lb.flagged == 1 and await count() == 1
    await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=3, lb_raddr_i=0)  # begun is 3 now: row 3 unbegun
    await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=2, lb_raddr_i=0)  # row 2 begun: legal
    assert lb.flagged == 2 and await count() == 2
    # a write conflict (bank 1 holds live row 1) and a read conflict in one cycle: counted once
    await lb.cycle(idle=True, lb_released_i=1, lb_we_i=1, lb_wrow_i=3, lb_waddr_i=0, lb_re_i=1,
                   lb_rrow_i=9, lb_raddr_i=0)
    assert lb.flagged == 3 and await count() == 3
    for _ in range(3):                       # a conflict held for three cycles: three
        await lb.cycle(idle=True, lb_re_i=1, lb_rrow_i=4, lb_raddr_i=0)
    assert lb.flagged == 6 and await count() == 6
    assert lb.dut.lb_peak_o.value.to_unsigned() == 3  # rows 0..2 begun, none released
    await lb.cycle(idle=True, lb_clear_i=1, lb_re_i=1, lb_rrow_i=4, lb_raddr_i=0)  # clear wins
    assert lb.flagged == 7 and await count() == 0
    assert lb.dut.lb_peak_o.value.to_unsigned() == 0  # cleared at the clear edge...
    await lb.cycle(idle=True)
    assert lb.dut.lb_peak_o.value.to_unsigned() == 3  # ...the next one records begun 4 - released 1
    await lb.cycle(idle=True, lb_start_i=1)   # new job
    await lb.cycle(idle=True, lb_released_i=0, lb_re_i=1, lb_rrow_i=0, lb_raddr_i=0)  # nothing begun
    assert lb.flagged == 8 and await count() == 1
    await lb.idle()
