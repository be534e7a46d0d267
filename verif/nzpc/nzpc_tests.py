"""pyuvm tests of the NZPC core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=nzpc` (all tests) or `make sim DESIGN=nzpc TESTS=<name>`.
A BP/WG job in estimator mode uses the mask the last FF job left on chip, so the operations of a
test run in order (FF first) and the reset tests rerun an FF before the next masked job.
"""
from __future__ import annotations

import cocotb
import numpy as np
import pyuvm

from models.layers import LEAKY, LINEAR, SATURATED, ZERO
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest, Operation
from verif.nzpc import nzpc_coverage
from verif.nzpc.nzpc_codec import NzpcCodec
from verif.common.train_rtl import TrainRtlTest
from verif.nzpc.nzpc_stimulus import NzpcTraining, ACTS, ff_op, mask_ops, readback_op, record_ops, sequence, state_ff_op

CORE = load_core("nzpc")
PARAMS = active_parameters(CORE)  # the size this simulation was built with
LANES = PARAMS["Lanes"]
ALL_STATES = {ZERO: 1.0, LINEAR: 1.0, SATURATED: 1.0, LEAKY: 1.0}


class NzpcTest(AccelBaseTest):
    codec_class = NzpcCodec
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(nzpc_coverage.sample)

    def layer_sequence(self, prefix: str, ff: Operation, kb: int = 7, kw: int = 9, **kw_mask) -> list[Operation]:
        return sequence(self.rng, self.codec, prefix, ff, kb, kw, **kw_mask)


@pyuvm.test()
class test_random_phases(NzpcTest):
    """Per activation: a random FF job (its estimator writes the mask), the readback of mask, counts
    and schedules, then the layer's BP and WG in estimator mode with and without the static balance
    and in runtime-detection mode: results bit-exact, every counter against the models. Then one
    such layer with signed zeros, subnormals, infinities and NaN payloads among the raw operand bits."""

    def operations(self):
        # Icarus runs the 16 FP lanes at about 150 cycles/s: smaller jobs there, same structure
        icarus = cocotb.SIM_NAME.lower().startswith("icarus")
        m, k, kb, kw = (3, 9, 3, 4) if icarus else (5, 21, 7, 9)
        ops = []
        for i, act in enumerate(ACTS):
            ff = ff_op(self.rng, f"{act}/FF", m, 2 * LANES + 3, k, act, layer=i + 1)
            ops += self.layer_sequence(act, ff, kb, kw)
        # raw special operands in every job of a layer: signed zeros, subnormals, infinities, NaN payloads
        specials = dict(specials=0.1, nans=0.02)
        ff = ff_op(self.rng, "specials/FF", m, 2 * LANES + 3, k, "relu6", layer=len(ACTS) + 1, **specials)
        ops += self.layer_sequence("specials", ff, kb, kw, **specials)
        return self.tag(ops)


@pyuvm.test()
class test_state_edges(NzpcTest):
    """Pre-activations chosen per state: exactly 0 (both signs) and 6, 6's neighbours, subnormals
    (zero), extremes; all-zero and none-zero masks; each activation; the masked BP/WG that follow."""

    def operations(self):
        ops = []
        # (activation, state fractions, columns): all-zero and none-zero masks; 2 x Lanes columns
        # with every line masked whole give BP lanes equal loads (no idle lane)
        wide, even = LANES + 5, 2 * LANES
        cases = [("relu6", ALL_STATES, wide), ("relu", ALL_STATES, wide), ("leakyrelu", ALL_STATES, wide),
                 ("none", ALL_STATES, wide), ("relu", {ZERO: 1.0}, even), ("relu", {LINEAR: 1.0}, wide),
                 ("relu6", {SATURATED: 1.0}, wide), ("relu6", {ZERO: 1.0, SATURATED: 1.0}, wide)]
        for i, (act, fractions, n) in enumerate(cases):
            names = "+".join({ZERO: "zero", LINEAR: "linear", SATURATED: "sat", LEAKY: "neg"}[s] for s in fractions)
            ff = state_ff_op(self.rng, f"states/{act}/{names}/FF", 17, n, act, fractions, layer=10 + i)
            ops += self.layer_sequence(f"states/{act}/{names}", ff)
        return self.tag(ops)


