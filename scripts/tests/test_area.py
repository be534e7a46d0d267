"""make area: the units come from the core manifests (area_units; Yosys is not run for them here), and a
probe with known flip-flop, SRAM and behavioural memory bits and a known gate chain goes through the
whole-core Yosys flow (one small synthesis, a few seconds)."""
import dataclasses
from pathlib import Path

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
    monkeypatch.setattr(area, "run_yosys", lambda *a: pytest.fail("--list must not run Yosys"))
    assert area.main(["--list"]) == 0
    out = capsys.readouterr().out
    for unit in area.select_units():
        assert unit.name in out
    assert "(reference)" in out
    for name in cores.core_names():
        assert f"whole core {cores.load_core(name).toplevel}" in out


def test_results_are_set_against_the_reference(monkeypatch, tmp_path, capsys):
    cells = {"fp16_mac_array": 400, "dqstp_shift_array": 100, "dqstp_wg_array": 200}
    monkeypatch.setattr(area, "cell_count", lambda unit: {"cells": cells[unit.top], "by_kind": {}})
    whole = {"cells": 9, "ff_bits": 2, "sram_bits": 64, "behavioural_mem_bits": 0, "latch_bits": 0,
             "longest_path_gates": 3, "path_start": "a[0]", "path_end": "b[0]", "path_captured_by": None,
             "longest_path_no_csr_gates": 2, "path_no_csr_start": "a[1]", "path_no_csr_end": "b[1]",
             "by_block": {"x_top (own logic)": {"module": "x_top", "instances": 1, "cells": 9, "ff_bits": 2,
                                                "latch_bits": 0, "check_cells": 0, "sram_bits": 64,
                                                "behavioural_mem_bits": 0}},
             "memories": [], "synth_seconds": 1.0, "cached": True}
    monkeypatch.setattr(area, "core_design", lambda name, label=None, size=None: label or name)
    monkeypatch.setattr(area, "synth_design", lambda name: {**whole, "cells": len(name)})
    out = tmp_path / "area.json"
    assert area.main(["--designs", "dense dqstp", "--json", str(out)]) == 0
    import json
    data = json.loads(out.read_text())
    assert data["units"][data["reference"]]["vs_reference"] == 1.0
    assert {u["top"]: u["vs_reference"] for u in data["units"].values()} == {
        "fp16_mac_array": 1.0, "dqstp_shift_array": 0.25, "dqstp_wg_array": 0.5}
    # dense also at its compare size (dense@tile16x16), synthesised as its own design
    assert {c: fig["cells"] for c, fig in data["cores"].items()} == {"dense": 5, "dense@tile16x16": 15, "dqstp": 5}


# ---------------------------------------------------------------------------------------------------
# Whole designs: a probe with known figures goes through the same Yosys flow as the cores.

