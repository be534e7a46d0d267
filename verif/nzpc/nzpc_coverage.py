"""Functional coverage of the NZPC core (cocotb-coverage). Names are what the testplan cites.
Bins are sampled from what the RTL reported (its counters, ERR_CODE, the readback), not only from
the stimulus."""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint

from models.layers import LEAKY, LINEAR, SATURATED, ZERO
from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.common.stimulus import FP16_SPECIAL_KINDS, fp16_special_kinds
from verif.nzpc.nzpc_codec import CORE_FAULTS, MASK_ROWS, act_of, balanced, masked, mode_of, readback

STATE_NAMES = {ZERO: "zero", LINEAR: "linear", SATURATED: "saturated", LEAKY: "leaky"}


def good(res: OpResult) -> bool:
    return res.op.fault is None and res.err_code == "NONE"


def job_kind(res: OpResult) -> str:
    op = res.op
    if readback(op):
        return "readback"
    return op.phase if op.phase == "FF" else f"{op.phase}_{mode_of(op)}"


def readback_states(res: OpResult) -> set[str]:
    """The states the RTL's mask held, read back from it (2-bit fields of the mask words)."""
    if not good(res) or not readback(res.op) or res.result is None:
        return set()
    m, n = res.op.operands["state"].shape
    beats = -(-n // res.result.shape[1]) * -(-m // MASK_ROWS)
    words = res.result[:beats].astype(np.int64)
    fields = (words[..., None] >> (2 * np.arange(MASK_ROWS))) & 3
    present = set(np.unique(fields).tolist())
    # zero fields also pad rows and columns past the FF shape: count ZERO only if the state has one
    if not (res.op.operands["state"] == ZERO).any():
        present.discard(ZERO)
    return {STATE_NAMES[s] for s in present}


def ff_edges(res: OpResult) -> set[str]:
    """FF outputs exactly at the activation's thresholds that reached the estimator (from the RTL result)."""
    if not good(res) or readback(res.op) or res.op.phase != "FF" or res.result is None:
        return set()
    z = res.result
    edges = set()
    if np.any(z == 0):
        edges.add("exactly_0")
    if np.any(z == 6):
        edges.add("exactly_6")
    if np.any(np.isnan(z)):
        edges.add("nan")
    return edges


def operand_specials(res: OpResult) -> frozenset[str]:
    """The special FP16 encodings among the raw operand bits of a good compute job with a result."""
    if not good(res) or readback(res.op) or res.result is None:
        return frozenset()
    return fp16_special_kinds(res.op.operands["a"], res.op.operands["b"])


def mask_fill(res: OpResult) -> str:
    """How much of a masked job's operand the on-chip mask disallowed (the RTL's SKIP_MASK counter)."""
    if not good(res) or not masked(res.op):
        return "not_masked"
    skipped = res.counters["SKIP_MASK"]
    a, b = res.op.operands["a"], res.op.operands["b"]
    if skipped == 0:
        return "none_masked"
    return "all_masked" if skipped == a.shape[0] * a.shape[1] * b.shape[1] else "some_masked"


def imbalance(res: OpResult) -> str:
    if not good(res) or readback(res.op):
        return "n/a"
    return "idle_lanes" if res.counters["IMBALANCE"] > 0 else "even"


@CoverPoint("nzpc.job", xf=job_kind, bins=["FF", "BP_estimator", "BP_detect", "WG_estimator", "WG_detect", "readback"])
@CoverPoint("nzpc.act", xf=lambda res: act_of(res.op) if good(res) and res.op.phase == "FF" and not readback(res.op)
            else "n/a", bins=["relu", "relu6", "leakyrelu", "none"])
@CoverPoint("nzpc.mask.states", xf=readback_states, rel=lambda states, s: s in states, inj=False,
            bins=["zero", "linear", "saturated", "leaky"])
@CoverPoint("nzpc.ff.edges", xf=ff_edges, rel=lambda edges, e: e in edges, inj=False,
            bins=["exactly_0", "exactly_6", "nan"])
@CoverPoint("nzpc.operand_specials", xf=operand_specials, bins=list(FP16_SPECIAL_KINDS),
            rel=lambda seen, kind: kind in seen, inj=False)
@CoverPoint("nzpc.mask.fill", xf=mask_fill, bins=["none_masked", "some_masked", "all_masked"])
@CoverPoint("nzpc.balance", xf=lambda res: ("on" if balanced(res.op) else "off") if good(res) and masked(res.op)
            else "n/a", bins=["on", "off"])
@CoverPoint("nzpc.imbalance", xf=imbalance, bins=["even", "idle_lanes"])
@CoverPoint("nzpc.source", xf=lambda res: res.op.meta.get("source", "other"), bins=["random", "states", "record"])
@CoverPoint("nzpc.error", xf=lambda res: res.err_code,
            bins=["NONE"] + sorted(set(FAULT_ERRORS.values()) | set(CORE_FAULTS.values())))
@CoverPoint("nzpc.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("nzpc.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"), bins=["none", "random", "bursty"])
@CoverCross("nzpc.pressure.cross", items=["nzpc.pressure.in", "nzpc.pressure.out"])
@shell_coverpoints("nzpc")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
