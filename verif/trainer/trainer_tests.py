"""pyuvm tests of the Trainer core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=trainer` (all tests) or `make sim DESIGN=trainer TESTS=<name>`.
"""
from __future__ import annotations

import pyuvm

from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest, Operation
from verif.trainer import trainer_coverage
from verif.trainer.trainer_codec import CORE_FAULTS, DATAFLOWS, KSTEP, TrainerCodec
from verif.common.train_rtl import TrainRtlTest
from verif.trainer.trainer_stimulus import TrainerTraining, GRID, masked_op, random_op, record_ops, spec_op, with_bn

CORE = load_core("trainer")
PARAMS = active_parameters(CORE)  # the size this simulation was built with
LANES = PARAMS["Lanes"]


class TrainerTest(AccelBaseTest):
    codec_class = TrainerCodec
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(trainer_coverage.sample)


@pyuvm.test()
class test_random_grid(TrainerTest):
    """The (weight, activation) sparsity grid 0/50/75/90 % x 0/50/75/90 % in both dataflows; FF, BP
    and WG in turn; no skips, so every output is exact."""

    def operations(self):
        ops = []
        for i, (sa, sb) in enumerate((sa, sb) for sa in GRID for sb in GRID):
            for mode in DATAFLOWS:
                phase = ("FF", "BP", "WG")[i % 3]
                ops.append(random_op(self.rng, f"grid/{int(sa*100)}-{int(sb*100)}/{mode}", 9, 2 * LANES + 3, 37,
                                     sa, sb, phase, dataflow=mode))
        return self.tag(ops)


@pyuvm.test()
class test_edge_shapes(TrainerTest):
    """1x1x1, K below and at one X word, M and N below, at and past a tile of lanes, specials
    (signed zeros, subnormals as IEEE values, infinities), in both dataflows."""

    def operations(self):
        shapes = [(1, 1, 1), (1, LANES, KSTEP), (LANES, 1, KSTEP + 1), (LANES + 1, LANES - 1, 3),
                  (3, 2 * LANES, 2 * KSTEP)]
        ops = [random_op(self.rng, f"edge/{m}x{n}x{k}/{mode}", m, n, k, 0.3, 0.3, dataflow=mode)
               for m, n, k in shapes for mode in DATAFLOWS]
        ops += [random_op(self.rng, f"specials/{mode}", 7, 11, 19, 0.2, 0.2, specials=0.2, dataflow=mode)
                for mode in DATAFLOWS]
        ops.append(random_op(self.rng, "all_zero_a", 5, 6, 40, 1.0, 0.2))
        return self.tag(ops)


@pyuvm.test()
class test_speculation(TrainerTest):
    """FF speculation: rules that skip none, half and all of the outputs, keep 0..SpecBits mantissa
    bits, both dataflows; the same operands with speculation off and in audit mode (every output
    computed, mis-speculations counted). Results and every counter against models/golden.py."""

    def operations(self):
        ops = []
        for mode in DATAFLOWS:
            for keep in range(PARAMS["SpecBits"] + 1):
                ops.append(spec_op(self.rng, f"spec/keep{keep}/{mode}", 10, LANES + 5, 40, keep=keep, dataflow=mode))
            for split in (0.0, 1.0):
                ops.append(spec_op(self.rng, f"spec/split{split}/{mode}", 6, LANES, 24, split=split, dataflow=mode))
            base = spec_op(self.rng, f"spec/same/{mode}", 8, 2 * LANES, 48, dataflow=mode)
            off = Operation(f"spec/same_off/{mode}", "FF", dict(base.operands), meta={**base.meta, "spec": False})
            audit = Operation(f"spec/same_audit/{mode}", "FF", dict(base.operands), meta={**base.meta, "audit": True})
            ops += [base, off, audit]
        return self.tag(ops)


@pyuvm.test()
class test_output_masks(TrainerTest):
    """BP outputs on zero-derivative positions and WG outputs of pruned weights are not computed
    (written +0), whole tiles skipped; the same jobs with the mask off compute everything."""

    def operations(self):
        ops = []
        for mode in DATAFLOWS:
            for phase in ("BP", "WG"):
                for masked in (0.0, 0.5, 1.0):
                    ops.append(masked_op(self.rng, f"mask/{phase}/{masked}/{mode}", phase, 11, LANES + 7, 30,
                                         masked, dataflow=mode))
                off = masked_op(self.rng, f"mask/{phase}/off/{mode}", phase, 11, LANES + 7, 30, 0.5, dataflow=mode)
                off.meta["skip"] = False
                ops.append(off)
        return self.tag(ops)


