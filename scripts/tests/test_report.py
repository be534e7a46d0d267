"""make report's page on hand-made compare and area JSON (no simulator, no Yosys)."""
import json

import pytest
from scriptload import load_script

report = load_script("report")


def core(variant, records, speedup, iso=None):
    return {"core": variant.split("@")[0], "variant": variant, "records": records, "speedup_end_to_end": speedup,
            "speedup": speedup * 1.2, "ideal_speedup": speedup * 2, "fraction_of_ideal_end_to_end": 0.5,
            "fraction_of_ideal": 0.6, "utilization": 0.5, "baseline_utilization": 0.2, "end_to_end_cycles": 100,
            "cycles": 80, "sram_reads": 10, "baseline_sram_reads": 40, "toggles_per_effectual_mac": 300.0,
            "baseline_toggles_per_effectual_mac": 400.0, "bank_conflicts": None, "software_bits": 64,
            "baseline_end_to_end_cycles": 250, "cells": 5000, "baseline_cells": 10000, "iso_area_speedup": iso}


def write_inputs(build, with_area=True):
    compare = {"records": ["/x/records/swpu"], "baseline": "dense", "designs": ["dense", "swpu"],
               "definitions": {"cycles": "compute cycles"},
               "cores": [core("swpu@clustered", "swpu", 2.5, iso=5.0), core("rowpipe", "rowpipe multi-record jobs", 0.75, iso=6.0)],
               "software_costs": {"swpu": [{"what": "clustering", "how_often": "per re-selection", "bits": "M*8"}]},
               "ops": [{"op": "swpu/conv2/FF/899", "variant": "swpu@clustered", "cycles": 80}], "totals": []}
    build.mkdir(parents=True, exist_ok=True)
    (build / "compare.json").write_text(json.dumps(compare))
    if with_area:
        (build / "area.json").write_text(json.dumps({"cores": {"swpu": {"cells": 5000, "ff_bits": 9000,
                                                                        "sram_bits": 123456}}}))


def test_the_page_carries_the_run_figures_and_fills_the_claims(tmp_path):
    write_inputs(tmp_path)
    page = report.build_report(tmp_path, tmp_path / "report")
    text = page.read_text()
    assert "swpu@clustered" in text and "123,456" in text and "clustering" in text
    claims = json.loads((tmp_path / "report" / "report.json").read_text())["claims"]
    speed = next(c for c in claims if c["core"] == "swpu" and c["ours"] == "speedup_end_to_end")
    assert speed["ours_value"] == 2.5 and speed["paper_value"] == 4.69
    area = next(c for c in claims if c["core"] == "rowpipe" and c["ours"] == "iso_area")
    assert area["ours_value"] == 6.0
    assert all(c["ours_value"] is None for c in claims if c["ours"] == "none")
    for name in ("speedup.png", "utilization_traffic.png", "iso_area.png"):
        assert (tmp_path / "report" / name).stat().st_size > 1000
        assert f"src='{name}'" in text


def test_without_area_the_page_says_so(tmp_path):
    write_inputs(tmp_path, with_area=False)
    text = report.build_report(tmp_path, tmp_path / "report").read_text()
    assert "No build/area.json" in text


def test_without_compare_it_names_the_command(tmp_path):
    with pytest.raises(report.ReportError, match="make compare"):
        report.build_report(tmp_path, tmp_path / "report")


def test_rowpipe_buffer_cut_is_the_largest_shape_of_its_figures():
    value, detail = report.buffer_cut()
    assert value > 3.5 and "digits" in detail
