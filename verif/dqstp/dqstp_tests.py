"""pyuvm tests of the DQ-STP core. Each prints its seed; SEED=<n> reproduces it.

Run through `make sim DESIGN=dqstp` (all tests) or `make sim DESIGN=dqstp TESTS=<name>`.
"""
from __future__ import annotations

import numpy as np
import pyuvm
from cocotb.triggers import ClockCycles

from verif.common.agents import wait_irq
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import load_csr_map
from verif.common.env import FAULT_ERRORS, AccelBaseTest
from verif.dqstp import dqstp_coverage
from verif.dqstp.dqstp_codec import CODE_BITS, EP_PIPELINE_TAIL, MALFORM_ERRORS, DqstpCodec
from verif.common.train_rtl import TrainRtlTest
from verif.dqstp.dqstp_stimulus import TOP_LEVEL, DqstpTraining, random_op, record_ops

CORE = load_core("dqstp")
PARAMS = active_parameters(CORE)  # the size this simulation was built with


class DqstpTest(AccelBaseTest):
    codec_class = DqstpCodec
    csr_map = load_csr_map(CORE.rdl)
    coverage_sample = staticmethod(dqstp_coverage.sample)

    async def run_ops_checking_core_err(self, ops):
        """Run ops one at a time; after each, CORE_ERR must hold the core-specific code of that job:
        its core fault's code, or NONE (an accepted start clears it; common errors leave it)."""
        for op in ops:
            await self.run_ops([op])
            want = self.codec.core_faults.get(op.fault, "NONE")
            got = self.csr_map.decode_error(await self.csr.read("CORE_ERR"))
            assert got == want, f"{op.op_id}: CORE_ERR is {got}, expected {want}"


@pyuvm.test()
class test_random_fcsr(DqstpTest):
    """FF, BP and WG on random maps from 0 to 95% sparsity, ragged shapes, alignment on and off."""

    def operations(self):
        ops = []
        for i, s in enumerate((0.0, 0.3, 0.6, 0.8, 0.95)):
            phase = ("FF", "BP", "WG")[i % 3]
            m, n, k, j = (int(v) for v in self.rng.integers((1, 1, 1, 1), (12, 40, 40, 40)))
            ops.append(random_op(self.rng, f"random/{phase}/{int(s*100)}/{m}x{n}x{k}x{j}", phase,
                                 m, n, k, j, sparsity=s, align=bool(i % 2)))
        ops.append(random_op(self.rng, "edge/1x1x1", "FF", 1, 1, 1, sparsity=0.0))
        ops.append(random_op(self.rng, "edge/wg1x1x1", "WG", 0, 1, 1, 1, sparsity=0.0))
        ops.append(random_op(self.rng, "edge/17rows", "BP", 3, 17, 33, sparsity=0.5, align=False))
        return self.tag(ops)


@pyuvm.test()
class test_empty_rows_and_maps(DqstpTest):
    """Maps with empty rows (row flag 0) and all-empty maps (no non-zero at all), on both arrays."""

    def operations(self):
        ops = [random_op(self.rng, "empty_rows/FF", "FF", 5, 24, 20, sparsity=0.4, empty_rows=0.5),
               random_op(self.rng, "empty_rows/WG", "WG", 0, 24, 12, 20, sparsity=0.4, empty_rows=0.5),
               random_op(self.rng, "empty_map/FF", "FF", 4, 9, 7, sparsity=1.0),
               random_op(self.rng, "empty_map/WG", "WG", 0, 9, 7, 5, sparsity=1.0),
               random_op(self.rng, "empty_map/BP+WG", "BP", 4, 9, 7, 5, sparsity=1.0, wg=True),
               random_op(self.rng, "empty_rows/BP+WG", "BP", 6, 30, 10, 18, sparsity=0.3,
                         empty_rows=0.6, wg=True, align=False)]
        return self.tag(ops)


