"""pytest entry for the FP units (hdl/common/fp16_to_fp32.sv, fp16_mul.sv, fp32_add.sv, fp32_mul.sv,
fp32_to_fp16.sv).

Builds verif/units/fp_units_tb.sv once per simulator under build/units/<sim>/ and runs the cocotb
module fp_units_cocotb there; pass or fail comes from the results XML. Also lints the units, and checks
without a simulator that the stimuli catch plausible wrong units: an independent integer model of
fp32_mul and of fp32_to_fp16 must equal the golden one (golden.fp32_mul; golden.to_fp16) on them, and
each deliberately wrong variant of that model (truncation, no gradual underflow, flushed subnormals,
...) must differ from it; fp16_mul's vectors must tell it from a denormals-are-zero multiplier.
Run: pytest verif/units/test_fp_units.py   (SEED=<n> to repeat a run, NVEC=<n> for more vectors)
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verif.common.runner import setup_tool_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
UNITS = [ROOT / "hdl" / "common" / f"{unit}.sv"
         for unit in ("fp16_to_fp32", "fp16_mul", "fp32_add", "fp32_mul", "fp32_to_fp16")]
SIMULATORS = ["icarus", "verilator"]
# Lanes of the wrapper and random vectors per unit. Icarus pays per lane per change (and about
# 50 us per fp32_add evaluation), so it gets few lanes and fewer vectors; Verilator takes wide
# batches almost for free. NVEC / LANES in the environment override both.
LANES = {"icarus": 4, "verilator": 32}
NVEC = {"icarus": 30_000, "verilator": 200_000}

# The runner hands this process's sys.path to the simulator's Python as PYTHONPATH: the cocotb
# module needs the repo root (for models.golden) and this folder (for itself).
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_fp_units(sim: str) -> None:
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    setup_tool_env()
    build_dir = ROOT / "build" / "units" / sim
    results_xml = build_dir / "results.xml"
    lanes = int(os.environ.get("LANES", LANES[sim]))
    nvec = int(os.environ.get("NVEC", NVEC[sim]))
    runner = get_runner(sim)
    # -O0: the C++ build dominates a Verilator run of these few vectors (about 40% less CPU).
    # always: Icarus otherwise rebuilds only on newer sources, not on a new Lanes value.
    runner.build(sources=UNITS + [HERE / "fp_units_tb.sv"], hdl_toplevel="fp_units_tb",
                 build_dir=build_dir, parameters={"Lanes": lanes}, timescale=("1ns", "1ps"),
                 build_args=["-CFLAGS", "-O0"] if sim == "verilator" else [], always=sim == "icarus")
    runner.test(test_module="fp_units_cocotb", hdl_toplevel="fp_units_tb", build_dir=build_dir,
                test_dir=build_dir, results_xml=str(results_xml), extra_env={"NVEC": str(nvec)},
                timescale=("1ns", "1ps") if sim == "icarus" else None)
    num_tests, num_failed = get_results(results_xml)
    assert num_tests == 5, f"{sim}: expected 5 cocotb tests in {results_xml}, found {num_tests}"
    assert num_failed == 0, f"{sim}: {num_failed} of {num_tests} cocotb tests failed (see {results_xml})"


def test_lint_units() -> None:
    """Every unit is clean under `verilator --lint-only -Wall` with no waivers (as a top, with the
    units it instantiates)."""
    setup_tool_env()
    for src in UNITS:
        proc = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", src.stem, *map(str, UNITS)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name} lint:\n{proc.stdout}{proc.stderr}"


# ---------------------------------------------------------------------------------------------------
# fp32_mul stimulus strength: an exact integer model, right and deliberately wrong
# ---------------------------------------------------------------------------------------------------

def ref_fp32_mul(a: int, b: int, rounding: str = "rne", tiny: str = "gradual", daz: bool = True,
                 nan: str = "canonical", overflow: str = "inf", signed_zero: bool = True) -> int:
    """FP32 x FP32 from exact integer arithmetic, independent of numpy. The defaults are the contract;
    each other knob value is a plausible design mistake:
    rounding: rne | rtz (truncation) | rna (ties away from zero) | nosticky (round up on guard and LSB);
    tiny: gradual (round at 2^-149, then flush below 2^-126) | flush_first (round to 24 bits with an
    unbounded exponent, then flush) | keep (gradual underflow without the flush);
    daz: subnormal inputs read as zero; nan: canonical | propagate (quieted input NaN);
    overflow: inf | max (saturate); signed_zero: zero results keep the product's sign (else +0).
    """
    sign = ((a ^ b) >> 31) & 1

    def decode(x: int) -> tuple[str, int, int]:  # (kind, integer significand, exponent of its LSB)
        e, m = (x >> 23) & 0xFF, x & 0x7FFFFF
        if e == 0xFF:
            return ("nan" if m else "inf", 0, 0)
        if e == 0:
            return ("zero", 0, 0) if daz or m == 0 else ("num", m, -149)
        return ("num", m | 1 << 23, e - 150)

    (ka, ma, ea), (kb, mb, eb) = decode(a), decode(b)
    zero = (sign << 31) if signed_zero else 0
    if "nan" in (ka, kb) or {ka, kb} == {"inf", "zero"}:
        if nan == "propagate" and "nan" in (ka, kb):
            return (a if ka == "nan" else b) | 0x400000
        return 0x7FC00000
    if "inf" in (ka, kb):
        return (sign << 31) | 0x7F800000
    if "zero" in (ka, kb):
        return zero
    m, e = ma * mb, ea + eb                     # the exact product m * 2^e
    q = m.bit_length() - 24 + e                 # LSB exponent of a 24-bit significand
    if tiny != "flush_first":
        q = max(q, -149)                        # subnormals have their LSB at 2^-149
    if q > e:
        k, r, half = m >> (q - e), m & ((1 << (q - e)) - 1), 1 << (q - e - 1)
        up = {"rne": r > half or (r == half and k & 1), "rtz": False, "rna": r >= half,
              "nosticky": r >= half and k & 1}[rounding]
        k += int(up)
    else:
        k = m << (e - q)
    if k == 0:
        return zero
    top = k.bit_length() - 1 + q                # exponent of the rounded value's leading one
    if top < -126:
        return (sign << 31) | k if tiny == "keep" else zero  # q = -149 here: k is the subnormal's field
    if top > 127:
        return (sign << 31) | (0x7F800000 if overflow == "inf" else 0x7F7FFFFF)
    return (sign << 31) | ((top + 127) << 23) | ((k << 23 >> (k.bit_length() - 1)) & 0x7FFFFF)


WRONG_MULS = {
    "truncation": {"rounding": "rtz"},
    "ties away from zero": {"rounding": "rna"},
    "rounding without the sticky bit": {"rounding": "nosticky"},
    "flush before rounding (no gradual underflow)": {"tiny": "flush_first"},
    "subnormal results kept": {"tiny": "keep"},
    "subnormal inputs read as values": {"daz": False},
    "input NaN passed through": {"nan": "propagate"},
    "overflow saturates to max": {"overflow": "max"},
    "zero results always +0": {"signed_zero": False},
}
STRENGTH_SEED = 1
STRENGTH_NVEC = NVEC["icarus"]  # the smaller run must be strong enough on its own


@functools.cache
def _mul32_sets():
    from fp_units_cocotb import expect_mul32, mul32_stimulus
    a, b, n_directed = mul32_stimulus(STRENGTH_SEED, STRENGTH_NVEC)
    return {"directed": (a[:n_directed], b[:n_directed], expect_mul32(a[:n_directed], b[:n_directed])),
            "random": (a[n_directed:], b[n_directed:], expect_mul32(a[n_directed:], b[n_directed:]))}


def _ref_bits(a: np.ndarray, b: np.ndarray, **knobs) -> np.ndarray:
    return np.array([ref_fp32_mul(int(x), int(y), **knobs) for x, y in zip(a, b)], dtype=np.uint32)


def test_fp32_mul_reference_model_matches_golden() -> None:
    """The integer model with the contract's knobs equals golden.fp32_mul on every fp32_mul vector."""
    for name, (a, b, exp) in _mul32_sets().items():
        bad = np.flatnonzero(_ref_bits(a, b) != exp)
        first = bad[0] if len(bad) else 0
        assert not len(bad), (f"{name}: integer model and golden differ on {len(bad)} vectors, first "
                              f"a=0x{int(a[first]):08X} b=0x{int(b[first]):08X} golden 0x{int(exp[first]):08X}")


