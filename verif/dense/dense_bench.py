"""Throughput bench test of the dense core: exactly one large operation through the normal testbench
path (OpDriver.execute of verif/common/env.py: CSR writes, operand frames, start, irq, result frame,
counters), timed from inside the simulation. Run by scripts/bench.py (`make bench`), which compares
it with the no-Python harness (verif/dense/bench_harness.cpp) on the same operands.

Parameters come from the environment (scripts/bench.py sets them): BENCH_M, BENCH_N, BENCH_K,
BENCH_SPARSITY, BENCH_SEED. Writes bench_result.json and bench_result.npy in the test directory.
BENCH_STREAMS=lean swaps the cocotbext-axi stream models for the leaner ones below (an experiment:
how much the per-beat Python of the load and drain costs), BENCH_CSR=lean the AXI4-Lite master (how
much its always-registered monitors cost while the core computes); the default is the normal
testbench.
DUT cycles are counted from the first CSR write of the operation to its last result beat; wall
time is time.perf_counter() around OpDriver.execute, so it includes the testbench's own Python work
(packing, decoding, bus models) but not simulator start-up or the golden-model check; CPU time
(time.process_time, the whole simulator process) over the same span is recorded too.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import time

import cocotb
import numpy as np
import pyuvm
from cocotb.queue import Queue
from cocotb.triggers import Lock, RisingEdge, Timer
from cocotb.utils import get_sim_time

from models import golden
from verif.common.agents import (CLOCK_NS, CsrAgent, OperandSource, ResultSink, bounded,
                                 pause_pattern)
from verif.common.env import Operation
from verif.dense.dense_stimulus import random_op
from verif.dense.dense_tests import DenseTest

DEFAULTS = {"m": 64, "n": 64, "k": 576, "sparsity": 0.5, "seed": 2026}


def bench_params() -> dict:
    """The operation's parameters from BENCH_* environment variables, defaults otherwise."""
    p = dict(DEFAULTS)
    for key, kind in (("m", int), ("n", int), ("k", int), ("sparsity", float), ("seed", int)):
        value = os.environ.get(f"BENCH_{key.upper()}")
        if value:
            p[key] = kind(value)
    return p


def bench_operation(m: int, n: int, k: int, sparsity: float, seed: int) -> Operation:
    """Random FP16 A[MxK] and B[KxN] at the given sparsity (both sides), fixed by the seed. The same
    call in scripts/bench.py gives the harness the same operands (checked by operand_digest)."""
    rng = np.random.default_rng(seed)
    return random_op(rng, f"bench/{m}x{n}x{k}", m, n, k, sparsity, sparsity)


def operand_digest(op: Operation) -> str:
    h = hashlib.sha256()
    for name in sorted(op.operands):
        h.update(name.encode())
        h.update(np.ascontiguousarray(op.operands[name]).view(np.uint16).tobytes())
    return h.hexdigest()[:16]


