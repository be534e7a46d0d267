"""The regression: every test of every core, several seeds, Verilator, parallel (make regress)."""
from __future__ import annotations

import ast

import pytest

from verif.common import runner
from verif.common.cores import ROOT, core_names, load_core


def pyuvm_test_names(core) -> list[str]:
    """Names of the pyuvm tests in a core's test module (read from source, no simulator needed)."""
    path = ROOT / (core.test_module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef)
            and any("test" in ast.unparse(d) for d in node.decorator_list)]


CASES = [(name, test) for name in core_names() for test in pyuvm_test_names(load_core(name))]


@pytest.mark.regress
@pytest.mark.parametrize("core_name,test", CASES)
def test_regress(core_name, test, seed, request):
    from verif.conftest import regress_options
    core = load_core(core_name)
    opts = regress_options(request.config)
    test_dir = ROOT / "build" / "regress" / opts.tag / core_name / test / f"seed{seed}"
    result = runner.run(core, opts, test_dir, tests=[test], seed=seed)
    assert result.passed == [test] and not result.failed, f"{test} seed {seed}: see {test_dir}"
