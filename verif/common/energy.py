"""Event energy: the counters an operation really produced, times per-event energies (architecture.md,
"Metrics": event energy).

Two inputs, each in one place:
* the per-event energies, models/data/energy_45nm.hjson: Horowitz's published 45 nm figures and the
  labelled rules that derive the missing ones (`primitive_pj`, `sram_access_pj`);
* what a core's counters mean, the manifest key `energy_events` of verif/<core>/<core>_sim_cfg.hjson
  (documented in verif/common/cores.py): which counter counts which kind of MAC, which SRAM counter
  belongs to which buffer of what size and width, which register updates happen per event, and which
  instances have no per-event figure (their toggles are reported apart, never turned into pJ).

`energy_of(core, op)` prices one operation: `op` is an entry of a core's summary.json (scripts/sim.py)
or a row of compare.json (scripts/compare.py). `accelergy_action_counts` gives the same counts in
Accelergy's action-count layout. Counts are expressions (see `evaluate`) over the core's RDL counter
names (common: MAC_SLOTS, SRAM_RD[i], ...; the core's own: SHIFT_OPS, ...), its parameters, InBeatBits
and OutBeatBits (the shell's operand and result beats) and DENSE_MACS (the operation's M x N x K).
"""
from __future__ import annotations

import ast
import functools
import math
import re
from pathlib import Path

from verif.common.cores import ROOT, load_core
from verif.common.csr_map import load_csr_map

ENERGY_TABLE = ROOT / "models" / "data" / "energy_45nm.hjson"
ACCELERGY_VERSION = 0.4
# The common counters and the key scripts/sim.py's summary (and compare.py's rows) store them under.
COMMON_COUNTER_KEYS = {"MAC_SLOTS": "mac_slots", "MAC_EFFECTUAL": "effectual_macs", "MAC_SKIPPED": "skipped_macs",
                       "CYC_COMPUTE": "cycles", "CYC_LOAD": "load_cycles", "CYC_DRAIN": "drain_cycles",
                       "IN_STALL": "in_stall", "OUT_STALL": "out_stall"}
SRAM_COUNTER_KEYS = {"SRAM_RD": "RD", "SRAM_WR": "WR"}   # SRAM_RD[i] -> sram_by_buffer["RD[i]"]
# Names an expression may use besides counters and parameters: the shell's beat width (CSR SHELL) and the
# operation's M x N x K (summary key dense_macs, from the record: not a counter; NZPC's positions).
OPERATION_NAMES = {"DENSE_MACS": "dense_macs"}


# ---------------------------------------------------------------------------------- energy table

@functools.cache
def load_table(path: Path = ENERGY_TABLE) -> dict:
    import hjson
    return hjson.loads(Path(path).read_text())


def primitive_pj(name: str, table: dict | None = None) -> float:
    """The energy of one primitive event: a published figure, or one its rule derives (the rules'
    text is in the table's `rules`; this is their one implementation)."""
    table = table or load_table()
    pub = {k: float(v["pJ"]) for k, v in table["published"].items()}
    if name in pub:
        return pub[name]
    if m := re.fullmatch(r"int(\d+)_mul", name):
        return _int_mul(int(m[1]), pub)
    if m := re.fullmatch(r"int(\d+)_add", name):
        n = int(m[1])
        return pub["int8_add"] + (n - 8) * (pub["int32_add"] - pub["int8_add"]) / 24
    if m := re.fullmatch(r"fp16_mul_m(\d+)", name):
        return pub["fp16_mul"] - _int_mul(11, pub) + _int_mul(int(m[1]), pub)
    if name == "shift":
        return pub["int32_add"]
    if name == "reg_bit":
        return pub["int32_add"] / 32
    raise KeyError(f"{name!r}: no published figure and no rule in {ENERGY_TABLE.name}")


def _int_mul(bits: int, pub: dict) -> float:
    exponent = math.log(pub["int32_mul"] / pub["int8_mul"]) / math.log(4)
    return pub["int8_mul"] * (bits / 8) ** exponent


def event_pj(event: str, table: dict | None = None) -> float:
    """One event kind of the table's `events` (a MAC kind): the sum of its parts."""
    table = table or load_table()
    try:
        parts = table["events"][event]["parts"]
    except KeyError:
        raise KeyError(f"unknown event kind {event!r}; {ENERGY_TABLE.name} has {sorted(table['events'])}") from None
    return sum(primitive_pj(p, table) for p in parts)


