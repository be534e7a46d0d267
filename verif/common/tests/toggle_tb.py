"""cocotb test for toggle_dut.sv: runs operations and writes their time windows for test_toggles.py.

Each window boundary is taken right after a rising edge, where cocotb sees pre-edge values, and the
counter value seen there (u_cnt.cnt) is recorded too, so the expected counter toggles follow by
construction.
The file `windows.json` lands in the simulator's working directory (the runner's test_dir).
"""
import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

# (name, enable, cycles) after reset; run1 wraps the 8-bit counter past 255
PHASES = [("run1", 1, 300), ("idle", 0, 50), ("run2", 1, 77)]


@cocotb.test()
async def toggle_phases(dut):
    dut.rst_n.value = 0
    dut.en.value = 0
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start(start_high=False))
    await ClockCycles(dut.clk, 3)
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 2)
    windows = []
    await RisingEdge(dut.clk)
    t = get_sim_time("ns")
    windows.append({"name": "reset", "start_ns": 0, "end_ns": t, "count_start": None,
                    "count_end": int(dut.u_cnt.cnt.value)})
    for name, en, cycles in PHASES:
        start, c0 = t, int(dut.u_cnt.cnt.value)
        dut.en.value = en
        await ClockCycles(dut.clk, cycles)
        t = get_sim_time("ns")
        windows.append({"name": name, "start_ns": start, "end_ns": t, "cycles": cycles, "en": en,
                        "count_start": c0, "count_end": int(dut.u_cnt.cnt.value)})
    with open(os.environ.get("TOGGLE_WINDOWS", "windows.json"), "w") as f:
        json.dump(windows, f, indent=1)
