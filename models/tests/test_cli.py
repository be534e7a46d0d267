"""The command line: a real run writes summary.json; bad arguments exit 2 with a clear message."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from models.train import compare, main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "models.train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_a_run_writes_its_summary_and_records(tmp_path):
    out = tmp_path / "run"
    p = cli("--method", "dense", "--epochs", "1", "--seed", "3", "--out", str(out),
            "--record", "layers=fc;phases=FF,WG;steps=0,last;samples=2")
    assert p.returncode == 0, p.stderr
    assert "epoch   1/1" in p.stdout and "test acc" in p.stdout
    s = json.loads((out / "summary.json").read_text())
    for key in ("method", "test_accuracy", "weight_sparsity", "effectual_mac_fraction"):
        assert key in s
    assert s["method"] == "dense" and s["seed"] == 3 and 0.5 < s["test_accuracy"] <= 1
    assert 0 < s["effectual_mac_fraction"] <= 1
    assert len(s["records"]) == 4
    for name in ("history.csv", "layers.csv", "training.png"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["--method", "magic"], "invalid choice: 'magic'"),
    (["--method", "dense", "--epochs", "0"], "expected a positive integer"),
    (["--method", "dense", "--epochs", "two"], "expected a positive integer"),
    (["--method", "dense", "--seed", "-1"], "non-negative integer seed"),
    (["--method", "dense", "--record", "phases=XY"], "unknown phase"),
    (["--method", "swpu", "--set", "bogus=1"], "unknown option 'bogus'"),
    (["--method", "swpu", "--set", "sparsity=2"], "sparsity must be in"),
    (["--epochs", "3"], "one of the arguments --method --compare --make-fixtures is required"),
    (["--compare", "--set", "sparsity=0.5"], "apply to a single --method run"),
    (["--make-fixtures", "--epochs", "2"], "takes no other options"),
])
def test_bad_arguments_exit_2_with_a_clear_message(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_compare_writes_the_table_json_csv_and_plot(tmp_path, small_digits):
    lines = []
    result = compare(tmp_path, epochs=1, seed=0, progress=lines.append, sweep=(0.5,), data=small_digits)
    assert [m["method"] for m in result["methods"]] == ["dense", "unstructured", "structured", "swpu",
                                                        "trainer", "dqstp", "nzpc", "rowpipe"]
    for name in ("compare.json", "compare.csv", "compare.png", "compare.txt"):
        assert (tmp_path / name).stat().st_size > 0
    assert "effectual MACs" in (tmp_path / "compare.txt").read_text()
    assert set(result["sweep"]["points"]) == {"structured", "swpu"}
    assert (tmp_path / "trainer" / "summary.json").exists()