@pyuvm.test()
class test_modes_agree(NzpcTest):
    """Estimator mode, estimator without balance and runtime detection give bit-identical results
    on finite data (the models agree, and each RTL result is checked against its model), while
    their cycle counters differ as the cost model says."""

    def operations(self):
        ff = ff_op(self.rng, "agree/FF", 20, 3 * LANES + 1, 30, "relu6", layer=3)
        ops = self.layer_sequence("agree", ff, kb=2 * LANES + 3, kw=11, zero_allowed=0.4)
        for phase in ("BP", "WG"):
            results = [self.codec.expected(op) for op in ops if op.phase == phase and "readback" not in op.meta]
            assert len(results) == 3 and all(np.array_equal(r.view(np.uint32), results[0].view(np.uint32))
                                             for r in results), f"{phase}: the modes' models differ"
        return self.tag(ops)


@pyuvm.test()
class test_training_records(NzpcTest):
    """Every nzpc record (ReLU, ReLU6, LeakyReLU training; conv2 and fc; first and last step) as a
    sequence FF -> readback -> BP -> WG: the FF job's estimator writes the mask the BP and WG jobs use
    (never re-sent), checked against the training's own state; static balance on."""

    def operations(self):
        return self.tag(record_ops())


@pyuvm.test()
class test_training_records_no_balance(NzpcTest):
    """The records with the balance off (line b*Lanes + j on lane j): what the balance saves."""

    def operations(self):
        return self.tag(record_ops(balance=False, variant="no_balance"))


@pyuvm.test()
class test_training_records_detect(NzpcTest):
    """The records with BP and WG in runtime-detection mode: the detect cycles the estimator avoids."""

    def operations(self):
        return self.tag(record_ops(mode="detect", balance=False, variant="detect"))


@pyuvm.test()
class test_train_rtl(TrainRtlTest, NzpcTest):
    """The digits CNN trained with `nzpc` (ReLU, no BN), the core computing every layer operation
    (BP and WG in detect mode), bit-identical to the golden executor step by step (TRAIN_RTL
    configures it; default one step)."""

    training = NzpcTraining()


