"""Toggle power proxy: bit toggles per module instance, counted from the wave files a simulation wrote.

Architecture ("Metrics"): toggle power proxy = bit toggles per module instance.  Two sources:

* ``count_toggles(path, windows=None, scope=None, unit="ns")`` reads an FST or VCD file (pywellen):
  Icarus (``waves=True`` in cocotb's runner writes ``<build_dir>/<toplevel>.fst``) or Verilator
  (``--trace-fst`` writes ``<test_dir>/dump.fst``).  It can split one run into time windows, so one
  simulation that runs several operations reports each operation apart.
* ``read_saif(path)`` reads a Verilator SAIF file (``--trace-saif`` writes ``<test_dir>/dump.saif``):
  whole run only, but it costs the simulation almost nothing and needs no wave reading.

Definitions (the same for both sources, so that they give the same numbers for the same run):

* A *toggle* is one bit going 0->1 or 1->0 between two consecutive recorded values of a variable.
  Transitions from or to X or Z are not counted (0->X->1 counts nothing); the first recorded value
  of a variable is not a toggle.  SAIF: the ``TC`` field of each bit (the sum over bits), which
  Verilator computes the same way (Verilator is 2-state); T0/T1/TX/TZ only serve to recognise the
  same net in two scopes and bits that are constant 1 (see "Known differences").
* *Windows* are half-open ``[t_start, t_end)`` intervals in ``unit`` (default ``"ns"``, the unit of
  ``cocotb.utils.get_sim_time("ns")``; also ``fs ps us ms s`` or ``"tick"`` for the file's raw time
  steps), converted with the file's timescale and rounded to the nearest tick.  A toggle belongs to
  the window that contains the time of its change, so adjacent windows ``[a, b), [b, c)`` add up to
  ``[a, c)`` exactly.  ``t_end=None`` means "to the end of the file".  ``windows`` may also be a
  mapping ``name -> (t_start, t_end)``; without windows the report has one window, the whole run.
  Take window bounds at clock edges (e.g. right after ``await RisingEdge(clk)``): the changes made
  at that edge then fall in the window that starts there.
* *Instance* = hierarchical scope path as in the wave file, dot-separated (``top.u_core.u_mac``;
  generate blocks are scopes too: ``top.g_lane[0].u_lane``).  Struct/union scopes (Verilator
  ``--trace-structs``) and unpacked-array scopes (Verilator FST, pywellen scope type "unknown") are
  folded into the enclosing scope.  Top-level pseudo-scopes whose name starts
  with ``$`` (Verilator's ``$rootio``, a copy of the top module's ports) are skipped.
* ``report.exclusive(inst, w)`` (also ``report.counts[w][inst]``) sums the toggles of every variable
  *declared in that scope*, ports included, children excluded.  A net that crosses a port is
  therefore seen by the parent and by the child; each instance's view includes its own ports, which
  is what "per instance" means here (what the instance sees switching at its boundary and inside).
  Consequently exclusive counts must NOT be added up across instances.
* *Nets* (for everything that adds up): variables are the same net when they share a pywellen
  ``signal_ref`` (Icarus aliases input ports this way) or when a variable of a scope has exactly the
  same recorded waveform (width, change times and values; SAIF: T0/T1/TX/TZ/TC of every bit) as a
  variable of one of its ancestor scopes (the nearest ancestor that has one): that is a net passing
  through a port, which Verilator (no aliasing at all) and Icarus (output ports, separate vars) record
  as separate variables.  Two variables of the *same* scope with identical waveforms (``assign a = b``)
  stay two nets, on both simulators.
  ``report.inclusive(inst, w)`` counts each net found in ``inst`` or below it once;
  ``report.total(w)`` counts each net of the file (or of ``scope``) once;
  ``report.owned(inst, w)`` gives each net to the top-most instance where it appears, so owned counts
  add up to ``total``.
* ``report.bits[inst]`` = number of bits declared in the scope (same rules as ``exclusive``), for
  normalising; real, string, event and parameter variables are ignored everywhere.

Known differences between simulators (worth remembering when comparing numbers):

* Icarus does not dump unpacked arrays (memories, ``logic [7:0] a [N]``); Verilator does.  Where such
  an array only mirrors ports of child instances (e.g. ``acc[i]`` connected to ``u_lane[i].acc``) the
  net rule above merges it, so inclusive/total agree and only the parent's exclusive count differs.
  A real memory is missing from Icarus counts.
* Before reset, Icarus variables are X (not counted) while Verilator starts them at 0 (a register
  reset to a non-zero value toggles once in Verilator).  Compare simulators on windows after reset.
* Verilator may dump loop variables or temporaries that Icarus does not (and the other way round).
* Verilator's SAIF writer starts every bit at 0, so a bit that is 1 at time 0 gets one extra TC.
  ``read_saif`` removes it for bits that stay 1 the whole run (T0 == 0, TC == 1: constants, tied
  ports, parameters), which makes SAIF and FST agree exactly on designs whose registers start at 0
  and get their values from reset (checked on toggle_dut and on a 32-lane LFSR bench design, every instance).  A bit
  that is 1 at time 0 (``initial`` value, ``$readmemh``) and later toggles is still one higher in
  SAIF.  SAIF also lists parameters as nets (0 toggles, but their bits count in ``bits``); the FST
  reader ignores parameters.

Speed: almost all the time goes into pywellen turning every value change into Python objects
(about 0.6 us of CPU per change); counting is numpy (xor of consecutive values, ``np.bitwise_count``,
cumulative sums cut at the window bounds).  Measured on a 32-lane LFSR bench design (once, by hand,
~3900 bits, most of them changing every cycle), 200k cycles, on the shared 2-core machine while
another engineer's builds kept the load average at 5-7: Icarus FST (65 MB, 20M value changes)
12-13 s CPU (13-32 s wall depending on load); Verilator FST of the same run (72 MB, it also dumps
the unpacked array) 21 s CPU; Verilator SAIF 0.1-0.2 s.  ``jobs=2`` splits the signals over two
forked processes (26 s instead of 32 s wall under that load; not measured on an idle machine).
``scope=`` reads only one subtree, which is the cheapest way to cut the time.
Nothing here imports cocotb, so scripts and pytest can use it.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["ToggleReport", "count_toggles", "read_saif", "UNIT_EXPONENT"]

UNIT_EXPONENT = {"fs": -15, "ps": -12, "ns": -9, "us": -6, "ms": -3, "s": 0}
# struct/union members and unpacked-array elements (Verilator's FST array scopes read as "unknown")
_FOLDED_SCOPE_TYPES = {"struct", "union", "vhdl_record", "vhdl_array", "unknown"}
_SKIPPED_VAR_TYPES = {"Event", "Real", "RealTime", "ShortReal", "String", "Parameter"}
_KNOWN = str.maketrans({"0": "1", "1": "1", "x": "0", "X": "0", "z": "0", "Z": "0", "h": "0",
                        "H": "0", "l": "0", "L": "0", "u": "0", "U": "0", "w": "0", "W": "0", "-": "0"})
_ONES = str.maketrans({"0": "0", "1": "1", "x": "0", "X": "0", "z": "0", "Z": "0", "h": "0",
                       "H": "0", "l": "0", "L": "0", "u": "0", "U": "0", "w": "0", "W": "0", "-": "0"})
_MASK64 = (1 << 64) - 1


# ----------------------------------------------------------------------------------------- report
@dataclass
class ToggleReport:
    """Toggles per instance and window; see the module docstring for the definitions."""

    source: str
    format: str                                   # "FST", "VCD" or "SAIF"
    unit: str                                     # unit of the window bounds
    timescale: str                                # the file's time step, e.g. "1ps"
    windows: list[tuple[float, float | None]]     # (start, end) in `unit`; end None = end of file
    names: list[str]                              # one name per window
    counts: list[dict[str, int]]                  # per window: instance -> exclusive toggles
    bits: dict[str, int]                          # instance -> bits declared in it
    net_toggles: np.ndarray                       # [n_nets, n_windows] toggles of each net
    net_owner: list[str]                          # top-most instance where each net appears
    instance_nets: dict[str, frozenset[int]]      # instance -> nets declared in it
    parents: dict[str, str | None] = field(default_factory=dict)  # instance -> parent instance
    net_bits: list[int] = field(default_factory=list)             # width of each net

    # -- helpers
    def window_index(self, window: int | str = 0) -> int:
        if isinstance(window, str):
            return self.names.index(window)
        return range(len(self.windows))[window]

    @property
    def instances(self) -> list[str]:
        return sorted(self.bits)

    def _subtree(self, instance: str) -> list[str]:
        prefix = instance + "."
        return [i for i in self.instance_nets if i == instance or i.startswith(prefix)]

    # -- numbers
    def exclusive(self, instance: str, window: int | str = 0) -> int:
        """Toggles of the variables declared in `instance` (its ports included, children excluded)."""
        return self.counts[self.window_index(window)].get(instance, 0)

    def inclusive(self, instance: str, window: int | str = 0, exclude: tuple[str, ...] = ()) -> int:
        """Toggles of every net in `instance` and below it, each net counted once. Instances in
        `exclude` (with their subtrees) add none of their own nets; nets they share with the rest
        (their ports) still count through the instances that also have them."""
        nets: set[int] = set()
        for inst in self._subtree(instance):
            if not any(inst == e or inst.startswith(e + ".") for e in exclude):
                nets |= self.instance_nets[inst]
        if not nets:
            return 0
        return int(self.net_toggles[sorted(nets), self.window_index(window)].sum())

    def owned(self, instance: str, window: int | str = 0) -> int:
        """Toggles of the nets whose top-most appearance is `instance`; these add up to `total`."""
        w = self.window_index(window)
        return int(sum(self.net_toggles[n, w] for n, o in enumerate(self.net_owner) if o == instance))

    def total(self, window: int | str = 0) -> int:
        """Toggles of all nets (each once) in the window."""
        return int(self.net_toggles[:, self.window_index(window)].sum())

    def inclusive_bits(self, instance: str) -> int:
        """Number of distinct net bits in `instance` and below it."""
        nets: set[int] = set()
        for inst in self._subtree(instance):
            nets |= self.instance_nets[inst]
        return sum(self.net_bits[n] for n in nets)

    def as_dict(self) -> dict:
        owned_all: list[dict[str, int]] = []
        for w in range(len(self.windows)):
            acc: dict[str, int] = {}
            for n, o in enumerate(self.net_owner):
                acc[o] = acc.get(o, 0) + int(self.net_toggles[n, w])
            owned_all.append(acc)
        return {
            "metric": "toggle power proxy: bit toggles (0->1, 1->0) per module instance; a proxy, "
                      "not power",
            "source": self.source,
            "format": self.format,
            "timescale": self.timescale,
            "unit": self.unit,
            "bits": dict(sorted(self.bits.items())),
            "windows": [
                {
                    "name": self.names[w],
                    "start": self.windows[w][0],
                    "end": self.windows[w][1],
                    "total": self.total(w),
                    "exclusive": dict(sorted(self.counts[w].items())),
                    "inclusive": {i: self.inclusive(i, w) for i in self.instances},
                    "owned": dict(sorted(owned_all[w].items())),
                }
                for w in range(len(self.windows))
            ],
        }

    def to_json(self, path: str | os.PathLike | None = None, indent: int | None = 1) -> str:
        """The report as JSON text (written to `path` too when given)."""
        text = json.dumps(self.as_dict(), indent=indent)
        if path is not None:
            with open(path, "w") as f:
                f.write(text + "\n")
        return text

    def table(self, window: int | str = 0) -> str:
        """A small text table: instance, bits, exclusive, inclusive, owned."""
        w = self.window_index(window)
        rows = [f"{'instance':50s} {'bits':>7s} {'exclusive':>12s} {'inclusive':>12s} {'owned':>12s}"]
        for inst in self.instances:
            rows.append(f"{inst:50s} {self.bits[inst]:7d} {self.exclusive(inst, w):12d} "
                        f"{self.inclusive(inst, w):12d} {self.owned(inst, w):12d}")
        rows.append(f"{'total':50s} {'':7s} {'':12s} {self.total(w):12d}")
        return "\n".join(rows)


# --------------------------------------------------------------------------- common construction
class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _build_report(*, source: str, fmt: str, unit: str, timescale: str,
                  windows: list[tuple[float, float | None]], names: list[str],
                  parents: dict[str, str | None],
                  variables: list[tuple[str, int, int]],
                  sig_counts: np.ndarray, sig_fps: list, sig_bits: list[int]) -> ToggleReport:
    """variables: (instance, signal index, width); signal index into sig_counts/sig_fps."""
    n_win = len(windows)
    counts = [dict.fromkeys(parents, 0) for _ in range(n_win)]
    bits = dict.fromkeys(parents, 0)
    by_inst: dict[str, list[int]] = {p: [] for p in parents}
    for inst, sig, width in variables:
        bits[inst] += width
        by_inst[inst].append(sig)
        for w in range(n_win):
            counts[w][inst] += int(sig_counts[sig, w])

    # nets: same signal, or same waveform as a variable of the nearest ancestor that has one
    uf = _UnionFind(len(sig_fps))
    fp_index = {inst: {sig_fps[s]: s for s in sigs} for inst, sigs in by_inst.items()}
    for inst, sigs in by_inst.items():
        for s in sigs:
            anc = parents[inst]
            while anc is not None:
                other = fp_index[anc].get(sig_fps[s])
                if other is not None:
                    uf.union(s, other)
                    break
                anc = parents[anc]
    depth = {}
    for inst in parents:
        d, p = 0, parents[inst]
        while p is not None:
            d, p = d + 1, parents[p]
        depth[inst] = d
    roots: dict[int, int] = {}
    net_owner: list[str] = []
    net_rows: list[int] = []
    instance_nets: dict[str, set[int]] = {p: set() for p in parents}
    for inst in sorted(parents, key=lambda i: (depth[i], i)):  # top-most instance first: the owner
        for s in by_inst[inst]:
            r = uf.find(s)
            if r not in roots:
                roots[r] = len(net_owner)
                net_owner.append(inst)
                net_rows.append(s)
            instance_nets[inst].add(roots[r])
    net_toggles = sig_counts[net_rows] if net_rows else np.zeros((0, n_win), dtype=np.int64)
    report = ToggleReport(
        source=source, format=fmt, unit=unit, timescale=timescale, windows=windows, names=names,
        counts=counts, bits=bits, net_toggles=net_toggles, net_owner=net_owner,
        instance_nets={k: frozenset(v) for k, v in instance_nets.items()}, parents=dict(parents),
        net_bits=[sig_bits[s] for s in net_rows])
    return report


def _normalise_windows(windows) -> tuple[list[tuple[float, float | None]], list[str]]:
    if windows is None:
        return [(0, None)], ["all"]
    if isinstance(windows, Mapping):
        names = [str(k) for k in windows]
        wins = list(windows.values())
    else:
        wins = list(windows)
        names = [f"w{i}" for i in range(len(wins))]
    out = []
    for w in wins:
        start, end = w
        if end is not None and end < start:
            raise ValueError(f"window {w}: end before start")
        out.append((start, end))
    return out, names


def _in_scope(path: str, scopes: Sequence[str] | None) -> bool:
    return scopes is None or any(path == s or path.startswith(s + ".") for s in scopes)


def _scope_list(scope) -> list[str] | None:
    if scope is None:
        return None
    return [scope] if isinstance(scope, str) else list(scope)


# ------------------------------------------------------------------------------- FST / VCD reading
def _to_bits(v, width: int) -> tuple[int, int]:
    """(value, known mask) of one pywellen value: an int (2-state) or a bit string (MSB first)."""
    if isinstance(v, int):
        return v, (1 << width) - 1
    s = str(v)
    if len(s) < width:  # VCD left-extension
        s = (s[0] if s[0] in "xXzZ" else "0") * (width - len(s)) + s
    return int(s.translate(_ONES), 2), int(s.translate(_KNOWN), 2)


def _limbs(ints: list[int], n_limbs: int) -> np.ndarray:
    """Python ints -> (n, n_limbs) uint64 little-endian limbs."""
    nbytes = 8 * n_limbs
    buf = b"".join(i.to_bytes(nbytes, "little") for i in ints)
    return np.frombuffer(buf, dtype="<u8").reshape(len(ints), n_limbs)


def _signal_counts(sig, width: int, bounds: np.ndarray) -> tuple[np.ndarray, bytes]:
    """Toggles of one signal per window (bounds: [n_windows, 2] ticks) and its waveform fingerprint."""
    ch = sig[:]                      # [(time, value)], value int (2-state) or str (has X/Z)
    n = len(ch)
    if n == 0:
        return np.zeros(len(bounds), dtype=np.int64), b"empty"
    times = val = known = None
    if width <= 64:                  # fast path: every value a 2-state int
        try:
            a = np.fromiter(itertools.chain.from_iterable(ch), dtype=np.uint64, count=2 * n)
            times, val = a[0::2].astype(np.int64), a[1::2].copy()
        except (OverflowError, TypeError, ValueError):
            pass
    if times is None:                # values with X/Z, or wider than 64 bits
        times = np.fromiter((c[0] for c in ch), dtype=np.int64, count=n)
        vals = [c[1] for c in ch]
        odd = [i for i, v in enumerate(vals) if v.__class__ is not int]
        known_odd = []
        for i in odd:
            vals[i], k = _to_bits(vals[i], width)
            known_odd.append(k)
        n_limbs = (width + 63) // 64
        if n_limbs == 1:
            val = np.fromiter(vals, dtype=np.uint64, count=n)
            if odd:
                known = np.full(n, (1 << width) - 1, dtype=np.uint64)
                known[odd] = np.array(known_odd, dtype=np.uint64)
        else:
            val = _limbs(vals, n_limbs)
            if odd:
                known_all = [(1 << width) - 1] * n
                for i, k in zip(odd, known_odd):
                    known_all[i] = k
                known = _limbs(known_all, n_limbs)
    del ch
    diff = val[1:] ^ val[:-1]
    if known is not None:
        diff &= known[1:] & known[:-1]
    per_change = np.bitwise_count(diff).astype(np.int64)
    if per_change.ndim == 2:
        per_change = per_change.sum(axis=1)
    cum = np.zeros(n, dtype=np.int64)          # cum[i] = toggles of changes 1..i
    np.cumsum(per_change, out=cum[1:])
    idx = np.searchsorted(times, bounds, side="left")   # number of changes before each bound
    counts = np.where(idx[:, 1] > 0, cum[np.maximum(idx[:, 1] - 1, 0)], 0) - \
        np.where(idx[:, 0] > 0, cum[np.maximum(idx[:, 0] - 1, 0)], 0)
    h = hashlib.blake2b(digest_size=16)
    h.update(str(width).encode())
    h.update(times.tobytes())
    h.update(np.ascontiguousarray(val).tobytes())
    if known is not None:
        h.update(np.ascontiguousarray(known).tobytes())
    return counts.astype(np.int64), h.digest()


def _count_var_indices(path: str, var_indices: list[int], bounds: np.ndarray, wave=None):
    import pywellen
    if wave is None:
        wave = pywellen.Waveform(str(path))
    all_vars = wave.all_vars()
    out = []
    for i in var_indices:
        v = all_vars[i]
        out.append(_signal_counts(v.signal, v.bitwidth, bounds))
    return out


def _ticks(t: float, unit: str, tick_exp: int, factor: int) -> int:
    if unit == "tick":
        return int(round(t))
    e = UNIT_EXPONENT[unit] - tick_exp
    # t * 10**e / factor, exact for integers; floats (cocotb times) rounded to the nearest tick
    if e >= 0:
        return int(round(t * 10**e / factor))
    return int(round(t / (10**-e * factor)))


def count_toggles(wave_path: str | os.PathLike,
                  windows: Sequence[tuple[float, float | None]] | Mapping[str, tuple[float, float | None]] | None = None,
                  scope: str | Sequence[str] | None = None,
                  unit: str = "ns",
                  jobs: int = 1) -> ToggleReport:
    """Bit toggles per instance (and per window) from an FST or VCD file.

    windows: list of (t_start, t_end) or mapping name -> (t_start, t_end), half-open, in `unit`
             ("ns" default; "fs" "ps" "us" "ms" "s", or "tick" = the file's own time steps);
             t_end None = to the end.  None: one window "all" over the whole file.
    scope:   instance path (or list of them): only that subtree is read (faster), e.g. "tb.dut".
    jobs:    processes for reading signals (fork); 1 = in this process.  Do not use >1 inside a
             running simulator.
    """
    import pywellen

    if unit != "tick" and unit not in UNIT_EXPONENT:
        raise ValueError(f"unit {unit!r}: use one of {', '.join(UNIT_EXPONENT)} or 'tick'")
    path = str(wave_path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    wave = pywellen.Waveform(path)
    ts = wave.timescale
    if ts is None or ts.unit.to_exponent() is None:
        if unit != "tick":
            raise ValueError(f"{path}: no timescale in the file; give windows with unit='tick'")
        tick_exp, factor, ts_text = 0, 1, "unknown"
    else:
        tick_exp, factor, ts_text = ts.unit.to_exponent(), ts.factor, str(ts)
    wins, names = _normalise_windows(windows)
    big = np.iinfo(np.int64).max
    bounds = np.array([[_ticks(a, unit, tick_exp, factor),
                        big if b is None else _ticks(b, unit, tick_exp, factor)] for a, b in wins],
                      dtype=np.int64).reshape(-1, 2)
    scopes = _scope_list(scope)

    # hierarchy: instances (struct scopes folded into their enclosing scope), their parents, vars
    parents: dict[str, str | None] = {}
    var_list: list[tuple[str, object]] = []   # (instance, Var)

    def walk(sc, parent_inst: str | None) -> None:
        name = sc.full_name
        if parent_inst is None and sc.name.startswith("$"):
            return
        if sc.scope_type in _FOLDED_SCOPE_TYPES and parent_inst is not None:
            inst = parent_inst
        else:
            inst = name
            # a scope above the requested subtree is still walked, but not reported
            if _in_scope(inst, scopes):
                parents[inst] = parent_inst if parent_inst in parents else None
        if _in_scope(inst, scopes):
            for v in sc.vars():
                var_list.append((inst, v))
        for child in sc.scopes():
            walk(child, inst)

    for top in wave.scopes():
        walk(top, None)

    # unique signals (signal_ref), in the order of wave.all_vars() so workers can find them
    index_of = {}
    all_vars = wave.all_vars()
    for i, v in enumerate(all_vars):
        index_of.setdefault(v.full_name, i)
    sig_of_ref: dict[str, int] = {}
    sig_var_index: list[int] = []
    sig_bits: list[int] = []
    variables: list[tuple[str, int, int]] = []
    for inst, v in var_list:
        if v.is_real or v.is_string or v.var_type in _SKIPPED_VAR_TYPES or not v.bitwidth:
            continue
        ref = str(v.signal_ref)
        if ref not in sig_of_ref:
            sig_of_ref[ref] = len(sig_var_index)
            sig_var_index.append(index_of[v.full_name])
            sig_bits.append(v.bitwidth)
        variables.append((inst, sig_of_ref[ref], v.bitwidth))

    n_sig = len(sig_var_index)
    if jobs > 1 and n_sig > 1:
        import concurrent.futures
        import multiprocessing
        chunks = [list(range(j, n_sig, jobs)) for j in range(jobs)]
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as ex:
            futs = [ex.submit(_count_var_indices, path, [sig_var_index[s] for s in c], bounds)
                    for c in chunks]
            results: list = [None] * n_sig
            for c, fut in zip(chunks, futs):
                for s, r in zip(c, fut.result()):
                    results[s] = r
    else:
        results = _count_var_indices(path, sig_var_index, bounds, wave=wave)
    sig_counts = np.array([r[0] for r in results], dtype=np.int64).reshape(n_sig, len(wins))
    sig_fps = [r[1] for r in results]
    return _build_report(source=path, fmt=str(wave.file_format), unit=unit, timescale=ts_text,
                         windows=wins, names=names, parents=parents, variables=variables,
                         sig_counts=sig_counts, sig_fps=sig_fps, sig_bits=sig_bits)


# ------------------------------------------------------------------------------------ SAIF reading
_SAIF_TOKEN = re.compile(r'\(|\)|"(?:[^"\\]|\\.)*"|(?:\\.|[^\s()"\\])+')
_BIT_SUFFIX = re.compile(r"^(.*)\[(\d+)\]$")


def _saif_unescape(atom: str) -> str:
    return re.sub(r"\\(.)", r"\1", atom)


def _saif_tree(text: str):
    stack: list[list] = [[]]
    for m in _SAIF_TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "(":
            stack.append([])
        elif tok == ")":
            node = stack.pop()
            stack[-1].append(node)
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise ValueError("unbalanced parentheses in SAIF file")
    return stack[0]


def read_saif(path: str | os.PathLike, scope: str | Sequence[str] | None = None) -> ToggleReport:
    """Whole-run toggles per instance from a SAIF file (Verilator ``--trace-saif``).

    Toggles of a bit = its TC (minus the initial-value TC of bits that are 1 from time 0 to the end,
    see the module docstring); a net = the bits ``name[i]`` of one name.  Same definitions as
    count_toggles (exclusive / inclusive / owned / total, instance paths dot-separated, ``$rootio``
    skipped), with the net rule comparing T0/T1/TX/TZ/TC of every bit.  The report has one window
    "all" = (0, DURATION) in the file's TIMESCALE units (unit "tick").
    """
    path = str(path)
    with open(path) as f:
        tree = _saif_tree(f.read())
    root = next((n for n in tree if isinstance(n, list) and n and n[0] == "SAIFILE"), None)
    if root is None:
        raise ValueError(f"{path}: not a SAIF file (no SAIFILE)")
    header = {n[0]: n[1:] for n in root if isinstance(n, list) and n and isinstance(n[0], str)}
    timescale = "".join(header.get("TIMESCALE", ["unknown"]))
    duration = int(header["DURATION"][0]) if "DURATION" in header else None
    scopes = _scope_list(scope)

    parents: dict[str, str | None] = {}
    # per instance: net name -> {bit: (T0, T1, TX, TZ, TC)}
    nets: dict[str, dict[str, dict[int, tuple[int, ...]]]] = {}

    def walk(node: list, parent_inst: str | None) -> None:
        atoms = [a for a in node[1:] if isinstance(a, str)]
        name = _saif_unescape([a for a in atoms if not a.startswith('"')][-1])
        if parent_inst is None and name.startswith("$"):
            return
        inst = name if parent_inst is None else f"{parent_inst}.{name}"
        in_scope = _in_scope(inst, scopes)
        if in_scope:
            parents[inst] = parent_inst if parent_inst in parents else None
            nets.setdefault(inst, {})
        for child in node:
            if not isinstance(child, list) or not child:
                continue
            if child[0] == "INSTANCE":
                walk(child, inst)
            elif child[0] in ("NET", "PORT") and in_scope:
                for entry in child[1:]:
                    if not isinstance(entry, list) or not entry:
                        continue
                    full = _saif_unescape(entry[0])
                    fields = {e[0]: int(e[1]) for e in entry[1:]
                              if isinstance(e, list) and len(e) >= 2 and isinstance(e[0], str)}
                    m = _BIT_SUFFIX.match(full)
                    base, bit = (m.group(1), int(m.group(2))) if m else (full, 0)
                    t0, t1, tx, tz, tc = (fields.get(k, 0) for k in ("T0", "T1", "TX", "TZ", "TC"))
                    if t0 == 0 and tx == 0 and tz == 0 and tc == 1:
                        tc = 0  # 1 from time 0 on: Verilator's SAIF counts the initial value
                    nets[inst].setdefault(base, {})[bit] = (t0, t1, tx, tz, tc)

    for node in root:
        if isinstance(node, list) and node and node[0] == "INSTANCE":
            walk(node, None)

    sig_rows: list[list[int]] = []
    sig_fps: list = []
    sig_bits: list[int] = []
    variables: list[tuple[str, int, int]] = []
    for inst, by_name in nets.items():
        for base, bits in by_name.items():
            items = tuple(sorted(bits.items()))
            s = len(sig_fps)
            sig_fps.append(items)
            sig_bits.append(len(items))
            sig_rows.append([sum(b[1][4] for b in items)])
            variables.append((inst, s, len(items)))
    sig_counts = np.array(sig_rows, dtype=np.int64).reshape(len(sig_rows), 1)
    return _build_report(source=path, fmt="SAIF", unit="tick", timescale=timescale,
                         windows=[(0, duration)], names=["all"], parents=parents,
                         variables=variables, sig_counts=sig_counts, sig_fps=sig_fps,
                         sig_bits=sig_bits)


# ---------------------------------------------------------------------------------------- command
def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Bit toggles per instance from an FST/VCD/SAIF file.")
    ap.add_argument("path")
    ap.add_argument("--window", nargs=2, action="append", metavar=("START", "END"),
                    help="half-open window in --unit; END may be 'end'; repeatable")
    ap.add_argument("--unit", default="ns")
    ap.add_argument("--scope", action="append", help="instance subtree to read; repeatable")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", help="write the report as JSON to this file")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.path.lower().endswith(".saif"):
        rep = read_saif(args.path, scope=args.scope)
    else:
        wins = None
        if args.window:
            wins = [(float(a), None if b == "end" else float(b)) for a, b in args.window]
        rep = count_toggles(args.path, windows=wins, scope=args.scope, unit=args.unit, jobs=args.jobs)
    for w in range(len(rep.windows)):
        print(f"window {rep.names[w]} {rep.windows[w]} {rep.unit}")
        print(rep.table(w))
    if args.json:
        rep.to_json(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