class PhaseTimer:
    """Wall and simulated time spent inside chosen methods of the testbench objects, to split the
    operation's wall time into packing, CSR access, operand load, result drain and decoding. It wraps
    the methods of these instances only (the classes are untouched); the rest of execute() is the
    wait for irq, i.e. the compute phase."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.sim_ns: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def _add(self, key, t0, c0, s0):
        self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - t0
        self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - c0
        self.sim_ns[key] = self.sim_ns.get(key, 0.0) + get_sim_time("ns") - s0
        self.calls[key] = self.calls.get(key, 0) + 1

    def wrap(self, obj, name: str, key: str) -> None:
        fn = getattr(obj, name)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def timed(*args, **kwargs):
                t0, c0, s0 = time.perf_counter(), time.process_time(), get_sim_time("ns")
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self._add(key, t0, c0, s0)
        else:
            @functools.wraps(fn)
            def timed(*args, **kwargs):
                t0, c0, s0 = time.perf_counter(), time.process_time(), get_sim_time("ns")
                try:
                    return fn(*args, **kwargs)
                finally:
                    self._add(key, t0, c0, s0)
        setattr(obj, name, timed)

    def report(self, total_wall: float, total_cpu: float, total_ns: float) -> dict:
        out = {k: {"wall_s": self.wall[k], "cpu_s": self.cpu[k], "cycles": round(self.sim_ns[k] / CLOCK_NS),
                   "calls": self.calls[k]} for k in self.wall}
        out["rest (wait irq = compute)"] = {
            "wall_s": total_wall - sum(self.wall.values()), "cpu_s": total_cpu - sum(self.cpu.values()),
            "cycles": round((total_ns - sum(self.sim_ns.values())) / CLOCK_NS), "calls": 1}
        return out


class LeanOperandSource:
    """Experiment: the OperandSource interface with one coroutine and one or two signal writes per
    beat, instead of cocotbext-axi's frame model (which rebuilds every lane and writes every
    sideband signal on every beat)."""

    def __init__(self, dut):
        self.dut = dut
        self.pause = None
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0

    def set_pause(self, pattern):
        self.pause = pattern

    async def send(self, beats: list[int], dest: int, timeout_cycles: int) -> None:
        if beats:
            await bounded(self._send(beats, dest), timeout_cycles, f"s_axis frame to buffer {dest} ({len(beats)} beats)")

    async def _send(self, beats, dest):
        dut = self.dut
        edge = RisingEdge(dut.clk)
        tdata, tvalid, tready, tlast = dut.s_axis_tdata, dut.s_axis_tvalid, dut.s_axis_tready, dut.s_axis_tlast
        await edge
        dut.s_axis_tdest.value = dest
        last = len(beats) - 1
        pause = self.pause
        i, valid, shown = 0, False, -1
        while True:
            if pause is not None and next(pause):
                if valid:
                    tvalid.value = 0
                    valid = False
            else:
                if shown != i:
                    tdata.value = beats[i]
                    if i == last:
                        tlast.value = 1
                    shown = i
                if not valid:
                    tvalid.value = 1
                    valid = True
            await edge
            if valid and tready.value:
                if i == last:
                    break
                i += 1
        tvalid.value = 0
        tlast.value = 0


class LeanResultSink:
    """Experiment: the ResultSink interface with tready held high (no back-pressure) and a monitor
    that sleeps on RisingEdge(tvalid) while the core computes and reads one value per beat."""

    def __init__(self, dut):
        self.dut = dut
        self.queue = Queue()
        dut.m_axis_tready.value = 1
        self._task = cocotb.start_soon(self._run())

    def set_pause(self, pattern):
        if pattern is not None:
            raise ValueError("the lean result sink (a bench experiment) has no back-pressure; use ResultSink")

    async def _run(self):
        dut = self.dut
        edge, rise = RisingEdge(dut.clk), RisingEdge(dut.m_axis_tvalid)
        tvalid, tdata, tlast = dut.m_axis_tvalid, dut.m_axis_tdata, dut.m_axis_tlast
        frame = []
        while True:
            await edge
            if tvalid.value:
                frame.append(tdata.value.to_unsigned())
                if tlast.value:
                    self.queue.put_nowait(frame)
                    frame = []
            else:
                await rise

    async def recv(self, timeout_cycles: int) -> list[int]:
        return await bounded(self.queue.get(), timeout_cycles, "m_axis result frame")

    def pending(self) -> bool:
        return not self.queue.empty()


class LeanAxiLite:
    """Experiment: the write_dword/read_dword of cocotbext-axi's AxiLiteMaster as two plain
    coroutines that register simulator callbacks only while a transfer runs. AxiLiteMaster keeps
    about a dozen value-change callbacks (reset and valid/ready monitors of its five channels)
    registered all the time, and Verilator checks each of them several times per time step, also
    while the core computes and Python sleeps. No reset handling: the bench never resets mid-job."""

    def __init__(self, dut):
        self.dut = dut
        self.lock = Lock()
        for name, value in (("awvalid", 0), ("wvalid", 0), ("arvalid", 0), ("bready", 1), ("rready", 1),
                            ("wstrb", 0xF), ("awprot", 2), ("arprot", 2)):
            getattr(dut, f"s_axil_{name}").value = value

    async def write_dword(self, address: int, data: int) -> None:
        d = self.dut
        edge = RisingEdge(d.clk)
        async with self.lock:
            await edge
            d.s_axil_awaddr.value = address
            d.s_axil_wdata.value = data
            d.s_axil_awvalid.value = 1
            d.s_axil_wvalid.value = 1
            aw = w = False
            while True:
                await edge
                if not aw and d.s_axil_awready.value:
                    aw = True
                    d.s_axil_awvalid.value = 0
                if not w and d.s_axil_wready.value:
                    w = True
                    d.s_axil_wvalid.value = 0
                if aw and w and d.s_axil_bvalid.value:
                    if int(d.s_axil_bresp.value):
                        raise AssertionError(f"AXI4-Lite write to 0x{address:x}: bresp {int(d.s_axil_bresp.value)}")
                    return

    async def read_dword(self, address: int) -> int:
        d = self.dut
        edge = RisingEdge(d.clk)
        async with self.lock:
            await edge
            d.s_axil_araddr.value = address
            d.s_axil_arvalid.value = 1
            ar = False
            while True:
                await edge
                if not ar and d.s_axil_arready.value:
                    ar = True
                    d.s_axil_arvalid.value = 0
                if ar and d.s_axil_rvalid.value:
                    if int(d.s_axil_rresp.value):
                        raise AssertionError(f"AXI4-Lite read of 0x{address:x}: rresp {int(d.s_axil_rresp.value)}")
                    return d.s_axil_rdata.value.to_unsigned()


@pyuvm.test()
class test_bench_dense(DenseTest):
    """One large dense operation, timed: cycles per wall-second of the cocotb/pyuvm path."""

    def attach_bus(self):
        lean_streams = os.environ.get("BENCH_STREAMS", "normal") == "lean"
        lean_csr = os.environ.get("BENCH_CSR", "normal") == "lean"
        if not (lean_streams or lean_csr):
            super().attach_bus()
            return
        if lean_csr:  # CsrAgent's register access by name on the lean bus, no AxiLiteMaster
            self.csr = CsrAgent.__new__(CsrAgent)
            self.csr.map, self.csr.timeout, self.csr.bus = self.csr_map, 200, LeanAxiLite(self.dut)
        else:
            self.csr = CsrAgent(self.dut, self.csr_map)
        self.source = LeanOperandSource(self.dut) if lean_streams else OperandSource(self.dut)
        self.sink = LeanResultSink(self.dut) if lean_streams else ResultSink(self.dut)
        self.source.set_pause(pause_pattern(self.in_pause, self.rng))
        self.env.agent.driver.attach(self.csr, self.source, self.sink)

    async def body(self):
        p = bench_params()
        op = bench_operation(**p)
        driver = self.env.agent.driver
        self.logger.info(f"bench operation {op.op_id}, sparsity {p['sparsity']}, seed {p['seed']}")
        timer = PhaseTimer()
        if os.environ.get("BENCH_BREAKDOWN", "1") != "0":
            timer.wrap(driver.codec, "frames", "pack operands (codec.frames)")
            timer.wrap(driver.codec, "decode", "decode results (codec.decode)")
            timer.wrap(self.csr, "write", "CSR writes")
            timer.wrap(self.csr, "read", "CSR reads")
            timer.wrap(self.source, "send", "operand load (source.send)")
            timer.wrap(self.sink, "recv", "result drain (sink.recv)")
        t0, c0, s0 = time.perf_counter(), time.process_time(), get_sim_time("ns")
        res = await driver.execute(op)
        wall, cpu, execute_ns = time.perf_counter() - t0, time.process_time() - c0, get_sim_time("ns") - s0
        driver.ap.write(res)  # the scoreboard checks it against models/ as for every other test
        cycles = round((res.times_ns["end"] - res.times_ns["load"]) / CLOCK_NS)
        expected = golden.gemm_fp16(op.operands["a"], op.operands["b"])
        match = (res.result is not None and res.result.shape == expected.shape
                 and np.array_equal(res.result.view(np.uint32), expected.view(np.uint32)))
        if res.result is not None:
            np.save("bench_result.npy", res.result)
        summary = {
            "params": p, "operand_digest": operand_digest(op), "err_code": res.err_code, "done": res.done,
            "match": bool(match), "cycles": cycles, "wall_s": wall, "cpu_s": cpu, "execute_cycles": round(execute_ns / CLOCK_NS),
            "cycles_per_s": cycles / wall if wall > 0 else None,
            "result_beats": res.result_beats, "counters": res.counters, "times_ns": res.times_ns,
            "breakdown_s": timer.report(wall, cpu, execute_ns) if timer.wall else None,
        }
        with open("bench_result.json", "w") as f:
            json.dump(summary, f, indent=1)
        self.logger.info(f"bench: {cycles} DUT cycles in {wall:.3f} s wall = {cycles / wall:,.0f} cycles/s; "
                         f"CYC_COMPUTE {res.counters['CYC_COMPUTE']}; result {'matches' if match else 'MISMATCHES'} "
                         f"models.golden.gemm_fp16")
        assert match, f"{op.op_id}: result does not match models.golden.gemm_fp16 bit for bit (err {res.err_code})"


@pyuvm.test()
class test_bench_clock_floor(DenseTest):
    """The floor of the cocotb path on this build: the clock runs and the bus models are idle, and no
    Python runs for BENCH_FLOOR_CYCLES cycles (one Timer). Then one tiny operation, so the
    scoreboard has something to check. Writes bench_floor.json."""

    async def body(self):
        n = int(os.environ.get("BENCH_FLOOR_CYCLES", "150000"))
        t0, c0 = time.perf_counter(), time.process_time()
        await Timer(n * CLOCK_NS, "ns")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        with open("bench_floor.json", "w") as f:
            json.dump({"cycles": n, "wall_s": wall, "cpu_s": cpu, "cycles_per_s": n / wall,
                       "cycles_per_cpu_s": n / cpu if cpu > 0 else None}, f)
        self.logger.info(f"clock floor: {n} idle cycles in {wall:.3f} s = {n / wall:,.0f} cycles/s")
        await self.run_ops([bench_operation(3, 5, 7, 0.5, 1)])