def sram_access_pj(size_bytes: float, bits: float, table: dict | None = None) -> float:
    """One read or write of `bits` from an SRAM of `size_bytes` (rule `sram` of the table)."""
    table = table or load_table()
    pub = table["published"]
    points = sorted((float(s), float(pub[name]["pJ"])) for s, name in table["rules"]["sram_points"])
    logs = [(math.log(s), math.log(e)) for s, e in points]
    x = math.log(size_bytes)
    # the segment that holds x, or the nearest end segment (extrapolation with its exponent)
    i = 0 if x <= logs[1][0] else (len(logs) - 2 if x >= logs[-2][0] else
                                   next(k for k in range(len(logs) - 1) if logs[k][0] <= x <= logs[k + 1][0]))
    (x0, y0), (x1, y1) = logs[i], logs[i + 1]
    e64 = math.exp(y0 + (x - x0) * (y1 - y0) / (x1 - x0))
    return e64 * bits / 64


# ---------------------------------------------------------------------------------- expressions

_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.FloorDiv: lambda a, b: a // b}
_CMPOPS = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Gt: lambda a, b: a > b,
           ast.Lt: lambda a, b: a < b}


def expression_names(expr) -> set[str]:
    """The counter and parameter names an expression uses (`SRAM_RD[2]` counts as `SRAM_RD[2]`)."""
    if isinstance(expr, int):
        return set()
    nodes = list(ast.walk(ast.parse(str(expr), mode="eval")))
    subscripts = [n for n in nodes if isinstance(n, ast.Subscript)]
    indexed = {id(n.value) for n in subscripts}
    return ({f"{n.value.id}[{n.slice.value}]" for n in subscripts}
            | {n.id for n in nodes if isinstance(n, ast.Name) and id(n) not in indexed})


def evaluate(expr, lookup) -> int:
    """An integer expression of a manifest entry: a number, or Python syntax limited to integers, names,
    `NAME[i]`, + - * //, and `a if x == y else b` (== != < >). `lookup(name)` gives a name's value."""
    if isinstance(expr, bool) or not isinstance(expr, (int, str)):
        raise ValueError(f"expected an integer or an expression, got {expr!r}")
    if isinstance(expr, int):
        return expr

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return lookup(node.id)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant):
            return lookup(f"{node.value.id}[{node.slice.value}]")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
            return _CMPOPS[type(node.ops[0])](ev(node.left), ev(node.comparators[0]))
        raise ValueError(f"{expr!r}: {ast.dump(node)[:60]} is not allowed in an energy_events expression")
    return ev(ast.parse(expr, mode="eval"))


# ---------------------------------------------------------------------------------- a core's mapping

def core_of(variant: str) -> str:
    """'swpu@natural' (a compare.py variant) -> 'swpu'."""
    return variant.split("@", 1)[0]


@functools.cache
def _core_names(core: str) -> tuple[dict, frozenset]:
    """(parameter values incl. InBeatBits, counter names of the RDL) of a core."""
    cfg = load_core(core)
    csr = load_csr_map(cfg.rdl)
    params = {**cfg.parameters, "InBeatBits": csr.in_beat_bits, "OutBeatBits": csr.out_beat_bits}
    counters = set(csr.common_counters) | set(csr.core_counters)
    counters |= {f"{arr}[{i}]" for arr in SRAM_COUNTER_KEYS for i in range(csr.sram_counters)}
    return params, frozenset(counters)


def allowed_names(core: str) -> set[str]:
    params, counters = _core_names(core)
    return set(params) | set(counters) | set(OPERATION_NAMES)


def _lookup(core: str, op: dict):
    params, counters = _core_names(core)
    # a build at other parameters (a compare size such as dense@tile16x16) carries its own
    params = {**params, **(op.get("parameters") or {})}

    def lookup(name: str) -> int:
        if name in params:
            return params[name]
        if name in OPERATION_NAMES:
            return op[OPERATION_NAMES[name]]
        if name not in counters:
            raise KeyError(f"{core}: {name!r} is neither a parameter nor a counter of its RDL")
        if name in COMMON_COUNTER_KEYS:
            key = COMMON_COUNTER_KEYS[name]
            if op.get(key) is None:
                raise KeyError(f"{core}: the operation {op.get('id') or op.get('op')} has no {key} ({name})")
            return op[key]
        arr, _, idx = name.partition("[")
        if arr in SRAM_COUNTER_KEYS:
            return op["sram_by_buffer"][f"{SRAM_COUNTER_KEYS[arr]}[{idx}"]
        core_counters = op.get("core_counters") or {}
        if name not in core_counters:
            raise KeyError(f"{core}: the operation {op.get('id') or op.get('op')} has no core counter {name}")
        return core_counters[name]
    return lookup


