"""Per-core manifests (verif/<core>/<core>_sim_cfg.hjson): the one list of what a core is made of.

The Makefile, the runner, lint, regression and reports read a core only through this module, so
adding a core means adding its folders and its manifest, nothing else. There is no list of core
names anywhere else: `core_names()` finds them by globbing the manifests.

Manifest keys (paths are relative to the repository root; a key not listed here is an error, so a
misspelt key cannot be silently ignored):

  name                string, required: the core's name; must equal its folder verif/<name>/.
  toplevel            string, required: the core's top module (runner, lint).
  rdl                 path, required: the core's SystemRDL CSR map (runner's CSR generation,
                      verif/common/csr_map.py, the testbenches).
  sources             paths, required: the core's own RTL in compile order; `CoreConfig.sources`
                      puts the shell's files (hdl/common/accel_shell.f) first (runner, lint).
  lint_waivers        paths: the core's Verilator waiver files; hdl/common/lint/common.vlt comes
                      first with every core (scripts/lint.py).
  parameters          {name: int}: given to the RTL with -G at every build and read by the
                      testbench (runner, lint, testbenches, coverage models).
  sizes               list of {name: int}, default []: further array sizes the core is built and
                      tested at, each a partial override of `parameters` (verif/common/regression.py:
                      `make regress` runs every test at the default size and the smoke tests at each
                      other size; the testbench reads the size it runs at with active_parameters()).
  test_module         string, required: the Python module of the core's pyuvm tests (runner,
                      verif/common/regression.py, verif/test_testplans.py).
  testplan            path, required: verif/<core>/data/<core>_testplan.hjson (verif/test_testplans.py,
                      scripts/coverage.py: the coverpoints whose bins `make cov` requires).
  smoke_tests         strings: what `make test` runs on both simulators (verif/test_cores.py).
  baseline            bool, default false: the core every other one is compared with (speedup =
                      baseline cycles / core cycles). Exactly one core has it (scripts/compare.py).
  compare_tests       strings, default [test_training_records]: the records tests `make compare`
                      runs on the core; each test or variant inside one shows as <core>@<variant>
                      (scripts/compare.py).
  compare_sizes       list of {name, size}, default []: further builds `make compare` runs the core's
                      compare_tests at, shown as the variant <core>@<name>; `size` overrides some
                      of `parameters` as a `sizes` entry does (dense@tile16x16: dense with SWPU's
                      16 x 16 output tile at the same 16 multipliers) (scripts/compare.py).
  compare_records     paths, default []: the operation-record sets `make compare` runs when no
                      RECORDS are given; the default is the union over the compared cores. A
                      non-baseline core runs the records of its own training method (same name as
                      the core); the baseline runs every record (scripts/compare.py).
  area_units          list of {name, top, sources, parameters, area_reference}, default []: units
                      `make area` synthesises alone with Yosys (scripts/area.py). `name` labels the
                      row, `top` is the unit's module, `sources` its RTL in compile order,
                      `parameters` its {name: int} (chparam), `area_reference` (bool, default false)
                      marks the one unit over all cores that every other is set against.
  software_costs      list of {what, how_often, bits, phases}, default []: what the driver computes in
                      Python for the core and a chip would have to do itself or be sent (schedules,
                      encodings, transposes, lowering). `what` and `how_often` are text; `bits`
                      (optional) is an arithmetic expression over the operation's dims M, N, K, J
                      giving the size of what is prepared, evaluated per operation of a run whose
                      phase is in `phases` (default [FF, BP, WG]) (scripts/compare.py; the report
                      lists them).
  energy_events       {compute, registers, buffers, toggles_only}, default {}: what the core's
                      counters mean for the event-energy model (verif/common/energy.py, scripts/energy.py;
                      energies in models/data/energy_45nm.hjson). Counts and sizes are integer
                      expressions over the core's RDL counter names (MAC_SLOTS, SRAM_RD[i], its own
                      counters) and its parameters (plus InBeatBits and OutBeatBits, the shell's
                      operand and result beat widths):
                      `compute`: [{event, count, name}], a MAC kind of the energy table's `events`
                      and how many the core really issued (zeros included where it computes them);
                      `registers`: [{name, bits, count}], register updates (accumulators);
                      `buffers`: [{name, reads, writes, words, word_bits, access_bits, write_bits}],
                      an SRAM (one bank: words x word_bits) and its counters; access_bits defaults to
                      word_bits, write_bits (a masked write) to access_bits;
                      `toggles_only`: instances with no per-event figure, whose toggles are reported
                      apart; `note`: what the counters leave out.
  line_coverage_min   number (percent), required: the least line coverage (branch points count as
                      lines) of the core's own folder hdl/<name>/ that `make cov` accepts
                      (scripts/coverage.py).

The shell's folder hdl/common/ has one threshold, SHELL_LINE_COVERAGE_MIN below, not a manifest
key: its lines are exercised by every core's runs merged together, so no single core owns them,
and taking "the strictest core's" figure would let one core's choice for its own RTL move the bar
for shared code. A core that needs the shell covered further proves it with its own tests.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERIF = ROOT / "verif"
COMMON = ROOT / "hdl" / "common"
SHELL_FILELIST = COMMON / "accel_shell.f"
COMMON_WAIVERS = COMMON / "lint" / "common.vlt"
# `make cov`'s least line coverage of hdl/common/ (merged over every core's runs; see the docstring).
SHELL_LINE_COVERAGE_MIN = 95.0


def shell_sources() -> tuple[Path, ...]:
    """The shell's RTL in compile order, from hdl/common/accel_shell.f (every core builds on it)."""
    lines = (line.split("//")[0].strip() for line in SHELL_FILELIST.read_text().splitlines())
    return tuple(ROOT / line for line in lines if line)


