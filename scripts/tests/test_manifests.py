"""The core manifests: every key is read, documented and checked (verif/common/cores.py), and the
Makefile's help lists the cores it finds (no simulator)."""
import dataclasses
import re
import shutil
import subprocess

import pytest
from scriptload import ROOT, load_script

from verif.common import cores

MANIFESTS = sorted((ROOT / "verif").glob("*/*_sim_cfg.hjson"))


def manifest_keys(path):
    import hjson
    return set(hjson.loads(path.read_text()))


def test_every_manifest_key_is_known_and_documented_in_cores_docstring():
    doc = cores.__doc__
    for key in cores.KEYS:
        assert re.search(rf"^  {key}\s", doc, re.M), f"cores.py's docstring does not document {key}"
    for path in MANIFESTS:
        assert manifest_keys(path) <= cores.KEYS, path


def test_every_manifest_names_every_key_in_its_comment():
    for path in MANIFESTS:
        comments = " ".join(line for line in path.read_text().splitlines() if line.lstrip().startswith("//"))
        for key in cores.KEYS:
            assert re.search(rf"\b{key}\b", comments), f"{path.relative_to(ROOT)}: no comment names {key}"


def test_regress_seeds_is_gone():
    for path in MANIFESTS:
        assert "regress_seeds" not in manifest_keys(path)
    assert "regress_seeds" not in {f.name for f in dataclasses.fields(cores.CoreConfig)}


def copy_manifest(tmp_path, monkeypatch, name="dense", edit=lambda s: s):
    """A copy of a real manifest under a scratch verif/ folder, edited, that load_core reads."""
    folder = tmp_path / "verif" / name
    folder.mkdir(parents=True)
    text = (ROOT / "verif" / "dense" / "dense_sim_cfg.hjson").read_text()
    (folder / f"{name}_sim_cfg.hjson").write_text(edit(text))
    monkeypatch.setattr(cores, "VERIF", tmp_path / "verif")
    monkeypatch.setattr(cores, "ROOT", ROOT)   # paths inside stay repository paths


def test_an_unknown_or_misspelt_key_is_an_error(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: s.replace("  baseline: true", "  baseline: true\n  compare_test: [x]"))
    with pytest.raises(ValueError, match="unknown key.*compare_test"):
        cores.load_core("dense")


def test_regress_seeds_is_now_an_unknown_key(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: s.replace("  baseline: true", "  baseline: true\n  regress_seeds: 3"))
    with pytest.raises(ValueError, match="unknown key.*regress_seeds"):
        cores.load_core("dense")


def test_line_coverage_min_is_required_and_a_percentage(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: re.sub(r"\n  line_coverage_min: \d+", "", s))
    with pytest.raises(ValueError, match="missing key.*line_coverage_min"):
        cores.load_core("dense")


def test_a_bad_line_coverage_min_is_an_error(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: re.sub(r"line_coverage_min: \d+", "line_coverage_min: 195", s))
    with pytest.raises(ValueError, match="line_coverage_min"):
        cores.load_core("dense")


def test_the_name_must_match_the_folder(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, name="other")
    with pytest.raises(ValueError, match="differs from its folder"):
        cores.load_core("other")


def test_an_area_unit_with_an_unknown_key_is_an_error(tmp_path, monkeypatch):
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: s.replace("area_reference: true", "area_reference: true\n      cells: 3"))
    with pytest.raises(ValueError, match=r"area_units\[0\].*unknown key.*cells"):
        cores.load_core("dense")


def test_every_core_states_its_line_coverage_threshold():
    for name in cores.core_names():
        assert 0 < cores.load_core(name).line_coverage_min <= 100
    assert 0 < cores.SHELL_LINE_COVERAGE_MIN <= 100


def test_cores_cli_names_needs_only_the_standard_library():
    python = shutil.which("python3")
    out = subprocess.run([python, "-S", str(ROOT / "scripts" / "cores.py"), "names"], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == cores.core_names()


def test_cores_cli_show_has_a_line_per_core():
    lines = load_script("cores").show()
    assert [line.split(":")[0].split()[0] for line in lines] == cores.core_names()
    assert any("(baseline)" in line for line in lines)


def test_make_help_lists_every_core():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    (line,) = [line for line in out.splitlines() if line.startswith("cores")]
    listed = line.split(":", 1)[1].split()
    for name in cores.core_names():
        assert name in listed, f"make help does not list {name}: {line}"


def test_make_passes_designs_only_when_given():
    def dry(*args):
        out = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if "scripts/" in line and "check_system" not in line]
    for target in ("compare", "area", "lint"):
        (cmd,) = [c for c in dry(target) if f"scripts/{target}.py" in c]
        assert "--designs" not in cmd, cmd
        (cmd,) = [c for c in dry(target, "DESIGNS=swpu dqstp") if f"scripts/{target}.py" in c]
        assert '--designs "swpu dqstp"' in cmd, cmd


def test_software_costs_are_sized_on_the_operations_dims():
    swpu = {c.what.split()[0]: c for c in cores.load_core("swpu").software_costs}
    assert swpu["Hamming-distance"].bits_for({"M": 32, "N": 99, "K": 144}) == 32 * 8
    assert swpu["weights"].bits_for({"M": 32, "K": 144}) == 32 * 144 * 16


def test_a_software_cost_that_is_not_an_expression_over_the_dims_is_an_error(tmp_path, monkeypatch):
    bad = 'software_costs: [\n    {\n      what: "x"\n      how_often: "y"\n      bits: "M*Q"\n    }'
    copy_manifest(tmp_path, monkeypatch, edit=lambda s: s.replace("software_costs: [", bad, 1))
    with pytest.raises(ValueError, match=r"software_costs\[0\].*M\*Q.*not an expression"):
        cores.load_core("dense")


def test_a_software_cost_counts_only_in_its_phases():
    xhat = next(c for c in cores.load_core("trainer").software_costs if c.what.startswith("x-hat"))
    dims = {"M": 4, "N": 10, "K": 3}
    assert xhat.bits_for(dims, "BP") == 4 * 10 * 16 and xhat.bits_for(dims, "FF") == 0
    assert xhat.bits_for(dims, "BP+WG") == 4 * 10 * 16
