"""Each core's testplan names only tests and coverpoints that exist (OpenTitan's testplans do not
check this; ours must)."""
from __future__ import annotations

import importlib

import hjson
import pytest

from verif.common.cores import core_names, load_core
from verif.common.regression import pyuvm_test_names


def coverpoint_names(core) -> set[str]:
    from cocotb_coverage.coverage import coverage_db
    importlib.import_module(core.test_module.rsplit(".", 1)[0] + f".{core.name}_coverage")
    return {name for name in coverage_db if name.startswith(core.name + ".")}


@pytest.mark.parametrize("core_name", core_names())
def test_testplan_names_exist(core_name):
    core = load_core(core_name)
    plan = hjson.loads(core.testplan.read_text())
    tests, points = set(pyuvm_test_names(core)), coverpoint_names(core)
    assert plan["features"], "the testplan has no features"
    for feature in plan["features"]:
        assert feature["tests"], f"feature {feature['name']} has no test"
        for t in feature["tests"]:
            assert t in tests, f"feature {feature['name']}: no test {t} in {core.test_module}"
        for p in feature["coverpoints"]:
            assert p in points, f"feature {feature['name']}: no coverpoint {p}"
    planned = {t for f in plan["features"] for t in f["tests"]}
    assert planned == tests, f"tests not in the testplan: {sorted(tests - planned)}"