PROBE_CHAIN = 100      # XOR gates in a row, longer than any other path but the configuration's
PROBE_CFG_BITS = 8     # the probe's configuration register (a CSR stand-in): its bits XORed in a row,
PROBE_CFG_CHAIN = 96   # then this many XORs: longer than the chain from the register, shorter from the inputs
PROBE_SRAM = (64, 8)   # Words, Width of each of the two sram_1r1w instances
PROBE_SV = f"""
// Area probe for scripts/tests/test_area.py: known flip-flop, SRAM and behavioural memory bits, and a
// chain of {PROBE_CHAIN} XOR gates between an input and a flip-flop.
module area_probe (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic [{PROBE_CHAIN}:0]     chain_i,
  input  logic [7:0]           d_i,
  input  logic                 we_i,
  input  logic                 re_i,
  input  logic [5:0]           addr_i,
  output logic                 chain_q,
  output logic [7:0]           d_q,
  output logic [1:0][7:0]      rdata_o,
  output logic [1:0][31:0]     rd_count_o,
  output logic [1:0][31:0]     wr_count_o,
  output logic [3:0]           beh_q,
  input  logic [{PROBE_CFG_BITS - 1}:0]           cfg_i,
  input  logic [{PROBE_CFG_CHAIN}:1]      cfg_chain_i,
  output logic                 cfg_chain_q
);
  // The configuration's path: {PROBE_CFG_BITS - 1} XORs over its bits, then {PROBE_CFG_CHAIN} more.
  logic [{PROBE_CFG_BITS - 1}:0] cfg_q;
  area_probe_cfg u_cfg (.clk_i, .d_i(cfg_i), .q_o(cfg_q));
  logic [{PROBE_CFG_BITS - 1}:0] z;
  logic [{PROBE_CFG_CHAIN}:0] y;
  always_comb begin
    z[0] = cfg_q[0];
    for (int j = 1; j < {PROBE_CFG_BITS}; j++) z[j] = z[j-1] ^ cfg_q[j];
    y[0] = z[{PROBE_CFG_BITS - 1}];
    for (int i = 1; i <= {PROBE_CFG_CHAIN}; i++) y[i] = y[i-1] ^ cfg_chain_i[i];
  end
  always_ff @(posedge clk_i) cfg_chain_q <= y[{PROBE_CFG_CHAIN}];  // 1 flip-flop bit

  logic [{PROBE_CHAIN}:0] x;
  always_comb begin
    x[0] = chain_i[0];
    for (int i = 1; i <= {PROBE_CHAIN}; i++) x[i] = x[i-1] ^ chain_i[i];
  end
  always_ff @(posedge clk_i) begin          // 1 + 8 flip-flop bits
    if (!rst_ni) begin
      chain_q <= 1'b0;
      d_q <= '0;
    end else begin
      chain_q <= x[{PROBE_CHAIN}];
      d_q <= d_i;
    end
  end
  for (genvar b = 0; b < 2; b++) begin : gen_bufs  // SRAM bits; 2 x 32-bit counters each
    sram_1r1w #(.Words({PROBE_SRAM[0]}), .Width({PROBE_SRAM[1]})) u_buf (
      .clk_i, .rst_ni, .clear_counts_i(1'b0), .we_i(we_i ^ b[0]), .waddr_i(addr_i), .wdata_i(d_i),
      .re_i, .raddr_i(addr_i), .rdata_o(rdata_o[b]), .rd_count_o(rd_count_o[b]), .wr_count_o(wr_count_o[b]));
  end
  logic [3:0] beh [16];                    // a behavioural memory: 16 x 4 bits, not an sram_1r1w
  always_ff @(posedge clk_i) begin
    if (we_i) beh[addr_i[3:0]] <= d_i[3:0];
    beh_q <= beh[addr_i[5:2]];
  end
endmodule
"""
# The probe's configuration register, in its own file, which the probe's Design names as CSR RTL.
PROBE_CFG_SV = f"""
module area_probe_cfg (input logic clk_i, input logic [{PROBE_CFG_BITS - 1}:0] d_i,
                       output logic [{PROBE_CFG_BITS - 1}:0] q_o);
  always_ff @(posedge clk_i) q_o <= d_i;
endmodule
"""


# make test runs pytest-xdist with --dist loadgroup: the probe's tests share one worker, so one synthesis.
ON_ONE_WORKER = pytest.mark.xdist_group("area_probe")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """The probe synthesised once (yowasp's sandbox sees the repository: its folder is under build/)."""
    import shutil
    import tempfile
    (ROOT / "build").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="area_probe_", dir=ROOT / "build"))
    src, cfg = folder / "area_probe.sv", folder / "area_probe_cfg.sv"
    src.write_text(PROBE_SV)
    cfg.write_text(PROBE_CFG_SV)
    design = area.Design("area_probe", "area_probe", (ROOT / "hdl/common/sram_1r1w.sv", cfg, src),
                         csr_sources=(cfg,))
    try:
        yield design, folder / "cache", area.synth_design(design, cache=folder / "cache")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@ON_ONE_WORKER
def test_the_probe_gives_its_known_flip_flop_sram_and_behavioural_bits(probe):
    _, _, fig = probe
    counters = 2 * 2 * 32
    assert fig["ff_bits"] == 1 + 8 + counters + PROBE_CFG_BITS + 1
    assert fig["latch_bits"] == 0
    assert fig["sram_bits"] == 2 * PROBE_SRAM[0] * PROBE_SRAM[1]
    assert fig["behavioural_mem_bits"] == 16 * 4
    assert fig["cells"] > fig["ff_bits"] + PROBE_CHAIN
    kinds = sorted((m["kind"], m["words"], m["width"], m["read_ports"], m["write_ports"]) for m in fig["memories"])
    assert kinds == [("behavioural", 16, 4, 1, 1), ("sram", *PROBE_SRAM, 1, 1), ("sram", *PROBE_SRAM, 1, 1)]


