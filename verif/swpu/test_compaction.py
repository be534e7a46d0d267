"""pytest entry for the SWPU compaction network and its mirror on both simulators (random masks at
every density, edge masks), from the results XML. Run: pytest verif/swpu/test_compaction.py"""
from __future__ import annotations

import os
import sys

import pytest

from verif.common import runner
from verif.common.cores import ROOT

HERE = ROOT / "verif" / "swpu"
SOURCES = [ROOT / "hdl" / "swpu" / "swpu_compact.sv", ROOT / "hdl" / "swpu" / "swpu_expand.sv",
           HERE / "swpu_network_tb.sv"]
NMASK = {"icarus": 300, "verilator": 3000}   # Icarus evaluates the 7-stage networks slowly


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_compaction_network(sim: str) -> None:
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    runner.setup_tool_env()
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))     # the simulator's Python gets this process's sys.path
    build_dir = ROOT / "build" / "units" / f"swpu_network_{sim}"
    results_xml = build_dir / "results.xml"
    tool = get_runner(sim)
    tool.build(sources=SOURCES, hdl_toplevel="swpu_network_tb", build_dir=build_dir, timescale=("1ns", "1ps"),
               build_args=["-CFLAGS", "-O0"] if sim == "verilator" else [])
    tool.test(test_module="swpu_network_cocotb", hdl_toplevel="swpu_network_tb", build_dir=build_dir,
              test_dir=build_dir, results_xml=str(results_xml),
              extra_env={"NMASK": os.environ.get("NMASK", str(NMASK[sim]))},
              timescale=("1ns", "1ps") if sim == "icarus" else None)
    num_tests, num_failed = get_results(results_xml)
    assert num_tests == 1, f"{sim}: expected 1 cocotb test in {results_xml}, found {num_tests}"
    assert num_failed == 0, f"{sim}: the compaction network test failed (see {build_dir})"
