"""The pyuvm library every core's testbench builds on, in UVM order: operation item and result,
the core codec interface, sequence, driver, scoreboard, coverage and metrics subscribers, env and
base test. One item is one whole layer operation (configure, load, start, wait, drain, counters),
so Python never runs per cycle while the core computes.
"""
from __future__ import annotations

import itertools
import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, with_timeout
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiStreamFrame
from pyuvm import (ConfigDB, uvm_analysis_port, uvm_component, uvm_driver, uvm_env, uvm_sequence,
                   uvm_sequence_item, uvm_sequencer, uvm_subscriber, uvm_test)

from verif.common.agents import (CLOCK_NS, BusMonitor, CsrAgent, OperandSource, ResultSink, bounded, ceil_div,
                                  pause_pattern, start_clock, wait_irq, words_of_beats)
from verif.common.csr_map import CsrMap

# Faults a sequence can inject, and the ERR_CODE each must produce (names from accel_common.rdl).
FAULT_ERRORS = {
    "zero_dim": "DIM_ZERO",
    "oversize": "DIM_OVERSIZE",
    "bad_phase": "BAD_PHASE",
    "short": "STREAM_SHORT",
    "long": "STREAM_LONG",
    "bad_dest": "BAD_DEST",
    "not_loaded": "NOT_LOADED",
    "busy": "BUSY",
    "busy_bad_phase": "BUSY",   # a second start while busy, with PHASE made invalid in between
}
# Faults whose job still runs to completion (the refused start leaves it alone): results checked.
RUNNING_FAULTS = ("busy", "busy_bad_phase")
# Faults of the operand frames (applied by faulty_frames); the others are CSR values or starts.
FRAME_FAULTS = ("short", "long", "bad_dest", "not_loaded")
BAD_DEST = 15  # a tdest no core has as an operand buffer


def faulty_frames(frames: list[tuple[int, list[int]]], fault: str | None) -> list[tuple[int, list[int]]]:
    """The operand frames with a frame fault applied to the first frame (not_loaded: the last
    frame is never sent; bad_dest_then_short: the first to a bad tdest, then the next one of more
    than one beat a beat short: two stream errors of one class, the first must stay reported)."""
    frames = list(frames)
    if fault == "bad_dest_then_short":
        i = next(i for i, (_, beats) in enumerate(frames) if i > 0 and len(beats) > 1)
        frames[i] = (frames[i][0], frames[i][1][:-1])
        fault = "bad_dest"
    if fault == "short":
        frames[0] = (frames[0][0], frames[0][1][:-1])
    elif fault == "long":
        frames[0] = (frames[0][0], frames[0][1] + frames[0][1][-1:])
    elif fault == "bad_dest":
        frames[0] = (BAD_DEST, frames[0][1])
    elif fault == "not_loaded":
        frames = frames[:-1]
    return frames


# Malformed-frame mutations of the stream fuzzer (fuzz_frames): payload bits, frame lengths, tdest,
# a frame left out, a frame cut in two by an early tlast.
FUZZ_MUTATIONS = ("flip_bits", "drop_beats", "add_beats", "wrong_dest", "drop_frame", "early_tlast")
FUZZ_JOBS = int(os.environ.get("FUZZ_JOBS", "1000"))  # malformed jobs per test_stream_fuzz run


