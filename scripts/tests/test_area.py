"""make area's units come from the core manifests (area_units); Yosys is not run here."""
import dataclasses

import pytest
from scriptload import ROOT, load_script

from verif.common import cores

area = load_script("area")


def test_the_units_are_the_manifests_area_units_with_the_reference_first():
    units = area.select_units()
    assert units[0].area_reference and (units[0].core, units[0].top) == ("dense", "fp16_mac_array")
    assert [(u.core, u.name) for u in units[1:]] == [
        (n, u.name) for n in cores.core_names() for u in cores.load_core(n).area_units if not u.area_reference]
    assert {u.top for u in units} == {"fp16_mac_array", "dqstp_shift_array", "dqstp_wg_array", "trainer_lanes",
                                      "trainer_bn", "nzpc_balance", "rowpipe_mac_array", "rowpipe_dequant"}
    assert sum(u.area_reference for u in units) == 1


def test_designs_select_units_and_the_reference_always_comes_along():
    assert [u.top for u in area.select_units(["dense"])] == ["fp16_mac_array"]
    assert [u.top for u in area.select_units(["dqstp"])] == ["fp16_mac_array", "dqstp_shift_array", "dqstp_wg_array"]
    assert [u.top for u in area.select_units(["swpu"])] == ["fp16_mac_array"]   # swpu names no unit
    with pytest.raises(ValueError, match="unknown design"):
        area.select_units(["nosuchcore"])


def test_not_exactly_one_reference_unit_fails_clearly(monkeypatch):
    real = cores.load_core
    def no_reference(name):
        core = real(name)
        return dataclasses.replace(core, area_units=tuple(dataclasses.replace(u, area_reference=False)
                                                          for u in core.area_units))
    monkeypatch.setattr(cores, "load_core", no_reference)
    with pytest.raises(ValueError, match="exactly one area unit"):
        area.select_units()


def test_every_unit_source_exists_and_its_top_is_declared_there():
    for unit in area.select_units():
        assert unit.sources, unit.name
        text = ""
        for src in unit.sources:
            assert src.is_file(), f"{unit.core}: area unit {unit.name!r} names {src}, which does not exist"
            text += src.read_text()
        assert f"module {unit.top}" in text, f"{unit.core}: no module {unit.top} in {unit.sources}"
        for param in unit.parameters:
            assert param in text, f"{unit.core}: {unit.top} has no parameter {param}"


def test_yosys_script_uses_paths_relative_to_the_root_and_the_unit_parameters():
    ref = area.select_units()[0]
    script = area.yosys_script(ref)
    assert "read_verilog -sv -Ihdl/common hdl/common/fp16_mac_array.sv" in script and str(ROOT) not in script
    assert "chparam -set Rows 4 -set Cols 4 fp16_mac_array" in script
    assert script.endswith("synth -noabc -flatten -top fp16_mac_array; stat")


def test_list_prints_every_unit_without_running_yosys(capsys, monkeypatch):
    monkeypatch.setattr(area, "cell_count", lambda unit: pytest.fail("--list must not run Yosys"))
    assert area.main(["--list"]) == 0
    out = capsys.readouterr().out
    for unit in area.select_units():
        assert unit.name in out
    assert "(reference)" in out


def test_results_are_set_against_the_reference(monkeypatch, tmp_path, capsys):
    cells = {"fp16_mac_array": 400, "dqstp_shift_array": 100, "dqstp_wg_array": 200}
    monkeypatch.setattr(area, "cell_count", lambda unit: {"cells": cells[unit.top], "by_kind": {}})
    out = tmp_path / "area.json"
    assert area.main(["--designs", "dense dqstp", "--json", str(out)]) == 0
    import json
    data = json.loads(out.read_text())
    assert data["units"][data["reference"]]["vs_reference"] == 1.0
    assert {u["top"]: u["vs_reference"] for u in data["units"].values()} == {
        "fp16_mac_array": 1.0, "dqstp_shift_array": 0.25, "dqstp_wg_array": 0.5}
