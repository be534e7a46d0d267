"""Throughput bench test of the dense core: exactly one large operation through the normal testbench
path (OpDriver.execute of verif/common/env.py: CSR writes, operand frames, start, irq, result frame,
counters), timed from inside the simulation. Run by scripts/bench.py (`make bench`), which compares
it with the no-Python harness (verif/dense/bench_harness.cpp) on the same operands.

Parameters come from the environment (scripts/bench.py sets them): BENCH_M, BENCH_N, BENCH_K,
BENCH_SPARSITY, BENCH_SEED. Writes bench_result.json and bench_result.npy in the test directory.
DUT cycles are counted from the first CSR write of the operation to its last result beat; wall
time is time.perf_counter() around OpDriver.execute, so it includes the testbench's own Python work
(packing, decoding, bus models) but not simulator start-up or the golden-model check.
"""
from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np
import pyuvm

from models import golden
from verif.common.agents import CLOCK_NS
from verif.common.env import Operation
from verif.dense.dense_stimulus import random_op
from verif.dense.dense_tests import DenseTest

DEFAULTS = {"m": 64, "n": 64, "k": 576, "sparsity": 0.5, "seed": 2026}


def bench_params() -> dict:
    """The operation's parameters from BENCH_* environment variables, defaults otherwise."""
    p = dict(DEFAULTS)
    for key, kind in (("m", int), ("n", int), ("k", int), ("sparsity", float), ("seed", int)):
        value = os.environ.get(f"BENCH_{key.upper()}")
        if value:
            p[key] = kind(value)
    return p


def bench_operation(m: int, n: int, k: int, sparsity: float, seed: int) -> Operation:
    """Random FP16 A[MxK] and B[KxN] at the given sparsity (both sides), fixed by the seed. The same
    call in scripts/bench.py gives the harness the same operands (checked by operand_digest)."""
    rng = np.random.default_rng(seed)
    return random_op(rng, f"bench/{m}x{n}x{k}", m, n, k, sparsity, sparsity)


def operand_digest(op: Operation) -> str:
    h = hashlib.sha256()
    for name in sorted(op.operands):
        h.update(name.encode())
        h.update(np.ascontiguousarray(op.operands[name]).view(np.uint16).tobytes())
    return h.hexdigest()[:16]


@pyuvm.test()
class test_bench_dense(DenseTest):
    """One large dense operation, timed: cycles per wall-second of the cocotb/pyuvm path."""

    async def body(self):
        p = bench_params()
        op = bench_operation(**p)
        driver = self.env.agent.driver
        self.logger.info(f"bench operation {op.op_id}, sparsity {p['sparsity']}, seed {p['seed']}")
        t0 = time.perf_counter()
        res = await driver.execute(op)
        wall = time.perf_counter() - t0
        driver.ap.write(res)  # the scoreboard checks it against models/ as for every other test
        cycles = round((res.times_ns["end"] - res.times_ns["load"]) / CLOCK_NS)
        expected = golden.gemm_fp16(op.operands["a"], op.operands["b"])
        match = (res.result is not None and res.result.shape == expected.shape
                 and np.array_equal(res.result.view(np.uint32), expected.view(np.uint32)))
        if res.result is not None:
            np.save("bench_result.npy", res.result)
        summary = {
            "params": p, "operand_digest": operand_digest(op), "err_code": res.err_code, "done": res.done,
            "match": bool(match), "cycles": cycles, "wall_s": wall,
            "cycles_per_s": cycles / wall if wall > 0 else None,
            "result_beats": res.result_beats, "counters": res.counters, "times_ns": res.times_ns,
        }
        with open("bench_result.json", "w") as f:
            json.dump(summary, f, indent=1)
        self.logger.info(f"bench: {cycles} DUT cycles in {wall:.3f} s wall = {cycles / wall:,.0f} cycles/s; "
                         f"CYC_COMPUTE {res.counters['CYC_COMPUTE']}; result {'matches' if match else 'MISMATCHES'} "
                         f"models.golden.gemm_fp16")
        assert match, f"{op.op_id}: result does not match models.golden.gemm_fp16 bit for bit (err {res.err_code})"
