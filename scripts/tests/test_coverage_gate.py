"""make cov's gate: pure verdicts on synthetic summaries, and `coverage.py --no-run` end to end on
synthetic Verilator coverage.dat and cocotb-coverage files (no simulator)."""
import hjson
import pytest
import yaml
from scriptload import ROOT, load_script

from verif.common import cores

coverage = load_script("coverage")

THRESHOLDS = {"hdl/common": 95.0, "hdl/a": 90.0}


def files(common=(98, 100), a=(95, 100), extra=None):
    out = {"hdl/common/x.sv": {"line": {"hit": common[0], "points": common[1]}, "toggle": {"hit": 1, "points": 2}},
           "hdl/a/a_top.sv": {"line": {"hit": a[0], "points": a[1]}, "toggle": {"hit": 1, "points": 2}},
           "build/gen/a/a_csr.sv": {"line": {"hit": 0, "points": 50}, "toggle": {"hit": 0, "points": 2}}}
    out.update(extra or {})
    return out


def functional(core="a", percent=100.0, missed=()):
    return {"core": core, "total_percent": percent, "files": 2, "features": [
        {"name": "feat", "tests": ["test_x"], "coverpoints": [
            {"name": f"{core}.p", "percent": percent, "missed": list(missed)},
            {"name": f"{core}.q", "percent": 100.0, "missed": []}]},
        {"name": "checked_by_tests", "tests": ["test_y"], "coverpoints": []}]}


def summary(**kw):
    return {"code_files": kw.get("code_files", files()), "functional": kw.get("functional", [functional()])}


def test_all_good_passes():
    assert coverage.gate(summary(), THRESHOLDS) == []


def test_a_missed_bin_fails_and_names_the_coverpoint_feature_and_bin():
    (failure,) = coverage.gate(summary(functional=[functional(percent=75.0, missed=["(3, 4)"])]), THRESHOLDS)
    assert "a.p" in failure and "feat" in failure and "(3, 4)" in failure and "missed 1 bin" in failure


def test_many_missed_bins_are_shortened():
    (failure,) = coverage.gate(summary(functional=[functional(percent=10.0, missed=[str(i) for i in range(20)])]),
                               THRESHOLDS, show_bins=3)
    assert "missed 20 bin(s): 0, 1, 2 and 17 more" in failure


def test_a_coverpoint_never_sampled_fails():
    (failure,) = coverage.gate(summary(functional=[functional(percent=None)]), THRESHOLDS)
    assert "a.p" in failure and "never sampled" in failure


def test_a_core_without_functional_coverage_fails():
    (failure,) = coverage.gate(summary(functional=[{"core": "a", "error": "no functional coverage files"}]), THRESHOLDS)
    assert failure.startswith("functional coverage a: no functional coverage files")


def test_low_line_coverage_of_a_core_folder_fails_with_exact_figures():
    (failure,) = coverage.gate(summary(code_files=files(a=(899, 1000))), THRESHOLDS)
    assert failure == "line coverage hdl/a/: 89.90 % (899 of 1000 points) < 90 %"


def test_the_threshold_is_not_met_by_rounding():
    # 94.96 % would print as 95.0 at one decimal; the gate compares exact counts
    (failure,) = coverage.gate(summary(code_files=files(common=(9496, 10000))), THRESHOLDS)
    assert failure.startswith("line coverage hdl/common/: 94.96 %")


def test_exactly_the_threshold_passes():
    assert coverage.gate(summary(code_files=files(common=(95, 100), a=(9, 10))), THRESHOLDS) == []


def test_line_coverage_counts_every_file_of_the_folder_and_nothing_else():
    more = {"hdl/a/sub/a_unit.sv": {"line": {"hit": 0, "points": 100}, "toggle": {"hit": 0, "points": 0}},
            "hdl/ab/other.sv": {"line": {"hit": 0, "points": 1000}, "toggle": {"hit": 0, "points": 0}}}
    (failure,) = coverage.gate(summary(code_files=files(a=(100, 100), extra=more)), THRESHOLDS)
    assert failure.startswith("line coverage hdl/a/: 50.00 % (100 of 200 points)")   # not hdl/ab, not build/gen


def test_a_folder_without_line_points_fails():
    (failure,) = coverage.gate(summary(), {**THRESHOLDS, "hdl/b": 95.0})
    assert failure == "line coverage hdl/b/: no line points in any run (needs 95 %)"


