"""pytest entry for the FP units (hdl/common/fp16_mul.sv, hdl/common/fp32_add.sv).

Builds verif/units/fp_units_tb.sv once per simulator under build/units/<sim>/ and runs the cocotb
module fp_units_cocotb there; pass or fail comes from the results XML. Also lints both units.
Run: pytest verif/units/test_fp_units.py   (SEED=<n> to repeat a run, NVEC=<n> for more vectors)
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verif.common.runner import setup_tool_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
UNITS = [ROOT / "hdl" / "common" / "fp16_mul.sv", ROOT / "hdl" / "common" / "fp32_add.sv"]
SIMULATORS = ["icarus", "verilator"]
# Lanes of the wrapper and random vectors per unit. Icarus pays per lane per change (and about
# 50 us per fp32_add evaluation), so it gets few lanes and fewer vectors; Verilator takes wide
# batches almost for free. NVEC / LANES in the environment override both.
LANES = {"icarus": 4, "verilator": 32}
NVEC = {"icarus": 30_000, "verilator": 200_000}

# The runner hands this process's sys.path to the simulator's Python as PYTHONPATH: the cocotb
# module needs the repo root (for models.golden) and this folder (for itself).
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_fp_units(sim: str) -> None:
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    setup_tool_env()
    build_dir = ROOT / "build" / "units" / sim
    results_xml = build_dir / "results.xml"
    lanes = int(os.environ.get("LANES", LANES[sim]))
    nvec = int(os.environ.get("NVEC", NVEC[sim]))
    runner = get_runner(sim)
    # -O0: the C++ build dominates a Verilator run of these few vectors (about 40% less CPU).
    # always: Icarus otherwise rebuilds only on newer sources, not on a new Lanes value.
    runner.build(sources=UNITS + [HERE / "fp_units_tb.sv"], hdl_toplevel="fp_units_tb",
                 build_dir=build_dir, parameters={"Lanes": lanes}, timescale=("1ns", "1ps"),
                 build_args=["-CFLAGS", "-O0"] if sim == "verilator" else [], always=sim == "icarus")
    runner.test(test_module="fp_units_cocotb", hdl_toplevel="fp_units_tb", build_dir=build_dir,
                test_dir=build_dir, results_xml=str(results_xml), extra_env={"NVEC": str(nvec)},
                timescale=("1ns", "1ps") if sim == "icarus" else None)
    num_tests, num_failed = get_results(results_xml)
    assert num_tests == 3, f"{sim}: expected 3 cocotb tests in {results_xml}, found {num_tests}"
    assert num_failed == 0, f"{sim}: {num_failed} of {num_tests} cocotb tests failed (see {results_xml})"


def test_lint_units() -> None:
    """Both units are clean under `verilator --lint-only -Wall` with no waivers."""
    setup_tool_env()
    for src in UNITS:
        proc = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", src.stem, str(src)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name} lint:\n{proc.stdout}{proc.stderr}"
