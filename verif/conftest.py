"""pytest glue for the simulation tests: seeds option, and one build per simulator configuration
made before xdist workers start (parallel workers must not build the same directory at once)."""
from __future__ import annotations

import os

from verif.common import runner
from verif.common.cores import core_names, load_core


def pytest_addoption(parser):
    parser.addoption("--seeds", type=int, default=3, help="seeds per test in the regression")
    parser.addoption("--coverage-build", action="store_true", help="regression on the Verilator coverage build")


def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has built everything
        return
    markexpr = config.getoption("-m") or ""
    if "not regress" in markexpr or "regress" not in markexpr:
        return
    for name in core_names():
        core = load_core(name)
        for opts in runner.size_options(core, regress_options(config)):
            print(f"[regress] building {name} for Verilator ({opts.tag})", flush=True)
            runner.build(core, opts)


def regress_options(config) -> runner.BuildOptions:
    return runner.BuildOptions("verilator", coverage=config.getoption("--coverage-build"))


def pytest_generate_tests(metafunc):
    if "seed" in metafunc.fixturenames:
        base = int(os.environ.get("SEED", "1000"))
        metafunc.parametrize("seed", [base + i for i in range(metafunc.config.getoption("--seeds"))])
