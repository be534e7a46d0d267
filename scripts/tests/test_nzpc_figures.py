"""scripts/nzpc_figures.py on a hand-made compare.json (no simulator)."""
import json

import pytest
from scriptload import load_script

figures = load_script("nzpc_figures")


def row(op, variant, cycles, eff, slots, counters=None, toggles=0, load=10, drain=5):
    return {"op": op, "variant": variant, "phase": op.split("/")[2], "cycles": cycles, "effectual_macs": eff,
            "mac_slots": slots, "dense_macs": 400, "toggles": toggles, "load_cycles": load, "drain_cycles": drain,
            "core_counters": counters or {}}


def test_figures_per_activation_and_phase(tmp_path, capsys):
    bp, wg = "nzpc-relu6/conv2/BP/0", "nzpc-relu6/conv2/WG/0"
    rows = []
    for op in (bp, wg):
        rows += [row(op, "nzpc", 100, 80, 1600, {"IMBALANCE": 20}, toggles=800),
                 row(op, "nzpc@no_balance", 125, 80, 2000, {"IMBALANCE": 420}),
                 row(op, "nzpc@detect", 140, 70, 2240, {"DETECT_CYC": 30}),
                 row(op, "dense", 400, 100, 6400, toggles=3000)]
    rows.append(row("dqstp/conv2/FF/0", "dense", 1, 1, 1))          # another method's record: ignored
    src = tmp_path / "compare.json"
    src.write_text(json.dumps({"ops": rows, "totals": []}))
    assert figures.main(["--compare", str(src), "--out", str(tmp_path / "f.json")]) == 0
    out = json.loads((tmp_path / "f.json").read_text())["rows"]
    assert [(r["activation"], r["phase"]) for r in out] == [("relu6", "BP"), ("relu6", "WG")]
    r = out[0]
    assert (r["detect_cycles_avoided"], r["detect_stage_cycles"], r["imbalance_no_balance"]) == (40, 30, 420)
    assert r["utilization_balanced"] == pytest.approx(0.05) and r["utilization_no_balance"] == pytest.approx(0.04)
    assert r["speedup"] == pytest.approx(4.0) and r["speedup_end_to_end"] == pytest.approx(415 / 115)
    assert (r["ideal_speedup"], r["toggles_per_effectual_mac"], r["toggles_per_effectual_mac_dense"]) == (5.0, 10.0, 30.0)
    assert "relu6" in capsys.readouterr().out


def test_a_record_missing_a_variant_is_left_out_and_no_rows_is_an_error(tmp_path, capsys):
    src = tmp_path / "compare.json"
    src.write_text(json.dumps({"ops": [row("nzpc-relu/fc/WG/0", "nzpc", 1, 1, 16)], "totals": []}))
    with pytest.raises(SystemExit):
        figures.main(["--compare", str(src)])
    assert "nzpc@detect" in capsys.readouterr().err
