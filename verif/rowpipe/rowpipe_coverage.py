"""Functional coverage of the RowPipe core (cocotb-coverage). Names are what the testplan cites.
Bins about the pipeline are sampled from what the RTL reported (its counters, ERR_CODE, the result
bits); bins about the arithmetic from the models' intermediates of jobs the RTL got right."""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.common.stimulus import FP16_SPECIAL_KINDS, fp16_special_kinds
from verif.rowpipe.rowpipe_codec import CORE_FAULTS, geometry, kind, reference


def good(res: OpResult) -> bool:
    return res.op.fault is None and res.err_code == "NONE" and res.result is not None


def conv(res: OpResult) -> bool:
    return good(res) and kind(res.op) == "conv"


def mode(res: OpResult) -> str:
    if not conv(res):
        return "n/a"
    return "layerwise" if res.op.meta.get("layerwise") else "pipeline"


def overlap(res: OpResult) -> str:
    """Whether the RTL ran both layers at once and whether stage 1 had to wait for a free bank."""
    if not conv(res):
        return "n/a"
    c = res.counters
    if c["BOTH_BUSY"] == 0:
        return "sequential"
    return "overlap_bank_wait" if c["S1_WAIT"] > 0 else "overlap"


def requant_values(res: OpResult) -> set[str]:
    """What layer 1's requantizer met in jobs whose results the RTL got bit-exact."""
    if not conv(res):
        return set()
    # the models' intermediates of every image, cached on the op by the scoreboard's expected()
    y1 = np.concatenate([ref["y1"].astype(np.float32).ravel() for ref in reference(res.op)])
    inside = (y1 >= 0) & (y1 < 15)
    bins = {"negative": y1 < 0, "saturated": np.rint(y1) > 15, "tie": inside & (y1 - np.floor(y1) == 0.5),
            "in_range": inside & (np.rint(y1) > 0)}
    return {name for name, hit in bins.items() if hit.any()}


def operand_extremes(res: OpResult) -> set[str]:
    if not conv(res):
        return set()
    o, seen = res.op.operands, set()
    w = np.concatenate([o["w1"].ravel(), o["w2"].ravel()])
    if (w == -8).any():
        seen.add("w_min")
    if (w == 7).any():
        seen.add("w_max")
    if (o["x_q"] == 15).any():
        seen.add("x_max")
    if np.isinf(np.frombuffer(res.result.astype(np.uint16).tobytes(), np.float16)).any():
        seen.add("y2_inf")
    return seen


def dequant_subnormals(res: OpResult) -> set[str]:
    """FP16 subnormals the dequantizer met (layer 2's scales and shifts) and produced (y2) in CONV jobs
    the RTL got bit-exact."""
    if not conv(res):
        return set()
    o = res.op.operands
    y2 = np.asarray(res.result).astype(np.uint16).view(np.float16)
    return {name for name, x in (("scale", o["scale2"]), ("shift", o["shift2"]), ("result", y2))
            if "subnormal" in fp16_special_kinds(x)}


def operand_specials(res: OpResult) -> frozenset[str]:
    """The special FP16 encodings among the raw operand bits of a HEAD job the RTL got right (CONV
    jobs have no FP16 operands)."""
    if not good(res) or kind(res.op) != "head":
        return frozenset()
    return fp16_special_kinds(res.op.operands["a"], res.op.operands["b"])


def kernel(res: OpResult, which: str) -> str:
    return str(getattr(geometry(res.op), which)) if conv(res) else "n/a"


@CoverPoint("rowpipe.kind", xf=lambda res: kind(res.op) if good(res) else "n/a", bins=["conv", "head"])
@CoverPoint("rowpipe.mode", xf=mode, bins=["pipeline", "layerwise"])
@CoverPoint("rowpipe.pool", xf=lambda res: ("pool" if geometry(res.op).pool else "no_pool") if conv(res) else "n/a",
            bins=["pool", "no_pool"])
@CoverPoint("rowpipe.k1", xf=lambda res: kernel(res, "k1"), bins=["1", "2", "3"])
@CoverPoint("rowpipe.k2", xf=lambda res: kernel(res, "k2"), bins=["1", "2", "3"])
@CoverCross("rowpipe.mode_x_pool", items=["rowpipe.mode", "rowpipe.pool"])
@CoverPoint("rowpipe.overlap", xf=overlap, bins=["sequential", "overlap", "overlap_bank_wait"])
@CoverPoint("rowpipe.requant", xf=requant_values, rel=lambda seen, b: b in seen, inj=False,
            bins=["negative", "saturated", "tie", "in_range"])
@CoverPoint("rowpipe.extremes", xf=operand_extremes, rel=lambda seen, b: b in seen, inj=False,
            bins=["w_min", "w_max", "x_max", "y2_inf"])
@CoverPoint("rowpipe.dequant_subnormal", xf=dequant_subnormals, rel=lambda seen, b: b in seen, inj=False,
            bins=["scale", "shift", "result"])
@CoverPoint("rowpipe.head_phase", xf=lambda res: res.op.phase if good(res) and kind(res.op) == "head" else "n/a",
            bins=["FF", "BP", "WG"])
@CoverPoint("rowpipe.operand_specials", xf=operand_specials, bins=list(FP16_SPECIAL_KINDS),
            rel=lambda seen, b: b in seen, inj=False)
@CoverPoint("rowpipe.source", xf=lambda res: res.op.meta.get("source", "other"), bins=["random", "record"])
@CoverPoint("rowpipe.error", xf=lambda res: res.err_code,
            bins=["NONE"] + sorted(set(FAULT_ERRORS.values()) | set(CORE_FAULTS.values())))
@CoverPoint("rowpipe.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("rowpipe.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"), bins=["none", "random", "bursty"])
@CoverCross("rowpipe.pressure.cross", items=["rowpipe.pressure.in", "rowpipe.pressure.out"])
@shell_coverpoints("rowpipe")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
