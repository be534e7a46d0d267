"""Training through the RTL: the reference trainer's layer operations run on a simulated core.

A core's `test_train_rtl` (a TrainRtlTest) runs the digits CNN with a method for a few steps. The
trainer runs in a thread started with cocotb's `bridge`; its executor (RtlExecutor) turns each layer
operation into the core's jobs (the core's CoreTraining adapter, from the operation's record), runs
them in the simulation through `resume` (the driver, scoreboard, metrics and coverage see them like
any other job) and hands the core's result back to the trainer. Operations the core does not compute
stay in Python, on the golden executor, and are listed with the reason: the core has no unit for
them (the adapter says why) or they exceed a limit of the core that the driver's tiling cannot split
without changing the arithmetic (the codec's split raises).

Lock step: every step runs first on a copy of the run with models' GoldenExecutor (the reference),
then on the RTL copy. Each operation's C is compared bit for bit with the golden one as it comes back
from the core (the first mismatch names the operation and stops the run), and after the step the
weights, optimizer state, BN running statistics and loss. The steps before TRAIN_RTL's `start` run on
the numpy executor once, before the copies are made. By default the RTL runs the last steps with a
whole batch of a two-epoch run, where every method's technique is at full strength (pruning at its
target sparsity, Trainer speculating), as at the committed records' "last" step.

Configuration: the TRAIN_RTL environment variable, a JSON object of TrainRtlConfig's fields.
Output (in the test's folder): train_rtl.json, one row per step and the operations of each.
"""
from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Protocol

import numpy as np
from cocotb.task import bridge, resume

from models.executor import GemmOp, GoldenExecutor, NumpyExecutor
from models.records import OperationRecord, RecordContext, make_record
from verif.common.env import AccelBaseTest, Operation, OpResult, describe_mismatch

RESULT_FILE = "train_rtl.json"


@dataclass
class TrainRtlConfig:
    method: str = ""                 # default: the core's own method (CoreTraining.method)
    steps: int = 1                   # steps run on the core, each checked against the golden executor
    batch: int = 4                   # batch size of the run (its data order and schedule follow from it)
    epochs: int = 2                  # the run's length: its learning-rate and pruning schedules follow it
    start: int | None = None         # numpy steps before the first RTL step (default: the last whole-batch `steps`)
    seed: int = 0                    # initialization and data order
    settings: list[str] = field(default_factory=list)   # method options, NAME=VALUE
    corrupt: str = ""                # "layer/phase": flip one bit of the core's C there (the check must stop)

    def __post_init__(self):
        if min(self.steps, self.batch, self.epochs) < 1:
            raise ValueError(f"steps, batch and epochs must be at least 1, got steps={self.steps}, "
                             f"batch={self.batch}, epochs={self.epochs}")
        if self.start is not None and self.start < 0:
            raise ValueError(f"start must be at least 0, got {self.start}")

    @classmethod
    def from_env(cls) -> "TrainRtlConfig":
        text = os.environ.get("TRAIN_RTL", "").strip()
        values = json.loads(text) if text else {}
        if not isinstance(values, dict):
            raise ValueError(f"TRAIN_RTL must be a JSON object, got {text!r}")
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"TRAIN_RTL: unknown keys {sorted(unknown)}; keys are {[f.name for f in fields(cls)]}")
        return cls(**values)


class CoreTraining(Protocol):
    """What a core's testbench says about running the trainer's operations."""

    method: str                      # the method whose operations the core is built for

    def jobs(self, rec: OperationRecord) -> list[Operation] | str:
        """The core's jobs for one layer operation, or why the core does not compute it."""

    def result(self, op: GemmOp, jobs: list[Operation], results: list[np.ndarray]) -> np.ndarray:
        """C[M, N] as the executor returns it (float32, removed outputs filled) from the jobs' results."""


class TrainingMismatch(AssertionError):
    """The RTL run left the golden run: an operation's result or the state after a step differs."""


class GoldenLog:
    """The golden executor, keeping each operation's C in order for the RTL run to be compared with."""

    def __init__(self):
        self.golden = GoldenExecutor()
        self.entries: list[tuple[str, str, np.ndarray]] = []

    def __call__(self, op: GemmOp) -> np.ndarray:
        c = self.golden(op)
        self.entries.append((op.layer, op.phase, c))
        return c


