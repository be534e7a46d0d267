"""pyuvm tests of the dense baseline core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=dense` (all tests) or `make sim DESIGN=dense TESTS=<name>`.
"""
from __future__ import annotations

import os

import pyuvm

from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest
from verif.dense import dense_coverage
from verif.dense.dense_codec import LANES, DenseCodec
from verif.common.train_rtl import TrainRtlTest
from verif.dense.dense_stimulus import EDGE_SHAPES, DenseTraining, layer_phase_ops, random_op, record_ops

CORE = load_core("dense")
PARAMS = active_parameters(CORE)  # the array size this simulation was built with


class DenseCodecFromManifest(DenseCodec):
    def __init__(self, csr_map):
        p = PARAMS
        super().__init__(csr_map, p["Rows"], p["Cols"], p["AWords"], p["BWords"], p["CWords"], p["TileRows"])


class DenseTest(AccelBaseTest):
    codec_class = DenseCodecFromManifest
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(dense_coverage.sample)


@pyuvm.test()
class test_random_shapes(DenseTest):
    """Edge shapes (1x1x1, below a tile, ragged M/N/K) and random shapes up to 24x24x40."""

    def operations(self):
        ops = [random_op(self.rng, f"edge/{m}x{n}x{k}", m, n, k) for m, n, k in EDGE_SHAPES]
        for i in range(6):
            m, n, k = (int(v) for v in self.rng.integers(1, (25, 25, 41)))
            ops.append(random_op(self.rng, f"random{i}/{m}x{n}x{k}", m, n, k))
        return self.tag(ops)


@pyuvm.test()
class test_sparsity_and_specials(DenseTest):
    """Operand sparsity 0..95% on both sides, then signed zeros, subnormals, infinities, extremes."""

    def operations(self):
        ops = []
        for s in (0.0, 0.2, 0.45, 0.7, 0.85, 0.95):
            ops.append(random_op(self.rng, f"sparsity/{int(s*100)}", 12, 10, 33, s, s))
        ops.append(random_op(self.rng, "sparsity/mixed", 9, 12, 20, 0.9, 0.1))
        ops.append(random_op(self.rng, "specials/light", 8, 8, 24, 0.3, 0.3, specials=0.05))
        ops.append(random_op(self.rng, "specials/heavy", 6, 5, 9, 0.2, 0.2, specials=0.5))
        ops.append(random_op(self.rng, "specials/nan_payloads", 7, 6, 11, 0.2, 0.2, specials=0.2, nans=0.1))
        return self.tag(ops)


@pyuvm.test()
class test_layer_phases(DenseTest):
    """FF, BP and WG of a small conv layer and an FC layer, lowered as the trainer lowers them."""

    def operations(self):
        return self.tag(layer_phase_ops(self.rng))


@pyuvm.test()
class test_training_records(DenseTest):
    """Operations recorded from real training (RECORDS=<dir>, default models/data/records)."""

    def operations(self):
        # The default folder holds every method's records: keep to the smaller ones. A folder named
        # with RECORDS runs whole (make compare relies on that).
        return self.tag(record_ops(max_macs=None if os.environ.get("RECORDS") else 400_000))


@pyuvm.test()
class test_train_rtl(TrainRtlTest, DenseTest):
    """The digits CNN trained with the core computing every layer operation, bit-identical to the
    golden executor step by step (TRAIN_RTL configures it; default one step, make train-rtl more)."""

    training = DenseTraining()


@pyuvm.test()
class test_stream_pressure(DenseTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed."""

    async def body(self):
        await self.run_pressure_matrix(lambda label: [random_op(self.rng, f"pressure/{label}", 9, 14, 19, 0.3, 0.3)])


@pyuvm.test()
class test_bad_configurations(DenseTest):
    """Each fault ends in STATUS.error with its ERR_CODE; the next job then completes correctly."""

    def operations(self):
        ops = []
        for fault in FAULT_ERRORS:
            bad = random_op(self.rng, f"fault/{fault}", 6, 7, 13, 0.2, 0.2)
            bad.fault = fault
            ops += [bad, random_op(self.rng, f"after/{fault}", 5, 6, 11, 0.2, 0.2)]
        return self.tag(ops)


@pyuvm.test()
class test_error_priority(DenseTest):
    """Two or more errors in one job (a frame error, then configuration errors at start; two
    configuration errors; a busy start with an invalid phase): ERR_CODE follows the one priority,
    and every case is followed by a good job."""

    async def body(self):
        await self.run_error_priority(lambda name: random_op(self.rng, name, 6, 7, 13, 0.2, 0.2))


@pyuvm.test()
class test_reset_mid_operation(DenseTest):
    """A hard and a soft reset in every phase of a job (configuration, operand load, compute, result
    drain with the stream stalled and flowing; a soft-reset cut frame ends legally with a marker):
    each time the core comes back idle and the next job completes and is correct."""

    async def body(self):
        await self.reset_every_phase(lambda label: random_op(self.rng, label, 16, 16, 200),
                                     lambda label: random_op(self.rng, label, 7, 9, 15, 0.3, 0.3),
                                     lambda label: random_op(self.rng, label, 12, 16, 9))


@pyuvm.test()
class test_largest_shapes(DenseTest):
    """The largest operations that fit the buffers: one output tile with K filling A or B (a word
    holds 16/(Rows*TileRows) k-steps of A, 16/Cols of B), and C full (256 columns)."""

    def operations(self):
        p = PARAMS
        tile_m = p["Rows"] * p["TileRows"]
        k_max = min(LANES // tile_m * p["AWords"], LANES // p["Cols"] * p["BWords"])
        c_rows = p["CWords"] * p["Cols"] // 256
        return self.tag([random_op(self.rng, f"largest/K{k_max}", tile_m, p["Cols"], k_max, 0.5, 0.5),
                         random_op(self.rng, f"largest/C{c_rows}x256", c_rows, 256, 4, 0.3, 0.3)])


@pyuvm.test()
class test_stream_fuzz(DenseTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: random_op(self.rng, label, 6, 7, 13, 0.3, 0.3))


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(DenseTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag([random_op(self.rng, "corrupted", 5, 5, 5)])