DEFAULT_COMPARE_TEST = "test_training_records"
PARAMETERS_ENV = "CORE_PARAMETERS"  # the parameters of the running build, set by verif/common/runner.py
KEYS = {"name", "toplevel", "rdl", "sources", "lint_waivers", "parameters", "sizes", "test_module", "testplan",
        "smoke_tests", "baseline", "compare_tests", "compare_records", "area_units", "line_coverage_min",
        "software_costs", "compare_sizes", "energy_events"}
AREA_UNIT_KEYS = {"name", "top", "sources", "parameters", "area_reference"}
SOFTWARE_COST_KEYS = {"what", "how_often", "bits", "phases"}
PHASES = ("FF", "BP", "WG")
DIM_NAMES = ("M", "N", "K", "J")
# energy_events: its sections and, per entry, the (required, optional) keys
ENERGY_SECTIONS = {"compute": ({"event", "count"}, {"name", "why"}),
                   "registers": ({"name", "bits", "count"}, {"why"}),
                   "buffers": ({"name", "words", "word_bits"}, {"reads", "writes", "access_bits", "write_bits", "why"})}
ENERGY_KEYS = set(ENERGY_SECTIONS) | {"toggles_only", "note"}


@dataclass(frozen=True)
class AreaUnit:
    """One unit `make area` synthesises alone (manifest key area_units)."""
    core: str
    name: str
    top: str
    sources: tuple[Path, ...]
    parameters: dict[str, int]
    area_reference: bool = False


@dataclass(frozen=True)
class SoftwareCost:
    """One thing the driver precomputes for a core (manifest key software_costs)."""
    what: str
    how_often: str
    bits: str | None = None     # expression over M, N, K, J
    phases: tuple[str, ...] = PHASES

    def bits_for(self, dims: dict[str, int], phase: str | None = None) -> int | None:
        """The size in bits for an operation of these dims (missing dims count as 0) and phase (0 for a
        phase the cost does not apply to; a job of several phases, "BP+WG", counts each)."""
        if self.bits is None:
            return None
        if phase is not None and not set(phase.split("+")) & set(self.phases):
            return 0
        return int(eval(self.bits, {"__builtins__": {}}, {d: int(dims.get(d) or 0) for d in DIM_NAMES}))