def test_every_reason_is_listed():
    failures = coverage.gate(summary(code_files=files(common=(1, 100), a=(1, 100)),
                                     functional=[functional(percent=50.0, missed=["x"]), functional("b", None)]),
                             THRESHOLDS)
    assert len(failures) == 4


def test_thresholds_come_from_the_manifests_and_the_shell_constant():
    thresholds = coverage.line_thresholds(cores.core_names())
    assert thresholds["hdl/common"] == cores.SHELL_LINE_COVERAGE_MIN
    for name in cores.core_names():
        assert thresholds[f"hdl/{name}"] == cores.load_core(name).line_coverage_min


# ---- coverage.py --no-run end to end, on synthetic run files ---------------------------------------

def dat_line(file, line, count, page="v_line/top"):
    fields = {"f": str(file), "l": str(line), "page": page, "o": "line"}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in fields.items()) + f"' {count}\n"


def write_runs(runs, line_hits, missed_point=None):
    """One coverage.dat with 100 line points per folder (line_hits[folder] of them hit) and, per
    core, one cocotb-coverage file with every testplan coverpoint (missed_point: one bin unhit)."""
    folders = ["common"] + cores.core_names()
    text = "".join(dat_line(ROOT / "hdl" / folder / "f.sv", i, int(i < line_hits.get(folder, 100)))
                   for folder in folders for i in range(100))
    (runs / "run0").mkdir(parents=True)
    (runs / "run0" / "coverage.dat").write_text(text)
    for name in cores.core_names():
        plan = hjson.loads(cores.load_core(name).testplan.read_text())
        db = {name: {"cover_percentage": 100.0}}
        for feature in plan["features"]:
            for point in feature["coverpoints"]:
                hits = {"lo": 1, "hi": 0 if point == missed_point else 2}
                db[point] = {"at_least": 1, "bins:_hits": hits, "size": 2, "coverage": sum(h > 0 for h in hits.values()),
                             "cover_percentage": 50.0 if point == missed_point else 100.0, "weight": 1}
        (runs / name / "t").mkdir(parents=True)
        (runs / name / "t" / "coverage_test_x.yml").write_text(yaml.safe_dump(db))


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(coverage, "REGRESS", tmp_path)
    monkeypatch.setattr(coverage, "OUT", tmp_path / "cov")
    monkeypatch.setattr(coverage, "code_html", lambda dat_files: None)
    monkeypatch.setattr(coverage, "plot", lambda summary: None)
    monkeypatch.setattr(coverage, "run_regression", lambda seeds: pytest.fail("--no-run must not run the regression"))
    return tmp_path


def a_testplan_coverpoint():
    for name in cores.core_names():
        for feature in hjson.loads(cores.load_core(name).testplan.read_text())["features"]:
            if feature["coverpoints"]:
                return name, feature["coverpoints"][0]
    raise AssertionError("no testplan names a coverpoint: the gate test has nothing to miss")


def test_no_run_passes_on_full_coverage(sandbox, capsys):
    write_runs(sandbox / coverage.COV_TAG, {})
    assert coverage.main(["--no-run"]) == 0
    assert "[cov] passed" in capsys.readouterr().out


def test_no_run_fails_on_a_missed_bin_and_low_line_coverage(sandbox, capsys):
    core, point = a_testplan_coverpoint()
    write_runs(sandbox / coverage.COV_TAG, {core: 80}, missed_point=point)
    assert coverage.main(["--no-run"]) == 1
    out = capsys.readouterr().out
    tail = out[out.index("[cov] FAILED"):]
    assert f"{point}" in tail and "hi" in tail and f"line coverage hdl/{core}/: 80.00 %" in tail
    import json
    gate = json.loads((sandbox / "cov" / "summary.json").read_text())["gate"]
    assert len(gate["failures"]) == 2 and "FAILED" in (sandbox / "cov" / "index.html").read_text()


def test_a_failed_regression_fails_the_gate_with_its_status(sandbox, monkeypatch, capsys):
    write_runs(sandbox / coverage.COV_TAG, {})
    monkeypatch.setattr(coverage, "run_regression", lambda seeds: 3)
    monkeypatch.setattr(coverage.shutil, "rmtree", lambda *a, **k: None)   # keep the synthetic runs
    assert coverage.main([]) == 3
    assert "the regression failed (exit 3)" in capsys.readouterr().out


def test_no_runs_at_all_fails(sandbox):
    (sandbox / coverage.COV_TAG).mkdir()
    assert coverage.main(["--no-run"]) == 1