@pytest.mark.parametrize("mistake", list(WRONG_MULS))
def test_fp32_mul_stimulus_catches_wrong_model(mistake: str) -> None:
    """Each wrong multiplier fails on the directed corners alone and on the random vectors alone."""
    for name, (a, b, exp) in _mul32_sets().items():
        caught = int(np.count_nonzero(_ref_bits(a, b, **WRONG_MULS[mistake]) != exp))
        print(f"{mistake}: {name} vectors catch it {caught} times out of {len(a)}")
        assert caught >= (1 if name == "directed" else 5), f"{name} vectors do not catch: {mistake}"


# ---------------------------------------------------------------------------------------------------
# fp32_to_fp16 stimulus strength: an exact integer model, right and deliberately wrong
# ---------------------------------------------------------------------------------------------------

def ref_fp32_to_fp16(a: int, rounding: str = "rne", tiny: str = "ieee", nan: str = "canonical",
                     overflow: str = "inf", signed_zero: bool = True) -> int:
    """FP32 -> FP16 from exact integer arithmetic, independent of numpy. The defaults are the contract;
    each other knob value is a plausible design mistake:
    rounding: rne | rtz (truncation) | rna (ties away from zero) | nosticky (round up on guard and LSB);
    tiny: ieee (round at 2^-24, FP16 subnormal results kept) | flush (round at 2^-24, then flush below
    2^-14) | flush_first (flush inputs below 2^-14, then round); nan: canonical (0x7E00) | propagate (sign, quiet
    bit and the top 9 payload bits kept); overflow: inf | max (saturate to 65504);
    signed_zero: zero results keep the input's sign (else +0).
    """
    sign = (a >> 31) & 1
    e, m = (a >> 23) & 0xFF, a & 0x7FFFFF
    zero = (sign << 15) if signed_zero else 0
    if e == 0xFF:
        if m == 0:
            return (sign << 15) | 0x7C00
        return (sign << 15) | 0x7E00 | (m >> 13) if nan == "propagate" else 0x7E00
    if e == 0:
        return zero                                 # FP32 subnormals (and zeros): far below 2^-25
    if tiny == "flush_first" and e < 113:
        return zero                                 # below 2^-14 before rounding
    sig, lsb = m | 1 << 23, e - 150                 # the value is sig * 2^lsb
    q = max(lsb + 13, -24)                          # LSB exponent of the 11-bit FP16 significand
    s = q - lsb                                     # bits dropped (13 or more)
    if s > 24:
        k, r, half = 0, sig, 1 << (s - 1)
    else:
        k, r, half = sig >> s, sig & ((1 << s) - 1), 1 << (s - 1)
    up = {"rne": r > half or (r == half and k & 1), "rtz": False, "rna": r >= half,
          "nosticky": r >= half and k & 1}[rounding]
    k += int(up)
    if k == 0:
        return zero
    top = k.bit_length() - 1 + q                    # exponent of the rounded value's leading one
    if top < -14:
        return (sign << 15) | k if tiny == "ieee" else zero  # q = -24: k is the subnormal's field
    if top > 15:
        return (sign << 15) | (0x7C00 if overflow == "inf" else 0x7BFF)
    return (sign << 15) | ((top + 15) << 10) | ((k << 10 >> (k.bit_length() - 1)) & 0x3FF)


