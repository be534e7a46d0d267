"""scripts/grid.py without a simulator: the grid records, the table built from two summaries, the plot."""
from __future__ import annotations

from pathlib import Path

import pytest
from scriptload import load_script

from models import golden
from models.records import load_records

grid = load_script("grid")


def fake_summaries(records: Path) -> tuple[dict, dict]:
    trainer, dense = {"ops": []}, {"ops": []}
    for i, rec in enumerate(load_records(records)):
        eff = golden.effectual_macs(rec.a, rec.b)
        dense["ops"].append({"id": rec.id, "cycles": 1000, "dense_macs": rec.a.size * rec.b.shape[1],
                             "golden_effectual_macs": eff})
        for mode, cycles in (("compress_A", 100 + i), ("compress_B", 200 - i)):
            trainer["ops"].append({"id": f"{rec.id}@{mode}", "cycles": cycles, "utilization": eff / (16 * cycles)})
    return trainer, dense


def test_grid_table_and_plot(tmp_path):
    records = tmp_path / "records"
    grid.write_records(records, (4, 8, 16), seed=3)
    recs = load_records(records)
    assert len(recs) == len(grid.GRID) ** 2
    for rec in recs:                      # each point near its nominal sparsity, c the golden GEMM
        sa, sb = rec.meta["grid"]
        assert rec.meta["sparsity_a"] == pytest.approx(sa, abs=0.3)
        rec.verify()
    rows = grid.table(records, *fake_summaries(records))
    assert {(r["weight_sparsity"], r["activation_sparsity"]) for r in rows} == \
        {(a, b) for a in grid.GRID for b in grid.GRID}
    for r in rows:
        assert r["compress_A_speedup"] == pytest.approx(1000 / r["compress_A_cycles"])
        assert r["driver_speedup"] == r[f"{r['driver_choice']}_speedup"]
        assert r["best_dataflow"] == "compress_A"     # the fake summaries make A the faster one
    grid.plot(rows, tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_bad_shape_is_refused(capsys):
    with pytest.raises(SystemExit):
        grid.main(["--shape", "3,4", "--no-run"])
    assert "three positive integers" in capsys.readouterr().err