def fuzz_frames(frames: list[tuple[int, list[int]]], rng: np.random.Generator, beat_bits: int,
                dest_bits: int) -> tuple[list[str], list[tuple[int, list[int]]]]:
    """One or two random FUZZ_MUTATIONS applied to a job's operand frames: (the mutations, the frames)."""
    frames = [(dest, list(beats)) for dest, beats in frames]
    names = [str(m) for m in rng.choice(FUZZ_MUTATIONS, size=int(rng.integers(1, 3)))]
    for name in names:
        i = int(rng.integers(len(frames)))
        dest, beats = frames[i]
        if name == "flip_bits":
            for _ in range(int(rng.integers(1, 5))):
                j = int(rng.integers(len(beats)))
                beats[j] ^= 1 << int(rng.integers(beat_bits))
        elif name == "drop_beats" and len(beats) > 1:
            del beats[int(rng.integers(1, len(beats))):]
        elif name == "add_beats":
            beats += [int.from_bytes(rng.bytes(beat_bits // 8), "little") for _ in range(int(rng.integers(1, 4)))]
        elif name == "wrong_dest":
            frames[i] = (int(rng.integers(1 << dest_bits)), beats)
        elif name == "drop_frame" and len(frames) > 1:
            del frames[i]
        elif name == "early_tlast" and len(beats) > 1:
            cut = int(rng.integers(1, len(beats)))
            frames[i:i + 1] = [(dest, beats[:cut]), (dest, beats[cut:])]
    return names, frames


# ------------------------------------------------------------------ items
@dataclass
class Operation:
    """One layer operation (or a tile of one) as the core sees it."""
    op_id: str
    phase: str                        # FF, BP or WG
    operands: dict[str, np.ndarray]   # core-specific names, e.g. dense: a, b
    fault: str | None = None          # a key of FAULT_ERRORS, or None for a good job
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.phase not in ("FF", "BP", "WG"):
            raise ValueError(f"operation {self.op_id}: phase must be FF, BP or WG, not {self.phase!r}")
        if self.fault is not None and not isinstance(self.fault, str):
            raise ValueError(f"operation {self.op_id}: a fault is named by a string, not {self.fault!r}")


@dataclass
class OpResult:
    op: Operation
    err_code: str                     # ERR_CODE name after the job ("NONE" for a clean job)
    done: bool
    result: np.ndarray | None         # decoded result, None when the job ended in error
    result_beats: int
    counters: dict[str, int]
    times_ns: dict[str, float]        # load, start, done, end, counters (after the counter reads)
    error: bool = False               # STATUS.error after the job
    jobs: list["OpResult"] = field(default_factory=list)  # an operation of several jobs: each job's own


class OpItem(uvm_sequence_item):
    def __init__(self, name: str, op: Operation):
        super().__init__(name)
        self.op = op


class CoreCodec(ABC):
    """What a core's testbench must say about its operations; one subclass per core.

    The codec turns operations into CSR writes and stream frames, decodes result frames, and asks
    models/ for expected values: it never computes an expected value itself.
    """
    num_mult: int = 0
    # Bits of the words decode() takes and result_words() counts. The result stream packs
    # out_beat_bits / result_word_bits of them a beat, the first in the low bits (the shell packs the
    # core's result port words, a core may pack narrower words into its port), the last beat zero-padded.
    result_word_bits: int = 0
    core_faults: dict[str, str] = {}      # the core's own faults -> ERR_CODE names of its map
    extra_core_registers: tuple[str, ...] = ()  # core registers read after every job besides counters
    # Which SRAM_WR counter counts the writes of each operand buffer (tdest); None: not checked.
    sram_counter_of_dest: dict[int, int] | None = None

    @property
    def core_counters(self) -> tuple[str, ...]:
        """Core registers read after every job: the core's counters (from its .rdl) and the extra ones."""
        return self.map.core_counters + tuple(self.extra_core_registers)

    def loaded_words(self, op: Operation) -> dict[int, int]:
        """SRAM_WR counter index -> words the operand frames of `op` (all its jobs) write; a buffer
        whose counter index is None has no SRAM_WR slot."""
        words: dict[int, int] = {}
        for part in self.split(op):
            for dest, beats in self.frames(part):
                i = self.sram_counter_of_dest[dest]
                if i is not None:
                    words[i] = words.get(i, 0) + len(beats)
        return words

    def mac_units(self, op: Operation) -> int:
        """MAC units (multipliers, lanes) the operation's jobs have per compute cycle: MAC_SLOTS
        is this times CYC_COMPUTE."""
        return self.num_mult

    def fault_errors(self) -> dict[str, str]:
        return {**FAULT_ERRORS, **self.core_faults}

    def check(self, op: Operation, res: "OpResult") -> list[str]:
        """Core-specific checks of a finished job (counters, error details); messages of failures."""
        return []

    def metrics(self, op: Operation, counters: dict[str, int]) -> dict:
        """Core-specific figures of a good operation for its metrics entry (utilization of extra
        arrays, the variant it ran in, ...)."""
        return {}

    @abstractmethod
    def csr_writes(self, op: Operation) -> list[tuple[str, int]]:
        """(register, value) pairs that configure the job, faults of the CSR kind applied."""

    @abstractmethod
    def frames(self, op: Operation) -> list[tuple[int, list[int]]]:
        """(tdest, beats) per operand buffer, in load order."""
        ...

    @abstractmethod
    def decode(self, op: Operation, words: list[int]) -> np.ndarray:
        """The result array from the result frame's words (result_word_bits each)."""

    @abstractmethod
    def expected(self, op: Operation) -> np.ndarray:
        """The expected result, from models/ only."""

    @abstractmethod
    def result_words(self, op: Operation) -> int:
        """Result words (result_word_bits each) of the operation, all its jobs together."""

    def words_per_beat(self) -> int:
        return self.map.out_beat_bits // self.result_word_bits

    def decode_frame(self, op: Operation, beats: list[int]) -> np.ndarray | None:
        """The result of one job from its result frame, or None for a frame of the wrong length or
        with padding words that are not zero."""
        n_words = self.result_words(op)
        words = words_of_beats(beats, self.map.out_beat_bits, self.result_word_bits)
        if len(beats) != ceil_div(n_words, self.words_per_beat()) or any(words[n_words:]):
            return None
        return self.decode(op, words[:n_words])

    def result_beats(self, op: Operation) -> int:
        """Result beats of the operation: each job's frame ends on a whole beat."""
        jobs = self.split(op) if op.fault is None else [op]
        return sum(ceil_div(self.result_words(job), self.words_per_beat()) for job in jobs)

    @abstractmethod
    def macs(self, op: Operation) -> tuple[int, int]:
        """(dense MACs, effectual MACs) of the operation, from models/."""
        ...

    @abstractmethod
    def dims(self, op: Operation) -> dict[str, int]:
        """The operation's shape, for reports."""

    @abstractmethod
    def compute_cycles_bound(self, op: Operation) -> int:
        """An upper bound on compute cycles, for the done timeout."""
        ...

    def check_fits(self, op: Operation) -> None:
        """Raise a clear error when a good operation cannot fit the core (a core without tiling)."""

    def split(self, op: Operation) -> list[Operation]:
        """Jobs that fit the core's buffers and together make `op` (the driver's tiling); by default
        `op` itself, checked by check_fits."""
        if op.fault is None:
            self.check_fits(op)
        return [op]

    def join(self, op: Operation, parts: list[Operation], results: list[np.ndarray]) -> np.ndarray:
        """The result of `op` from the results of its parts."""
        assert len(parts) == 1
        return results[0]

    def over_limits(self, op: Operation) -> list[str]:
        """The core's limits a job exceeds, as "name value > limit" (a core with limits says)."""
        return []

    def tiles(self, op: Operation, size: int, part, grain: int) -> list[Operation]:
        """The driver's tiling along one dimension of `size`: parts part(op, start, tile), the tile
        halved (a multiple of `grain`) until a part is within the limits; every part must fit."""
        tile = size
        while tile > grain and self.over_limits(part(op, 0, tile)):
            tile = ceil_div(tile, 2 * grain) * grain
        parts = [part(op, start, tile) for start in range(0, size, tile)]
        for each in parts:
            self.check_fits(each)
        return parts


def gemm_shape(op: Operation) -> tuple[int, int, int]:
    """(M, N, K) of an operation C = A . B with operands a [M x K] and b [K x N]."""
    a, b = op.operands["a"], op.operands["b"]
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"{op.op_id}: a GEMM needs A[MxK] and B[KxN], got {a.shape} and {b.shape}")
    return a.shape[0], b.shape[1], a.shape[1]


def gemm_columns(op: Operation, start: int, tile: int, also: tuple[str, ...] = ()) -> Operation:
    """A job of `op` on columns start .. start + tile of B (and so of C); the operands named in
    `also`, laid out with N as their columns, are cut with it."""
    columns = slice(start, start + tile)
    operands = {**op.operands, "b": op.operands["b"][:, columns]}
    for name in also:
        if name in op.operands:
            operands[name] = op.operands[name][:, columns]
    return Operation(f"{op.op_id}#n{start}", op.phase, operands, meta=dict(op.meta))


# ------------------------------------------------------------------ sequences
class OpSequence(uvm_sequence):
    """Sends a list of operations, in order."""

    def __init__(self, name: str, ops: list[Operation]):
        super().__init__(name)
        self.ops = ops

    async def body(self):
        for op in self.ops:
            item = OpItem(op.op_id, op)
            await self.start_item(item)
            await self.finish_item(item)


# ------------------------------------------------------------------ driver
class OpDriver(uvm_driver):
    """Runs one operation per item through the shell's protocol and publishes an OpResult."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)
        self.codec: CoreCodec = ConfigDB().get(self, "", "CODEC")
        self.csr = self.source = self.sink = None

    def attach(self, csr: CsrAgent, source: OperandSource, sink: ResultSink):
        self.csr, self.source, self.sink = csr, source, sink

    async def run_phase(self):
        item = await self.seq_item_port.get_next_item()
        # The codec's result words are the core's (CAPS.res_word_bytes): decode() would misread others.
        word_bytes = (await self.csr.read_fields("CAPS"))["res_word_bytes"]
        assert word_bytes * 8 == self.codec.result_word_bits, \
            f"CAPS.res_word_bytes is {word_bytes}, the codec decodes {self.codec.result_word_bits}-bit result words"
        while True:
            self.ap.write(await self.execute(item.op))
            self.seq_item_port.item_done()
            item = await self.seq_item_port.get_next_item()

    async def execute(self, op: Operation) -> OpResult:
        """One layer operation: as one job, or as the tiles the codec splits it into."""
        parts = self.codec.split(op) if op.fault is None else [op]
        if len(parts) == 1:
            return await self.execute_job(op)
        jobs = [await self.execute_job(part) for part in parts]
        failed = [job for job in jobs if job.err_code != "NONE" or job.result is None]
        result = None if failed else self.codec.join(op, parts, [job.result for job in jobs])
        counters = {name: sum(job.counters[name] for job in jobs) for name in jobs[0].counters}
        times = {"load": jobs[0].times_ns["load"], "start": jobs[0].times_ns.get("start", jobs[0].times_ns["load"]),
                 "done": jobs[-1].times_ns["done"], "end": jobs[-1].times_ns["end"],
                 "counters": jobs[-1].times_ns["counters"]}
        return OpResult(op, failed[0].err_code if failed else "NONE", not failed, result,
                        sum(job.result_beats for job in jobs), counters, times, any(job.error for job in jobs), jobs)

    async def execute_job(self, op: Operation, preloaded: bool = False) -> OpResult:
        """One job of `op`; with preloaded, its operand frames are already in the buffers (sent while
        the previous job ran) and are not sent again."""
        codec, csr = self.codec, self.csr
        if op.fault is not None and op.fault not in codec.fault_errors():
            raise ValueError(f"{op.op_id}: unknown fault {op.fault!r}; known: {sorted(codec.fault_errors())}")
        assert not self.sink.pending(), f"{op.op_id}: a result frame arrived that no operation asked for"
        times = {"load": get_sim_time("ns")}
        await csr.write("CTRL", perf_clear=1, irq_clear=1)
        for name, value in codec.csr_writes(op):
            await csr.write(name, value)
        frames = [] if preloaded else faulty_frames(codec.frames(op), op.fault)
        for dest, beats in frames:
            await self.source.send(beats, dest, timeout_cycles=20 * len(beats) + 1000)
        await ClockCycles(cocotb.top.clk, 2)  # a load error reaches STATUS two cycles after its beat
        status = await csr.read_fields("STATUS")
        if not status["error"]:
            await csr.write("CTRL", start=1)
            times["start"] = get_sim_time("ns")
            if op.fault in RUNNING_FAULTS:
                if op.fault == "busy_bad_phase":  # BUSY outranks the configuration error
                    await csr.write("PHASE", 3)
                await csr.write("CTRL", start=1)
            bound = 4 * codec.compute_cycles_bound(op) + 2000
            await wait_irq(cocotb.top, bound)
            status = await csr.read_fields("STATUS")
            polls = 0
            while status["busy"]:  # an error irq while the job runs (a refused start): wait for its end
                polls += 1
                assert polls * 16 < bound, f"{op.op_id}: STATUS.busy still set after {bound} cycles"
                await ClockCycles(cocotb.top.clk, 16)
                status = await csr.read_fields("STATUS")
        times["done"] = get_sim_time("ns")
        code = await csr.read_fields("ERR_CODE")
        err_code = csr.map.decode_error(code["code"])
        result, beats = None, []
        if status["done"]:
            beats = await self.sink.recv(timeout_cycles=20 * codec.result_beats(op) + 1000)
            # a frame of the wrong length or with non-zero padding is not decoded: the scoreboard
            # reports its beat count
            result = codec.decode_frame(op, beats)
        times["end"] = get_sim_time("ns")
        counters = {name: await csr.read(name) for name in csr.map.common_counters + tuple(codec.core_counters)}
        for i in range(csr.map.sram_counters):
            counters[f"SRAM_RD[{i}]"] = await csr.read(f"SRAM_RD[{i}]")
            counters[f"SRAM_WR[{i}]"] = await csr.read(f"SRAM_WR[{i}]")
        times["counters"] = get_sim_time("ns")
        await csr.write("CTRL", irq_clear=1)
        return OpResult(op, err_code, bool(status["done"]), result, len(beats), counters, times, bool(status["error"]))


# ------------------------------------------------------------------ scoreboard
def describe_mismatch(expected: np.ndarray, actual: np.ndarray, limit: int = 5) -> str:
    """The first mismatching elements, with indices and bit patterns, for a readable failure."""
    exp_bits = expected.view(np.uint32) if expected.dtype == np.float32 else expected
    act_bits = actual.view(np.uint32) if actual.dtype == np.float32 else actual
    bad = np.argwhere(exp_bits != act_bits)
    lines = [f"{len(bad)} of {expected.size} elements differ; first {min(limit, len(bad))}:"]
    for idx in bad[:limit]:
        idx = tuple(int(i) for i in idx)
        lines.append(f"  at {idx}: expected {expected[idx]!r} (0x{int(exp_bits[idx]):08x}), "
                     f"got {actual[idx]!r} (0x{int(act_bits[idx]):08x})")
    return "\n".join(lines)


def result_mismatch(expected: np.ndarray, actual: np.ndarray | None) -> str | None:
    """Why `actual` is not bit-identical to `expected` (no result, another shape, the first differing
    elements), or None when it is."""
    if actual is None:
        return "no result"
    if actual.shape != expected.shape:
        return f"result shape {actual.shape}, expected {expected.shape}"
    if not np.array_equal(actual.view(np.uint32), expected.view(np.uint32)):
        return f"result mismatch\n{describe_mismatch(expected, actual)}"
    return None


class Scoreboard(uvm_subscriber):
    """Checks every result bit for bit against models/, every error code against the fault, and the
    performance counters against what the operation must produce; fails the test in check_phase."""

    def build_phase(self):
        self.codec: CoreCodec = ConfigDB().get(self, "", "CODEC")
        self.corrupt = ConfigDB().exists(self, "", "CORRUPT_RESULT") and ConfigDB().get(self, "", "CORRUPT_RESULT")
        self.failures: list[str] = []
        self.checked = 0

    def write(self, res: OpResult):
        op = res.op
        self.checked += 1
        want_error = self.codec.fault_errors().get(op.fault) if op.fault else "NONE"
        for job in res.jobs or [res]:   # the core's own checks, job by job (each has its counters)
            self.failures += self.codec.check(job.op, job)
        if res.err_code != want_error:
            self.failures.append(f"{op.op_id}: ERR_CODE {res.err_code}, expected {want_error}")
        if res.error != (want_error != "NONE"):
            self.failures.append(f"{op.op_id}: STATUS.error is {int(res.error)} with ERR_CODE {res.err_code}")
        if op.fault not in (None,) + RUNNING_FAULTS:
            if res.done:
                self.failures.append(f"{op.op_id}: a job with fault {op.fault} reported done")
            return
        if res.result is None:
            self.failures.append(f"{op.op_id}: no result (done={res.done}, error {res.err_code}, "
                                 f"{res.result_beats} result beats of {self.codec.result_beats(op)})")
            return
        actual = res.result.copy()
        if self.corrupt:  # the expect-fail twin: one flipped bit must be caught
            actual.view(np.uint32).flat[0] ^= 1
        if why := result_mismatch(self.codec.expected(op), actual):
            self.failures.append(f"{op.op_id}: {why}")
        _, effectual = self.codec.macs(op)
        c = res.counters
        checks = {
            "MAC_EFFECTUAL": (c["MAC_EFFECTUAL"], effectual),
            "MAC_SLOTS": (c["MAC_SLOTS"], self.codec.mac_units(op) * c["CYC_COMPUTE"]),
            "OUT_BEATS": (c["OUT_BEATS"], self.codec.result_beats(op)),
            "result beats": (res.result_beats, self.codec.result_beats(op)),
        }
        if self.codec.sram_counter_of_dest is not None:
            for i, words in self.codec.loaded_words(op).items():
                checks[f"SRAM_WR[{i}] (operand loads)"] = (c[f"SRAM_WR[{i}]"], words)
        # The driver sends operands only while the core is idle (s_axis_tready high), and a sink that
        # never pauses never stalls the result stream.
        checks["IN_STALL"] = (c["IN_STALL"], 0)
        # CYC_LOAD counts the cycles of each operand frame, its first beat to its last: every beat,
        # and the source's pauses within a frame.
        beats = sum(len(b) for part in self.codec.split(op) for _, b in self.codec.frames(part))
        if op.meta.get("in_pause") == "none":
            checks["CYC_LOAD (the source never paused: one cycle per operand beat)"] = (c["CYC_LOAD"], beats)
        if op.meta.get("out_pause", "none") == "none":
            checks["OUT_STALL (the sink never paused)"] = (c["OUT_STALL"], 0)
        for name, (got, want) in checks.items():
            if got != want:
                self.failures.append(f"{op.op_id}: {name} is {got}, expected {want}")
        # Counters bounded by others and by the simulated time from the job's perf_clear to the reads
        # (an operation of several jobs: each job's counters start at its own perf_clear).
        t = res.times_ns
        elapsed = ((t["end"] - t["load"]) // CLOCK_NS, (t["counters"] - t["load"]) // CLOCK_NS + 1)
        one_job = op.fault is not None or len(self.codec.split(op)) == 1
        bounds = {"OUT_STALL": (0, c["CYC_DRAIN"]), "CYC_LOAD": (beats, elapsed[1]),
                  "CYC_TOTAL": (max(c["CYC_COMPUTE"] + c["CYC_DRAIN"], elapsed[0] - 20 if one_job else 0),
                                elapsed[1])}
        for name, (low, high) in bounds.items():
            if not low <= c[name] <= high:
                self.failures.append(f"{op.op_id}: {name} is {c[name]}, expected {low} .. {high}")

    def check_phase(self):
        for failure in self.failures:
            self.logger.error(failure)
        assert self.checked > 0, "the scoreboard saw no operation"
        assert not self.failures, f"{len(self.failures)} scoreboard failure(s); first: {self.failures[0]}"


# ------------------------------------------------------------------ metrics
def test_name(component: uvm_component) -> str:
    """The running test's class name (every test's top component is named uvm_test_top)."""
    while component.get_parent() is not None and component.get_parent().get_parent() is not None:
        component = component.get_parent()  # stop below uvm_root
    return type(component).__name__


class MetricsCollector(uvm_subscriber):
    """Per-operation metrics from the counters the core really produced (architecture.md), written
    as JSON next to the results; scripts/sim.py adds toggle counts from the wave file."""

    def build_phase(self):
        self.codec: CoreCodec = ConfigDB().get(self, "", "CODEC")
        self.ops: list[dict] = []

    def write(self, res: OpResult):
        if res.op.fault is not None:
            return
        c = res.counters
        buffers = range(self.codec.map.sram_counters)
        dense, effectual = self.codec.macs(res.op)
        cycles = c["CYC_COMPUTE"]
        self.ops.append({
            "id": res.op.op_id, "phase": res.op.phase, "dims": self.codec.dims(res.op),
            "cycles": cycles, "load_cycles": c["CYC_LOAD"], "drain_cycles": c["CYC_DRAIN"],
            "mac_slots": c["MAC_SLOTS"], "effectual_macs": c["MAC_EFFECTUAL"], "skipped_macs": c["MAC_SKIPPED"],
            "dense_macs": dense, "golden_effectual_macs": effectual,
            "utilization": c["MAC_EFFECTUAL"] / c["MAC_SLOTS"] if c["MAC_SLOTS"] else 0.0,
            "sram_reads": sum(c[f"SRAM_RD[{i}]"] for i in buffers),
            "sram_writes": sum(c[f"SRAM_WR[{i}]"] for i in buffers),
            "sram_by_buffer": {f"{kind}[{i}]": c[f"SRAM_{kind}[{i}]"] for kind in ("RD", "WR") for i in buffers},
            "in_stall": c["IN_STALL"], "out_stall": c["OUT_STALL"],
            "window_ns": [res.times_ns["load"], res.times_ns["end"]],
            "compute_window_ns": [res.times_ns.get("start", res.times_ns["load"]), res.times_ns["done"]],
            "core_counters": {name: c[name] for name in self.codec.core_counters},
            **self.codec.metrics(res.op, c),
            **{k: v for k, v in res.op.meta.items() if k in ("source", "sparsity_a", "sparsity_b", "order")},
        })

    def report_phase(self):
        test = test_name(self)
        path = Path(f"metrics_{test}.json")
        path.write_text(json.dumps({"test": test, "seed": os.environ.get("COCOTB_RANDOM_SEED"),
                                    "test_seed": cocotb.RANDOM_SEED, "ops": self.ops}, indent=1))


class CoverageSubscriber(uvm_subscriber):
    """Samples the core's functional coverage (cocotb-coverage) per operation result and exports it.
    The coverpoints themselves are the core's: it passes a sampling function."""

    def build_phase(self):
        self.sample = ConfigDB().get(self, "", "COVERAGE_SAMPLE")

    def write(self, res: OpResult):
        self.sample(res)

    def report_phase(self):
        from cocotb_coverage.coverage import coverage_db
        coverage_db.export_to_yaml(filename=f"coverage_{test_name(self)}.yml")


# ------------------------------------------------------------------ env and base test
class OpAgent(uvm_component):
    def build_phase(self):
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = OpDriver("driver", self)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)