@dataclass(frozen=True)
class CoreConfig:
    name: str
    toplevel: str
    rdl: Path
    sources: tuple[Path, ...]
    lint_waivers: tuple[Path, ...]
    parameters: dict[str, int]
    test_module: str
    testplan: Path
    smoke_tests: tuple[str, ...]
    line_coverage_min: float
    baseline: bool = False
    compare_tests: tuple[str, ...] = (DEFAULT_COMPARE_TEST,)
    compare_records: tuple[Path, ...] = ()
    area_units: tuple[AreaUnit, ...] = ()
    sizes: tuple[dict[str, int], ...] = ()
    software_costs: tuple[SoftwareCost, ...] = ()
    compare_sizes: tuple[tuple[str, dict[str, int]], ...] = ()     # (name, parameter overrides)
    energy_events: dict = dataclasses.field(default_factory=dict)

    @property
    def gen_dir(self) -> Path:
        return ROOT / "build" / "gen" / self.name

    def all_sizes(self) -> list[dict[str, int]]:
        """The default parameters, then each further size with its overrides applied."""
        return [dict(self.parameters)] + [{**self.parameters, **size} for size in self.sizes]


def active_parameters(core: CoreConfig) -> dict[str, int]:
    """The parameters the running simulation was built with (the runner passes them in the
    environment); the manifest's defaults outside a simulation."""
    text = os.environ.get(PARAMETERS_ENV)
    if not text:
        return dict(core.parameters)
    params = json.loads(text)
    if set(params) != set(core.parameters):
        raise ValueError(f"{PARAMETERS_ENV}={text} does not name the parameters of {core.name}: {sorted(core.parameters)}")
    return params


def core_names() -> list[str]:
    return sorted(p.parent.name for p in VERIF.glob("*/*_sim_cfg.hjson"))


def load_core(name: str) -> CoreConfig:
    path = VERIF / name / f"{name}_sim_cfg.hjson"
    if not path.is_file():
        raise ValueError(f"unknown core {name!r}: no {path.relative_to(ROOT)}; cores: {', '.join(core_names())}")
    import hjson  # here, so that core_names() (make help) needs nothing but the standard library
    cfg = hjson.loads(path.read_text())
    where = os.path.relpath(path, ROOT)
    unknown = sorted(set(cfg) - KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))} "
                         "(documented in verif/common/cores.py)")
    missing = sorted({"name", "toplevel", "rdl", "sources", "test_module", "testplan", "line_coverage_min"} - set(cfg))
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
    if cfg["name"] != name:
        raise ValueError(f"{where}: name {cfg['name']!r} differs from its folder {name!r}")
    return CoreConfig(
        name=cfg["name"],
        toplevel=cfg["toplevel"],
        rdl=ROOT / cfg["rdl"],
        sources=shell_sources() + tuple(ROOT / s for s in cfg["sources"]),
        lint_waivers=(COMMON_WAIVERS,) + tuple(ROOT / s for s in cfg.get("lint_waivers", [])),
        parameters=dict(cfg.get("parameters", {})),
        test_module=cfg["test_module"],
        testplan=ROOT / cfg["testplan"],
        smoke_tests=tuple(cfg.get("smoke_tests", [])),
        line_coverage_min=_percent(cfg["line_coverage_min"], f"{where}: line_coverage_min"),
        baseline=_bool(cfg.get("baseline", False), f"{where}: baseline"),
        compare_tests=tuple(cfg.get("compare_tests", [DEFAULT_COMPARE_TEST])),
        compare_records=tuple(ROOT / r for r in cfg.get("compare_records", [])),
        area_units=tuple(_area_unit(name, u, f"{where}: area_units[{i}]")
                         for i, u in enumerate(cfg.get("area_units", []))),
        sizes=tuple(_size(cfg.get("parameters", {}), size, f"{where}: sizes[{i}]")
                    for i, size in enumerate(cfg.get("sizes", []))),
        compare_sizes=tuple(_compare_size(cfg.get("parameters", {}), c, f"{where}: compare_sizes[{i}]")
                            for i, c in enumerate(cfg.get("compare_sizes", []))),
        software_costs=tuple(_software_cost(c, f"{where}: software_costs[{i}]")
                             for i, c in enumerate(cfg.get("software_costs", []))),
        energy_events=_energy_events(cfg.get("energy_events", {}), f"{where}: energy_events"),
    )


