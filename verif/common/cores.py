"""Per-core manifests (verif/<core>/<core>_sim_cfg.hjson): the one list of what a core is made of.

The Makefile, the runner, lint, regression and reports read a core only through this module, so
adding a core means adding its folders and its manifest, nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import hjson

ROOT = Path(__file__).resolve().parents[2]
VERIF = ROOT / "verif"
COMMON = ROOT / "hdl" / "common"
SHELL_FILELIST = COMMON / "accel_shell.f"
COMMON_WAIVERS = COMMON / "lint" / "common.vlt"


def shell_sources() -> tuple[Path, ...]:
    """The shell's RTL in compile order, from hdl/common/accel_shell.f (every core builds on it)."""
    lines = (line.split("//")[0].strip() for line in SHELL_FILELIST.read_text().splitlines())
    return tuple(ROOT / line for line in lines if line)


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
    regress_seeds: int
    extra: dict = field(default_factory=dict)

    @property
    def gen_dir(self) -> Path:
        return ROOT / "build" / "gen" / self.name


def core_names() -> list[str]:
    return sorted(p.parent.name for p in VERIF.glob("*/*_sim_cfg.hjson"))


def load_core(name: str) -> CoreConfig:
    path = VERIF / name / f"{name}_sim_cfg.hjson"
    if not path.is_file():
        raise ValueError(f"unknown core {name!r}: no {path.relative_to(ROOT)}; cores: {', '.join(core_names())}")
    cfg = hjson.loads(path.read_text())
    known = {"name", "toplevel", "rdl", "sources", "lint_waivers", "parameters", "test_module",
             "testplan", "smoke_tests", "regress_seeds"}
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
        regress_seeds=int(cfg.get("regress_seeds", 3)),
        extra={k: v for k, v in cfg.items() if k not in known},
    )
