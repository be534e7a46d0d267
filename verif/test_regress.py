"""The regression: every test of every core at its default size and its smoke tests at each further
size of its manifest (`sizes`), several seeds, Verilator, parallel (make regress)."""
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


def regress_cases() -> list[tuple[str, int, str]]:
    """(core, size index, test): every test at size 0 (the default), the smoke tests at the others."""
    cases = []
    for name in core_names():
        core = load_core(name)
        cases += [(name, 0, test) for test in pyuvm_test_names(core)]
        cases += [(name, i, test) for i in range(1, len(core.all_sizes())) for test in core.smoke_tests]
    return cases


@pytest.mark.regress
@pytest.mark.parametrize("core_name,size,test", regress_cases())
def test_regress(core_name, size, test, seed, request):
    from verif.conftest import regress_options
    core = load_core(core_name)
    opts = runner.size_options(core, regress_options(request.config))[size]
    test_dir = ROOT / "build" / "regress" / opts.tag / core_name / test / f"seed{seed}"
    result = runner.run(core, opts, test_dir, tests=[test], seed=seed)
    assert result.passed == [test] and not result.failed, f"{test} seed {seed}: see {test_dir}"
