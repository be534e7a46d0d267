"""make compare's joining and totals on hand-made summaries, and what it takes from the core
manifests: the baseline, the designs, the default records and each core's tests (no simulator)."""
import dataclasses
import json
import os

import pytest
from scriptload import ROOT, load_script

from verif.common import cores

compare = load_script("compare")


def entry(op_id, phase, cycles, dense_macs, effectual, slots=None, toggles=None, parts=None):
    return {"id": op_id, "phase": phase, "cycles": cycles, "dense_macs": dense_macs,
            "golden_effectual_macs": effectual, "effectual_macs": effectual,
            "mac_slots": slots if slots is not None else 16 * cycles, "utilization": effectual / (16 * cycles),
            "sram_reads": cycles, "sram_by_buffer": {"RD[0]": cycles}, "toggles": toggles,
            "toggles_per_effectual_mac": toggles / effectual if toggles else None, "parts": parts or []}


DENSE = {"ops": [entry("m/l/BP/5", "BP", 1000, 16000, 4000, toggles=8000),
                 entry("m/l/WG/5", "WG", 600, 9600, 1200, toggles=3000),
                 entry("m/l/FF/5", "FF", 400, 6400, 6400)]}
CORE = {"ops": [entry("m/l/BP/5@fast", "BP", 250, 16000, 4000, toggles=2000),
                entry("m/l/BP/5@slow", "BP", 500, 16000, 4000, toggles=2000),
                entry("m/l/BP/5+WG@fast", "BP", 400, 25600, 5200, toggles=4000,
                      parts=["m/l/BP/5", "m/l/WG/5"]),
                entry("other/op@fast", "FF", 10, 160, 160)]}


def by(rows, op, variant):
    (r,) = [r for r in rows if r["op"] == op and r["variant"] == variant]
    return r


def test_variants_are_set_against_dense_of_the_same_record():
    rows = compare.compare({"dense": DENSE, "core": CORE}, "dense")
    assert {r["op"] for r in rows} == {"m/l/BP/5", "m/l/BP/5+WG"}   # FF/5 and other/op have no pair
    assert by(rows, "m/l/BP/5", "core@fast")["speedup"] == pytest.approx(4.0)
    assert by(rows, "m/l/BP/5", "core@slow")["fraction_of_ideal"] == pytest.approx(0.5)


def test_a_multi_record_job_is_set_against_the_sum_of_its_records_on_dense():
    rows = compare.compare({"dense": DENSE, "core": CORE}, "dense")
    base = by(rows, "m/l/BP/5+WG", "dense")
    assert base["cycles"] == 1600 and base["effectual_macs"] == 5200 and base["parts"] == ["m/l/BP/5", "m/l/WG/5"]
    assert base["toggles_per_effectual_mac"] == pytest.approx(11000 / 5200)
    assert by(rows, "m/l/BP/5+WG", "core@fast")["speedup"] == pytest.approx(4.0)


def test_totals_count_each_record_once_and_multi_record_jobs_apart():
    rows = compare.compare({"dense": DENSE, "core": CORE}, "dense")
    totals = {(t["op"], t["variant"]): t for t in compare.totals(rows, "dense")}
    assert totals[("ALL m", "dense")]["cycles"] == 1000
    assert totals[("ALL m step 5", "core@slow")]["speedup"] == pytest.approx(2.0)
    assert totals[("ALL m multi-record jobs", "dense")]["cycles"] == 1600


def test_step_of_record_ids():
    assert compare.step_of("dqstp/conv2.lr/BP/899+WG") == "899"
    assert compare.step_of("random/op") == ""


def test_the_baseline_is_named_by_the_variant_labels_not_by_a_constant():
    rows = compare.compare({"ref": DENSE, "core": CORE}, "ref")
    assert by(rows, "m/l/BP/5", "core@fast")["speedup"] == pytest.approx(4.0)
    assert by(rows, "m/l/BP/5+WG", "ref")["cycles"] == 1600
    assert compare.compare({"ref": DENSE, "core": CORE}, "dense") == []


# ---- what make compare takes from the manifests -------------------------------------------------

def test_exactly_one_core_is_the_baseline_and_it_is_dense():
    assert [n for n in cores.core_names() if cores.load_core(n).baseline] == ["dense"]
    assert cores.baseline_core() == "dense"


def test_no_baseline_or_two_baselines_fail_clearly(monkeypatch):
    real = cores.load_core
    for flag in (False, True):   # every core false, or every core true
        monkeypatch.setattr(cores, "load_core", lambda n, f=flag: dataclasses.replace(real(n), baseline=f))
        with pytest.raises(ValueError, match="exactly one core must have `baseline: true`"):
            compare.select_designs()