@pyuvm.test()
class test_extremes(DqstpTest):
    """The largest exponents (every code at the top level), values -128 and 127 only, and the longest
    reductions: accumulators reach the largest magnitudes the datapath allows (EP: -128 x -2^6 over
    K = MaxK is +2^23; WG: -128 x -128 over N = MaxN is +2^24), exact as golden says (golden raises
    on an accumulator overflow, so int32 never wraps at these limits)."""

    def operations(self):
        k_max, n_max = PARAMS["MaxK"], PARAMS["MaxN"]
        top = {"zero_frac": 0.0, "levels": (TOP_LEVEL, TOP_LEVEL)}
        largest_ff = random_op(self.rng, f"extreme/FF/largest/K{k_max}", "FF", 2, 3, k_max, sparsity=0.0, codes=top)
        largest_ff.operands["s"][:] = -128
        largest_ff.operands["codes"][:] = TOP_LEVEL | (1 << (CODE_BITS - 1))   # -2^6
        largest_wg = random_op(self.rng, f"extreme/WG/largest/N{n_max}", "WG", 0, n_max, 4, 16, sparsity=0.0)
        largest_wg.operands["s"][:] = -128
        largest_wg.operands["x"][:] = -128
        return self.tag([
            random_op(self.rng, f"extreme/FF/K{k_max}", "FF", 2, 3, k_max, sparsity=0.0, extreme=True, codes=top),
            largest_ff, largest_wg,
            random_op(self.rng, "extreme/BP+WG", "BP", 2, 40, 24, 16, sparsity=0.0, extreme=True,
                      codes=top, wg=True, x_sparsity=0.0),
            random_op(self.rng, "extreme/low_levels", "FF", 3, 20, 30, sparsity=0.2, codes={"levels": (1, 2)}),
            random_op(self.rng, "extreme/mid_levels", "BP", 3, 20, 30, sparsity=0.2, codes={"levels": (4, 5)}),
            random_op(self.rng, "extreme/zero_codes", "FF", 3, 20, 30, sparsity=0.2, codes={"zero_frac": 1.0}),
        ])


@pyuvm.test()
class test_ep_wg_overlap(DqstpTest):
    """BP jobs that also compute WG: both results checked, and the overlap cycles counted
    (the scoreboard requires overlap = the shorter array's run)."""

    def operations(self):
        ops = []
        for i, s in enumerate((0.2, 0.6, 0.9)):
            ops.append(random_op(self.rng, f"ep_wg/{int(s*100)}", "BP", 8, 32, 12, 24, sparsity=s,
                                 wg=True, align=bool(i % 2 == 0)))
        return self.tag(ops)


@pyuvm.test()
class test_alignment(DqstpTest):
    """The same jobs with sparse alignment off and on: identical results, and never more cycles
    with alignment (rows of very different lengths, as ReLU maps have)."""

    async def body(self):
        pairs = []
        for i, (m, n, k) in enumerate(((4, 48, 40), (6, 20, 64), (16, 16, 24))):
            base = random_op(self.rng, f"align/{i}", "FF", m, n, k, sparsity=0.7, empty_rows=0.2)
            off = random_op(self.rng, f"align/{i}/off", "FF", 1, 1, 1)
            off.operands, off.meta = base.operands, {**base.meta, "align": False}
            pairs.append((off, base))
        await self.run_ops(self.tag([op for pair in pairs for op in pair]))
        cycles = {entry["id"]: entry["cycles"] for entry in self.env.metrics.ops}
        for off, on in pairs:
            assert cycles[on.op_id] <= cycles[off.op_id], \
                f"{on.op_id}: {cycles[on.op_id]} cycles with alignment, {cycles[off.op_id]} without"


