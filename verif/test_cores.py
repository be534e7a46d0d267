"""Every core's smoke tests (its manifest's smoke_tests) on both simulators, from the results XML."""
from __future__ import annotations

import pytest

from verif.common import runner
from verif.common.cores import ROOT, core_names, load_core


@pytest.mark.parametrize("sim", runner.SIMULATORS)
@pytest.mark.parametrize("core_name", core_names())
def test_smoke(core_name, sim):
    core = load_core(core_name)
    result = runner.run(core, runner.BuildOptions(sim), ROOT / "build" / "pytest" / core_name / sim,
                        tests=list(core.smoke_tests), seed=1)
    assert not result.failed, f"{core_name} on {sim}: failed {result.failed} (see {result.test_dir})"
    assert sorted(result.passed) == sorted(core.smoke_tests), f"ran {result.passed}"
