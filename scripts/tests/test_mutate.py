"""scripts/mutate.py: which lines it mutates and how, against expectations written out by hand, and
that a mutant's tree leaves the project's own files alone."""
from __future__ import annotations

import pytest
from scriptload import ROOT, load_script

mutate = load_script("mutate")

SNIPPET = """\
module m (input logic clk_i, output logic ready_o);
  localparam int Depth = 4;           // not mutated: a declaration
  assign ready_o = enable_q;
  wire full = count_q == 4'd3 && !flush_i;  // a comment with a + b == c
  always_ff @(posedge clk_i) begin : p_regs
    if (start_i) count_q <= count_q + 1;
    ok_q <= a_q <= b_q;
    flag_q <= 1'b0;
  end
endmodule
"""


def mutations_of(text: str) -> set[tuple[int, str, str]]:
    return {(m.line, m.kind, m.after.strip()) for m in mutate.sites("x.sv", text)}


def test_sites_are_the_hand_listed_ones():
    assert mutations_of(SNIPPET) == {
        (3, "stuck", "assign ready_o = 1'b0;"),
        (3, "stuck", "assign ready_o = 1'b1;"),
        (4, "operator", "wire full = count_q != 4'd3 && !flush_i;  // a comment with a + b == c"),
        (4, "operator", "wire full = count_q == 4'd3 || !flush_i;  // a comment with a + b == c"),
        (6, "negate", "if (!(start_i)) count_q <= count_q + 1;"),
        (6, "operator", "if (start_i) count_q <= count_q - 1;"),
        (6, "constant", "if (start_i) count_q <= count_q + 2;"),
        (7, "operator", "ok_q <= a_q < b_q;"),           # the comparison, not the assignment
        (8, "constant", "flag_q <= 1'b1;"),
    }


def test_comments_declarations_and_parameter_lists_are_left_alone():
    text = ("  // if (a == b) x <= 1'b1;\n  localparam int W = A + 1;\n  logic [W-1:0] q;\n"
            "  sync_fifo #(.Depth(D + 1)) u_fifo (.clk_i);\n")
    assert mutations_of(text) == set()


def test_every_mutant_changes_exactly_one_line_and_the_diff_shows_it():
    for m in mutate.sites("x.sv", SNIPPET):
        assert m.before != m.after and m.before == SNIPPET.splitlines()[m.line - 1]
        assert f"-{m.before}" in m.diff() and f"+{m.after}" in m.diff()


def test_the_checkers_and_generated_files_are_not_mutated():
    names = {p.name for p in mutate.mutable_sources("dense")}
    assert "buf_drain.sv" in names and "dense_top.sv" in names and "fp16_gemm.sv" in names
    assert not {n for n in names if n.endswith("_check.sv")}
    assert all("build" not in p.parts for p in mutate.mutable_sources("dense"))


def test_score_leaves_invalid_mutants_out():
    ms = [mutate.Mutant("a.sv", 1, "operator", "x", "y", outcome) for outcome in
          ("killed", "killed", "killed", "survived", "invalid")]
    s = mutate.score(ms)
    assert s["all"] == {"killed": 3, "survived": 1, "invalid": 1, "score": 0.75}
    assert s["by_file"]["a.sv"]["score"] == 0.75


def test_a_mutant_tree_shares_files_but_the_mutated_one(tmp_path):
    tree = tmp_path / "t"
    mutate.make_tree(tree)
    src = ROOT / "hdl" / "common" / "sync_fifo.sv"
    copy = tree / "hdl" / "common" / "sync_fifo.sv"
    if copy.stat().st_dev == src.stat().st_dev:
        assert copy.stat().st_ino == src.stat().st_ino   # a hard link, no copy
    before = src.read_text()
    copy.unlink()
    copy.write_text("changed")
    assert src.read_text() == before


def test_bad_arguments_fail_clearly():
    with pytest.raises(SystemExit):
        mutate.main(["--design", "nope"])
    with pytest.raises(SystemExit):
        mutate.main(["--design", "dense", "-n", "0"])
