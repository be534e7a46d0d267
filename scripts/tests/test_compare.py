"""make compare's joining and totals on hand-made summaries (no simulator)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import compare  # noqa: E402


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
    rows = compare.compare({"dense": DENSE, "core": CORE})
    assert {r["op"] for r in rows} == {"m/l/BP/5", "m/l/BP/5+WG"}   # FF/5 and other/op have no pair
    assert by(rows, "m/l/BP/5", "core@fast")["speedup"] == pytest.approx(4.0)
    assert by(rows, "m/l/BP/5", "core@slow")["fraction_of_ideal"] == pytest.approx(0.5)


def test_a_multi_record_job_is_set_against_the_sum_of_its_records_on_dense():
    rows = compare.compare({"dense": DENSE, "core": CORE})
    base = by(rows, "m/l/BP/5+WG", "dense")
    assert base["cycles"] == 1600 and base["effectual_macs"] == 5200 and base["parts"] == ["m/l/BP/5", "m/l/WG/5"]
    assert base["toggles_per_effectual_mac"] == pytest.approx(11000 / 5200)
    assert by(rows, "m/l/BP/5+WG", "core@fast")["speedup"] == pytest.approx(4.0)


def test_totals_count_each_record_once_and_multi_record_jobs_apart():
    rows = compare.compare({"dense": DENSE, "core": CORE})
    totals = {(t["op"], t["variant"]): t for t in compare.totals(rows)}
    assert totals[("ALL m", "dense")]["cycles"] == 1000
    assert totals[("ALL m step 5", "core@slow")]["speedup"] == pytest.approx(2.0)
    assert totals[("ALL m multi-record jobs", "dense")]["cycles"] == 1600


def test_step_of_record_ids():
    assert compare.step_of("dqstp/conv2.lr/BP/899+WG") == "899"
    assert compare.step_of("random/op") == ""
