"""scripts/trainer_figures.py on a hand-made compare.json (no simulator)."""
import json

import pytest
from scriptload import load_script

figures = load_script("trainer_figures")


def row(variant, eff, cycles, counters=None, rd2=0):
    base = {"EST_MACS": 0, "SPEC_SKIPPED": 0, "SPEC_WRONG": 0, "BP_SKIPPED": 0, "WG_SKIPPED": 0,
            "TILES_SKIPPED": 0, "BN_READS": 0, "REPLAY_RD": 0, "REPLAY_WR": 0}
    return {"op": "trainer/conv2/FF/45", "variant": variant, "effectual_macs": eff, "cycles": cycles,
            "core_counters": {**base, **(counters or {})}, "sram_by_buffer": {"RD[2]": rd2}}


def test_figures_from_the_variants(tmp_path, capsys):
    rows = [row("trainer@skips", 60, 110, {"SPEC_SKIPPED": 40, "EST_MACS": 100, "REPLAY_RD": 5, "REPLAY_WR": 7}, 16),
            row("trainer@no_skips", 100, 100),
            row("trainer@audit", 100, 110, {"SPEC_SKIPPED": 40, "SPEC_WRONG": 2}),
            row("trainer@two_pass_bn", 60, 130, {"SPEC_SKIPPED": 40, "BN_READS": 16}, 32)]
    src = tmp_path / "compare.json"
    src.write_text(json.dumps({"ops": rows, "totals": []}))
    assert figures.main(["--compare", str(src), "--out", str(tmp_path / "f.json")]) == 0
    out = json.loads((tmp_path / "f.json").read_text())
    spec = out["speculation"][0]
    assert (spec["full_macs_removed"], spec["misspeculation_rate"], spec["replay_reads_writes"]) == (40, 0.05, 12)
    assert spec["full_macs_removed_fraction"] == pytest.approx(0.4)
    bn = out["bn"][0]
    assert (bn["bn_reads_one_pass"], bn["bn_reads_two_pass"], bn["result_buffer_reads_two_pass"]) == (0, 16, 32)
    assert out["masks"] == []
    assert "FF speculation" in capsys.readouterr().out


def test_missing_variants_are_named(tmp_path, capsys):
    src = tmp_path / "compare.json"
    src.write_text(json.dumps({"ops": [row("trainer@skips", 1, 1)], "totals": []}))
    with pytest.raises(SystemExit):
        figures.main(["--compare", str(src)])
    assert "trainer@no_skips" in capsys.readouterr().err