@pyuvm.test()
class test_stream_pressure(NzpcTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed, on an FF
    job, its readback and a masked BP job."""

    async def body(self):
        def make(label):
            ff = ff_op(self.rng, f"pressure/{label}/FF", 6, LANES + 3, 19, "relu", layer=4)
            ops = self.layer_sequence(f"pressure/{label}", ff, variants=(("estimator", True),))
            return [op for op in ops if op.phase != "WG"]
        await self.run_pressure_matrix(make)


def small_ff(rng, name: str, layer: int = 2) -> Operation:
    return ff_op(rng, name, 6, 7, 13, "relu", layer=layer)


@pyuvm.test()
class test_bad_configurations(NzpcTest):
    """Each common fault and the mask faults (a masked job after a reset: MASK_MISSING; another layer
    tag: MASK_STALE; dims that differ from the FF's: MASK_SHAPE, BP and WG) ends in STATUS.error with
    its code, and the next job completes (a masked job after the stale/shape faults: the mask stays)."""

    async def body(self):
        ops = []
        for fault in FAULT_ERRORS:
            bad = small_ff(self.rng, f"fault/{fault}")
            bad.fault = fault
            ops += [bad, small_ff(self.rng, f"after/{fault}")]
        await self.run_ops(self.tag(ops))
        await self.reset()                                  # no mask on chip
        ff = small_ff(self.rng, "mask/FF", layer=5)
        masked = mask_ops(self.rng, "mask", ff, self.codec.state_after(ff), 5, 6, variants=(("estimator", True),))
        missing = [Operation(f"fault/mask_missing/{op.phase}", op.phase, dict(op.operands), "mask_missing", dict(op.meta))
                   for op in masked]
        missing.append(readback_op("fault/mask_missing/readback", self.codec.state_after(ff), 5))
        missing[-1].fault = "mask_missing"
        ops = missing + [ff]
        for fault in ("mask_stale", "mask_shape"):
            for op in masked:
                ops.append(Operation(f"fault/{fault}/{op.phase}", op.phase, dict(op.operands), fault, dict(op.meta)))
                ops.append(op)
        await self.run_ops(self.tag(ops))


@pyuvm.test()
class test_error_priority(NzpcTest):
    """Two or more errors in one job follow the shell's one priority, the mask codes included
    (DIM_ZERO > DIM_OVERSIZE > BAD_PHASE > MASK_STALE > MASK_SHAPE; configuration over stream over
    NOT_LOADED); every case is followed by a good masked job."""

    def priority_cases(self):
        return self.PRIORITY_CASES + (
            ("phase over mask", None, ("bad_phase", "mask_stale"), "BAD_PHASE"),
            ("zero over mask", None, ("zero_dim", "mask_shape"), "DIM_ZERO"),
            ("stale over shape", None, ("mask_shape", "mask_stale"), "MASK_STALE"),
            ("mask over stream", "short", ("mask_stale",), "MASK_STALE"),
            ("mask over not loaded", "not_loaded", ("mask_shape",), "MASK_SHAPE"),
        )

    async def body(self):
        ff = small_ff(self.rng, "priority/FF", layer=6)
        await self.run_ops(self.tag([ff]))
        state = self.codec.state_after(ff)
        await self.run_error_priority(
            lambda name: mask_ops(self.rng, name, ff, state, 5, 6, variants=(("estimator", True),))[0])


@pyuvm.test()
class test_reset_mid_operation(NzpcTest):
    """A hard and a soft reset in every phase of an FF job (configuration, operand load, compute,
    result drain with the stream stalled and flowing; a soft-reset cut frame ends legally with a
    marker), then a soft reset during an FF compute (the mask it was writing is invalid: the next
    masked job ends in MASK_MISSING) and during a masked BP compute (the mask stays): each time the
    next job completes and is correct."""

    async def body(self):
        big = lambda name, layer=7: ff_op(self.rng, name, 16, 4 * LANES, 200, "relu", layer=layer)  # noqa: E731
        await self.reset_every_phase(big, lambda label: small_ff(self.rng, label),
                                     lambda label: ff_op(self.rng, label, 16, LANES + 3, 19, "relu", layer=13))
        ff = big("interrupted/soft_ff", layer=8)
        await self.interrupt(ff, "compute", soft=True, after_cycles=50)
        stale = mask_ops(self.rng, "after_soft_ff", ff, self.codec.state_after(ff), 5, 6,
                         variants=(("estimator", True),))[0]
        stale.fault = "mask_missing"
        good = ff_op(self.rng, "soft/FF", 8, LANES + 2, 40, "relu6", layer=9)
        ops = [stale] + self.layer_sequence("soft", good, kb=40, kw=9, variants=(("estimator", True),))
        await self.run_ops(self.tag(ops))
        await self.interrupt(ops[-2], "compute", soft=True, after_cycles=20)    # the masked BP job
        await self.run_ops(self.tag(ops[-2:]))

@pyuvm.test()
class test_largest_shapes(NzpcTest):
    """The largest jobs the buffers take: P = 256 inner positions, the most lines, C full."""

    def operations(self):
        p = PARAMS
        q_max = min(p["QMax"], p["SWords"] // 16 * LANES)
        rows = p["CWords"] // (q_max // LANES)
        ff = ff_op(self.rng, f"largest/FF/{rows}x{q_max}x256", min(rows, 256), q_max, 256, "relu", layer=11)
        return self.tag([ff, ff_op(self.rng, "largest/FF_rows", 256, LANES, 16, "relu6", layer=12)])


@pyuvm.test()
class test_stream_fuzz(NzpcTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: small_ff(self.rng, label))


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(NzpcTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag([small_ff(self.rng, "corrupted")])
