"""DQ-STP's extensions of the common pyuvm env: the driver also reads the core counters (overlap,
alignment, shift-adds) and names core error codes (dqstp_err_e); the scoreboard checks jobs that must
end in a core error (op.meta["expect_error"]) and the core counters of good jobs; metrics carry them.
"""
from __future__ import annotations

import numpy as np
from pyuvm import ConfigDB, uvm_sequencer

from verif.common.env import (AccelEnv, CoverageSubscriber, MetricsCollector, OpAgent, OpDriver,
                              Scoreboard)
from verif.dqstp.dqstp_codec import has_ep, has_wg

CORE_COUNTERS = ("CYC_DECODE", "CYC_EP", "CYC_WG", "CYC_OVERLAP", "LANE_BUSY", "SHIFT_OPS",
                 "SHIFT_EFFECTUAL", "WG_EFFECTUAL", "NNZ")


class DqstpDriver(OpDriver):
    async def execute_job(self, op):
        res = await super().execute_job(op)
        for name in CORE_COUNTERS:
            res.counters[name] = await self.csr.read(name)
        if res.err_code.startswith("<unknown"):  # the common decode knows codes 0-15 only
            code = (await self.csr.read_fields("ERR_CODE"))["code"]
            res.err_code = self.csr.map.decode("dqstp_err_e", code)
        return res


class DqstpAgent(OpAgent):
    def build_phase(self):
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = DqstpDriver("driver", self)


class DqstpScoreboard(Scoreboard):
    def write(self, res):
        op = res.op
        want = op.meta.get("expect_error")
        if want:
            self.checked += 1
            if res.err_code != want:
                self.failures.append(f"{op.op_id}: ERR_CODE {res.err_code}, expected {want}")
            if res.done:
                self.failures.append(f"{op.op_id}: a job that must fail with {want} reported done")
            return
        before = len(self.failures)
        super().write(res)
        if op.fault is not None or res.result is None or len(self.failures) > before:
            return
        c = res.counters
        for name, want_count in self.codec.core_counts(op).items():
            if c[name] != want_count:
                self.failures.append(f"{op.op_id}: {name} is {c[name]}, expected {want_count}")
        # Both arrays start when decoding ends and run without a gap, so they overlap for the
        # shorter one's whole run; a job without both arrays must show no overlap.
        want_overlap = min(c["CYC_EP"], c["CYC_WG"]) if has_ep(op) and has_wg(op) else 0
        if c["CYC_OVERLAP"] != want_overlap:
            self.failures.append(f"{op.op_id}: CYC_OVERLAP is {c['CYC_OVERLAP']}, expected {want_overlap}")


class DqstpMetrics(MetricsCollector):
    def write(self, res):
        super().write(res)
        if res.op.fault is not None or res.op.meta.get("expect_error") or not self.ops:
            return
        c = res.counters
        entry = self.ops[-1]
        entry.update({name.lower(): c[name] for name in CORE_COUNTERS})
        entry["align"] = bool(res.op.meta.get("align", True))
        entry["job"] = "BP+WG" if res.op.phase == "BP" and has_wg(res.op) else res.op.phase
        entry["sparsity_s"] = float(np.mean(res.op.operands["s"] == 0))
        lanes = self.codec.num_mult
        entry["shift_utilization"] = c["SHIFT_EFFECTUAL"] / (lanes * c["CYC_EP"]) if c["CYC_EP"] else None
        entry["lane_occupancy"] = c["SHIFT_OPS"] / (lanes * c["CYC_EP"]) if c["CYC_EP"] else None
        entry["wg_utilization"] = c["WG_EFFECTUAL"] / (lanes * c["CYC_WG"]) if c["CYC_WG"] else None
        if "record" in res.op.meta:
            entry["record"] = res.op.meta["record"]


class DqstpEnv(AccelEnv):
    def build_phase(self):
        self.agent = DqstpAgent("agent", self)
        self.scoreboard = DqstpScoreboard("scoreboard", self)
        self.metrics = DqstpMetrics("metrics", self)
        self.coverage = CoverageSubscriber("coverage", self)


def build_env(test) -> DqstpEnv:
    """AccelBaseTest.build_phase with this core's env (the base builds AccelEnv by name)."""
    import cocotb
    test.seed = int(cocotb.RANDOM_SEED)
    test.rng = np.random.default_rng(test.seed)
    test.dut = cocotb.top
    test.codec = test.codec_class(test.csr_map)
    ConfigDB().set(None, "*", "CODEC", test.codec)
    ConfigDB().set(None, "*", "COVERAGE_SAMPLE", test.coverage_sample)
    ConfigDB().set(None, "*", "CORRUPT_RESULT", test.corrupt_result)
    return DqstpEnv("env", test)
