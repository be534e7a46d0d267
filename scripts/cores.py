"""The cores, as their manifests (verif/<core>/<core>_sim_cfg.hjson) describe them.

Usage: python scripts/cores.py [names | show]
  names   the core names, space-separated (the Makefile's help and DESIGNS default read this;
          needs only the standard library, so `make help` works before `make setup`)
  show    one line per core: what make compare, area and cov take from its manifest (needs hjson)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, core_names, load_core  # noqa: E402


def show() -> list[str]:
    lines = []
    for name in core_names():
        core = load_core(name)
        records = ", ".join(os.path.relpath(r, ROOT) for r in core.compare_records) or "-"
        units = ", ".join(u.top + (" (reference)" if u.area_reference else "") for u in core.area_units) or "-"
        lines.append(f"{name}{' (baseline)' if core.baseline else ''}: compare_tests {', '.join(core.compare_tests)}; "
                     f"compare_records {records}; area_units {units}; line_coverage_min {core.line_coverage_min:g} %")
    return lines


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "names"
    if what == "names":
        print(" ".join(core_names()))
    elif what == "show":
        print("\n".join(show()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