@pyuvm.test()
class test_bank_conflicts(DqstpTest):
    """Bank conflicts cost cycles, never results (hdl/dqstp/dqstp_top.sv: per bank the lowest lane
    wins, the others wait a cycle). Built so that no conflict is possible: FF jobs of Lanes rows
    with one non-zero each (the lanes start together on rows 0..Lanes-1, whose row pointers, list
    entries and C slots lie in distinct banks; with K <= 64 a weight row is one W word, which the
    lanes share), alignment on and off, and a WG job (its list reader is alone): BANK_CONFLICT is 0
    and CYC_EP is the conflict-free figure, waves of one-cycle items plus the pipeline's tail.
    Built to collide: 2 x Lanes rows of ListBanks non-zeros each, so that every row starts in list
    bank 0; the lanes start together, lane i reads its first entry i cycles late (one winner per
    cycle) and from then on the lanes stay in distinct banks: Lanes(Lanes-1)/2 conflicts, and the
    job takes Lanes-1 cycles more than two rows' worth of reads plus the tail."""

    def one_per_row(self, op_id: str, m: int, align: bool):
        lanes = PARAMS["Lanes"]
        op = random_op(self.rng, op_id, "FF", m, lanes, 40, sparsity=0.0, align=align)
        s = np.zeros_like(op.operands["s"])
        s[np.arange(lanes), self.rng.integers(0, 40, lanes)] = self.rng.choice([-128, -3, 5, 127], lanes)
        op.operands["s"] = s
        return op

    async def body(self):
        lanes, banks = PARAMS["Lanes"], PARAMS["ListBanks"]
        quiet = [self.one_per_row("conflict_free/FF/align", 3, True),
                 self.one_per_row("conflict_free/FF/noalign", 2, False),
                 random_op(self.rng, "conflict_free/WG", "WG", 0, 24, 12, 20, sparsity=0.5)]
        collide = random_op(self.rng, "collide/FF", "FF", 1, 2 * lanes, banks, sparsity=0.0)
        collide.operands["s"][collide.operands["s"] == 0] = 1   # every entry of every row non-zero
        await self.run_ops(self.tag(quiet + [collide]))
        counters = {entry["id"]: entry["core_counters"] for entry in self.env.metrics.ops}
        for op_id, c in counters.items():
            self.logger.info(f"{op_id}: BANK_CONFLICT {c['BANK_CONFLICT']}, CYC_EP {c['CYC_EP']}")
        for op, waves in zip(quiet, (3, 2, 0)):
            c = counters[op.op_id]
            assert c["BANK_CONFLICT"] == 0, f"{op.op_id}: {c['BANK_CONFLICT']} bank conflicts, expected none"
            want_ep = waves + EP_PIPELINE_TAIL if waves else 0
            assert c["CYC_EP"] == want_ep, f"{op.op_id}: CYC_EP {c['CYC_EP']}, expected {want_ep}"
        c = counters[collide.op_id]
        free_ep = 2 * banks + EP_PIPELINE_TAIL
        assert self.codec.ep_cycles(collide) == free_ep, "the conflict-free model disagrees with its derivation"
        assert c["BANK_CONFLICT"] == lanes * (lanes - 1) // 2, \
            f"{collide.op_id}: {c['BANK_CONFLICT']} bank conflicts, expected {lanes * (lanes - 1) // 2}"
        assert c["CYC_EP"] == free_ep + lanes - 1, \
            f"{collide.op_id}: CYC_EP {c['CYC_EP']}, expected {free_ep} + {lanes - 1} cycles of conflicts"


@pyuvm.test()
class test_training_records(DqstpTest):
    """FF, BP and WG of dqstp training records (SVD parts conv2.lr, conv2.pw and fc, steps 0 and 899),
    and per layer and step one BP job carrying WG (RECORDS=<dir> overrides the folder)."""

    def operations(self):
        return self.tag(record_ops())


@pyuvm.test()
class test_training_records_no_align(DqstpTest):
    """The same record jobs with sparse alignment off, for the utilization comparison."""

    def operations(self):
        return self.tag(record_ops(align=False))


@pyuvm.test()
class test_train_rtl(TrainRtlTest, DqstpTest):
    """The digits CNN trained with `dqstp` (2^n weights, fixed-point maps), the core computing every
    integer layer operation, bit-identical to the golden executor step by step (TRAIN_RTL configures
    it; default one step)."""

    training = DqstpTraining()


@pyuvm.test()
class test_stream_pressure(DqstpTest):
    """Idle cycles on the operand stream and back-pressure on the result stream, crossed."""

    async def body(self):
        await self.run_pressure_matrix(
            lambda label: [random_op(self.rng, f"pressure/{label}", "BP", 3, 20, 9, 18, sparsity=0.5, wg=True)])


@pyuvm.test()
class test_fcsr_errors(DqstpTest):
    """Malformed FCSR frames end in STATUS.error with their core code, in ERR_CODE and CORE_ERR; the
    next job completes and clears CORE_ERR."""

    def operations(self):
        ops = []
        for i, kind in enumerate(MALFORM_ERRORS):
            bad = random_op(self.rng, f"malformed/{kind}", ("FF", "WG")[i % 2], 3, 21, 13, 7,
                            sparsity=0.6, empty_rows=0.3)
            bad.operands["s"][0] = 0  # an empty row, for empty_flagged_row
            bad.fault = kind
            bad.meta["malform_seed"] = i
            ops += [bad, random_op(self.rng, f"after/{kind}", "FF", 3, 11, 9, sparsity=0.5)]
        return self.tag(ops)

    async def body(self):
        await self.run_ops_checking_core_err(self.operations())


