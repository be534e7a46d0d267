"""Operations for the NZPC core: FF jobs whose outputs land on chosen activation states (values
exactly at 0 and 6 included), the BP and WG jobs that use the mask an FF job leaves, readbacks, and
sequences FF -> readback -> BP -> WG of recorded training (models/data/records/nzpc/<activation>).

A BP/WG operation carries the mask the preceding FF job leaves on chip (NzpcCodec.state_after, from
models/): the test must run them in that order, on the same LAYER tag. Operands go to the core as their
raw bits, subnormals and NaN payloads included: subnormals are IEEE values (non-zero, effectual) in the
core and in the golden model (models/golden.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models.layers import LEAKY, LINEAR, SATURATED, ZERO
from models.methods.nzpc import allowed
from verif.common.env import Operation
from verif.common.stimulus import random_matrix

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT / "models" / "data" / "records" / "nzpc"
ACTS = ("relu", "relu6", "leakyrelu", "none")
# FP16 pre-activations of each state, the edges included: exactly 0 (both signs), exactly 6, the
# neighbours of 6, subnormals (values of their sign's state), the extremes; an infinity (state_ff_op's A = I then
# makes 0 x inf = NaN in the other rows of its column: NaN reaches the estimator).
STATE_VALUES = {
    ZERO: np.array([0.0, -0.0, -1.0e-3, -2.5, -65504.0, -6.0e-8, -3.0e-5], np.float16),
    LINEAR: np.array([1.0e-3, 0.5, 3.0, 5.996, 6.1e-5, 6.0e-8, 3.0e-5], np.float16),
    SATURATED: np.array([6.0, 6.004, 100.0, 65504.0, np.inf], np.float16),
    LEAKY: np.array([-0.5, -7.0, -1.0e-4], np.float16),
}


def op_(op_id: str, phase: str, a, b, **meta) -> Operation:
    return Operation(op_id, phase, {"a": np.asarray(a, np.float16), "b": np.asarray(b, np.float16)}, meta=meta)


def ff_op(rng, op_id: str, m: int, n: int, k: int, act: str = "relu", sparsity_b: float = 0.5,
          layer: int = 1, specials: float = 0.0, nans: float = 0.0) -> Operation:
    """A random FF job (B with a `sparsity_b` fraction of zeros, like post-ReLU activations), a
    `specials` fraction of special values and a `nans` fraction of NaN payloads in both operands."""
    return op_(op_id, "FF", random_matrix(rng, (m, k), 0.05, specials, nans),
               random_matrix(rng, (k, n), sparsity_b, specials, nans), act=act, layer=layer, source="random")


def state_ff_op(rng, op_id: str, m: int, n: int, act: str, fractions: dict[int, float], layer: int = 1) -> Operation:
    """An FF job whose outputs are chosen pre-activations: A = I (K = M), so C = B exactly (a -0
    comes out +0). `fractions` gives the share of outputs drawn from each state's values."""
    states = list(fractions)
    weights = np.array([fractions[s] for s in states], float)
    pick = rng.choice(len(states), size=(m, n), p=weights / weights.sum())
    z = np.zeros((m, n), np.float16)
    for i, s in enumerate(states):
        where = pick == i
        z[where] = rng.choice(STATE_VALUES[s], size=int(where.sum()))
    return op_(op_id, "FF", np.eye(m, dtype=np.float16), z, act=act, layer=layer, source="states")


def mask_ops(rng, prefix: str, ff: Operation, state: np.ndarray, kb: int, kw: int, zero_allowed: float = 0.2,
             variants=(("estimator", True), ("estimator", False), ("detect", False)), specials: float = 0.0,
             nans: float = 0.0) -> list[Operation]:
    """The BP and WG jobs of the FF's layer, each in every (mode, balance) variant: dZ[M, N] is zero
    where `state` disallows and, at a `zero_allowed` fraction of the allowed positions (pooling's
    zeros), too. BP: C = W^T[kb x M] . dZ; WG: C = dZ . cols^T[N x kw]. `specials` and `nans` as in
    ff_op, but dZ stays exactly +0 where the state disallows (the mask's invariant)."""
    m, n = state.shape
    dz = random_matrix(rng, (m, n), zero_allowed, specials, nans)
    dz[~allowed(state)] = 0.0
    w_t = random_matrix(rng, (kb, m), 0.05, specials, nans)
    cols_t = random_matrix(rng, (n, kw), 0.5, specials, nans)
    layer = ff.meta["layer"]
    ops = []
    for mode, bal in variants:
        tag = f"{mode}{'_balanced' if bal else ''}"
        ops.append(Operation(f"{prefix}/BP/{tag}", "BP", {"a": w_t, "b": dz, "mask": state},
                             meta={"mode": mode, "balance": bal, "layer": layer, "source": ff.meta["source"]}))
        ops.append(Operation(f"{prefix}/WG/{tag}", "WG", {"a": dz, "b": cols_t, "mask": state},
                             meta={"mode": mode, "balance": bal, "layer": layer, "source": ff.meta["source"]}))
    return ops


