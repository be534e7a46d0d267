"""Functional coverage of the dense core (cocotb-coverage). Names are what the testplan cites."""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.agents import shell_coverpoints
from verif.common.env import FAULT_ERRORS, OpResult
from verif.common.stimulus import FP16_SPECIAL_KINDS, fp16_special_kinds
from verif.dense.dense_codec import LANES

SPARSITY_BINS = ["0", "(0,25]", "(25,50]", "(50,75]", "(75,90]", "(90,100]"]
_PARAMS = active_parameters(load_core("dense"))  # the array size this simulation was built with
TILE_M, COLS = _PARAMS["Rows"] * _PARAMS["TileRows"], _PARAMS["Cols"]  # an output tile's rows, columns
KSTEPS = LANES // TILE_M  # k-steps per A buffer word
SEGS_PER_BEAT = load_csr_map(load_core("dense").rdl).out_beat_bits // (32 * COLS)  # C row segments a beat


def sparsity_bin(x: np.ndarray) -> str:
    s = 100.0 * float(np.mean(x == 0)) if x.size else 0.0
    for upper, name in zip((0, 25, 50, 75, 90, 100), SPARSITY_BINS):
        if s <= upper:
            return name
    return SPARSITY_BINS[-1]


def last_beat_segments(res: OpResult) -> str | None:
    """How full the last result beat of a good one-job operation is: one C row segment, some, or all
    (the rest is zero padding). Named, not counted, so every array size has the same bins."""
    if res.result is None:
        return None
    m, n = res.op.operands["a"].shape[0], res.op.operands["b"].shape[1]
    segments = m * -(-n // COLS)
    if res.result_beats != -(-segments // SEGS_PER_BEAT):
        return None  # tiled into several jobs: each frame ends on its own beat
    last = (segments - 1) % SEGS_PER_BEAT + 1
    return "full" if last == SEGS_PER_BEAT else "one" if last == 1 else "partial"


def operand_specials(res: OpResult) -> frozenset[str]:
    """The special FP16 encodings among the raw operand bits of a checked good operation."""
    if res.result is None:
        return frozenset()
    return fp16_special_kinds(res.op.operands["a"], res.op.operands["b"])


def dim_class(value: int, tile: int) -> str:
    if value == 1:
        return "one"
    if value < tile:
        return "below_tile"
    return "tile_multiple" if value % tile == 0 else "ragged"


@CoverPoint("dense.shape.m", xf=lambda res: dim_class(res.op.operands["a"].shape[0], TILE_M),
            bins=["one", "below_tile", "tile_multiple", "ragged"])
@CoverPoint("dense.shape.n", xf=lambda res: dim_class(res.op.operands["b"].shape[1], COLS),
            bins=["one", "below_tile", "tile_multiple", "ragged"])
@CoverPoint("dense.shape.k", xf=lambda res: dim_class(res.op.operands["a"].shape[1], KSTEPS),
            bins=["one", "below_tile", "tile_multiple", "ragged"])
@CoverPoint("dense.sparsity.a", xf=lambda res: sparsity_bin(res.op.operands["a"]), bins=SPARSITY_BINS)
@CoverPoint("dense.sparsity.b", xf=lambda res: sparsity_bin(res.op.operands["b"]), bins=SPARSITY_BINS)
@CoverPoint("dense.phase", xf=lambda res: res.op.phase, bins=["FF", "BP", "WG"])
@CoverPoint("dense.error", xf=lambda res: res.err_code, bins=["NONE"] + sorted(set(FAULT_ERRORS.values())))
@CoverPoint("dense.pressure.in", xf=lambda res: res.op.meta.get("in_pause", "none"), bins=["none", "random", "bursty"])
@CoverPoint("dense.pressure.out", xf=lambda res: res.op.meta.get("out_pause", "none"), bins=["none", "random", "bursty"])
@CoverCross("dense.pressure.cross", items=["dense.pressure.in", "dense.pressure.out"])
@CoverPoint("dense.operand_specials", xf=operand_specials, bins=list(FP16_SPECIAL_KINDS),
            rel=lambda seen, kind: kind in seen, inj=False)
@CoverPoint("dense.result.last_beat_segments", xf=last_beat_segments,
            bins=["one", "partial", "full"])
@shell_coverpoints("dense")
def sample(res: OpResult) -> None:
    """Called once per operation result by the coverage subscriber."""
