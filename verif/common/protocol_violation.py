"""cocotb tests that break the AXI4-Stream protocol on purpose at a core's operand port; each must
end the simulation through the shell's protocol assertions (hdl/common/accel_shell.sv), which
verif/test_protocol.py checks from the results XML and the log. Not part of any core's tests.

Every core has the same shell, so the violations run on the baseline core's build: a job keeps
the core busy (tready low), and the test drives s_axis by hand (no bus model) to misbehave.
"""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from verif.common.agents import CsrAgent, bounded, start_clock, wait_irq
from verif.common.cores import baseline_core, load_core
from verif.common.csr_map import load_csr_map

CORE = load_core(baseline_core())


async def busy_core(dut):
    """Reset, load and start a job of the baseline core so that s_axis_tready is low; returns
    the CSR agent."""
    test_module = __import__(CORE.test_module, fromlist=["_"])
    csr_map = load_csr_map(CORE.rdl)
    codec = test_module.DenseCodecFromManifest(csr_map)
    start_clock(dut.clk)
    dut.rst_n.value = 0
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 1
    await ClockCycles(dut.clk, 3)
    csr = CsrAgent(dut, csr_map)
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    rng = np.random.default_rng(1)
    op = test_module.random_op(rng, "protocol", 16, 16, 64)
    for name, value in codec.csr_writes(op):
        await csr.write(name, value)
    for dest, beats in codec.frames(op):
        for i, beat in enumerate(beats):
            dut.s_axis_tdata.value = beat
            dut.s_axis_tdest.value = dest
            dut.s_axis_tlast.value = int(i == len(beats) - 1)
            dut.s_axis_tvalid.value = 1
            await RisingEdge(dut.clk)
            while not dut.s_axis_tready.value:
                await RisingEdge(dut.clk)
    dut.s_axis_tvalid.value = 0
    await csr.write("CTRL", start=1)
    await bounded(_until_not_ready(dut), 100, "s_axis_tready low while the job computes")
    return csr


async def _until_not_ready(dut):
    while dut.s_axis_tready.value:
        await RisingEdge(dut.clk)


@cocotb.test()
async def valid_dropped_before_ready(dut):
    """tvalid rises while the core is busy (tready low) and falls before any handshake."""
    await busy_core(dut)
    dut.s_axis_tvalid.value = 1
    await ClockCycles(dut.clk, 2)
    dut.s_axis_tvalid.value = 0
    await wait_irq(dut, 10_000)  # the job ends; the assertion must have ended the run before


@cocotb.test()
async def payload_changed_before_ready(dut):
    """tdata changes while tvalid is high and tready low."""
    await busy_core(dut)
    dut.s_axis_tvalid.value = 1
    await ClockCycles(dut.clk, 2)
    dut.s_axis_tdata.value = 0x5A5A
    await wait_irq(dut, 10_000)


@cocotb.test()
async def valid_unknown(dut):
    """tvalid is X after reset (4-state simulators only)."""
    await busy_core(dut)
    dut.s_axis_tvalid.value = "X"
    await ClockCycles(dut.clk, 4)