def readback_op(op_id: str, state: np.ndarray, layer: int) -> Operation:
    """A readback of the mask, counts and schedules an FF job with `state` left on chip."""
    return Operation(op_id, "FF", {"state": np.asarray(state, np.int8)}, meta={"readback": True, "layer": layer})


def sequence(rng, codec, prefix: str, ff: Operation, kb: int, kw: int, **kw_mask) -> list[Operation]:
    """FF -> readback -> BP and WG in every variant, on one layer tag."""
    state = codec.state_after(ff)
    return [ff, readback_op(f"{prefix}/readback", state, ff.meta["layer"])] + mask_ops(
        rng, prefix, ff, state, kb, kw, **kw_mask)


def record_ops(path: str | Path | None = None, mode: str = "estimator", balance: bool = True,
               variant: str | None = None, readbacks: bool = True) -> list[Operation]:
    """Every record under `path` (default: RECORDS or the nzpc records), grouped per training run
    (record set), layer and step as FF -> readback -> BP -> WG: the FF job's mask serves the BP and
    WG jobs. BP/WG run in `mode`; op ids are the record ids, <record id>@<variant> for a variant."""
    from models.methods.nzpc import estimate_state
    from models.records import load_records
    path = Path(path or os.environ.get("RECORDS") or DEFAULT_RECORDS)
    groups: dict[tuple, dict] = {}
    for rec in load_records(path, method="nzpc"):
        key = (rec.meta.get("record_set", ""), rec.layer, rec.step)
        groups.setdefault(key, {})[rec.phase] = rec
    ops = []
    suffix = f"@{variant}" if variant else ""
    for layer_tag, (key, recs) in enumerate(sorted(groups.items()), start=1):
        ff = recs.get("FF")
        if ff is None:
            raise ValueError(f"records {key}: no FF record, so no mask for its BP and WG")
        act = ff.meta["activation"]
        meta = {"source": "record", "layer": layer_tag & 0xFF}
        ops.append(op_(ff.id + suffix, "FF", ff.a, ff.b, act=act, **meta))
        if readbacks:
            ops.append(readback_op(f"{ff.id}/readback{suffix}", estimate_state(ff.c, act), meta["layer"]))
        for phase in ("BP", "WG"):
            if phase in recs:
                r = recs[phase]
                ops.append(Operation(r.id + suffix, phase, {"a": np.asarray(r.a, np.float16),
                                                            "b": np.asarray(r.b, np.float16), "mask": r.arrays["mask"]},
                                     meta={**meta, "mode": mode, "balance": balance}))
    if not ops:
        raise ValueError(f"no usable nzpc records under {path}")
    return ops


class NzpcTraining:
    """The trainer's `nzpc` operations on the NZPC core (verif/common/train_rtl.py): FF jobs with the
    layer's activation (the core estimates each output's state and keeps the mask), BP and WG jobs in
    detect mode. The core holds one layer's mask and the trainer runs every FF before the first BP, so
    BP and WG cannot use the estimator's mask without the driver reloading it: they detect dZ's zeros
    instead (the mask still goes with them, as in a record, for the golden side). The core writes
    every output, so its C is the executor's as it is."""

    method = "nzpc"

    def __init__(self):
        self.tags: dict[str, int] = {}      # layer name -> the core's LAYER tag

    def jobs(self, rec):
        if rec.meta["kind"] != "fp":
            return f"the NZPC core multiplies FP16 operands, not {rec.meta['kind']} ones"
        tag = self.tags.setdefault(rec.layer, len(self.tags) + 1)
        meta = {"source": "training", "layer": tag}
        if rec.phase == "FF":
            return [op_(rec.id, "FF", rec.a, rec.b, act=rec.meta["activation"], **meta)]
        return [Operation(rec.id, rec.phase, {"a": np.asarray(rec.a, np.float16), "b": np.asarray(rec.b, np.float16),
                                              "mask": rec.arrays["mask"]},
                          meta={**meta, "mode": "detect", "balance": False})]

    def result(self, op, jobs, results):
        return results[0]