@pyuvm.test()
class test_bad_configurations(DqstpTest):
    """Each shell fault (zero/oversize dims, bad phase, short/long stream, bad tdest, missing operand,
    start while busy) and WG beside FF end in STATUS.error with their code; the next job completes.
    CORE_ERR holds WG_NEEDS_BP after WG beside FF and NONE after every other job."""

    def operations(self):
        ops = []
        for fault in FAULT_ERRORS:
            bad = random_op(self.rng, f"fault/{fault}", "FF", 4, 18, 11, sparsity=0.4)
            bad.fault = fault
            ops += [bad, random_op(self.rng, f"after/{fault}", "WG", 0, 9, 6, 10, sparsity=0.4)]
        bad = random_op(self.rng, "fault/wg_beside_ff", "FF", 3, 8, 5, 6, sparsity=0.4)
        bad.operands["x"] = random_op(self.rng, "x", "WG", 0, 8, 5, 6).operands["x"]
        bad.fault = "wg_beside_ff"
        ops += [bad, random_op(self.rng, "after/wg_beside_ff", "FF", 3, 8, 5, sparsity=0.4)]
        return self.tag(ops)

    async def body(self):
        await self.run_ops_checking_core_err(self.operations())


@pyuvm.test()
class test_error_priority(DqstpTest):
    """Two or more errors in one job report the shell's one priority: the common cases, then
    DQ-STP's own configuration code WG_NEEDS_BP (below DIM_ZERO, DIM_OVERSIZE and BAD_PHASE, above
    the stream errors and NOT_LOADED), then a start refused as BUSY while the job decodes a
    malformed frame: ERR_CODE keeps BUSY (a core error ranks lowest), CORE_ERR the decode error."""
    CORE_CASES = (
        ("core configuration over stream", "short", ("wg_beside_ff",), "WG_NEEDS_BP"),
        ("core configuration over not loaded", "not_loaded", ("wg_beside_ff",), "WG_NEEDS_BP"),
        ("zero dimension over core configuration", None, ("wg_beside_ff", "zero_dim"), "DIM_ZERO"),
        ("oversize over core configuration", None, ("wg_beside_ff", "oversize"), "DIM_OVERSIZE"),
        ("phase over core configuration", None, ("wg_beside_ff", "bad_phase"), "BAD_PHASE"),
    )

    def priority_cases(self):
        return self.PRIORITY_CASES + self.CORE_CASES

    async def body(self):
        await self.run_error_priority(
            lambda name: random_op(self.rng, name, "FF", 4, 18, 11, 6, sparsity=0.4))
        await self.busy_over_decode_error()

    async def busy_over_decode_error(self):
        csr, codec = self.csr, self.codec
        # missing_bitmap_bit is found only when the whole map is decoded: long enough for a
        # second start to arrive while the job runs
        op = random_op(self.rng, "priority_busy_over_decode", "FF", 2, 120, 40, sparsity=0.5)
        op.fault, op.meta["malform_seed"] = "missing_bitmap_bit", 1
        await self.stage_job(op)
        await csr.write("CTRL", start=1)
        await csr.write("CTRL", start=1)
        bound = 4 * codec.compute_cycles_bound(op) + 2000
        await wait_irq(self.dut, bound)
        for _ in range(bound // 16):
            status = await csr.read_fields("STATUS")
            if not status["busy"]:
                break
            await ClockCycles(self.dut.clk, 16)
        code = csr.map.decode_error((await csr.read_fields("ERR_CODE"))["code"])
        core = csr.map.decode_error(await csr.read("CORE_ERR"))
        self.logger.info(f"priority case 'busy over core': ERR_CODE {code}, CORE_ERR {core}")
        assert status["error"] and not status["busy"] and not status["done"], \
            f"{op.op_id}: STATUS is {status} after a decode error"
        assert (code, core) == ("BUSY", MALFORM_ERRORS[op.fault]), \
            f"{op.op_id}: ERR_CODE {code}, CORE_ERR {core}; expected BUSY, {MALFORM_ERRORS[op.fault]}"
        await csr.write("CTRL", irq_clear=1)
        await self.run_ops(self.tag([random_op(self.rng, "after_busy_over_decode", "FF", 3, 11, 9)]))


@pyuvm.test()
class test_reset_mid_operation(DqstpTest):
    """A hard and a soft reset in every phase of a BP job with its WG (configuration, operand load,
    EP and WG compute, result drain with the stream stalled and flowing; a soft-reset cut frame ends
    legally with a marker): each time the core comes back idle and the next job is correct."""

    async def body(self):
        big = lambda label: random_op(self.rng, label, "BP", 8, 40, 32, 24, sparsity=0.3, wg=True)  # noqa: E731
        await self.reset_every_phase(big, lambda label: random_op(self.rng, label, "FF", 4, 15, 11, sparsity=0.4), big)

@pyuvm.test()
class test_soft_reset_quiesces_lanes(DqstpTest):
    """CTRL.soft_reset at many points of an FF job's compute, where lanes finish rows of 1 to 3
    non-zeros at uneven times (items whose C words share a bank finish together and one waits for
    the bank): the soft reset clears the counters and leaves the core idle, so a few cycles later
    STATUS is idle and every core counter and SRAM counter still reads 0 (nothing of the cut job
    runs on: no lane busy, no shift-add, no C write). A good job follows."""
    OFFSETS = range(0, 60, 3)   # cycles into the compute phase (after the modelled decode)

    def uneven_rows(self, op_id: str):
        m, n, k = 12, 64, 48
        op = random_op(self.rng, op_id, "FF", m, n, k, sparsity=0.0, align=True)
        s = np.zeros((n, k), dtype=np.int8)
        for r in range(n):
            cols = self.rng.choice(k, size=int(self.rng.integers(1, 4)), replace=False)
            s[r, cols] = self.rng.choice([-128, -7, 3, 127], size=len(cols))
        op.operands["s"] = s
        return op

    async def body(self):
        csr, codec = self.csr, self.codec
        counters = tuple(codec.core_counters) + tuple(
            f"SRAM_{rw}[{i}]" for i in range(csr.map.sram_counters) for rw in ("RD", "WR"))
        failures = []
        for offset in self.OFFSETS:
            op = self.uneven_rows(f"soft_reset_quiesce/{offset}")
            await self.stage_job(op)
            await csr.write("CTRL", start=1)
            await ClockCycles(self.dut.clk, codec.decode_cycles(op) + offset)
            assert (await csr.read_fields("STATUS"))["busy"], \
                f"{op.op_id}: the job ended before the soft reset; give it more work"
            await csr.write("CTRL", soft_reset=1)
            await ClockCycles(self.dut.clk, 8)
            status = await csr.read_fields("STATUS")
            if status["busy"] or status["done"] or status["draining"] or status["error"]:
                failures.append(f"{op.op_id}: STATUS {status} after the soft reset")
            after = {name: await csr.read(name) for name in counters}
            if busy := {name: v for name, v in after.items() if v}:
                failures.append(f"{op.op_id}: counters after the soft reset: {busy}")
        for failure in failures:
            self.logger.error(failure)
        assert not failures, f"{len(failures)} soft resets left work behind; first: {failures[0]}"
        await self.run_ops(self.tag([self.uneven_rows("after_soft_resets")]))


@pyuvm.test()
class test_stream_fuzz(DqstpTest):
    """Malformed operand frames (random payload bits, lengths, tdest, missing and split frames):
    every job ends in a result or an error code of the map, never a hang; good jobs between them
    stay bit-exact."""

    async def body(self):
        await self.fuzz_stream(lambda label: random_op(self.rng, label, "FF", 4, 15, 11, sparsity=0.4))


@pyuvm.test(expect_fail=True)
class test_scoreboard_catches_corruption(DqstpTest):
    """Expect-fail twin: one flipped result bit must make the scoreboard fail the test."""
    corrupt_result = True

    def operations(self):
        return self.tag([random_op(self.rng, "corrupted", "FF", 3, 7, 5, sparsity=0.3)])
