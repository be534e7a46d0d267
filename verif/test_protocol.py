"""Expect-fail proofs of the shell's protocol assertions on a whole core (verif/common/protocol_violation.py):
each deliberately broken stream must fail its run, and the log must name the shell's assertion
that caught it. Both simulators; Verilator builds with --assert as every run does."""
from __future__ import annotations

import re

import pytest

from verif.common import runner
from verif.common.cores import ROOT, baseline_core, load_core

REPORT = re.compile(r"ACCEL_ASSERT\w* (\w+) failed in ([\w.]+):")
CHECKER = "u_shell.u_chk_s_axis"
CASES = [("valid_dropped_before_ready", "ValidHeldUntilReady_A", sim) for sim in runner.SIMULATORS]
CASES += [("payload_changed_before_ready", "PayloadStable_A", sim) for sim in runner.SIMULATORS]
CASES += [("valid_unknown", "ValidKnown_A", "icarus")]  # Verilator is 2-state: X cannot be driven


@pytest.mark.parametrize("test,assertion,sim", CASES)
def test_protocol_violation_fails_the_run(test, assertion, sim):
    core = load_core(baseline_core())
    test_dir = ROOT / "build" / "pytest" / "protocol" / sim / test
    log = test_dir / "sim.log"
    result = runner.run(core, runner.BuildOptions(sim), test_dir, tests=[test], seed=1,
                        test_module="verif.common.protocol_violation", log_file=log)
    assert result.failed == [test] and not result.passed, f"{test} on {sim} did not fail: {result}"
    fired = [m.group(2) for m in REPORT.finditer(log.read_text())]
    want = f"{core.toplevel}.{CHECKER}.{assertion}"
    assert fired == [want], f"{test} on {sim}: expected {want} to fire, the log ({log}) reports {fired}"
