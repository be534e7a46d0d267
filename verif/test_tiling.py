"""The driver's tiling of jobs over a core's buffers (each codec's split and join), without a
simulator: every job fits, the joined expected result equals the whole operation's bit for bit (from
models/golden.py on the whole operands), the effectual MACs add up, and a job that cannot be split
exactly is a clear error. These shapes are those of a batch-4 training step (verif/common/train_rtl.py)."""
from __future__ import annotations

import numpy as np
import pytest

from verif.common.csr_map import load_csr_map
from verif.common.env import Operation
from verif.dqstp import dqstp_codec
from verif.dqstp.dqstp_stimulus import random_op as dqstp_op
from verif.nzpc import nzpc_codec
from verif.trainer import trainer_codec


def fp16(rng, shape, zeros=0.5):
    x = rng.standard_normal(shape).astype(np.float16)
    x[rng.random(shape) < zeros] = 0
    return x


def dqstp_case(rng, phase):
    codec = dqstp_codec.DqstpCodec(load_csr_map(dqstp_codec.CORE.rdl))
    if phase == "FF":     # conv2.lr FF at batch 4: 256 output positions, 18k map non-zeros
        return codec, dqstp_op(rng, "ff", "FF", 32, 256, 144, sparsity=0.5)
    s = rng.integers(-127, 128, (256, 32)).astype(np.int8)
    s[rng.random(s.shape) < 0.3] = 0
    x = rng.integers(-127, 128, (256, 1100)).astype(np.int8)   # X words over the buffer
    return codec, Operation("wg", "WG", {"s": s, "x": x})


def trainer_case(rng, phase):
    codec = trainer_codec.TrainerCodec(load_csr_map(trainer_codec.CORE.rdl))
    skip = rng.random((144, 256)) < 0.5
    return codec, Operation("bp", "BP", {"a": fp16(rng, (144, 32)), "b": fp16(rng, (32, 256)), "skip": skip},
                            meta={"skip": True})


def nzpc_case(rng, phase):
    codec = nzpc_codec.NzpcCodec(load_csr_map(nzpc_codec.CORE.rdl))
    meta = {"mode": "detect", "balance": False, "layer": 1}
    mask = rng.integers(0, 2, (32, 256)).astype(np.int8)
    if phase == "BP":
        return codec, Operation("bp", "BP", {"a": fp16(rng, (144, 32)), "b": fp16(rng, (32, 256)), "mask": mask}, meta=meta)
    return codec, Operation("wg", "WG", {"a": fp16(rng, (32, 256)), "b": fp16(rng, (256, 144)), "mask": mask}, meta=meta)


CASES = [(dqstp_case, "FF"), (dqstp_case, "WG"), (trainer_case, "BP"), (nzpc_case, "BP"), (nzpc_case, "WG")]


@pytest.mark.parametrize("make, phase", CASES, ids=[f"{m.__name__[:-5]}-{p}" for m, p in CASES])
def test_split_jobs_fit_and_join_to_the_whole_result(make, phase):
    codec, op = make(np.random.default_rng(1), phase)
    assert codec.over_limits(op), "the case must be over the core's limits"
    parts = codec.split(op)
    assert len(parts) > 1 and all(not codec.over_limits(p) for p in parts)
    joined = codec.join(op, parts, [codec.expected(p) for p in parts])
    whole = codec.expected(op)
    assert joined.shape == whole.shape and joined.tobytes() == whole.tobytes()
    assert sum(codec.macs(p)[1] for p in parts) == codec.macs(op)[1]


def test_jobs_that_cannot_be_split_exactly_are_clear_errors():
    rng = np.random.default_rng(2)
    codec, op = nzpc_case(rng, "BP")
    op.meta["mode"] = "estimator"        # the on-chip mask covers the whole FF output
    with pytest.raises(ValueError, match="does not fit the nzpc core's buffers: C words a lane"):
        codec.split(op)
    codec, op = trainer_case(rng, "BP")
    op.meta.update(bn=1)
    op.operands["xhat"] = fp16(rng, (144, 256))
    with pytest.raises(ValueError, match="does not fit the trainer core's buffers"):
        codec.split(op)
