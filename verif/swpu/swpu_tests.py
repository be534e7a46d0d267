"""pyuvm tests of the SWPU core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=swpu` (all tests) or `make sim DESIGN=swpu TESTS=<name>`.
"""
from __future__ import annotations

import cocotb
import pyuvm

from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest
from verif.swpu import swpu_coverage
from verif.swpu.swpu_codec import SwpuCodec
from verif.common.train_rtl import TrainRtlTest
from verif.swpu.swpu_stimulus import SwpuTraining, random_layer_ops, record_ops

CORE = load_core("swpu")
PARAMS = active_parameters(CORE)  # the array size this simulation was built with
# Icarus runs this core at about 100 cycles/s (the compaction and scatter networks re-evaluate on
# every lane event), so on Icarus the records test keeps to the records below this size (fc).
ICARUS_MAX_RECORD_MACS = 20_000


class SwpuCodecFromManifest(SwpuCodec):
    def __init__(self, csr_map):
        p = PARAMS
        super().__init__(csr_map, p["Rows"], p["Cols"], p["Lanes"], p["AWords"], p["BWords"],
                         p["CWords"], p["MaskWords"])


class SwpuTest(AccelBaseTest):
    codec_class = SwpuCodecFromManifest
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(swpu_coverage.sample)


@pyuvm.test()
class test_random_masks(SwpuTest):
    """FF, BP and WG with random line masks from 0 to 95% line sparsity, with and without shape
    pruning, in clustered and natural order; then with signed zeros, subnormals, infinities and NaN
    payloads among the raw operand bits."""

    def operations(self):
        ops = []
        for i, (line, shape) in enumerate(((0.0, 0.0), (0.2, 0.1), (0.45, 0.0), (0.7, 0.2), (0.85, 0.1), (0.95, 0.0))):
            order = "natural" if i % 2 else "clustered"
            ops += random_layer_ops(self.rng, f"masks/{int(line*100)}-{int(shape*100)}", 11, 3, 3, 21,
                                    line, shape, order=order)
        # raw special operands: signed zeros, subnormals (IEEE values), infinities, NaN payloads
        ops += random_layer_ops(self.rng, "specials/light", 9, 2, 3, 13, 0.3, 0.1, order="natural", specials=0.05)
        ops += random_layer_ops(self.rng, "specials/nan_payloads", 9, 2, 3, 13, 0.3, 0.1, specials=0.2, nans=0.05)
        return self.tag(ops)


@pyuvm.test()
class test_mask_edges(SwpuTest):
    """Everything pruned, nothing pruned, shape-only and line-only pruning, line widths 1 to 4,
    ragged group and tile edges, both orders."""

    def operations(self):
        ops = []
        ops += random_layer_ops(self.rng, "edge/all_pruned", 9, 2, 3, 17, 1.0, 0.0)
        ops += random_layer_ops(self.rng, "edge/nothing_pruned", 9, 2, 3, 17, 0.0, 0.0, order="natural")
        ops += random_layer_ops(self.rng, "edge/shape_only", 10, 3, 3, 18, 0.0, 0.5)
        ops += random_layer_ops(self.rng, "edge/all_shapes_pruned", 5, 2, 3, 9, 0.0, 1.0, phases=("FF", "WG"))
        for kw in (1, 2, 4):
            ops += random_layer_ops(self.rng, f"edge/line_w{kw}", 13, 3, 2, 33, 0.6, 0.2, kw=kw)
        ops += random_layer_ops(self.rng, "edge/one_row", 1, 1, 1, 1, 0.0, 0.0, kw=1)
        return self.tag(ops)


@pyuvm.test()
class test_training_records(SwpuTest):
    """FF, BP and WG of conv2 and fc recorded from real `swpu` training at step 0 and at the last
    step, in clustered and natural order (RECORDS=<dir> overrides the records folder; Icarus: fc only)."""

    def operations(self):
        icarus = cocotb.SIM_NAME.lower().startswith("icarus")
        return self.tag(record_ops(max_macs=ICARUS_MAX_RECORD_MACS if icarus else None))


@pyuvm.test()
class test_train_rtl(TrainRtlTest, SwpuTest):
    """The digits CNN trained with `swpu` pruning, the core computing every layer operation,
    bit-identical to the golden executor step by step (TRAIN_RTL configures it; default one step)."""

    training = SwpuTraining()


@pyuvm.test()
class test_stream_pressure(SwpuTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed."""

    async def body(self):
        await self.run_pressure_matrix(
            lambda label: random_layer_ops(self.rng, f"pressure/{label}", 9, 2, 3, 19, 0.5, 0.1, phases=("FF",)))


@pyuvm.test()
class test_bad_configurations(SwpuTest):
    """Every common fault and every SWPU fault (line width, mask bit past a row's end, schedule entry
    out of range or repeated) ends in STATUS.error with its ERR_CODE; the next job completes."""

    def operations(self):
        ops = []
        for fault in list(FAULT_ERRORS) + list(SwpuCodec.core_faults):
            bad = random_layer_ops(self.rng, f"fault/{fault}", 10, 2, 3, 12, 0.4, 0.1, phases=("FF",))[0]
            bad.fault = fault
            good = random_layer_ops(self.rng, f"after/{fault}", 7, 2, 3, 10, 0.4, 0.1, phases=("BP",))[0]
            ops += [bad, good]
        return self.tag(ops)


@pyuvm.test()
class test_error_priority(SwpuTest):
    """Two or more errors in one job: ERR_CODE follows the shell's one priority, with the SWPU
    configuration code LINE_WIDTH below DIM_ZERO, DIM_OVERSIZE and BAD_PHASE and above the stream
    errors and NOT_LOADED; every case is followed by a good job."""
    SWPU_CASES = (
        ("phase over line width", None, ("line_width", "bad_phase"), "BAD_PHASE"),
        ("dimensions over line width", None, ("line_width", "oversize"), "DIM_OVERSIZE"),
        ("zero over line width", None, ("line_width", "zero_dim"), "DIM_ZERO"),
        ("line width over stream", "short", ("line_width",), "LINE_WIDTH"),
        ("line width over not loaded", "not_loaded", ("line_width",), "LINE_WIDTH"),
    )

    def priority_cases(self):
        return self.PRIORITY_CASES + self.SWPU_CASES

    async def body(self):
        await self.run_error_priority(
            lambda name: random_layer_ops(self.rng, name, 7, 2, 3, 10, 0.4, 0.1, phases=("FF",))[0])


@pyuvm.test()
class test_reset_mid_operation(SwpuTest):
    """A hard and a soft reset in every phase of a job (configuration, operand load, compute, result
    drain with the stream stalled and flowing; a soft-reset cut frame ends legally with a marker):
    each time the core comes back idle and the next job completes and is correct."""

    async def body(self):
        await self.reset_every_phase(
            lambda label: random_layer_ops(self.rng, label, 24, 4, 3, 64, 0.3, 0.0, phases=("WG",))[0],
            lambda label: random_layer_ops(self.rng, label, 9, 2, 3, 19, 0.5, 0.1, phases=("FF",))[0],
            lambda label: random_layer_ops(self.rng, label, 24, 2, 3, 16, 0.3, phases=("FF",))[0])

@pyuvm.test()
class test_stream_fuzz(SwpuTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: random_layer_ops(self.rng, label, 9, 2, 3, 19, 0.5, 0.1, phases=("FF",))[0])


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(SwpuTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag(random_layer_ops(self.rng, "corrupted", 5, 2, 3, 6, 0.3, 0.0, phases=("FF",)))