def same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


class RtlExecutor:
    """models' Executor on the simulated core; called from the trainer's thread."""

    def __init__(self, training: CoreTraining, run_jobs, method, codec=None, corrupt: str = ""):
        """run_jobs(jobs) -> list[OpResult] blocks until the core has run the jobs; codec (the
        core's CoreCodec) says which jobs fit the core; corrupt names a layer/phase whose C gets one
        bit flipped on its way back (the expect-fail check of the comparison)."""
        self.training, self.method, self.run_jobs, self.codec = training, method, run_jobs, codec
        self.corrupt = corrupt
        self.step = 0
        self.expected: list[tuple[str, str, np.ndarray]] = []
        self.ops: list[dict] = []          # this step's operations: where each ran, its job ids
        self.off_core: dict[str, str] = {}  # layer/phase (kind) the core did not compute -> why
        self.golden = GoldenExecutor()

    def begin_step(self, step: int, expected: list[tuple[str, str, np.ndarray]]) -> None:
        self.step, self.expected, self.ops = step, list(expected), []

    def __call__(self, op: GemmOp) -> np.ndarray:
        name = f"step {self.step} {op.layer}/{op.phase}"
        if not self.expected:
            raise TrainingMismatch(f"{name}: the golden run had no operation here")
        layer, phase, want = self.expected.pop(0)
        if (layer, phase) != (op.layer, op.phase):
            raise TrainingMismatch(f"{name}: the golden run computed {layer}/{phase} here")
        rec = make_record(self.method, op, RecordContext(self.step))
        jobs = self.training.jobs(rec)
        if not isinstance(jobs, str) and self.codec is not None:
            try:
                for job in jobs:
                    self.codec.split(job)
            except ValueError as exc:
                jobs = str(exc).split(": ", 1)[-1]
        if isinstance(jobs, str):
            c = self.golden(op)
            self.off_core.setdefault(f"{op.layer}/{op.phase} ({op.kind})", jobs)
            self.ops.append({"op": f"{op.layer}/{op.phase}", "on_core": False, "jobs": []})
        else:
            results: list[OpResult] = self.run_jobs(jobs)
            bad = [r for r in results if r.err_code != "NONE" or r.result is None]
            if bad:
                raise TrainingMismatch(f"{name}: job {bad[0].op.op_id} ended with ERR_CODE {bad[0].err_code} "
                                       f"and {'no' if bad[0].result is None else 'a'} result")
            c = self.training.result(op, jobs, [r.result for r in results])
            if self.corrupt == f"{op.layer}/{op.phase}":
                c = c.copy()
                c.view(np.uint32).flat[0] ^= 1
            self.ops.append({"op": f"{op.layer}/{op.phase}", "on_core": True, "jobs": [j.op_id for j in jobs]})
        if not same_bits(c, want):
            raise TrainingMismatch(f"{name}: the core's C differs from the golden executor's: "
                                   f"{describe_mismatch(want, c)}")
        return c


def state_arrays(loop) -> dict[str, np.ndarray]:
    """The training state a step changes: parameters, momentum buffers, BN running statistics."""
    state = {}
    for p, v in zip(loop.opt.params, loop.opt.velocity):
        state[p.name] = p.value
        state[f"{p.name} (momentum)"] = v
    for stage in loop.net.stages:
        bn = getattr(stage, "bn", None)
        if bn is not None:
            state[f"{bn.name}.running_mean"] = bn.running_mean
            state[f"{bn.name}.running_var"] = bn.running_var
    return state


