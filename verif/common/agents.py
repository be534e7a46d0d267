"""Bus agents of the accelerator shell, on cocotbext-axi's models: CSR access by register name
over AXI4-Lite, operand frames in and result frames out over AXI4-Stream, idle and back-pressure.
Every wait has a timeout that fails the test and names the channel.
"""
from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge, with_timeout
from cocotb_coverage.coverage import CoverPoint
from cocotbext.axi import (AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink,
                           AxiStreamSource)

from verif.common.csr_map import CsrMap
from verif.common.runner import CLOCK_NS, NATIVE_CLOCK_ENV


def start_clock(clk) -> None:
    """The testbench clock: cocotb's GPI clock, unless the simulator's main toggles clk itself
    (Verilator builds of verif/common/runner.py, which then set NATIVE_CLOCK_ENV)."""
    if not os.environ.get(NATIVE_CLOCK_ENV):
        cocotb.start_soon(Clock(clk, CLOCK_NS, unit="ns", impl="gpi").start(start_high=False))


class ChannelTimeout(AssertionError):
    """A bus wait ran past its limit: the core hung or the test waited for the wrong thing."""


async def bounded(awaitable, cycles: int, channel: str):
    try:
        return await with_timeout(awaitable, cycles * CLOCK_NS, "ns")
    except TimeoutError as exc:  # cocotb's SimTimeoutError is a TimeoutError
        raise ChannelTimeout(f"{channel}: no progress within {cycles} cycles") from exc


def quiet(*loggers) -> None:
    """cocotbext-axi logs every transfer at INFO: thousands of lines that cost time and hide the test's."""
    for log in loggers:
        log.setLevel(logging.WARNING)


class CsrAgent:
    """Register reads and writes by name (from the core's .rdl), with field packing."""

    def __init__(self, dut, csr_map: CsrMap, timeout_cycles: int = 200):
        self.map = csr_map
        self.timeout = timeout_cycles
        self.bus = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst_n,
                                 reset_active_level=False)
        quiet(self.bus.write_if.log, self.bus.read_if.log)

    async def write(self, name: str, value: int | None = None, **fields: int) -> None:
        reg = self.map[name]
        word = reg.pack(value, **fields)
        await bounded(self.bus.write_dword(reg.address, word), self.timeout, f"AXI4-Lite write {name}")

    async def read(self, name: str) -> int:
        reg = self.map[name]
        return await bounded(self.bus.read_dword(reg.address), self.timeout, f"AXI4-Lite read {name}")

    async def read_fields(self, name: str) -> dict[str, int]:
        word = await self.read(name)
        return {f.name: f.extract(word) for f in self.map[name].fields.values()}

    def set_pause(self, make_pattern) -> None:
        """Pauses on all five AXI4-Lite channels, each from its own make_pattern() (None: no pause):
        AW, W and AR hold VALID low, B and R hold READY low, so AW may lead W or W lead AW."""
        for channel in (self.bus.write_if.aw_channel, self.bus.write_if.w_channel, self.bus.write_if.b_channel,
                        self.bus.read_if.ar_channel, self.bus.read_if.r_channel):
            pattern = make_pattern()
            if pattern is None:
                channel.clear_pause_generator()
                channel.pause = False
            else:
                channel.set_pause_generator(pattern)


# What BusMonitor can see happen, and the names coverage bins give them.
BUS_EVENTS = ("aw_before_w", "w_before_aw", "b_stalled", "r_stalled", "csr_read_while_busy", "operand_tready_low")


class BusMonitor:
    """Adds to a set what happens on the AXI4-Lite channels and the operand stream, sampled mid-cycle
    while it runs: a write address taken before its data (aw_before_w) or after it (w_before_aw),
    a response held by BREADY or RREADY low (b_stalled, r_stalled), an operand beat offered while
    s_axis_tready is low (operand_tready_low). A per-cycle Python loop: only for the tests that need it."""

    def __init__(self, dut):
        self.dut = dut
        self.task = None

    def start(self, events: set[str]) -> None:
        self.task = cocotb.start_soon(self._watch(events))

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _watch(self, events: set[str]) -> None:
        d = self.dut
        aw_taken = w_taken = 0
        while True:
            await FallingEdge(d.clk)
            aw = bool(d.s_axil_awvalid.value) and bool(d.s_axil_awready.value)
            w = bool(d.s_axil_wvalid.value) and bool(d.s_axil_wready.value)
            if aw and not w and aw_taken >= w_taken:
                events.add("aw_before_w")
            if w and not aw and w_taken >= aw_taken:
                events.add("w_before_aw")
            aw_taken, w_taken = aw_taken + aw, w_taken + w
            if d.s_axil_bvalid.value and not d.s_axil_bready.value:
                events.add("b_stalled")
            if d.s_axil_rvalid.value and not d.s_axil_rready.value:
                events.add("r_stalled")
            if d.s_axis_tvalid.value and not d.s_axis_tready.value:
                events.add("operand_tready_low")


