"""scripts/rowpipe_figures.py: the buffer formula by hand, and the measured figures on a hand-made
compare.json (no simulator)."""
import json

from scriptload import load_script

figures = load_script("rowpipe_figures")


def test_buffer_table_by_hand():
    rows = {r["shape"]: r for r in figures.buffer_table(8)}
    digits = rows["digits conv1 -> conv2"]          # 16 channels x 8 x 8 at 4 bits; K2 + 1 = 4 rows
    assert (digits["whole_map_bytes"], digits["row_pipeline_bytes"]) == (16 * 8 * 8 // 2, 16 * 4 * 8 // 2)
    assert digits["weight_bytes"] == (16 * 1 + 32 * 16) * 9 // 2
    big = rows["56x56x64, K 3"]
    assert big["ratio"] == 56 / 4 and big["banks"] == 4
    assert abs(big["ratio_with_weights"] - (100352 + 36864) / (7168 + 36864)) < 1e-12
    odd = figures.buffer_table(3)[0]                 # channels round up to whole groups of StageMacs
    assert odd["whole_map_bytes"] == 18 * 8 * 8 // 2


def row(op, variant, cycles, counters=None, parts=None, images=1):
    return {"op": op, "variant": variant, "cycles": cycles, "load_cycles": 10, "drain_cycles": 5,
            "effectual_macs": 50, "mac_slots": 16 * cycles, "core_counters": counters or {},
            "parts": parts or [], "images": images}


def test_measured_pairs_and_head(tmp_path, capsys):
    pair = "rowpipe/conv1+conv2/FF/0"
    rows = [row(pair, "rowpipe", 100, {"PEAK_ROWS": 8, "BOTH_BUSY": 40}, ["a", "b"], images=2),
            row(pair, "rowpipe@layerwise", 150, {"PEAK_ROWS": 16}, ["a", "b"], images=2),
            row(pair, "dense", 200, parts=["a", "b"]),
            row("rowpipe/fc1/FF/0", "rowpipe", 30), row("rowpipe/fc1/FF/0", "dense", 30),
            row("nzpc-relu/conv2/FF/0", "dense", 1)]
    src = tmp_path / "compare.json"
    src.write_text(json.dumps({"ops": rows}))
    assert figures.main(["--compare", str(src), "--out", str(tmp_path / "f.json")]) == 0
    m = json.loads((tmp_path / "f.json").read_text())["measured"]
    p = m["pairs"][0]
    assert p["pair"] == "conv1+conv2" and p["speedup"] == 2.0 and p["pipeline_vs_layerwise"] == 1.5
    assert p["speedup_end_to_end"] == 215 / 115 and p["peak_rows_pipeline"] == 4 and p["peak_rows_layerwise"] == 8
    assert p["both_busy_fraction"] == 0.4
    assert m["head"] == {"records": 1, "cycles": 30, "cycles_dense": 30, "speedup": 1.0}
    assert "conv1+conv2" in capsys.readouterr().out