WRONG_CONVERTERS = {
    "truncation": {"rounding": "rtz"},
    "ties away from zero": {"rounding": "rna"},
    "rounding without the sticky bit": {"rounding": "nosticky"},
    "flush before rounding (no gradual underflow)": {"tiny": "flush_first"},
    "subnormal results flushed": {"tiny": "flush"},
    "input NaN passed through": {"nan": "propagate"},
    "overflow saturates to max": {"overflow": "max"},
    "zero results always +0": {"signed_zero": False},
}


@functools.cache
def _to16_sets():
    from fp_units_cocotb import expect_to16, to16_stimulus
    a, n_directed = to16_stimulus(STRENGTH_SEED, STRENGTH_NVEC)
    return {"directed": (a[:n_directed], expect_to16(a[:n_directed])),
            "random": (a[n_directed:], expect_to16(a[n_directed:]))}


def _ref16_bits(a: np.ndarray, **knobs) -> np.ndarray:
    return np.array([ref_fp32_to_fp16(int(x), **knobs) for x in a], dtype=np.uint32)


def test_fp32_to_fp16_reference_model_matches_golden() -> None:
    """The integer model with the contract's knobs equals the golden conversion on every vector."""
    for name, (a, exp) in _to16_sets().items():
        bad = np.flatnonzero(_ref16_bits(a) != exp)
        first = bad[0] if len(bad) else 0
        assert not len(bad), (f"{name}: integer model and golden differ on {len(bad)} vectors, first "
                              f"a=0x{int(a[first]):08X} golden 0x{int(exp[first]):04X}")


