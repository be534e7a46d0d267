"""pyuvm tests of the RowPipe core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=rowpipe` (all tests) or `make sim DESIGN=rowpipe TESTS=<name>`.
CONV jobs run one image through two frozen conv layers (row pipeline or layer by layer); HEAD jobs are
the FP16 head's FF, BP and WG GEMMs. Every result is compared bit for bit with models/, and every
line-buffer, read and dequantizer counter with the codec's count (verif/rowpipe/rowpipe_codec.py).
"""
from __future__ import annotations

import cocotb
import numpy as np
import pyuvm

from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest, Operation
from verif.rowpipe import rowpipe_coverage
from verif.rowpipe.rowpipe_codec import ConvGeometry, RowpipeCodec
from verif.common.train_rtl import TrainRtlTest
from verif.rowpipe.rowpipe_stimulus import RowpipeTraining, conv_op, head_op, record_ops

CORE = load_core("rowpipe")
PARAMS = active_parameters(CORE)  # the size this simulation was built with
P = PARAMS["StageMacs"]


def on_icarus() -> bool:
    return cocotb.SIM_NAME.lower().startswith("icarus")


class RowpipeTest(AccelBaseTest):
    codec_class = RowpipeCodec
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(rowpipe_coverage.sample)

    def small_conv(self, name: str, **kw) -> Operation:
        shape = dict(h=6, w=5, c0=3, c1=P + 2, c2=P - 1)
        shape.update(kw)
        return conv_op(self.rng, name, **shape)


@pyuvm.test()
class test_random_pairs(RowpipeTest):
    """Random CONV jobs (pool on and off, row pipeline and layer by layer, channels that fill and do
    not fill a group of StageMacs) and HEAD jobs in FF, BP and WG, two of them with signed zeros,
    subnormals, infinities and NaN payloads among the raw operand bits: results and counters."""

    def operations(self):
        icarus = on_icarus()   # Icarus runs the FP dequantizers slowly: fewer, smaller jobs there
        h, w = (6, 6) if icarus else (8, 8)     # layer by layer holds 8 rows (Banks x BankRows)
        ops = []
        for i, (pool, layerwise) in enumerate(((False, False), (True, False), (False, True), (True, True))):
            c1 = P + 3 if i % 2 else 2 * P
            ops.append(conv_op(self.rng, f"pair{i}/pool{int(pool)}/lw{int(layerwise)}", h, w, 3, c1, P + 1,
                               pool=pool, layerwise=layerwise))
            if icarus and i == 1:
                break
        for phase in ("FF", "BP", "WG"):
            ops.append(head_op(self.rng, f"head/{phase}", phase, 9, 6, 21))
        ops.append(head_op(self.rng, "head/1x1x1", "FF", 1, 1, 1))     # every dimension at its smallest
        # raw special operands: signed zeros, subnormals (IEEE values), infinities, NaN payloads
        ops += [head_op(self.rng, "head/specials", "BP", 8, 7, 24, 0.3, specials=0.05),
                head_op(self.rng, "head/nan_payloads", "WG", 7, 6, 11, 0.2, specials=0.2, nans=0.1)]
        return self.tag(ops)


@pyuvm.test()
class test_modes_agree(RowpipeTest):
    """The same CONV jobs in the row pipeline and layer by layer: results bit-identical to each other
    (and to models/), the pipeline ran both layers at once, used at most K2 + 1 rows and finished in
    fewer cycles; layer by layer held the whole map and never overlapped."""

    async def body(self):
        icarus = on_icarus()
        shapes = [dict(h=8, w=6, c0=2, c1=P, c2=P, pool=False),
                  dict(h=12, w=6, c0=4, c1=P + 1, c2=3, pool=True)]    # 6 rows after the pool
        results = {}
        for i, shape in enumerate(shapes[:1] if icarus else shapes):
            seed = int(self.rng.integers(1 << 31))
            for layerwise in (False, True):
                op = conv_op(np.random.default_rng(seed), f"agree{i}/{'layerwise' if layerwise else 'pipeline'}",
                             layerwise=layerwise, **shape)
                res = await self.env.agent.driver.execute(self.tag([op])[0])
                self.env.agent.driver.ap.write(res)
                results[(i, layerwise)] = res
            pipe, whole = results[(i, False)], results[(i, True)]
            assert pipe.result is not None and whole.result is not None, f"agree{i}: a job failed"
            assert np.array_equal(pipe.result, whole.result), f"agree{i}: the modes' results differ"
            cp, cw = pipe.counters, whole.counters
            assert cp["CYC_COMPUTE"] < cw["CYC_COMPUTE"], \
                f"agree{i}: the pipeline took {cp['CYC_COMPUTE']} cycles, layer by layer {cw['CYC_COMPUTE']}"
            assert cp["PEAK_ROWS"] < cw["PEAK_ROWS"], f"agree{i}: PEAK_ROWS {cp['PEAK_ROWS']} vs {cw['PEAK_ROWS']}"
            self.logger.info(f"agree{i}: pipeline {cp['CYC_COMPUTE']} cycles, {cp['PEAK_ROWS']} rows, "
                             f"both busy {cp['BOTH_BUSY']}; layer by layer {cw['CYC_COMPUTE']} cycles, "
                             f"{cw['PEAK_ROWS']} rows")


