"""Functional coverage of the SWPU core (cocotb-coverage). Names are what the testplan cites."""
from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from models.methods.swpu import lane_utilization
from verif.common.cores import active_parameters, load_core
from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.common.stimulus import FP16_SPECIAL_KINDS, fp16_special_kinds
from verif.swpu.swpu_codec import SwpuCodec

ROWS = active_parameters(load_core("swpu"))["Rows"]  # the array size this simulation was built with
LINE_BINS = ["0", "(0,25]", "(25,50]", "(50,80]", "(80,95]", "(95,100]"]
IMBALANCE_BINS = ["0", "(0,25]", "(25,50]", "(50,100]"]
ERRORS = ["NONE"] + sorted(set(FAULT_ERRORS.values())) + sorted(set(SwpuCodec.core_faults.values()))


def percent_bin(pct: float, uppers, names) -> str:
    for upper, name in zip(uppers, names):
        if pct <= upper:
            return name
    return names[-1]


def line_bin(res: OpResult) -> str:
    return percent_bin(100.0 * res.op.meta.get("line_sparsity", 0.0), (0, 25, 50, 80, 95, 100), LINE_BINS)


def imbalance_bin(res: OpResult) -> str:
    """Idle lane share of the groups' union steps in the order the core ran (1 - lane utilization)."""
    if res.op.fault is not None:
        return "0"
    codec = SwpuCodec.__new__(SwpuCodec)
    codec.rows = ROWS
    masks = codec.row_masks(res.op)
    idle = 100.0 * (1.0 - lane_utilization(masks, codec.schedule(res.op), ROWS))
    return percent_bin(idle, (0, 25, 50, 100), IMBALANCE_BINS)


def shape_kind(res: OpResult) -> str:
    line, shape = res.op.meta.get("line_sparsity", 0.0), res.op.meta.get("shape_sparsity", 0.0)
    return {(False, False): "none", (True, False): "line_only", (False, True): "shape_only",
            (True, True): "mixed"}[(line > 0, shape > 0)]


def operand_specials(res: OpResult) -> frozenset[str]:
    """The special FP16 encodings among the raw operand bits of a checked good operation."""
    if res.op.fault is not None or res.result is None:
        return frozenset()
    return fp16_special_kinds(res.op.operands["a"], res.op.operands["b"])


@CoverPoint("swpu.line_sparsity", xf=line_bin, bins=LINE_BINS)
@CoverPoint("swpu.pruning", xf=shape_kind, bins=["none", "line_only", "shape_only", "mixed"])
@CoverPoint("swpu.imbalance", xf=imbalance_bin, bins=IMBALANCE_BINS)
@CoverPoint("swpu.order", xf=lambda res: res.op.meta.get("order", "clustered"), bins=["clustered", "natural"])
@CoverPoint("swpu.phase", xf=lambda res: res.op.phase, bins=["FF", "BP", "WG"])
@CoverCross("swpu.phase_x_order", items=["swpu.phase", "swpu.order"])
@CoverPoint("swpu.line_w", xf=lambda res: res.op.meta.get("line_w", 1), bins=[1, 2, 3, 4])
@CoverPoint("swpu.error", xf=lambda res: res.err_code, bins=ERRORS)
@CoverPoint("swpu.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("swpu.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("swpu.operand_specials", xf=operand_specials, bins=list(FP16_SPECIAL_KINDS),
            rel=lambda seen, kind: kind in seen, inj=False)
@shell_coverpoints("swpu")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
