"""The event-energy model (verif/common/energy.py, scripts/energy.py) against independent references:
Horowitz's published figures written out here, energies worked out by hand for a tiny operation,
every manifest's energy_events checked against the core's RDL and RTL, and the Accelergy export read
back with PyYAML. No simulator."""
import json
import re

import pytest
import yaml
from scriptload import ROOT, load_script

from verif.common import cores, energy
from verif.common.csr_map import load_csr_map

energy_script = load_script("energy")
compare = load_script("compare")

# Horowitz, ISSCC 2014, table of energy per operation, 45 nm, 0.9 V (pJ), as printed.
HOROWITZ_PJ = {"int8_add": 0.03, "int32_add": 0.1, "int8_mul": 0.2, "int32_mul": 3.1, "fp16_add": 0.4,
               "fp32_add": 0.9, "fp16_mul": 1.1, "fp32_mul": 3.7, "sram64_8KB": 10, "sram64_32KB": 20,
               "sram64_1MB": 100}


def test_the_data_file_cites_horowitz_and_holds_his_figures():
    table = energy.load_table()
    assert "Horowitz" in table["source"]["cite"] and "ISSCC 2014" in table["source"]["cite"]
    assert {k: v["pJ"] for k, v in table["published"].items()} == HOROWITZ_PJ
    for name, text in table["rules"].items():
        if name != "sram_points":
            assert text.startswith("ASSUMPTION."), name   # every derived figure is labelled as such


@pytest.mark.parametrize("name, pj", [
    ("int8_mul", 0.2), ("fp32_add", 0.9),
    ("int4_mul", 0.0508),      # 0.2 x (4/8)^1.977, the exponent fitted to 8-bit 0.2 and 32-bit 3.1
    ("int32_mul", 3.1),        # the fit passes through both published points
    ("int24_add", 0.07667),    # 0.03 + 16 x 0.07 / 24
    ("fp16_mul_m4", 0.7754),   # 1.1 - 0.2 x (11/8)^1.977 + 0.0508
    ("shift", 0.1), ("reg_bit", 0.003125),
])
def test_primitive_energies(name, pj):
    assert energy.primitive_pj(name) == pytest.approx(pj, rel=1e-3)


def test_event_kinds_add_their_parts():
    assert energy.event_pj("fp16_mac") == pytest.approx(1.1 + 0.9)
    assert energy.event_pj("int8_mac32") == pytest.approx(0.2 + 0.1)
    assert energy.event_pj("int4_mac24") == pytest.approx(0.0508 + 0.07667, rel=1e-3)
    with pytest.raises(KeyError):
        energy.event_pj("fp8_mac")


@pytest.mark.parametrize("size, bits, pj", [
    (8192, 64, 10.0), (32768, 64, 20.0), (1 << 20, 64, 100.0),   # the published points
    (16384, 64, 14.142),      # between 8 and 32 KB: the geometric mean, sqrt(10 x 20)
    (2048, 64, 5.0),          # below 8 KB: 10 x sqrt(2 KB / 8 KB)
    (8192, 256, 40.0),        # four times the bits of one 64-bit read
    (131072, 256, 152.29),    # 128 KB: 20 x 4^(ln 5 / ln 32) = 38.07 per 64 bits, x 4
])
def test_sram_access_rule(size, bits, pj):
    assert energy.sram_access_pj(size, bits) == pytest.approx(pj, rel=1e-3)


def test_expressions():
    values = {"A": 3, "B": 5, "SRAM_RD[2]": 7}
    assert energy.evaluate("A * SRAM_RD[2] + B", values.__getitem__) == 26
    assert energy.evaluate("A if B == 0 else 0", values.__getitem__) == 0
    assert energy.evaluate(12, values.__getitem__) == 12
    assert energy.expression_names("Lanes * SRAM_RD[2] + SHIFT_OPS") == {"Lanes", "SRAM_RD[2]", "SHIFT_OPS"}
    for bad in ("open('x')", "A ** 2", "A.b"):
        with pytest.raises(ValueError):
            energy.evaluate(bad, values.__getitem__)


# A tiny dense operation: 100 MAC slots (50 effectual, 64 dense MACs), 10 reads of A and of B
# (4096 x 256 bits = 128 KB each), 4 writes of C (4096 x 128 bits = 64 KB).
TINY_DENSE = {"id": "t/l/FF/0", "op": "t/l/FF/0", "phase": "FF", "cycles": 7, "load_cycles": 0, "drain_cycles": 0,
              "mac_slots": 100, "effectual_macs": 50, "golden_effectual_macs": 50, "skipped_macs": 0,
              "dense_macs": 64, "utilization": 0.5, "sram_reads": 20,
              "sram_by_buffer": {"RD[0]": 10, "RD[1]": 10, "RD[2]": 0, "RD[3]": 0,
                                 "WR[0]": 0, "WR[1]": 0, "WR[2]": 4, "WR[3]": 0}, "core_counters": {}}