@pyuvm.test()
class test_extremes(RowpipeTest):
    """INT4 weights only -8 and 7, UINT4 inputs only 0 and 15 (the largest accumulators), requantize
    saturating at 15 and ReLU'ing negatives, ties x.5 rounding to even, layer-2 outputs overflowing to
    +-inf; the dequantizer's subnormal scale, shift and results (IEEE values); in both modes and with pool."""

    def operations(self):
        ops = [conv_op(self.rng, "extremes/pipeline", 6, 6, 4, P, 4, extremes=True, subnormals=True),
               conv_op(self.rng, "extremes/pool_layerwise", 6, 6, 3, P + 2, 3, extremes=True, pool=True,
                       layerwise=True, subnormals=True)]
        return self.tag(ops[:1] if on_icarus() else ops)


@pyuvm.test()
class test_kernels_and_heights(RowpipeTest):
    """Kernels 1..Banks-1 on both layers with every padding below the kernel, heights of one row up to
    the most layer by layer holds (Banks x BankRows rows at K2 = Banks - 1), widths up to a full bank
    row (Wi2 x G(c1) = RowWords)."""

    def operations(self):
        banks, bank_rows, row_words = PARAMS["Banks"], PARAMS["BankRows"], PARAMS["RowWords"]
        kmax = banks - 1
        ops = []
        for k1 in range(1, kmax + 1):
            for k2 in range(1, kmax + 1):
                p1, p2 = int(self.rng.integers(k1)), int(self.rng.integers(k2))
                # 5 x 5: even K1 = K2 = 3 without padding leaves a 1 x 1 output
                ops.append(conv_op(self.rng, f"k{k1}p{p1}/k{k2}p{p2}", 5, 5, 2, P, 3, k1=k1, p1=p1, k2=k2, p2=p2))
        tall = banks * bank_rows                       # layer 2's input rows layer by layer can hold
        ops += [conv_op(self.rng, "one_row", 1, 4, 2, 3, 2, k1=1, p1=0, k2=1, p2=0),
                conv_op(self.rng, "one_row_padded", 1, 3, 1, 2, 2, k1=kmax, p1=kmax - 1, k2=kmax, p2=kmax - 1),
                conv_op(self.rng, f"tallest_layerwise/{tall}", tall, 3, 1, 2, 2, k2=kmax, p2=1, layerwise=True),
                conv_op(self.rng, f"tall_pipeline/{2 * tall}", 2 * tall, 3, 1, 2, 2, k2=kmax, p2=1),
                conv_op(self.rng, f"widest_row/{row_words}", 2, row_words, 1, P, 2, k1=1, p1=0)]
        return self.tag(ops)


@pyuvm.test()
class test_training_records(RowpipeTest):
    """The records of rowpipe training (digits 5-9 on the frozen INT4 backbone; first and last step):
    conv1 -> conv2 and conv2 -> pool -> conv3 in the row pipeline on each recorded image (layer 1's
    input map and both layers' weights and dequantizer words from the records), and every FF, BP and
    WG GEMM of the FP16 head."""

    def operations(self):
        return self.tag(record_ops())