def test_designs_default_to_every_core_with_the_baseline_first():
    baseline, designs = compare.select_designs()
    assert baseline == "dense" and designs[0] == "dense"
    assert sorted(designs) == cores.core_names()
    assert compare.select_designs(["swpu"]) == ("dense", ["dense", "swpu"])
    assert compare.select_designs(["swpu", "dense", "swpu"]) == ("dense", ["dense", "swpu"])
    with pytest.raises(ValueError, match="unknown design"):
        compare.select_designs(["nosuchcore"])
    with pytest.raises(ValueError, match="at least one core"):
        compare.select_designs(["dense"])


def test_default_records_are_the_union_of_the_compared_cores_compare_records():
    everyone = compare.default_records(cores.core_names())
    assert everyone == list(dict.fromkeys(r for n in cores.core_names() for r in cores.load_core(n).compare_records))
    assert set(map(str, everyone)) == {str(ROOT / "models/data/compare/swpu-s85"), str(ROOT / "models/data/records/dqstp"),
                                       str(ROOT / "models/data/records/trainer"), str(ROOT / "models/data/records/nzpc"),
                                       str(ROOT / "models/data/records/rowpipe")}
    assert compare.default_records(["dense", "swpu"]) == [ROOT / "models/data/compare/swpu-s85"]
    for name in cores.core_names():
        for r in cores.load_core(name).compare_records:
            assert r.exists(), f"{name}: compare_records names {r}, which does not exist"


def test_each_non_baseline_core_finds_records_of_its_own_method_in_its_compare_records():
    from models.records import load_records
    for name in cores.core_names():
        core = cores.load_core(name)
        if not core.baseline:
            assert core.compare_records, f"{name} has no compare_records: make compare would have nothing to run"
            assert load_records(list(core.compare_records), method=name)


def test_each_core_runs_its_manifest_compare_tests():
    assert cores.load_core("dqstp").compare_tests == ("test_training_records", "test_training_records_no_align")
    assert cores.load_core("swpu").compare_tests == ("test_training_records",)   # the default
    for name in cores.core_names():
        cmd = compare.sim_command(name, [ROOT / "r1", ROOT / "r2"], ROOT / "out")
        assert cmd[cmd.index("--design") + 1] == name
        assert cmd[cmd.index("--tests") + 1] == ",".join(cores.load_core(name).compare_tests)
        assert cmd[cmd.index("--records") + 1] == os.pathsep.join([str(ROOT / "r1"), str(ROOT / "r2")])


def test_compare_tests_exist_in_each_core_test_module():
    for name in cores.core_names():
        core = cores.load_core(name)
        text = (ROOT / (core.test_module.replace(".", "/") + ".py")).read_text()
        for test in core.compare_tests:
            assert f"class {test}" in text or f"def {test}" in text, f"{name}: no {test} in {core.test_module}"


def test_dry_run_prints_the_plan_from_the_manifests(capsys):
    assert compare.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "baseline dense" in out
    for name in cores.core_names():
        assert f"[compare] {name}: " in out
    assert "test_training_records,test_training_records_no_align" in out
    assert "models/data/compare/swpu-s85" in out and "models/data/records/dqstp" in out


def test_end_to_end_adds_load_and_drain_and_is_the_headline():
    dense = {"ops": [dict(entry("m/l/FF/5", "FF", 400, 6400, 3200), load_cycles=300, drain_cycles=100)]}
    core = {"ops": [dict(entry("m/l/FF/5", "FF", 100, 6400, 3200), load_cycles=150, drain_cycles=50)]}
    rows = compare.compare({"dense": dense, "core": core}, "dense")
    r = by(rows, "m/l/FF/5", "core")
    assert r["end_to_end_cycles"] == 300 and r["speedup"] == pytest.approx(4.0)
    assert r["speedup_end_to_end"] == pytest.approx(800 / 300)
    assert r["fraction_of_ideal_end_to_end"] == pytest.approx(800 / 300 / 2)
    total = {(t["op"], t["variant"]): t for t in compare.totals(rows, "dense")}[("ALL m", "core")]
    assert total["end_to_end_cycles"] == 300 and total["speedup_end_to_end"] == pytest.approx(800 / 300)
    assert compare.COLUMNS.index("speedup_end_to_end") < compare.COLUMNS.index("speedup")