def event_counts(core: str, op: dict) -> dict:
    """What the operation did, by the core's energy_events: {"compute": {name: (event, count)},
    "registers": {name: (bits, count)},
    "buffers": {name: (size_bytes, read_bits, write_bits, reads, writes)}}."""
    spec = load_core(core).energy_events
    if not spec:
        raise ValueError(f"{core}: its manifest has no energy_events")
    look = _lookup(core, op)
    compute = {e.get("name", e["event"]): (e["event"], evaluate(e["count"], look)) for e in spec["compute"]}
    registers = {r["name"]: (evaluate(r["bits"], look), evaluate(r["count"], look)) for r in spec.get("registers", [])}
    buffers = {}
    for b in spec["buffers"]:
        word_bits = evaluate(b["word_bits"], look)
        size_bytes = evaluate(b["words"], look) * word_bits / 8
        access_bits = evaluate(b.get("access_bits", word_bits), look)
        buffers[b["name"]] = (size_bytes, access_bits, evaluate(b.get("write_bits", access_bits), look),
                              evaluate(b.get("reads", 0), look), evaluate(b.get("writes", 0), look))
    return {"compute": compute, "registers": registers, "buffers": buffers}


def energy_of(core: str, op: dict) -> dict:
    """Energy (pJ) of one operation of `core` (a core name or a compare variant such as swpu@natural)
    with its breakdown, per effectual MAC and per dense MAC; toggles of the instances with no per-event
    figure are a separate line (`toggles_without_figure`), not part of the pJ."""
    core = core_of(core)
    counts = event_counts(core, op)
    compute = {name: n * event_pj(event) for name, (event, n) in counts["compute"].items()}
    registers = {name: n * bits * primitive_pj("reg_bit") for name, (bits, n) in counts["registers"].items()}
    sram = {name: rd * sram_access_pj(size, rd_bits) + wr * sram_access_pj(size, wr_bits)
            for name, (size, rd_bits, wr_bits, rd, wr) in counts["buffers"].items()}
    parts = {"compute": sum(compute.values()), "sram": sum(sram.values()), "registers": sum(registers.values())}
    total = sum(parts.values())
    eff, dense = op.get("effectual_macs") or 0, op.get("dense_macs") or 0
    toggles = op.get("toggles_by_instance") or {}
    return {
        "energy_pj": total, **{f"{k}_pj": v for k, v in parts.items()},
        "compute_pj_by_event": compute, "sram_pj_by_buffer": sram, "register_pj_by_kind": registers,
        "pj_per_effectual_mac": total / eff if eff else None,
        "pj_per_dense_mac": total / dense if dense else None,
        "toggles_without_figure": {i: toggles[i] for i in load_core(core).energy_events.get("toggles_only", [])
                                   if i in toggles},
    }


def accelergy_action_counts(core: str, op: dict) -> dict:
    """The operation's counts in Accelergy's action-count layout (version 0.4: top key action_counts,
    `local`: one entry per component with its actions and counts). Components are named
    <core>.<compute|register|buffer name>; MAC kinds count as mac_random, registers as write, buffers
    as read and write. Pricing them with Accelergy needs an architecture with the same names."""
    core = core_of(core)
    counts = event_counts(core, op)
    local = [{"name": f"{core}.{name}", "action_counts": [{"name": "mac_random", "counts": n}]}
             for name, (_, n) in counts["compute"].items()]
    local += [{"name": f"{core}.{name}", "action_counts": [{"name": "write", "counts": n}]}
              for name, (_, n) in counts["registers"].items()]
    local += [{"name": f"{core}.{name}",
               "action_counts": [{"name": "read", "counts": rd}, {"name": "write", "counts": wr}]}
              for name, (_, _, _, rd, wr) in counts["buffers"].items()]
    return {"action_counts": {"version": ACCELERGY_VERSION, "local": local}}