# by hand: MACs 100 x (1.1 + 0.9) = 200; accumulators 100 x 32 bits x 0.1/32 = 10;
# A and B 20 x 152.29 = 3045.85; C (64 KB: 20 x 2^(ln 5 / ln 32) = 27.59 per 64 bits) 4 x 55.19 = 220.76
TINY_DENSE_PJ = {"compute": 200.0, "registers": 10.0, "sram": 3266.6}


def test_hand_computed_energy_of_a_tiny_operation():
    e = energy.energy_of("dense", TINY_DENSE)
    assert {k: e[f"{k}_pj"] for k in TINY_DENSE_PJ} == pytest.approx(TINY_DENSE_PJ, rel=1e-4)
    assert e["energy_pj"] == pytest.approx(3476.6, rel=1e-4)
    assert e["pj_per_effectual_mac"] == pytest.approx(3476.6 / 50, rel=1e-4)
    assert e["pj_per_dense_mac"] == pytest.approx(3476.6 / 64, rel=1e-4)
    assert e["sram_pj_by_buffer"] == pytest.approx({"buf_a": 1522.9, "buf_b": 1522.9, "buf_c": 220.76}, rel=1e-4)
    assert energy.energy_of("dense@any", TINY_DENSE)["energy_pj"] == e["energy_pj"]   # a compare variant label


def test_a_missing_counter_is_an_error_not_zero():
    op = {k: v for k, v in TINY_DENSE.items() if k != "mac_slots"}
    with pytest.raises(KeyError, match="mac_slots"):
        energy.energy_of("dense", op)


def test_dqstp_prices_its_own_counters():
    op = {**TINY_DENSE, "sram_by_buffer": {"RD[0]": 0, "RD[1]": 0, "RD[2]": 3, "RD[3]": 0,
                                           "WR[0]": 0, "WR[1]": 0, "WR[2]": 0, "WR[3]": 0},
          "core_counters": {"SHIFT_OPS": 10, "ROWPTR_RD": 0, "ROWPTR_WR": 0, "CBUF_RD": 0, "CBUF_WR": 0,
                            "GBUF_RD": 0, "GBUF_WR": 0}}
    e = energy.energy_of("dqstp", op)
    lanes = cores.load_core("dqstp").parameters["Lanes"]
    # 10 shift-adds (0.1 + 0.1) and Lanes multiplies a read X word (0.2 + 0.1)
    assert e["compute_pj_by_event"] == pytest.approx({"shift_lanes": 2.0, "wg_array": 3 * lanes * 0.3})


def core_energy_events():
    return [(name, cores.load_core(name)) for name in cores.core_names()]


@pytest.mark.parametrize("name, core", core_energy_events())
def test_manifest_mapping_names_real_counters_parameters_events_and_instances(name, core):
    spec = core.energy_events
    assert spec, f"{name}: no energy_events in its manifest: make compare could not price it"
    csr = load_csr_map(core.rdl)
    counters = set(csr.common_counters) | set(csr.core_counters) | {
        f"SRAM_{d}[{i}]" for d in ("RD", "WR") for i in range(csr.sram_counters)}
    known = counters | set(core.parameters) | {"InBeatBits", "OutBeatBits", "DENSE_MACS"}
    entries = spec["compute"] + spec.get("registers", []) + spec["buffers"]
    for entry in entries:
        for key in ("count", "bits", "reads", "writes", "words", "word_bits", "access_bits", "write_bits"):
            if key in entry:
                unknown = energy.expression_names(entry[key]) - known
                assert not unknown, f"{name}: {entry} names {unknown}: no counter of {core.rdl.name}, no parameter"
    table_events = set(energy.load_table()["events"])
    assert {e["event"] for e in spec["compute"]} <= table_events
    # one name per component, and an SRAM counter is priced by at most one buffer (no double counting)
    names = [e.get("name", e.get("event")) for e in entries]
    assert len(names) == len(set(names))
    used = [n for b in spec["buffers"] for k in ("reads", "writes") if k in b
            for n in energy.expression_names(b[k]) if n.startswith("SRAM_")]
    assert len(used) == len(set(used))
    rtl = "\n".join(p.read_text() for p in core.sources if f"hdl/{name}/" in p.as_posix())
    for inst in spec.get("toggles_only", []):
        assert re.search(rf"\b{inst}\s*\(", rtl), f"{name}: no instance {inst} in its RTL"
    params = {**core.parameters, "InBeatBits": csr.in_beat_bits, "OutBeatBits": csr.out_beat_bits}
    for b in spec["buffers"]:
        words = energy.evaluate(b["words"], params.__getitem__)
        bits = energy.evaluate(b["word_bits"], params.__getitem__)
        access = energy.evaluate(b.get("access_bits", bits), params.__getitem__)
        assert words > 0 and bits > 0 and access <= bits
        assert energy.evaluate(b.get("write_bits", access), params.__getitem__) <= access


