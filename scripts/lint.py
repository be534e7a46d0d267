"""`verilator --lint-only -Wall` on every core, with its waiver files; fails on any warning.

Usage: python scripts/lint.py [--design NAME]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common import runner  # noqa: E402
from verif.common.cores import core_names, load_core  # noqa: E402


def lint(name: str) -> bool:
    core = load_core(name)
    runner.setup_tool_env()
    sources = runner.generate_csr(core) + list(core.sources)
    params = [f"-G{k}={v}" for k, v in core.parameters.items()]
    cmd = (["verilator", "--lint-only", "-Wall", "--timescale", "1ns/1ps", "--top-module", core.toplevel]
           + params + [str(w) for w in core.lint_waivers] + [str(s) for s in sources])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    ok = proc.returncode == 0 and "%Warning" not in proc.stderr
    print(f"[lint] {name}: {'clean' if ok else 'FAILED'} (verilator --lint-only -Wall, waivers: "
          f"{', '.join(str(w.relative_to(runner.ROOT)) for w in core.lint_waivers) or 'none'})")
    if not ok:
        print(proc.stderr)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", default=None, help=f"one of {', '.join(core_names())} (default: all)")
    args = parser.parse_args()
    names = [args.design] if args.design else core_names()
    results = [lint(n) for n in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
