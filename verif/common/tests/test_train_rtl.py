"""The RTL trainer's lock step without a simulator: a fake core that multiplies in float64 and
rounds once (not the golden executor's code) must match the golden run on a step of small GEMMs only
where that rounding agrees; a core that flips one result bit, or a run whose state drifts, must be
stopped with the operation or state named."""
from __future__ import annotations

import json

import numpy as np
import pytest

from verif.common.env import Operation, OpResult
from verif.common.train_rtl import LockstepTraining, TrainingMismatch, TrainRtlConfig
from verif.dense.dense_stimulus import DenseTraining


class FakeCore:
    """run_jobs for the lock step: each job's C from `compute`, one chosen job's first bit flipped."""

    def __init__(self, compute, corrupt: str | None = None):
        self.compute, self.corrupt, self.seen = compute, corrupt, []

    def __call__(self, jobs: list[Operation]) -> list[OpResult]:
        results = []
        for job in jobs:
            self.seen.append(job.op_id)
            c = self.compute(job).astype(np.float32)
            if self.corrupt is not None and self.corrupt in job.op_id:
                c.view(np.uint32).flat[0] ^= 1
            results.append(OpResult(job, "NONE", True, c, 0, {}, {}))
        return results


def recorded_c(job: Operation) -> np.ndarray:
    """The golden C its record carried (make_record computed it): what a correct core returns."""
    return job.meta["record_c"]


class RecordingDense(DenseTraining):
    """DenseTraining whose jobs carry their record's C, so the fake core can return it."""

    def jobs(self, rec):
        jobs = super().jobs(rec)
        for job in jobs:
            job.meta["record_c"] = rec.c
        return jobs


CONFIG = dict(method="dense", steps=2, batch=2, start=0)


def test_identical_core_passes_every_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    core = FakeCore(recorded_c)
    session = LockstepTraining(TrainRtlConfig(**CONFIG), RecordingDense(), core, progress=lambda _: None)
    session.run()
    out = json.loads((tmp_path / "train_rtl.json").read_text())
    assert out["failure"] is None and [r["step"] for r in out["steps"]] == [0, 1]
    assert all(op["on_core"] for r in out["steps"] for op in r["ops"])
    # every layer operation of both steps went to the core: FF of every layer, BP but the first, WG
    assert len(core.seen) == 2 * 11 and any("/conv2/BP/" in j for j in core.seen)


def test_one_flipped_bit_names_the_operation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    core = FakeCore(recorded_c, corrupt="/conv2/BP/1")
    session = LockstepTraining(TrainRtlConfig(**CONFIG), RecordingDense(), core, progress=lambda _: None)
    with pytest.raises(TrainingMismatch, match=r"step 1 conv2/BP: the core's C differs"):
        session.run()
    out = json.loads((tmp_path / "train_rtl.json").read_text())
    assert "conv2/BP" in out["failure"] and len(out["steps"]) == 1


def test_float64_core_is_not_bit_exact(tmp_path, monkeypatch):
    """A core that rounds once (float64 sum) differs from FP32 accumulation on real operands."""
    monkeypatch.chdir(tmp_path)
    core = FakeCore(lambda job: job.operands["a"].astype(np.float64) @ job.operands["b"].astype(np.float64))
    session = LockstepTraining(TrainRtlConfig(**CONFIG), RecordingDense(), core, progress=lambda _: None)
    with pytest.raises(TrainingMismatch, match=r"step 0 \w+/(FF|BP|WG): the core's C differs"):
        session.run()


def test_drifting_state_is_caught(tmp_path, monkeypatch):
    """The state comparison on its own: a momentum buffer changed behind the trainer's back leaves
    every operation of the step identical and the weights after it different."""
    monkeypatch.chdir(tmp_path)
    session = LockstepTraining(TrainRtlConfig(**CONFIG), RecordingDense(), FakeCore(recorded_c),
                               progress=lambda _: None)
    session.rtl.opt.velocity[0].flat[3] += 1.0
    with pytest.raises(TrainingMismatch, match=r"step 0: conv1.w differs"):
        session.run()


def test_bad_configuration_is_a_clear_error():
    with pytest.raises(ValueError, match="steps, batch and epochs must be at least 1"):
        TrainRtlConfig(steps=0)
    with pytest.raises(ValueError, match="past the run's"):
        LockstepTraining(TrainRtlConfig(method="dense", steps=1, batch=2000, start=2 * 10),
                         RecordingDense(), FakeCore(recorded_c), progress=lambda _: None)