@ON_ONE_WORKER
def test_the_probe_blocks_are_the_top_instances_with_generate_indices_folded(probe):
    _, _, fig = probe
    blocks = fig["by_block"]
    assert set(blocks) == {"area_probe (own logic)", "gen_bufs[*].u_buf", "u_cfg"}
    assert (blocks["u_cfg"]["module"], blocks["u_cfg"]["ff_bits"]) == ("area_probe_cfg", PROBE_CFG_BITS)
    bufs = blocks["gen_bufs[*].u_buf"]
    assert (bufs["module"], bufs["instances"]) == ("sram_1r1w", 2)
    assert (bufs["ff_bits"], bufs["sram_bits"], bufs["behavioural_mem_bits"]) == (128, 2 * 64 * 8, 0)
    own = blocks["area_probe (own logic)"]
    assert (own["ff_bits"], own["sram_bits"], own["behavioural_mem_bits"]) == (10, 0, 64)
    assert sum(b["cells"] for b in blocks.values()) == fig["cells"]


@ON_ONE_WORKER
def test_the_probe_longest_path_is_its_configuration_chain_and_without_it_the_other_chain(probe):
    _, _, fig = probe
    assert fig["longest_path_gates"] == PROBE_CFG_BITS - 1 + PROBE_CFG_CHAIN > PROBE_CHAIN
    assert "cfg" in fig["path_start"] and fig["path_end"] == f"y[{PROBE_CFG_CHAIN}]"
    assert fig["csr_ff_bits"] == PROBE_CFG_BITS   # the register of the "CSR" file
    assert fig["longest_path_no_csr_gates"] == PROBE_CHAIN
    assert fig["path_no_csr_start"].startswith("chain_i[")
    assert fig["path_no_csr_end"] == f"x[{PROBE_CHAIN}]"  # the chain's last net, chain_q's input


@ON_ONE_WORKER
def test_a_second_run_reads_the_cache_and_a_changed_source_misses_it(probe, monkeypatch):
    design, cache, fig = probe
    monkeypatch.setattr(area, "run_yosys", lambda *a: pytest.fail("the cache should have answered"))
    again = area.synth_design(design, cache=cache)
    assert again["cached"] and not fig["cached"]
    keys = ("cells", "ff_bits", "sram_bits", "longest_path_gates", "longest_path_no_csr_gates")
    assert {k: again[k] for k in keys} == {k: fig[k] for k in keys}
    key = area.cache_key(design)
    src = design.sources[1]
    src.write_text(src.read_text() + "\n// changed\n")
    assert area.cache_key(design) != key
    assert area.cache_key(area.Design(design.name, design.top, design.sources, {"X": 1})) != area.cache_key(design)


def test_a_core_script_reads_the_manifest_sources_in_order_with_its_parameters():
    design = area.core_design("dense")
    core = cores.load_core("dense")
    assert design.sources[3:] == core.sources and design.sources[0].name == "accel_pkg.sv"
    assert design.csr_sources == design.sources[:3]
    script = area.design_script(design, "build/area/x")
    read = script.split(";")[0]
    assert read.index("hdl/common/accel_shell.sv") < read.index("hdl/dense/dense_top.sv") and str(ROOT) not in read
    assert "--top dense_top" in read and "-G Rows=4" in read and "-D SYNTHESIS" in read
    assert "memory_map" not in script and "ltp -noff" in script


def test_unknown_cells_are_an_error_never_dropped():
    with pytest.raises(RuntimeError, match=r"\$mul x1"):
        area._own_figures({"$_AND_": 3, "$mul": 1}, set())
    own, children = area._own_figures({"$_AND_": 3, "$_SDFFE_PP0P_": 2, "$_DLATCH_P_": 1, "$mem_v2": 1,
                                       "$scopeinfo": 4, "$check": 2, "sub$top.u_a": 1}, {"sub$top.u_a"})
    assert own == {"cells": 6, "ff_bits": 2, "latch_bits": 1, "check_cells": 2} and children == {"sub$top.u_a": 1}


