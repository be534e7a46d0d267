"""Functional coverage of the DQ-STP core (cocotb-coverage). Names are what the testplan cites."""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint

from models import golden
from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.dqstp.dqstp_codec import CODE_BITS, MALFORM_ERRORS, DqstpCodec, has_ep, has_wg

SPARSITY_BINS = ["0", "(0,25]", "(25,50]", "(50,75]", "(75,90]", "(90,100]"]
CORE_ERRORS = sorted(set(MALFORM_ERRORS.values()) | {"WG_NEEDS_BP"})


def sparsity_bin(x: np.ndarray) -> str:
    s = 100.0 * float(np.mean(x == 0)) if x.size else 0.0
    for upper, name in zip((0, 25, 50, 75, 90, 100), SPARSITY_BINS):
        if s <= upper:
            return name
    return SPARSITY_BINS[-1]


def empty_rows(res: OpResult) -> str:
    rows = np.count_nonzero(res.op.operands["s"], axis=1)
    return "all" if not rows.any() else "some" if (rows == 0).any() else "none"


def shift_range(res: OpResult) -> str:
    """The largest shift among the job's 2^n codes (pow2_decode), or n/a for WG."""
    if not has_ep(res.op):
        return "n/a"
    sign, shift = golden.pow2_decode(res.op.operands["codes"], CODE_BITS)
    if not sign.any():
        return "all_zero"
    top = int(shift[sign != 0].max())
    return "0-2" if top <= 2 else "3-4" if top <= 4 else "5-6"


def job_kind(res: OpResult) -> str:
    op = res.op
    return "BP+WG" if op.phase == "BP" and has_wg(op) else op.phase


def acc_magnitude(res: OpResult) -> str:
    """The largest |result| of a checked job, in bits: how close accumulators came to their width."""
    if res.result is None or res.result.dtype != np.int32 or not res.result.size:
        return "n/a"
    top = int(np.abs(res.result.astype(np.int64)).max())
    return "<2^12" if top < 1 << 12 else "<2^20" if top < 1 << 20 else ">=2^20"


def overlap(res: OpResult) -> str:
    c = res.counters
    if res.result is None or "CYC_OVERLAP" not in c:
        return "n/a"
    if c["CYC_OVERLAP"]:
        return "overlapped"
    return "ep_only" if c["CYC_EP"] else "wg_only" if c["CYC_WG"] else "idle"


def bank_conflict(res: OpResult) -> str:
    if res.result is None or "BANK_CONFLICT" not in res.counters:
        return "n/a"
    return "some" if res.counters["BANK_CONFLICT"] else "none"


def conflict_cost(res: OpResult) -> str:
    """Whether a checked FF/EP job's bank conflicts cost lane cycles against the conflict-free
    schedule, or were hidden (another lane was the longer one anyway)."""
    c = res.counters
    if res.result is None or not has_ep(res.op) or "BANK_CONFLICT" not in c:
        return "n/a"
    if not c["BANK_CONFLICT"]:
        return "no_conflict"
    return "cost_cycles" if c["CYC_EP"] > DqstpCodec(None).ep_cycles(res.op) else "hidden"


@CoverPoint("dqstp.bank_conflict", xf=bank_conflict, bins=["none", "some"])
@CoverPoint("dqstp.conflict_cost", xf=conflict_cost, bins=["no_conflict", "hidden", "cost_cycles"])
@CoverPoint("dqstp.sparsity", xf=lambda res: sparsity_bin(res.op.operands["s"]), bins=SPARSITY_BINS)
@CoverPoint("dqstp.empty_rows", xf=empty_rows, bins=["none", "some", "all"])
@CoverPoint("dqstp.shift_range", xf=shift_range, bins=["all_zero", "0-2", "3-4", "5-6"])
@CoverPoint("dqstp.job", xf=job_kind, bins=["FF", "BP", "WG", "BP+WG"])
@CoverPoint("dqstp.align", xf=lambda res: "on" if res.op.meta.get("align", True) else "off", bins=["on", "off"])
@CoverCross("dqstp.job_x_align", items=["dqstp.job", "dqstp.align"])
@CoverPoint("dqstp.overlap", xf=overlap, bins=["ep_only", "wg_only", "overlapped"])
@CoverPoint("dqstp.acc_magnitude", xf=acc_magnitude, bins=["<2^12", "<2^20", ">=2^20"])
@CoverPoint("dqstp.error", xf=lambda res: res.err_code,
            bins=["NONE"] + sorted(set(FAULT_ERRORS.values())) + CORE_ERRORS)
@CoverPoint("dqstp.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("dqstp.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"), bins=["none", "random", "bursty"])
@CoverCross("dqstp.pressure.cross", items=["dqstp.pressure.in", "dqstp.pressure.out"])
@shell_coverpoints("dqstp")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