class AccelEnv(uvm_env):
    def build_phase(self):
        self.agent = OpAgent("agent", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.metrics = MetricsCollector("metrics", self)
        self.coverage = CoverageSubscriber("coverage", self)

    def connect_phase(self):
        for sub in (self.scoreboard, self.metrics, self.coverage):
            self.agent.driver.ap.connect(sub.analysis_export)


class AccelBaseTest(uvm_test):
    """Clock, reset, bus models, then the test's operations. A core's tests subclass this and set
    `codec_class`, `csr_map`, `coverage_sample`; a test overrides `operations()` or `body()`."""

    codec_class: type[CoreCodec]
    csr_map: CsrMap
    coverage_sample = staticmethod(lambda res: None)
    in_pause = "none"
    out_pause = "none"
    corrupt_result = False

    def build_phase(self):
        self.seed = int(cocotb.RANDOM_SEED)
        self.rng = np.random.default_rng(self.seed)
        self.dut = cocotb.top
        self.codec = self.codec_class(self.csr_map)
        ConfigDB().set(None, "*", "CODEC", self.codec)
        ConfigDB().set(None, "*", "COVERAGE_SAMPLE", self.coverage_sample)
        ConfigDB().set(None, "*", "CORRUPT_RESULT", self.corrupt_result)
        self.env = AccelEnv("env", self)

    def operations(self) -> list[Operation]:
        return []

    async def reset(self, cycles: int = 5):
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst_n.value = 1
        await RisingEdge(self.dut.clk)

    def attach_bus(self):
        self.csr = CsrAgent(self.dut, self.csr_map)
        self.source = OperandSource(self.dut)
        self.sink = ResultSink(self.dut)
        self.bus_monitor = BusMonitor(self.dut)
        self.source.set_pause(pause_pattern(self.in_pause, self.rng))
        self.sink.set_pause(pause_pattern(self.out_pause, self.rng))
        self.env.agent.driver.attach(self.csr, self.source, self.sink)

    def tag(self, ops: list[Operation]) -> list[Operation]:
        """Record the stream pressure each operation runs under (coverage samples it)."""
        for op in ops:
            op.meta.setdefault("in_pause", self.in_pause)
            op.meta.setdefault("out_pause", self.out_pause)
        return ops

    async def run_ops(self, ops: list[Operation]):
        await OpSequence("ops", ops).start(self.env.agent.seqr)

    async def run_pressure_matrix(self, make_ops):
        """Idle patterns on the operand stream crossed with back-pressure patterns on the result
        stream; make_ops(label) gives the operations to run under each pair."""
        for in_kind in ("none", "random", "bursty"):
            for out_kind in ("none", "random", "bursty"):
                self.in_pause, self.out_pause = in_kind, out_kind
                self.source.set_pause(pause_pattern(in_kind, self.rng))
                self.sink.set_pause(pause_pattern(out_kind, self.rng))
                await self.run_ops(self.tag(make_ops(f"{in_kind}-{out_kind}")))
        await self.run_bus_pressure(make_ops("bus"))
        self.source.set_pause(None)
        self.sink.set_pause(None)

    async def run_bus_pressure(self, ops: list[Operation]):
        """The rest of the pressure a host puts on the core, watched by BusMonitor (the events it saw
        go into each operation's meta "bus_events" for coverage): random pauses on all five AXI4-Lite
        channels, CSR reads (STATUS, CYC_TOTAL) running beside every job, and operand beats offered
        while the core computes (run_overlapped); then `ops` under the same pressure."""
        events: set[str] = set()
        for op in ops:
            op.meta["bus_events"] = events  # one set: what was seen up to the operation's end
        self.bus_monitor.start(events)
        self.csr.set_pause(lambda: pause_pattern("random", self.rng))
        polling = cocotb.start_soon(self.poll_csr(events))
        try:
            single = [op for op in ops if len(self.codec.split(op)) == 1]
            assert single, "run_bus_pressure needs an operation that runs as one job"
            await self.run_overlapped(single[0])
            await self.run_ops(self.tag(ops))
        finally:
            polling.cancel()
            self.bus_monitor.stop()
            self.logger.info(f"bus pressure: seen {sorted(events)}")
            self.csr.set_pause(lambda: None)

    async def poll_csr(self, events: set[str]):
        """CSR reads at random gaps, concurrent with the driver's own accesses; a STATUS read that
        finds the core busy is the event csr_read_while_busy."""
        while True:
            await ClockCycles(self.dut.clk, int(self.rng.integers(1, 40)))
            if (await self.csr.read_fields("STATUS"))["busy"]:
                events.add("csr_read_while_busy")
            await self.csr.read("CYC_TOTAL")

    async def fuzz_stream(self, make_op, jobs: int = FUZZ_JOBS, good_every: int = 25):
        """Stream-level fuzzing: `jobs` jobs of make_op(label) whose operand frames are malformed by
        fuzz_frames (random payload bits, lengths, tdest, missing and split frames). Each must end,
        within a bound, in a result frame or STATUS.error with a code of the core's map (never a hang,
        never an unknown code), the streams legal (the shell's checkers run); a good job every
        `good_every` and one at the end must be bit-exact (the scoreboard checks them). The outcomes
        go into each good job's meta "fuzz_outcomes" for coverage."""
        codec, csr, dut = self.codec, self.csr, self.dut
        outcomes: set[str] = set()
        for i in range(jobs):
            op = make_op(f"fuzz{i}")
            mutations, frames = fuzz_frames(codec.frames(op), self.rng, self.csr_map.in_beat_bits,
                                            self.csr_map["SHELL"].fields["dest_bits"].reset)
            what = f"fuzz job {i} ({op.op_id}, {'+'.join(mutations)}, seed {self.seed})"
            await csr.write("CTRL", perf_clear=1, irq_clear=1)
            for name, value in codec.csr_writes(op):
                await csr.write(name, value)
            for dest, beats in frames:
                if beats:
                    await self.source.send(beats, dest, timeout_cycles=20 * len(beats) + 1000)
            await ClockCycles(dut.clk, 2)
            status = await csr.read_fields("STATUS")
            if not status["error"]:
                await csr.write("CTRL", start=1)
                bound = 20 * codec.compute_cycles_bound(op) + 20_000
                await wait_irq(dut, bound)
                status = await csr.read_fields("STATUS")
                polls = 0
                while status["busy"]:
                    polls += 1
                    assert polls < 1000, f"{what}: STATUS.busy never fell"
                    await ClockCycles(dut.clk, 16)
                    status = await csr.read_fields("STATUS")
            if status["error"]:
                code = csr.map.decode_error((await csr.read_fields("ERR_CODE"))["code"])
                assert not code.startswith("<unknown"), f"{what}: {code}"
                outcomes.add("error")
            else:
                assert status["done"], f"{what}: neither done nor error: {status}"
                await self.sink.recv(timeout_cycles=20 * codec.result_beats(op) + 20_000)
                outcomes.add("result")
            await csr.write("CTRL", irq_clear=1)
            if (i + 1) % good_every == 0 or i == jobs - 1:
                good = make_op(f"after_fuzz{i}")
                good.meta["fuzz_outcomes"] = outcomes
                await self.run_ops(self.tag([good]))
        self.logger.info(f"stream fuzzing: {jobs} malformed jobs, outcomes {sorted(outcomes)}")

    async def wait_busy(self, op: Operation):
        """Until the core computes `op` (its driver waits for irq meanwhile)."""
        for _ in range(2000):
            if (await self.csr.read_fields("STATUS"))["busy"]:
                return
        raise AssertionError(f"{op.op_id}: the job never started computing")

    async def run_overlapped(self, op: Operation):
        """Operand beats offered while the core computes: `op` runs, and while it computes its frames
        are offered again (s_axis_tready stays low until the job is done: no beat may be taken before
        the job's irq); a second job then runs on what they loaded. Both results must be bit-exact and
        error-free (counters are not checked: the second job's loads fall in the first one's count)."""
        driver, codec = self.env.agent.driver, self.codec
        first = cocotb.start_soon(driver.execute_job(op))
        await self.wait_busy(op)
        early = cocotb.start_soon(self.beats_taken_before_irq())
        bound = 4 * codec.compute_cycles_bound(op) + 2000
        for dest, beats in codec.frames(op):
            await self.source.send(beats, dest, timeout_cycles=bound + 20 * len(beats))
        results = [await first, await driver.execute_job(op, preloaded=True)]
        taken = await early
        assert taken == 0, f"{op.op_id}: {taken} operand beats were taken while the core computed (before its irq)"
        expected = codec.expected(op)
        for which, res in zip(("first", "second (preloaded)"), results):
            assert res.err_code == "NONE", f"{op.op_id}: the {which} job ended with {res.err_code}, done={res.done}"
            why = result_mismatch(expected, res.result)
            assert why is None, f"{op.op_id}: the {which} job: {why}"

    async def beats_taken_before_irq(self) -> int:
        """Operand beats handed over (s_axis_tvalid and s_axis_tready, sampled mid-cycle) from now
        until irq rises: the job's end; busy falls and irq rises on the same clock edge."""
        d, taken = self.dut, 0
        while True:
            await FallingEdge(d.clk)
            if d.irq.value:
                return taken
            taken += bool(d.s_axis_tvalid.value) and bool(d.s_axis_tready.value)

    async def interrupt(self, op: Operation, when: str, soft: bool, after_cycles: int = 20):
        """Start `op`, then reset the core `after_cycles` into its configuration (when="config": after
        its second CSR write), its operand load ("load") or its compute phase ("compute"), by rst_n or
        by CTRL.soft_reset; the core must come back idle. After a soft reset the host finishes the
        operand frame it had begun (the core's loader, reset, takes it as a new frame)."""
        if when not in ("config", "load", "compute"):
            raise ValueError(f"interrupt: when must be 'config', 'load' or 'compute', not {when!r}")
        job = cocotb.start_soon(self.env.agent.driver.execute(op))
        if when == "config":
            for _ in range(2):
                await with_timeout(RisingEdge(self.dut.s_axil_bvalid), 10_000 * CLOCK_NS, "ns")
            after_cycles = 0
        elif when == "load":
            await with_timeout(RisingEdge(self.dut.s_axis_tvalid), 10_000 * CLOCK_NS, "ns")
        else:
            await self.wait_busy(op)
        await ClockCycles(self.dut.clk, after_cycles)
        if when == "compute":  # else the reset would hit an idle core and prove nothing
            assert (await self.csr.read_fields("STATUS"))["busy"], \
                f"{op.op_id}: the job ended within {after_cycles} cycles; give it more work"
        job.cancel()
        if soft:
            await self.csr.write("CTRL", soft_reset=1)
            await bounded(self.source.model.wait(), 100_000, f"{op.op_id}: the operand frame begun before the soft reset")
        else:
            await self.reset()
        status = await self.csr.read_fields("STATUS")
        assert not status["busy"] and not status["done"] and not status["draining"], \
            f"{op.op_id}: after the {'soft ' if soft else ''}reset in {when}: {status}"

    async def reset_every_phase(self, big, small, drained):
        """A hard and a soft reset in every phase of a job: its configuration, its operand load, its
        compute, its result drain with the result stream stalled and flowing; each followed by a good
        job that the scoreboard checks. big(label): an operation long enough to be caught in load and
        compute; small(label): a quick good one; drained(label): one whose result frame has several beats."""
        for soft in (False, True):
            kind = "soft" if soft else "hard"
            for when in ("config", "load", "compute"):
                await self.interrupt(big(f"{kind}_reset/{when}"), when, soft, after_cycles=10 if when == "load" else 40)
                await self.run_ops(self.tag([small(f"after_{kind}_reset/{when}")]))
            if soft:
                await self.soft_reset_in_drain(drained(f"{kind}_reset/drain"))
            else:
                await self.hard_reset_in_drain(drained(f"{kind}_reset/drain"))
            await self.run_ops(self.tag([small(f"after_{kind}_reset/drain")]))

    async def hard_reset_in_drain(self, op: Operation):
        """rst_n while `op`'s result frame streams out, stalled and flowing: the frame is dropped (the
        sink's partial frame with it), the core is idle and not draining, and nothing of it is left."""
        for stalled in (True, False):
            task = cocotb.start_soon(self.drain_job(op, stalled=stalled))
            await with_timeout(RisingEdge(self.dut.m_axis_tvalid), (4 * self.codec.compute_cycles_bound(op) + 10_000)
                               * CLOCK_NS, "ns")
            await ClockCycles(self.dut.clk, 2)
            task.cancel()
            await self.reset()
            self.sink.set_pause(None)
            status = await self.csr.read_fields("STATUS")
            assert not status["busy"] and not status["draining"] and not self.dut.m_axis_tvalid.value, \
                f"{op.op_id}: after rst_n in the {'stalled' if stalled else 'flowing'} drain: {status}"
            assert not self.sink.pending(), f"{op.op_id}: a frame cut by rst_n reached the host"

    async def drain_job(self, op: Operation, soft_reset_after: int | None = None, stalled: bool = False,
                        soft_resets: int = 1) -> list[int]:
        """Run one job of `op` (no tiling) and return its result frame's beats. With soft_reset_after,
        CTRL.soft_reset is written (`soft_resets` times) that many cycles after the frame's first beat
        is offered, with m_axis_tready held low from the start when `stalled`."""
        codec, csr = self.codec, self.csr
        await self.stage_job(op)
        if stalled:
            self.sink.set_pause(itertools.repeat(1))
        await csr.write("CTRL", start=1)
        await wait_irq(self.dut, 4 * codec.compute_cycles_bound(op) + 2000)
        if soft_reset_after is not None:
            if not self.dut.m_axis_tvalid.value:
                await with_timeout(RisingEdge(self.dut.m_axis_tvalid), 1000 * CLOCK_NS, "ns")
            await ClockCycles(self.dut.clk, soft_reset_after)
            for _ in range(soft_resets):
                await csr.write("CTRL", soft_reset=1)
        self.sink.set_pause(None)
        beats = await self.sink.recv(timeout_cycles=20 * codec.result_beats(op) + 1000)
        await csr.write("CTRL", irq_clear=1)
        return beats

    async def soft_reset_in_drain(self, op: Operation):
        """A soft reset while `op`'s result frame streams out, with the result stream stalled and not:
        the frame ends AXI4-Stream legal (the shell's checkers run throughout): the beats already
        sent and the one on the bus are the job's own, then a marker beat (every data bit 1, tlast)
        unless that beat was the last; the core is idle, not draining, and takes the next job."""
        full = await self.drain_job(op)
        why = result_mismatch(self.codec.expected(op), self.codec.decode_frame(op, full))
        assert why is None, f"{op.op_id}: before the soft-reset runs: {why}"
        marker = (1 << len(self.dut.m_axis_tdata)) - 1
        for stalled, after in ((True, 3), (False, 2)):   # stalled: a second soft reset while the frame ends
            cut = await self.drain_job(op, soft_reset_after=after, stalled=stalled, soft_resets=1 + stalled)
            head, last = cut[:-1], cut[-1]
            self.logger.info(f"{op.op_id}: soft reset in the drain ({'stalled' if stalled else 'flowing'}): "
                             f"{len(cut)} of {len(full)} beats")
            assert head == full[:len(head)], f"{op.op_id}: beats before the cut are not the job's own"
            if len(cut) < len(full) or last != full[-1]:   # cut: the marker stands for the beats not sent
                assert last == marker and len(cut) <= len(full), \
                    f"{op.op_id}: a cut frame must end with the marker, got beat {len(cut)} = {last:#x}"
            if stalled:
                assert len(cut) == 2, f"{op.op_id}: a stalled frame cut at its first beat has 2 beats, got {len(cut)}"
            status = await self.csr.read_fields("STATUS")
            assert not status["busy"] and not status["draining"] and not status["error"], \
                f"{op.op_id}: after the soft reset in the drain: {status}"

    # Two or more errors in one job, and the code the one priority (hdl/common/accel_shell.sv,
    # README) must report, written out per case: (name, frame fault while loading, CSR faults
    # written after the load, expected ERR_CODE). BUSY over a configuration error runs as the
    # operation fault busy_bad_phase, whose result is checked by the scoreboard as well.
    PRIORITY_CASES = (
        ("configuration over stream", "short", ("zero_dim",), "DIM_ZERO"),
        ("configuration over stream", "long", ("oversize",), "DIM_OVERSIZE"),
        ("stream over not loaded", "bad_dest", (), "BAD_DEST"),
        ("stream over not loaded", "short", (), "STREAM_SHORT"),
        ("the first of one class", "bad_dest_then_short", (), "BAD_DEST"),
        ("configuration over not loaded", "not_loaded", ("bad_phase",), "BAD_PHASE"),
        ("dimensions over phase", "not_loaded", ("bad_phase", "zero_dim"), "DIM_ZERO"),
        ("zero over oversize", None, ("oversize", "zero_dim"), "DIM_ZERO"),
    )

    def priority_cases(self) -> tuple:
        """The common cases; a core adds its own configuration codes' cases by overriding."""
        return self.PRIORITY_CASES

    async def stage_job(self, op: Operation, frames: list[tuple[int, list[int]]] | None = None) -> None:
        """Clear the counters and irq, write `op`'s configuration and send its operand frames (or
        `frames`): the job is ready for CTRL.start."""
        codec, csr = self.codec, self.csr
        await csr.write("CTRL", perf_clear=1, irq_clear=1)
        for name, value in codec.csr_writes(op):
            await csr.write(name, value)
        for dest, beats in codec.frames(op) if frames is None else frames:
            await self.source.send(beats, dest, timeout_cycles=20 * len(beats) + 1000)

    async def raise_errors(self, op: Operation, frame_fault: str | None, csr_faults: tuple[str, ...]) -> str:
        """Load `op` with `frame_fault`, then write the CSR values of each fault in `csr_faults`
        (merged: each register keeps the faulty value one of them gives it) and start: the job
        must end in error; returns the ERR_CODE name."""
        codec, csr = self.codec, self.csr
        good = dict(codec.csr_writes(op))
        await self.stage_job(op, faulty_frames(codec.frames(op), frame_fault))
        late = {}
        for fault in csr_faults:
            faulty = dict(codec.csr_writes(Operation(op.op_id, op.phase, op.operands, fault, dict(op.meta))))
            late.update({name: value for name, value in faulty.items() if value != good.get(name)})
        for name, value in late.items():
            await csr.write(name, value)
        await csr.write("CTRL", start=1)
        await wait_irq(self.dut, 200)
        status = await csr.read_fields("STATUS")
        code = csr.map.decode_error((await csr.read_fields("ERR_CODE"))["code"])
        assert status["error"] and not status["busy"], f"{op.op_id}: after the start, STATUS is {status}"
        await csr.write("CTRL", irq_clear=1)
        return code

    async def run_error_priority(self, make_op):
        """Every priority case on a fresh operation from make_op(name), each followed by a good
        job (through the scoreboard) that must complete: the core takes the next job."""
        failures = []
        for i, (name, frame_fault, csr_faults, expect) in enumerate(self.priority_cases()):
            code = await self.raise_errors(make_op(f"priority{i}"), frame_fault, csr_faults)
            verdict = "ok" if code == expect else "WRONG"
            self.logger.info(f"priority case '{name}': {frame_fault} then {list(csr_faults)} -> {code} "
                             f"(expected {expect}) {verdict}")
            if code != expect:
                failures.append(f"{name} ({frame_fault}, {list(csr_faults)}): ERR_CODE {code}, expected {expect}")
            await self.run_ops(self.tag([make_op(f"after_priority{i}")]))
        busy = make_op("priority_busy_over_phase")
        busy.fault = "busy_bad_phase"
        await self.run_ops(self.tag([busy]))
        code = await self.start_during_reload(make_op("reload"))
        if code != "NOT_LOADED":
            failures.append(f"start while a loaded buffer is reloaded: ERR_CODE {code}, expected NOT_LOADED")
        await self.run_ops(self.tag([make_op("after_reload")]))
        assert not failures, "error priority broken: " + "; ".join(failures)

    async def start_during_reload(self, op: Operation) -> str:
        """Load every frame of `op`, then send its first frame again and write CTRL.start while that
        frame is half in: the buffer is no longer loaded, so the start must end in NOT_LOADED (and not
        run on a half-written buffer). Returns the ERR_CODE name; the frame is then finished."""
        codec, csr = self.codec, self.csr
        frames = codec.frames(op)
        await self.stage_job(op, frames)
        dest, beats = next((d, b) for d, b in frames if len(b) > 1)
        half = len(beats) // 2
        self.source.set_pause(itertools.chain([0] * half, itertools.repeat(1)))  # stop after `half` beats
        resend = cocotb.start_soon(self.source.model.send(AxiStreamFrame(beats, tdest=dest)))
        await ClockCycles(self.dut.clk, 2 * half + 20)
        await csr.write("CTRL", start=1)
        await ClockCycles(self.dut.clk, 4)
        code = csr.map.decode_error((await csr.read_fields("ERR_CODE"))["code"])
        self.source.set_pause(None)
        await resend
        await bounded(self.source.model.wait(), 20 * len(beats) + 1000, "the reloaded frame")
        await csr.write("CTRL", irq_clear=1)
        return code

    async def body(self):
        await self.run_ops(self.operations())

    async def run_phase(self):
        self.raise_objection()
        run_seed = os.environ.get("COCOTB_RANDOM_SEED", "?")
        self.logger.info(f"seed {run_seed}: reproduce with SEED={run_seed} TESTS={test_name(self)} "
                         f"(cocotb derives this test's seed {self.seed} from it and the test's name)")
        start_clock(self.dut.clk)
        self.dut.rst_n.value = 0
        self.dut.s_axis_tvalid.value = 0
        self.dut.m_axis_tready.value = 0
        await ClockCycles(self.dut.clk, 3)  # models created while reset is X crash (toolchain.md)
        self.attach_bus()
        await self.reset()
        await self.body()
        self.drop_objection()

