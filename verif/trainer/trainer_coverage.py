"""Functional coverage of the Trainer core (cocotb-coverage). Names are what the testplan cites.
Bins are sampled from what the RTL reported (its counters, ERR_CODE), not only from the stimulus."""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.common.stimulus import fp16_special_kinds
from verif.trainer.trainer_codec import CORE_FAULTS, dataflow_of, masking, speculating

GRID_BINS = ["0", "50", "75", "90", "other"]


def grid_bin(x: np.ndarray) -> str:
    """The operand's sparsity as the nearest grid point (within 6 %), else other."""
    s = 100.0 * float(np.mean(x == 0)) if x.size else 0.0
    for point in (0, 50, 75, 90):
        if abs(s - point) <= 6:
            return str(point)
    return "other"


def good(res: OpResult) -> bool:
    return res.op.fault is None and res.err_code == "NONE"


def spec_kind(res: OpResult) -> str:
    if not good(res) or not speculating(res.op):
        return "off"
    return "audit" if res.op.meta.get("audit") else "on"


def skip_fraction(res: OpResult) -> str:
    """How much of the job's output the RTL said it skipped (its counters)."""
    c = res.counters
    if not good(res):
        return "none"
    skipped = c["SPEC_SKIPPED"] + c["BP_SKIPPED"] + c["WG_SKIPPED"]
    a, b = res.op.operands["a"], res.op.operands["b"]
    outputs = a.shape[0] * b.shape[1]
    if skipped == 0:
        return "none"
    return "all" if skipped == outputs else "some"


def tiles_skipped(res: OpResult) -> str:
    return "yes" if good(res) and res.counters["TILES_SKIPPED"] > 0 else "no"


def bn_kind(res: OpResult) -> str:
    mode = int(res.op.meta.get("bn", 0)) if good(res) else 0
    return ("off", "one-pass", "two-pass")[mode] if mode < 3 else "off"


def skip_source(res: OpResult) -> str:
    if not good(res):
        return "none"
    if speculating(res.op):
        return "speculation"
    return f"mask_{res.op.phase}" if masking(res.op) else "none"


def special_kinds(res: OpResult) -> set[str]:
    """The special FP16 values the operands of a good job carried into the core."""
    if not good(res):
        return set()
    return set(fp16_special_kinds(res.op.operands["a"], res.op.operands["b"]))


@CoverPoint("trainer.operands.special", xf=special_kinds, rel=lambda kinds, kind: kind in kinds, inj=False,
            bins=["negative_zero", "subnormal", "inf"])
@CoverPoint("trainer.dataflow", xf=lambda res: dataflow_of(res.op), bins=["compress_A", "compress_B"])
@CoverPoint("trainer.phase", xf=lambda res: res.op.phase, bins=["FF", "BP", "WG"])
@CoverPoint("trainer.sparsity.a", xf=lambda res: grid_bin(res.op.operands["a"]), bins=GRID_BINS[:4])
@CoverPoint("trainer.sparsity.b", xf=lambda res: grid_bin(res.op.operands["b"]), bins=GRID_BINS[:4])
@CoverCross("trainer.sparsity.grid", items=["trainer.sparsity.a", "trainer.sparsity.b"])
@CoverCross("trainer.sparsity.grid_by_dataflow", items=["trainer.dataflow", "trainer.sparsity.a",
                                                       "trainer.sparsity.b"])
@CoverPoint("trainer.spec", xf=spec_kind, bins=["off", "on", "audit"])
@CoverPoint("trainer.spec.keep", xf=lambda res: int(res.op.meta.get("keep", 2)) if spec_kind(res) != "off" else -1,
            bins=[0, 1, 2, 3])
@CoverPoint("trainer.skip.source", xf=skip_source, bins=["none", "speculation", "mask_BP", "mask_WG"])
@CoverPoint("trainer.skip.fraction", xf=skip_fraction, bins=["none", "some", "all"])
@CoverCross("trainer.skip.source_by_fraction", items=["trainer.skip.source", "trainer.skip.fraction"],
            ign_bins=[("none", "some"), ("none", "all")])
@CoverPoint("trainer.skip.tile", xf=tiles_skipped, bins=["no", "yes"])
@CoverPoint("trainer.spec.wrong", xf=lambda res: spec_kind(res) == "audit" and res.counters["SPEC_WRONG"] > 0,
            bins=[True, False])
@CoverPoint("trainer.bn", xf=bn_kind, bins=["off", "one-pass", "two-pass"])
@CoverCross("trainer.bn.by_phase", items=["trainer.bn", "trainer.phase"],
            ign_bins=[("one-pass", "WG"), ("two-pass", "WG")])
@CoverPoint("trainer.error", xf=lambda res: res.err_code,
            bins=["NONE"] + sorted(set(FAULT_ERRORS.values()) | set(CORE_FAULTS.values())))
@CoverPoint("trainer.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("trainer.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"),
            bins=["none", "random", "bursty"])
@CoverCross("trainer.pressure.cross", items=["trainer.pressure.in", "trainer.pressure.out"])
@shell_coverpoints("trainer")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
