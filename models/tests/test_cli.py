"""The command line: a real run writes summary.json; bad arguments exit 2 with a clear message."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from models.dataset import Split
from models.train import aggregate, compare, main, run_method, sparsity_at_floor

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
    (["--make-fixtures", "--record", "steps=0"], "apply to a single --method run"),
    (["--make-fixtures", "--epochs", "2"], "takes no other options"),
    (["--method", "dense", "--seeds", "0,1"], "--seeds applies to --compare"),
    (["--compare", "--seeds", "0,x"], "non-negative integer seed"),
    (["--method", "dense", "--epochs", "1", "--record", "layers=conv9"], "no layer 'conv9'"),
    (["--method", "dense", "--epochs", "1", "--record", "steps=5000"], "past the last step"),
])
def test_bad_arguments_exit_2_with_a_clear_message(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_compare_writes_the_table_json_csv_and_plot(tmp_path, small_digits):
    lines = []
    result = compare(tmp_path, epochs=1, seeds=[0], progress=lines.append, sweep=(0.5, 0.9), data=small_digits)
    assert [m["method"] for m in result["methods"]] == ["dense", "unstructured", "structured", "swpu",
                                                        "trainer", "dqstp", "nzpc", "rowpipe"]
    for name in ("compare.json", "compare.csv", "compare.png", "compare.txt"):
        assert (tmp_path / name).stat().st_size > 0
    text = (tmp_path / "compare.txt").read_text()
    assert "effectual MACs" in text and "dense - 2 points" in text
    assert set(result["sweep"]["points"]) == {"structured", "swpu", "unstructured"}
    assert (tmp_path / "trainer" / "summary.json").exists()
    assert "misspeculation_rate" in result["methods"][4]["trainer"]


def test_compare_averages_over_seeds(small_digits):
    tiny = Split(small_digits.x_train[:64], small_digits.y_train[:64], small_digits.x_test, small_digits.y_test)
    row = aggregate([run_method("dense", epochs=1, seed=s, data=tiny, progress=None) for s in (0, 1)])
    assert row["seeds"] == [0, 1] and len(row["test_accuracy_per_seed"]) == 2
    assert row["test_accuracy"] == pytest.approx(sum(row["test_accuracy_per_seed"]) / 2)
    assert row["test_accuracy_std"] is not None


def test_sparsity_at_floor_interpolates_the_crossing():
    pts = [{"weight_sparsity": 0.9, "test_accuracy": 0.98}, {"weight_sparsity": 0.95, "test_accuracy": 0.97},
           {"weight_sparsity": 0.99, "test_accuracy": 0.93}]
    assert sparsity_at_floor(pts, 0.96)["weight_sparsity"] == pytest.approx(0.96)
    assert sparsity_at_floor(pts, 0.90) == {"weight_sparsity": 0.99, "bounded": False}
    assert sparsity_at_floor(pts, 0.99)["weight_sparsity"] is None