@pyuvm.test()
class test_training_records_layerwise(RowpipeTest):
    """The conv pairs of the records layer by layer (the whole intermediate map buffered)."""

    def operations(self):
        return self.tag([op for op in record_ops(layerwise=True, variant="layerwise") if op.meta["kind"] == "conv"])


@pyuvm.test()
class test_train_rtl(TrainRtlTest, RowpipeTest):
    """Transfer learning with `rowpipe` (frozen INT4 backbone, FP16 head), the core computing the
    head's operations, bit-identical to the golden executor step by step (TRAIN_RTL configures it;
    default one step)."""

    training = RowpipeTraining()


@pyuvm.test()
class test_stream_pressure(RowpipeTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed, on a CONV
    job in the row pipeline and a HEAD job; the conflict counter stays 0 (scoreboard)."""

    async def body(self):
        await self.run_pressure_matrix(lambda label: [self.small_conv(f"pressure/{label}/conv", h=5, w=4),
                                                      head_op(self.rng, f"pressure/{label}/head", "FF", 5, 6, 9)])


def buffer_words() -> dict[str, int]:
    """Words each CONV buffer holds at the built size."""
    return {"W1": PARAMS["WWords"], "W2": PARAMS["WWords"], "X": PARAMS["XWords"], "C": PARAMS["CWords"]}


def limit_geometry(codec: RowpipeCodec, buffer: str, words: int) -> ConvGeometry | None:
    """The cheapest CONV geometry (fewest MAC and dequantizer operations and loaded words) whose buffer
    `buffer` (W1, W2, X or C, codec.geometry_words) holds exactly `words` words while the other buffers
    and a line-buffer row fit, in the row pipeline with no padding; None if there is none."""
    limits = buffer_words()
    kmax, cpw = PARAMS["Banks"] - 1, 64 // P

    def runs():
        """Runs of geometries whose `buffer` words grow along the run (a run ends once past `words`);
        channel counts that only set a word count are the fewest that give it."""
        if buffer in ("W1", "W2"):      # one output position: the weights make the words
            for k in range(1, kmax + 1):
                for ci in range(1, 256, cpw):
                    yield (ConvGeometry(k, k, ci, co, 1, k, 0, 1, 0, False) if buffer == "W1"
                           else ConvGeometry(k, k, 1, ci, co, 1, 0, k, 0, False) for co in range(1, 256))
        else:                           # 1 x 1 kernels, one channel between: the map makes the words
            for c in range(1, 256, P):
                for w in range(1, PARAMS["RowWords"] + 1):
                    yield (ConvGeometry(h, w, c, 1, 1, 1, 0, 1, 0, False) if buffer == "X"
                           else ConvGeometry(h, w, 1, 1, c, 1, 0, 1, 0, False) for h in range(1, 256))

    best, best_cost = None, None
    for run in runs():
        for geo in run:
            n = codec.geometry_words(geo)
            if n[buffer] > words:
                break
            if n[buffer] < words or any(n[b] > limits[b] for b in limits if b != buffer) \
                    or geo.wi2 * codec.G(geo.c1) > PARAMS["RowWords"]:
                continue
            cost = (geo.ho1 * geo.wo1 * geo.c1 * (geo.c0 * geo.k1 ** 2 + 1)
                    + geo.ho2 * geo.wo2 * geo.c2 * (geo.c1 * geo.k2 ** 2 + 1)) // P + sum(n.values())
            if best_cost is None or cost < best_cost:
                best, best_cost = geo, cost
    return best


@pyuvm.test()
class test_bad_configurations(RowpipeTest):
    """Each common fault (on CONV and HEAD jobs) and each RowPipe fault ends in STATUS.error with its
    code; BAD_SCALE for a zero, an infinite and a NaN scale and a NaN shift (a subnormal scale is a value:
    test_extremes); each time the next job completes. Each CONV buffer (W1, W2, X, C) at exactly its
    size is a good job, one word more DIM_OVERSIZE."""

    def at_limit(self, buffer: str, extra: int) -> Operation:
        limit = buffer_words()[buffer]
        geo = limit_geometry(self.codec, buffer, limit + extra)
        assert geo is not None, f"no CONV geometry with {limit + extra} {buffer} words"
        op = conv_op(self.rng, f"{buffer}_{'limit' if extra == 0 else f'limit+{extra}'}", geo.h, geo.w, geo.c0,
                     geo.c1, geo.c2, k1=geo.k1, p1=geo.p1, k2=geo.k2, p2=geo.p2)
        assert self.codec.conv_words(op)[buffer] == limit + extra
        if extra:
            op.fault, op.meta["oversize_as_is"] = "oversize", True
        return op

    def operations(self):
        ops = []
        for fault in FAULT_ERRORS:
            for make in (lambda n: self.small_conv(n), lambda n: head_op(self.rng, n, "WG", 5, 6, 7)):
                bad = make(f"fault/{fault}")
                bad.fault = fault
                ops += [bad, make(f"after/{fault}")]
        for fault in RowpipeCodec.core_faults:
            shape = dict(h=12, w=3, c0=1, c1=2, c2=2) if fault == "map_tall" else {}
            bad = self.small_conv(f"fault/{fault}", **shape)
            bad.fault = fault
            ops += [bad, self.small_conv(f"after/{fault}")]
        for name, value in (("inf", np.inf), ("nan", np.nan)):
            bad = self.small_conv(f"fault/bad_scale/{name}")
            bad.fault, bad.meta["bad_scale_value"] = "bad_scale", value
            ops += [bad]
        bad = self.small_conv("fault/bad_shift/nan")
        bad.operands["shift1"][0] = np.float16(np.nan)
        bad.fault = "bad_scale"
        ops += [bad, self.small_conv("after/bad_scale")]
        for buffer in ("W1", "W2", "X", "C"):       # one word past the size, then exactly the size
            ops += [self.at_limit(buffer, 1), self.at_limit(buffer, 0)]
        return self.tag(ops)


@pyuvm.test()
class test_error_priority(RowpipeTest):
    """Two or more errors in one job follow the shell's one priority, RowPipe's configuration codes in
    their order (CONV_PHASE > KERNEL_BIG > BAD_PAD > OUT_EMPTY > POOL_ODD > ROW_LONG) below BAD_PHASE;
    each pair sets different registers, so both errors are present; each case is followed by a good job."""

    def priority_cases(self):
        return self.PRIORITY_CASES + (
            ("phase over core", None, ("bad_phase", "kernel_big"), "BAD_PHASE"),
            ("oversize over core", None, ("oversize", "conv_phase"), "DIM_OVERSIZE"),
            ("zero over core", None, ("zero_dim", "kernel_big"), "DIM_ZERO"),
            ("conv phase over kernel", None, ("kernel_big", "conv_phase"), "CONV_PHASE"),
            ("kernel over row", None, ("row_long", "kernel_big"), "KERNEL_BIG"),
            ("pad over row", None, ("row_long", "bad_pad"), "BAD_PAD"),
            ("empty over row", None, ("row_long", "out_empty"), "OUT_EMPTY"),
            ("pool over row", None, ("row_long", "pool_odd"), "POOL_ODD"),
            ("core over stream", "short", ("bad_pad",), "BAD_PAD"),
            ("core over not loaded", "not_loaded", ("row_long",), "ROW_LONG"),
        )

    async def body(self):
        await self.run_error_priority(lambda name: self.small_conv(name))


@pyuvm.test()
class test_reset_mid_operation(RowpipeTest):
    """A hard and a soft reset in every phase of a CONV job (configuration, operand load, the
    row-pipelined compute, result drain with the stream stalled and flowing; a soft-reset cut frame
    ends legally with a marker), and a soft reset during a HEAD compute: each time the core comes back
    idle and the next job is correct."""

    async def body(self):
        await self.reset_every_phase(lambda name: conv_op(self.rng, name, 12, 8, 8, 2 * P, P),
                                     lambda name: self.small_conv(name),
                                     lambda name: self.small_conv(name, h=5, w=5))
        await self.interrupt(head_op(self.rng, "interrupted/head", "FF", 16, 16, 64), "compute", soft=True,
                             after_cycles=10)
        await self.run_ops(self.tag([head_op(self.rng, "after_soft/head", "BP", 7, 5, 9)]))

@pyuvm.test()
class test_stream_fuzz(RowpipeTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: self.small_conv(label))


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(RowpipeTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag([self.small_conv("corrupted", h=3, w=3)])