def test_core_figures_take_each_variant_over_its_own_records_with_iso_area():
    rows = compare.compare({"dense": DENSE, "core": CORE}, "dense")
    area = {"cores": {"dense": {"cells": 1000}, "core": {"cells": 4000}}}
    figures = {(f["variant"], f["records"]): f for f in compare.core_figures(compare.totals(rows, "dense"), "dense", area)}
    fast = figures[("core@fast", "m")]
    # BP/5 alone: dense 1000 cycles against 250 (no load or drain in these summaries): 4x; a core four
    # times dense's cells gives the same throughput per cell.
    assert fast["speedup_end_to_end"] == pytest.approx(4.0)
    assert fast["iso_area_speedup"] == pytest.approx(1.0)
    assert fast["baseline_end_to_end_cycles"] == 1000
    # the multi-record job is its own headline, against dense's runs of its two records (1600 cycles)
    multi = figures[("core@fast", "m multi-record jobs")]
    assert multi["baseline_cycles"] == 1600 and multi["speedup"] == pytest.approx(4.0)
    assert compare.core_figures(compare.totals(rows, "dense"), "dense", None)[0]["iso_area_speedup"] is None


def test_software_bits_follow_the_manifest_on_the_operations_dims():
    dims = {"M": 8, "N": 128, "K": 144}
    dense = {"ops": [{**e, "dims": dims} for e in DENSE["ops"]]}
    core = {"ops": [{**e, "dims": dims} for e in CORE["ops"]]}
    costs = {"dense": cores.load_core("dense").software_costs, "core": cores.load_core("rowpipe").software_costs}
    rows = compare.compare({"dense": dense, "core": core}, "dense", costs)
    # dense's one cost is the lowered operand, K x N FP16 values; rowpipe's has no size.
    assert by(rows, "m/l/BP/5", "dense")["software_bits"] == 144 * 128 * 16
    assert by(rows, "m/l/BP/5", "core@fast")["software_bits"] == 0
    assert compare.compare({"dense": dense, "core": core}, "dense")[0]["software_bits"] is None


def test_a_compare_size_runs_as_its_own_variant_with_its_parameters(capsys):
    assert compare.runs_of(["dense"])["dense@tile16x16"] == ("dense", {"Rows": 1, "Cols": 16, "TileRows": 16})
    assert compare.main(["--designs", "swpu", "--dry-run"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("[compare] dense@tile16x16:"))
    assert "--size Rows=1,Cols=16,TileRows=16" in line and line.split("--out ")[1].split()[0].endswith("dense@tile16x16")


def test_a_sized_build_is_set_against_its_own_cells():
    rows = compare.compare({"dense": DENSE, "core": CORE, "dense@big": DENSE}, "dense")
    area = {"cores": {"dense": {"cells": 1000}, "dense@big": {"cells": 2000}, "core": {"cells": 1000}}}
    figures = {f["variant"]: f for f in compare.core_figures(compare.totals(rows, "dense"), "dense", area,
                                                             ["dense@big"]) if f["records"] == "m"}
    assert figures["dense@big"]["cells"] == 2000 and figures["dense@big"]["iso_area_speedup"] == pytest.approx(0.5)


def test_the_baseline_is_totalled_over_the_operations_the_variant_ran():
    # core@slow ran BP/5 only; dense also ran WG/5 and FF/5 on record set m: its figures beside
    # core@slow's must be BP/5's alone.
    rows = compare.compare({"dense": DENSE, "core": CORE}, "dense")
    slow = next(t for t in compare.totals(rows, "dense") if t["op"] == "ALL m" and t["variant"] == "core@slow")
    assert slow["baseline"]["cycles"] == 1000 and slow["baseline"]["effectual_macs"] == 4000
    assert slow["baseline"]["toggles_per_effectual_mac"] == pytest.approx(8000 / 4000)


def test_no_run_tabulates_the_last_summaries_into_compare_json(tmp_path, monkeypatch):
    """main() end to end on hand-made summaries (energy pricing, which needs real counters, stubbed)."""
    monkeypatch.setattr(compare, "energy_columns", lambda variant, op: {})
    ops = lambda summary, prefix: {"parameters": {}, "ops": [{**e, "id": prefix + e["id"][1:], "dims": {"M": 2, "N": 3, "K": 4}}
                                                            for e in summary["ops"]]}
    for label, summary in (("dense", ops(DENSE, "swpu")), ("dense@tile16x16", ops(DENSE, "swpu")),
                           ("swpu", ops(CORE, "swpu"))):
        (tmp_path / "compare" / label).mkdir(parents=True)
        (tmp_path / "compare" / label / "summary.json").write_text(json.dumps(summary))
    assert compare.main(["--designs", "swpu", "--no-run", "--out", str(tmp_path), "--area", str(tmp_path / "no")]) == 0
    out = json.loads((tmp_path / "compare.json").read_text())
    fast = next(c for c in out["cores"] if c["variant"] == "swpu@fast" and c["records"] == "swpu")
    assert fast["speedup"] == pytest.approx(4.0) and fast["software_bits"] > 0
    assert [c["what"] for c in out["software_costs"]["swpu"]][0].startswith("conv layers lowered")