@pyuvm.test()
class test_bn_statistics(TrainerTest):
    """BN statistics bit-exact: FF sum and sum of squares, BP sum and sum of dy * x-hat, one-pass and
    two-pass, both dataflows, rows not a multiple of the lanes, with and without speculation."""

    def operations(self):
        ops = []
        for mode in DATAFLOWS:
            for bn in (1, 2):
                ops.append(with_bn(self.rng, random_op(self.rng, f"bn/FF/{bn}/{mode}", LANES + 3, 21, 33, 0.4, 0.4,
                                                       "FF", dataflow=mode), bn))
                ops.append(with_bn(self.rng, random_op(self.rng, f"bn/BP/{bn}/{mode}", 2 * LANES - 1, 13, 17, 0.4,
                                                       0.4, "BP", dataflow=mode), bn))
                ops.append(with_bn(self.rng, spec_op(self.rng, f"bn/FF_spec/{bn}/{mode}", 7, LANES + 2, 30,
                                                     dataflow=mode), bn))
            ops.append(with_bn(self.rng, masked_op(self.rng, f"bn/BP_masked/{mode}", "BP", 9, 12, 20, 0.5,
                                                   dataflow=mode), 1))
        return self.tag(ops)


@pyuvm.test()
class test_training_records(TrainerTest):
    """Every trainer record (conv2 and fc, FF/BP/WG, early and late step) as the runtime runs it:
    recorded dataflow, FF speculation with the recorded rule, BP/WG masks, BN of conv FF outputs."""

    def operations(self):
        return self.tag(record_ops())


@pyuvm.test()
class test_training_records_no_skips(TrainerTest):
    """The same records with speculation and masks off: what the skips save, measured."""

    def operations(self):
        return self.tag(record_ops(spec=False, skips=False))


@pyuvm.test()
class test_training_records_two_pass_bn(TrainerTest):
    """The records with BN statistics computed two-pass (a second read of C): the BN SRAM reads
    that one-pass saves, on the same operations."""

    def operations(self):
        return self.tag([op for op in record_ops(bn=2, variant="two_pass_bn") if op.meta.get("bn")])


@pyuvm.test()
class test_training_records_audit(TrainerTest):
    """The speculated records in audit mode: every output computed too, so the core counts the
    mis-speculations (SPEC_WRONG) on real training data; results as in normal mode."""

    def operations(self):
        ops = [op for op in record_ops(variant="audit") if op.meta.get("spec")]
        for op in ops:
            op.meta["audit"] = True
        return self.tag(ops)


@pyuvm.test()
class test_dataflow_sweep(TrainerTest):
    """Every record in RECORDS (default the trainer's) in both dataflows with every skip and BN off
    (variants @compress_A, @compress_B): the dataflows on the same operands (scripts/grid.py)."""

    def operations(self):
        return self.tag([op for mode in DATAFLOWS for op in
                         record_ops(spec=False, skips=False, bn=0, dataflow=mode, variant=mode)])


@pyuvm.test()
class test_train_rtl(TrainRtlTest, TrainerTest):
    """The digits CNN trained with `trainer` (speculation, output skipping), the core computing every
    layer operation, bit-identical to the golden executor step by step (TRAIN_RTL configures it;
    default one step)."""

    training = TrainerTraining()