def seen_coverpoint(name: str, meta_key: str, bins: list[str]):
    """A coverpoint with one bin per name in the set an operation's meta holds under meta_key (filled
    by the test that makes them happen); every name in the set is a hit."""
    return CoverPoint(name, xf=lambda res: frozenset(res.op.meta.get(meta_key, ())), bins=bins,
                      rel=lambda seen, bin_name: bin_name in seen, inj=False)


def shell_coverpoints(core: str):
    """The shell's coverpoints every core's coverage model carries: <core>.bus_pressure (BUS_EVENTS
    seen by BusMonitor) and <core>.stream_fuzz (malformed jobs that ended in a result, and in an error)."""
    bus = seen_coverpoint(f"{core}.bus_pressure", "bus_events", list(BUS_EVENTS))
    fuzz = seen_coverpoint(f"{core}.stream_fuzz", "fuzz_outcomes", ["result", "error"])
    return lambda sample: bus(fuzz(sample))


def pause_pattern(kind: str, rng: np.random.Generator) -> Iterator[int] | None:
    """Valid/ready pause sequences: 'none', 'random' (about 1 in 3 cycles), 'bursty' (long gaps)."""
    if kind == "none":
        return None
    if kind == "random":
        return itertools.cycle((rng.random(4093) < 0.3).astype(int).tolist())
    if kind == "bursty":
        runs = [[1] * int(rng.integers(1, 20)) + [0] * int(rng.integers(1, 40)) for _ in range(512)]
        return itertools.cycle(list(itertools.chain.from_iterable(runs)))
    raise ValueError(f"unknown pause pattern {kind!r}; choose none, random or bursty")


def ceil_div(x: int, d: int) -> int:
    return -(-x // d)


def words_of_beats(beats: list[int], beat_bits: int, word_bits: int) -> list[int]:
    """The words of result beats, word_bits each, the first of a beat in its low bits."""
    per_beat, mask = beat_bits // word_bits, (1 << word_bits) - 1
    return [(beat >> (i * word_bits)) & mask for beat in beats for i in range(per_beat)]


def words_to_ints(words: np.ndarray) -> list[int]:
    """Rows of a little-endian uint8/uint16/uint32 array -> one integer per stream beat."""
    raw = np.ascontiguousarray(words)
    width = raw.shape[1] * raw.itemsize
    flat = raw.view(np.uint8).reshape(-1, width)
    return [int.from_bytes(row.tobytes(), "little") for row in flat]


def ints_to_words(beats: list[int], beat_bytes: int, dtype) -> np.ndarray:
    raw = b"".join(b.to_bytes(beat_bytes, "little") for b in beats)
    return np.frombuffer(raw, dtype=dtype).reshape(len(beats), -1)


def rows_from_beats(beats: list[int], rows: int, cols: int, per_beat: int, dtype) -> np.ndarray:
    """A [rows x cols] result sent row by row, each row padded to whole beats of per_beat values."""
    words = ints_to_words(beats, per_beat * np.dtype(dtype).itemsize, dtype)
    return words.reshape(rows, -1)[:, :cols].copy()


class PausableStream:
    """Idle (source) or back-pressure (sink) cycles from a pause pattern of pause_pattern()."""

    def set_pause(self, pattern: Iterator[int] | None) -> None:
        if pattern is None:
            self.model.clear_pause_generator()
            self.model.pause = False  # clearing the generator alone leaves the last value in force
        else:
            self.model.set_pause_generator(pattern)


class OperandSource(PausableStream):
    """Sends one frame of whole-beat words per buffer; tdest names the buffer."""

    def __init__(self, dut):
        bus = AxiStreamBus.from_prefix(dut, "s_axis")
        self.beat_bits = len(dut.s_axis_tdata)
        # One "byte" per beat: the model moves each beat as one integer, no per-byte Python loop.
        self.model = AxiStreamSource(bus, dut.clk, dut.rst_n, reset_active_level=False, byte_size=self.beat_bits)
        quiet(self.model.log)


    async def send(self, beats: list[int], dest: int, timeout_cycles: int) -> None:
        if not beats:
            return
        await self.model.send(AxiStreamFrame(beats, tdest=dest))
        await bounded(self.model.wait(), timeout_cycles, f"s_axis frame to buffer {dest} ({len(beats)} beats)")


class ResultSink(PausableStream):
    """Receives result frames; back-pressure through a pause pattern."""

    def __init__(self, dut):
        bus = AxiStreamBus.from_prefix(dut, "m_axis")
        self.beat_bits = len(dut.m_axis_tdata)
        self.model = AxiStreamSink(bus, dut.clk, dut.rst_n, reset_active_level=False, byte_size=self.beat_bits)
        quiet(self.model.log)


    async def recv(self, timeout_cycles: int) -> list[int]:
        frame = await bounded(self.model.recv(), timeout_cycles, "m_axis result frame")
        return list(frame.tdata)

    def pending(self) -> bool:
        return not self.model.empty()


async def wait_irq(dut, timeout_cycles: int) -> None:
    if not dut.irq.value:
        await bounded(RisingEdge(dut.irq), timeout_cycles, "irq (job done or error)")
