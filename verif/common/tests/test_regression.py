"""The regression engine's bookkeeping (verif/common/regression.py) without a simulator: the job
list, the JUnit round trip, the per-core summary, the reproduce command and the argument checks.
The engine itself on a cluster: verif/test_cluster.py."""
from __future__ import annotations

import pytest

from verif.common import regression
from verif.common.cores import core_names, load_core
from verif.common.regression import Job


def outcome(job: Job, passed: bool, seconds: float = 1.5) -> dict:
    return {"job": job.__dict__, "passed": passed, "seconds": seconds, "worker": "host:1",
            "test_dir": f"/x/{job.test}", "failed": [] if passed else [job.test]}


def test_jobs_cover_every_test_at_the_default_size_and_smoke_tests_at_the_others():
    jobs = regression.regress_jobs(2, designs=["dense"])
    dense = load_core("dense")
    tests = regression.pyuvm_test_names(dense)
    expected = {(0, t, s) for t in tests for s in (1000, 1001)}
    expected |= {(i, t, s) for i in range(1, len(dense.all_sizes())) for t in dense.smoke_tests for s in (1000, 1001)}
    assert {(j.size, j.test, j.seed) for j in jobs} == expected
    assert len(jobs) == len(expected)  # no job twice


def test_jobs_narrowed_by_test_and_every_core_by_default():
    assert {j.core for j in regression.regress_jobs(1)} == set(core_names())
    jobs = regression.regress_jobs(1, designs=["dense"], tests=["test_error_priority"], base_seed=7)
    assert [(j.size, j.test, j.seed) for j in jobs] == [(0, "test_error_priority", 7)]


@pytest.mark.parametrize("kwargs,message", [
    ({"seeds": 0}, "seeds must be at least 1"),
    ({"seeds": 1, "designs": ["nosuch"]}, "unknown design"),
    ({"seeds": 1, "designs": ["dense"], "tests": ["test_nosuch"]}, "no test named test_nosuch"),
])
def test_bad_job_requests_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        regression.regress_jobs(**kwargs)


def test_junit_round_trip_and_summary(tmp_path):
    good = Job("dense", 0, "test_a", 1000)
    bad = Job("dense", 1, "test_a", 1000, coverage=True)
    other = Job("swpu", 0, "test_b", 1001)
    outcomes = [outcome(good, True), outcome(bad, False, 2.0), outcome(other, True, 3.0)]
    path = tmp_path / "junit.xml"
    regression.write_junit(outcomes, path)
    assert regression.read_junit(path) == {
        "dense.verilator::test_a[seed1000]": True,
        f"dense.verilator-cov-{'-'.join(f'{k}{v}' for k, v in bad.options().size)}::test_a[seed1000]": False,
        "swpu.verilator::test_b[seed1001]": True,
    }
    assert "reproduce: .venv/bin/python scripts/sim.py --design dense" in path.read_text()
    rows = {r["core"]: r for r in regression.summary(outcomes)}
    assert rows["dense"] == {"core": "dense", "jobs": 2, "passed": 1, "failed": 1, "seconds": 3.5}
    assert rows["swpu"]["passed"] == 1 and rows["swpu"]["failed"] == 0
    assert regression.format_summary(list(rows.values())).splitlines()[-1].split() == ["total", "3", "2", "1", "6.5"]


def test_reproduce_names_the_size_of_a_further_build():
    size = load_core("dense").sizes[0]  # the manifest's override, size index 1
    command = Job("dense", 1, "test_random_shapes", 1003).reproduce()
    assert "--tests test_random_shapes --seed 1003 --waves" in command
    assert "--size " + ",".join(f"{k}={v}" for k, v in sorted(size.items())) in command
    assert "--size" not in Job("dense", 0, "test_random_shapes", 1003).reproduce()


def test_progress_reports_failures_at_once_and_counts(monkeypatch):
    lines = []
    progress = regression.Progress(3, lines.append, every=1e9)
    progress.update(outcome(Job("dense", 0, "test_a", 1), True))
    assert lines == []  # throttled
    progress.update(outcome(Job("dense", 0, "test_b", 1), False))
    assert "FAILED dense.verilator test_b[seed1]" in lines[0] and "2/3 jobs done, 1 failed" in lines[1]
    progress.update(outcome(Job("dense", 0, "test_c", 1), True))
    assert "3/3 jobs done, 1 failed" in lines[-1] and "ETA 0 s" in lines[-1]


@pytest.mark.parametrize("argv,message", [
    (["--workers", "0"], "--workers must be at least 1"),
    (["--scheduler", "host:8786"], "is not an address"),
])
def test_regress_command_rejects_bad_arguments(argv, message, capsys):
    import importlib.util
    from verif.common.cores import ROOT
    spec = importlib.util.spec_from_file_location("regress_script", ROOT / "scripts" / "regress.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with pytest.raises(SystemExit):
        script.parse_args(argv)
    assert message in capsys.readouterr().err


def test_a_job_that_cannot_build_is_a_failed_outcome_in_its_run_folder(tmp_path, monkeypatch):
    from pathlib import Path

    from verif.common import runner

    def no_compiler(*args, **kwargs):
        raise RuntimeError("no compiler")
    monkeypatch.setattr(runner, "build", no_compiler)
    out = regression.run_job(Job("dense", 0, "test_error_priority", 1).__dict__, str(tmp_path))
    assert not out["passed"] and out["failed"] == ["test_error_priority: RuntimeError: no compiler"]
    run_folder = Path(out["test_dir"])
    assert run_folder == Job("dense", 0, "test_error_priority", 1).test_dir(tmp_path) and run_folder.is_dir()
    assert [p.name for p in run_folder.parent.iterdir()] == ["seed1"]  # no scratch folder left