@pyuvm.test()
class test_stream_pressure(TrainerTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed, on a
    speculated FF job with BN (every operand buffer but the mask)."""

    async def body(self):
        await self.run_pressure_matrix(
            lambda label: [with_bn(self.rng, spec_op(self.rng, f"pressure/{label}", 9, LANES + 3, 25), 1)])


CORE_FAULT_OPS = {
    "bad_dataflow": lambda rng: random_op(rng, "fault/bad_dataflow", 6, 7, 13),
    "bad_bn_mode": lambda rng: random_op(rng, "fault/bad_bn_mode", 6, 7, 13),
    "bn_on_wg": lambda rng: random_op(rng, "fault/bn_on_wg", 6, 7, 13, phase="WG"),
    "spec_bits": lambda rng: spec_op(rng, "fault/spec_bits", 6, 7, 13),
    "rule_missing": lambda rng: spec_op(rng, "fault/rule_missing", 6, 7, 13),
    "mask_missing": lambda rng: masked_op(rng, "fault/mask_missing", "BP", 6, 7, 13),
}


@pyuvm.test()
class test_bad_configurations(TrainerTest):
    """Each common and core fault ends in STATUS.error with its ERR_CODE (BAD_DATAFLOW, BAD_BN_MODE,
    BN_PHASE, SPEC_BITS, NOT_LOADED for a missing rule or mask buffer); the next job then completes."""

    def operations(self):
        ops = []
        for fault in list(FAULT_ERRORS) + list(CORE_FAULTS):
            make = CORE_FAULT_OPS.get(fault, lambda rng, f=fault: random_op(rng, f"fault/{f}", 6, 7, 13, 0.2, 0.2))
            bad = make(self.rng)
            bad.fault = fault
            ops += [bad, spec_op(self.rng, f"after/{fault}", 5, 6, 11)]
        return self.tag(ops)


@pyuvm.test()
class test_error_priority(TrainerTest):
    """Two or more errors in one job follow the shell's one priority, the core's configuration codes
    included (DIM_ZERO > DIM_OVERSIZE > BAD_PHASE > BAD_DATAFLOW > BAD_BN_MODE > BN_PHASE > SPEC_BITS,
    configuration over stream over NOT_LOADED); every case is followed by a good job."""

    def priority_cases(self):
        return self.PRIORITY_CASES + (
            ("phase over core configuration", None, ("bad_phase", "bad_dataflow"), "BAD_PHASE"),
            ("oversize over core configuration", None, ("oversize", "bad_bn_mode"), "DIM_OVERSIZE"),
            ("dataflow over BN mode", None, ("bad_dataflow", "bad_bn_mode"), "BAD_DATAFLOW"),
            ("BN mode over speculation bits", None, ("bad_bn_mode", "spec_bits"), "BAD_BN_MODE"),
            ("core configuration over stream", "short", ("spec_bits",), "SPEC_BITS"),
            ("core configuration over not loaded", "not_loaded", ("bad_dataflow",), "BAD_DATAFLOW"),
        )

    async def body(self):
        await self.run_error_priority(lambda name: spec_op(self.rng, name, 6, 7, 13))


@pyuvm.test()
class test_reset_mid_operation(TrainerTest):
    """A hard and a soft reset in every phase of a speculated job with BN (configuration, operand
    load, compute, result drain with the stream stalled and flowing; a soft-reset cut frame ends
    legally with a marker): each time the core comes back idle and the next job (speculated, masked,
    with BN) completes and is correct."""

    async def body(self):
        smalls = iter([lambda label: spec_op(self.rng, label, 7, 9, 15),
                       lambda label: masked_op(self.rng, label, "WG", 7, 9, 15),
                       lambda label: with_bn(self.rng, spec_op(self.rng, label, 7, 9, 15), 1)] * 3)
        await self.reset_every_phase(
            lambda label: with_bn(self.rng, spec_op(self.rng, label, 16, 4 * LANES, 200, 0.2, 0.2), 2),
            lambda label: next(smalls)(label),
            lambda label: spec_op(self.rng, label, 16, 2 * LANES, 40))

@pyuvm.test()
class test_largest_shapes(TrainerTest):
    """The largest jobs the buffers take: a speculated FF job with K = MaxSpecK, and C full."""

    def operations(self):
        p = PARAMS
        k = p["MaxSpecK"]
        c_rows = p["CWords"] // 256 * LANES
        return self.tag([spec_op(self.rng, f"largest/K{k}", 2, LANES, k, 0.5, 0.5, dataflow="compress_A"),
                         random_op(self.rng, f"largest/C{c_rows}x256", c_rows, 256, 3, 0.3, 0.3,
                                   dataflow="compress_A")])


@pyuvm.test()
class test_stream_fuzz(TrainerTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: spec_op(self.rng, label, 7, 9, 15))


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(TrainerTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag([spec_op(self.rng, "corrupted", 5, 5, 5)])