def test_ltp_report_is_read_for_length_start_and_end():
    text = """Longest topological path in top (length=3):
    0: \\a_i [2]
    1: $auto$x [0] (via $auto$c1)
    2: \\u_x.y [5] (via $auto$c2)
    3: \\sum [1] (via $auto$c3)
   ff: \\sum_q [1] (via $auto$ff)
"""
    assert area.parse_ltp(text) == {"longest_path_gates": 3, "path_start": "a_i[2]", "path_end": "sum[1]",
                                    "path_captured_by": "sum_q[1]"}
    assert area.parse_ltp(text, "_x")["longest_path_x_gates"] == 3
    with pytest.raises(RuntimeError, match="no longest path"):
        area.parse_ltp("nothing here")


def test_unknown_design_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown design"):
        area.select_cores(["nosuchcore"])
    with pytest.raises(SystemExit):
        area.main(["--designs", "nosuchcore", "--list"])
    assert "unknown design(s) nosuchcore" in capsys.readouterr().err


def test_the_plot_is_a_png_with_a_bar_per_core(tmp_path):
    block = {"module": "m", "instances": 1, "cells": 10, "ff_bits": 1, "latch_bits": 0, "sram_bits": 0,
             "behavioural_mem_bits": 0}
    fig = {"cells": 30, "ff_bits": 3, "sram_bits": 4096, "behavioural_mem_bits": 64, "longest_path_gates": 7,
           "longest_path_no_csr_gates": 5,
           "by_block": {"u_a": block, "u_b": {**block, "cells": 20, "instances": 4}}}
    out = tmp_path / "area.png"
    area.plot_cores({"one": fig, "two": {**fig, "behavioural_mem_bits": 0}}, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_netlist_path_search_counts_gates_and_leaves_out_paths_from_csr_registers_and_constants():
    # in -> NOT -> NOT -> AND(with q) -> buffer -> OR(with q) -> ff D: 4 gates (a buffer is no gate)
    # cfg (CSR flip-flop) -> NOT -> XOR -> XOR -> XOR -> XOR -> AND(with in2) -> memory: 6 gates
    # constant 0 -> buffer -> NOT -> NOT -> AND(with in2) -> OR(with in2) -> XOR(with q) -> ff D: 5 gates
    blif = """.model t
.inputs in in2 clk
.subckt $_DFF_P_ C=clk D=d0 Q=q
.subckt $__csr_dff C=clk D=in Q=cfg
.subckt $_NOT_ A=in Y=n0
.subckt $_NOT_ A=n0 Y=n1
.subckt $_AND_ A=n1 B=q Y=n2
.names n2 n3
1 1
.subckt $_OR_ A=n3 B=q Y=d0
.subckt $_NOT_ A=cfg Y=c1
.subckt $_XOR_ A=c1 B=cfg Y=c2
.subckt $_XOR_ A=c2 B=cfg Y=c3
.subckt $_XOR_ A=c3 B=cfg Y=c4
.subckt $_XOR_ A=c4 B=cfg Y=c5
.subckt $_AND_ A=c5 B=in2 Y=d1
.names $false
.names $false k0
1 1
.subckt $_NOT_ A=k0 Y=k1
.subckt $_NOT_ A=k1 Y=k2
.subckt $_AND_ A=k2 B=in2 Y=k3
.subckt $_OR_ A=k3 B=in2 Y=k4
.subckt $_XOR_ A=k4 B=q Y=k5
.subckt $_DFF_P_ C=clk D=k5 Q=q3
.subckt $mem_v2 RD_ADDR[0]=d1 RD_DATA[0]=m0 WR_DATA[0]=d0
.subckt $_SDFFE_PP0P_ C=clk D=m0 E=in R=in2 Q=q2
.subckt $check A=d1 EN=in
.end
""".splitlines(keepends=True)
    paths = area.paths_from_netlist(blif)
    assert (paths["longest_path_gates"], paths["path_start"], paths["path_end"]) == (6, "cfg", "d1")
    no_csr = (paths["longest_path_no_csr_gates"], paths["path_no_csr_start"], paths["path_no_csr_end"])
    assert no_csr == (4, "in", "d0")
    assert paths["csr_ff_bits"] == 1
    with pytest.raises(RuntimeError, match="unknown cells"):
        area.paths_from_netlist([".subckt $mul A=a B=b Y=y\n"])