def _energy_events(spec: dict, what: str) -> dict:
    """The shape of energy_events (names and expressions are checked by scripts/tests/test_energy.py)."""
    if not isinstance(spec, dict) or set(spec) - ENERGY_KEYS:
        raise ValueError(f"{what}: expected a mapping with keys among {sorted(ENERGY_KEYS)}, got {spec!r:.80}")
    if spec and not {"compute", "buffers"} <= set(spec):
        raise ValueError(f"{what}: compute and buffers are required")
    for section, (required, optional) in ENERGY_SECTIONS.items():
        for i, entry in enumerate(spec.get(section, [])):
            keys = set(entry) if isinstance(entry, dict) else set()
            if not required <= keys or keys - required - optional:
                raise ValueError(f"{what}.{section}[{i}]: needs {sorted(required)}, may have {sorted(optional)}; "
                                 f"got {entry!r:.80}")
    if not all(isinstance(i, str) for i in spec.get("toggles_only", [])):
        raise ValueError(f"{what}.toggles_only: expected instance names")
    return dict(spec)


def _size(parameters: dict, size: dict, what: str) -> dict[str, int]:
    unknown = sorted(set(size) - set(parameters))
    if unknown or not size:
        raise ValueError(f"{what}: a size overrides some of the parameters {sorted(parameters)}, not {size!r}")
    return dict(size)


def _bool(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what}: expected true or false, got {value!r}")
    return value


def _percent(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ValueError(f"{what}: expected a percentage 0..100, got {value!r}")
    return float(value)


def _area_unit(core: str, unit: dict, what: str) -> AreaUnit:
    unknown = sorted(set(unit) - AREA_UNIT_KEYS)
    missing = sorted({"name", "top", "sources"} - set(unit))
    if unknown or missing:
        raise ValueError(f"{what}: " + "; ".join(
            ([f"unknown key(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"missing key(s) {', '.join(missing)}"] if missing else [])))
    return AreaUnit(core=core, name=unit["name"], top=unit["top"], sources=tuple(ROOT / s for s in unit["sources"]),
                    parameters=dict(unit.get("parameters", {})),
                    area_reference=_bool(unit.get("area_reference", False), f"{what}: area_reference"))


def _compare_size(parameters: dict, entry: dict, what: str) -> tuple[str, dict[str, int]]:
    if set(entry) != {"name", "size"} or not str(entry["name"]).isidentifier():
        raise ValueError(f"{what}: expected {{name: <identifier>, size: {{...}}}}, got {entry!r}")
    return entry["name"], _size(parameters, entry["size"], f"{what}: size")


def _software_cost(entry: dict, what: str) -> SoftwareCost:
    unknown = sorted(set(entry) - SOFTWARE_COST_KEYS)
    missing = sorted({"what", "how_often"} - set(entry))
    if unknown or missing:
        raise ValueError(f"{what}: unknown key(s) {unknown}, missing key(s) {missing}")
    phases = tuple(entry.get("phases", PHASES))
    if not phases or set(phases) - set(PHASES):
        raise ValueError(f"{what}: phases {list(phases)} must be some of {', '.join(PHASES)}")
    cost = SoftwareCost(what=entry["what"], how_often=entry["how_often"], bits=entry.get("bits"), phases=phases)
    try:  # an expression over the dims only, checked once here so that a typo fails at load
        cost.bits_for({d: 1 for d in DIM_NAMES})
    except Exception as exc:  # noqa: BLE001 - any error of the expression is the manifest's
        raise ValueError(f"{what}: bits {cost.bits!r} is not an expression over {', '.join(DIM_NAMES)} ({exc})")
    return cost


def baseline_core(names: list[str] | None = None) -> str:
    """The one core with `baseline: true` among `names` (default: every core)."""
    names = core_names() if names is None else names
    found = [n for n in names if load_core(n).baseline]
    if len(found) != 1:
        raise ValueError(f"exactly one core must have `baseline: true` in its manifest; found "
                         f"{len(found)} ({', '.join(found) or 'none'}) among {', '.join(names)}")
    return found[0]


def area_units(names: list[str] | None = None) -> list[AreaUnit]:
    """Every core's area units (manifest order within a core, cores by name); exactly one is the reference."""
    units = [u for n in (core_names() if names is None else names) for u in load_core(n).area_units]
    refs = [f"{u.core}:{u.name}" for u in units if u.area_reference]
    if len(refs) != 1:
        raise ValueError(f"exactly one area unit must have `area_reference: true`; found {len(refs)}"
                         f" ({', '.join(refs) or 'none'})")
    return units