@pytest.mark.parametrize("mistake", list(WRONG_CONVERTERS))
def test_fp32_to_fp16_stimulus_catches_wrong_model(mistake: str) -> None:
    """Each wrong converter fails on the directed values alone and on the random vectors alone."""
    for name, (a, exp) in _to16_sets().items():
        caught = int(np.count_nonzero(_ref16_bits(a, **WRONG_CONVERTERS[mistake]) != exp))
        print(f"{mistake}: {name} vectors catch it {caught} times out of {len(a)}")
        assert caught >= (1 if name == "directed" else 5), f"{name} vectors do not catch: {mistake}"


# ---------------------------------------------------------------------------------------------------
# fp16_mul stimulus strength: a denormals-are-zero multiplier (the old contract) must be caught
# ---------------------------------------------------------------------------------------------------

def ref_fp16_mul_daz(a: int, b: int) -> int:
    """FP16 x FP16 -> FP32 with subnormal inputs read as signed zero, from Python floats (exact: the
    product has at most 22 significant bits). Inf x 0 and NaN give 0x7FC00000."""
    def value(h: int) -> float:
        e, m = (h >> 10) & 0x1F, h & 0x3FF
        mag = float("inf") if e == 0x1F and m == 0 else float("nan") if e == 0x1F else \
            0.0 if e == 0 else (1024 + m) * 2.0 ** (e - 25)
        return -mag if h >> 15 else mag
    p = value(a) * value(b)
    if p != p:
        return 0x7FC00000
    return int(np.array(p, dtype=np.float32).view(np.uint32))


def test_fp16_mul_stimulus_catches_daz() -> None:
    """The directed and the random fp16_mul vectors each tell a DAZ multiplier from the golden one."""
    from fp_units_cocotb import expect_mul, mul_stimulus
    a, b, n_directed = mul_stimulus(STRENGTH_SEED, STRENGTH_NVEC)
    for name, sl in (("directed", slice(0, n_directed)), ("random", slice(n_directed, None))):
        exp = expect_mul(a[sl], b[sl])
        daz = np.array([ref_fp16_mul_daz(int(x), int(y)) for x, y in zip(a[sl], b[sl])], dtype=np.uint32)
        caught = int(np.count_nonzero(daz != exp))
        print(f"DAZ multiplier: {name} vectors catch it {caught} times out of {len(exp)}")
        assert caught >= (1 if name == "directed" else 5), f"{name} vectors do not catch a DAZ multiplier"