class LockstepTraining:
    """A golden run and an RTL run of one method from one seed, stepped together and compared."""

    def __init__(self, config: TrainRtlConfig, training: CoreTraining, run_jobs, codec=None, progress=print):
        from models.train import prepared_run
        from models.training import StepLoop
        self.config, self.progress = config, progress
        self.method = config.method or training.method
        t0 = time.perf_counter()
        run = prepared_run(self.method, epochs=config.epochs, seed=config.seed, settings=config.settings,
                           batch_size=config.batch, progress=progress)
        loop = StepLoop(run.net, run.method, run.data, run.config, run.rng)
        # default: the run's last steps with a whole batch (an epoch's last batch may be short)
        whole = loop.total - (1 if len(run.data.x_train) % config.batch else 0)
        start = whole - config.steps if config.start is None else config.start
        if start + config.steps > loop.total:
            raise ValueError(f"start {start} + steps {config.steps} is past the run's {loop.total} steps")
        numpy = NumpyExecutor()
        for _ in range(start):
            loop.run_step(numpy)
        self.prepare_seconds = time.perf_counter() - t0
        self.golden, self.rtl = loop, copy.deepcopy(loop)
        self.executor = RtlExecutor(training, run_jobs, self.rtl.method, codec, config.corrupt)
        self.rows: list[dict] = []
        self.failure: str | None = None

    def compare_state(self, step: int, golden_out: dict, rtl_out: dict) -> None:
        if golden_out["loss"] != rtl_out["loss"]:
            raise TrainingMismatch(f"step {step}: loss {rtl_out['loss']!r}, golden {golden_out['loss']!r}")
        want, got = state_arrays(self.golden), state_arrays(self.rtl)
        if want.keys() != got.keys():
            raise TrainingMismatch(f"step {step}: the runs hold different state ({sorted(want.keys() ^ got.keys())})")
        for name in want:
            if not same_bits(want[name], got[name]):
                raise TrainingMismatch(f"step {step}: {name} differs: {describe_mismatch(want[name], got[name])}")

    def run(self) -> None:
        """The steps (in the bridge thread). Raises TrainingMismatch at the first difference."""
        try:
            for _ in range(self.config.steps):
                step = self.rtl.step
                log = GoldenLog()
                t0 = time.perf_counter()
                golden_out = self.golden.run_step(log)
                t1 = time.perf_counter()
                self.executor.begin_step(step, log.entries)
                rtl_out = self.rtl.run_step(self.executor)
                t2 = time.perf_counter()
                if self.executor.expected:
                    raise TrainingMismatch(f"step {step}: the RTL run skipped {len(self.executor.expected)} "
                                           f"operation(s) of the golden run")
                self.compare_state(step, golden_out, rtl_out)
                self.rows.append({"step": step, "loss": rtl_out["loss"], "correct": rtl_out["correct"],
                                  "samples": rtl_out["samples"], "golden_seconds": t1 - t0, "rtl_seconds": t2 - t1,
                                  "ops": self.executor.ops, "identical": True})
                self.progress(f"[train-rtl] step {step}: loss {rtl_out['loss']:.6f}, bit-identical to the "
                              f"golden executor ({len(self.executor.ops)} ops, {t2 - t1:.1f} s)")
        except Exception as exc:
            self.failure = str(exc) if isinstance(exc, TrainingMismatch) else f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.write()

    def write(self, path: Path = Path(RESULT_FILE)) -> None:
        path.write_text(json.dumps({
            "method": self.method, "config": asdict(self.config), "start_step": self.golden.step - len(self.rows),
            "batch": self.config.batch, "steps_per_epoch": self.golden.steps_per_epoch,
            "total_steps": self.golden.total, "prepare_seconds": self.prepare_seconds,
            "off_core": self.executor.off_core, "steps": self.rows, "failure": self.failure}, indent=1))


class TrainRtlTest(AccelBaseTest):
    """Trains the digits CNN for TRAIN_RTL's steps with the core computing the layer operations
    (the core's tests module sets `training`). Fails at the first difference from the golden run."""

    training: CoreTraining

    async def run_jobs(self, jobs: list[Operation]) -> list[OpResult]:
        driver = self.env.agent.driver
        results = []
        for job in self.tag(jobs):
            res = await driver.execute(job)
            driver.ap.write(res)           # scoreboard, metrics and coverage see the job
            results.append(res)
        return results

    async def body(self):
        # resume: the trainer's thread blocks while the simulation runs the jobs
        session = LockstepTraining(TrainRtlConfig.from_env(), self.training, resume(self.run_jobs), self.codec,
                                   progress=self.logger.info)
        await bridge(session.run)()