@pytest.mark.parametrize("name, core", [(n, c) for n, c in core_energy_events() if c.energy_events])
def test_every_sram_counter_the_rtl_drives_is_priced(name, core):
    """An SRAM counter slot wired to something other than zero in the core's top must be some buffer's."""
    top = next(p for p in core.sources if p.name == f"{core.toplevel}.sv").read_text()
    priced = {n for b in core.energy_events["buffers"] for k in ("reads", "writes") if k in b
              for n in energy.expression_names(b[k])}
    for i in range(load_csr_map(core.rdl).sram_counters):
        tied_to_zero = re.search(rf"assign\s+sram_rd\[{i}\]\s*=\s*'0", top)
        assert tied_to_zero or f"SRAM_RD[{i}]" in priced, f"{name}: SRAM_RD[{i}] is counted but priced by no buffer"


def test_accelergy_yaml_parses_and_its_counts_are_the_operations():
    text = yaml.safe_dump(energy.accelergy_action_counts("dense@x", TINY_DENSE), sort_keys=False)
    doc = yaml.safe_load(text)
    assert set(doc) == {"action_counts"} and doc["action_counts"]["version"] == 0.4
    counts = {(c["name"], a["name"]): a["counts"] for c in doc["action_counts"]["local"] for a in c["action_counts"]}
    assert counts == {("dense.pe_array", "mac_random"): 100, ("dense.accumulators", "write"): 100,
                      ("dense.buf_a", "read"): 10, ("dense.buf_a", "write"): 0,
                      ("dense.buf_b", "read"): 10, ("dense.buf_b", "write"): 0,
                      ("dense.buf_c", "read"): 0, ("dense.buf_c", "write"): 4}


def test_compare_rows_carry_energy_and_energy_script_writes_its_outputs(tmp_path):
    dense = {"ops": [TINY_DENSE]}
    swpu_op = {**TINY_DENSE, "id": "t/l/FF/0@natural", "mac_slots": 80, "effectual_macs": 40,
               "core_counters": {}}
    rows = compare.compare({"dense": dense, "swpu": {"ops": [swpu_op]}}, "dense", with_energy=True)
    by_variant = {r["variant"]: r for r in rows}
    assert by_variant["dense"]["energy_pj"] == pytest.approx(3476.6, rel=1e-4)
    # swpu: 40 MACs (2.0 pJ) and 40 accumulator updates (0.1 pJ); its A, B, C are the dense core's sizes
    assert by_variant["swpu@natural"]["energy_breakdown_pj"]["compute"] == pytest.approx(80.0)
    (tmp_path / "compare.json").write_text(json.dumps({"baseline": "dense", "ops": rows,
                                                       "totals": compare.totals(rows, "dense")}))
    assert energy_script.main(["--compare", str(tmp_path / "compare.json"), "--out", str(tmp_path)]) == 0
    out = json.loads((tmp_path / "energy.json").read_text())
    (total_dense,) = [t for t in out["totals"] if t["variant"] == "dense"]
    (total_swpu,) = [t for t in out["totals"] if t["variant"] == "swpu@natural"]
    assert total_dense["energy_pj"] == pytest.approx(3476.6, rel=1e-4)
    assert total_swpu["baseline_energy_ratio"] == pytest.approx(3476.6 / total_swpu["energy_pj"])
    assert (tmp_path / "energy.png").stat().st_size > 0
    assert (tmp_path / "energy.csv").read_text().count("\n") == 1 + 2 + 2   # header, 2 operations, 2 totals
    doc = yaml.safe_load((tmp_path / "accelergy" / "swpu@natural" / "t_l_FF_0.yaml").read_text())
    counts = {(c["name"], a["name"]): a["counts"] for c in doc["action_counts"]["local"] for a in c["action_counts"]}
    assert counts[("swpu.lanes", "mac_random")] == 40 and counts[("swpu.buf_c", "write")] == 4


def test_an_unknown_manifest_key_in_energy_events_is_an_error():
    with pytest.raises(ValueError, match="energy_events"):
        cores._energy_events({"compute": [], "buffers": [], "power": 1}, "x: energy_events")
    with pytest.raises(ValueError, match="needs"):
        cores._energy_events({"compute": [{"event": "fp16_mac"}], "buffers": []}, "x: energy_events")
    assert ROOT.is_dir()


def test_a_build_at_other_parameters_is_priced_with_them():
    # dense@tile16x16's C word is 16 x 32 bits: 4096 words of 512 bits = 256 KB, 20 x 5^(ln 8 / ln 32) pJ
    # per 64 bits by the table's log rule between 32 KB and 1 MB; 4 writes of 8 x 64 bits.
    op = {**TINY_DENSE, "parameters": {"Rows": 1, "Cols": 16, "TileRows": 16}}
    e = energy.energy_of("dense@tile16x16", op)
    assert e["sram_pj_by_buffer"]["buf_c"] == pytest.approx(4 * 8 * 20 * 5 ** (3 / 5), rel=1e-4)
    assert e["sram_pj_by_buffer"]["buf_a"] == pytest.approx(1522.9, rel=1e-4)
