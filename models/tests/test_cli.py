"""The command line: a real run writes summary.json; bad arguments exit 2 with a clear message;
--compare tabulates the mean and spread over split seeds and seeds."""
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

import models.train
from models.dataset import Split, load_split
from models.methods import METHODS
from models.train import aggregate, compare, main, run_method, sparsity_at_floor, spread

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
    (["--compare", "--splits", "1,-2"], "non-negative integer seed"),
    (["--method", "dense", "--splits", "0,1"], "--splits applies to --compare"),
    (["--compare", "--split", "1"], "--split applies to a single --method run"),
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
    result = compare(tmp_path, epochs=1, seeds=[0], splits=[0], progress=lines.append, sweep=(0.5, 0.9),
                     load=lambda split: small_digits)
    assert [m["method"] for m in result["methods"]] == ["dense", "unstructured", "structured", "swpu",
                                                        "trainer", "dqstp", "nzpc", "rowpipe"]
    for name in ("compare.json", "compare.csv", "compare.png", "compare.txt"):
        assert (tmp_path / name).stat().st_size > 0
    text = (tmp_path / "compare.txt").read_text()
    assert "effectual MACs" in text and "estimate MACs" in text and "dense - 2 points" in text
    assert set(result["sweep"]["points"]) == {"structured", "swpu", "unstructured"}
    assert (tmp_path / "trainer" / "summary.json").exists()
    assert "misspeculation_rate" in result["methods"][4]["trainer"]


def test_spread_of_known_numbers():
    assert spread([0.9, 1.0, 0.95]) == pytest.approx({"mean": 0.95, "min": 0.9, "max": 1.0, "std": 0.05, "n": 3})
    assert spread([0.5])["std"] is None and spread([0.5])["mean"] == 0.5


def fake_run(method, split, seed, accuracy, test_set="digits"):
    return {"method": method, "split": split, "seed": seed, "test_accuracy": accuracy, "test_set": test_set,
            "weight_sparsity": 0.5, "effectual_mac_fraction": 0.25, "estimate_mac_fraction": 0.0,
            "mac_fraction": 1.0, "train_seconds": 1.0, "cpu_seconds": 2.0}


def test_aggregate_spreads_over_splits_and_seeds_and_pairs_with_dense():
    # split 0 is easy, split 1 hard; the method is 1 point below dense on every pair
    dense = [fake_run("dense", p, s, acc) for (p, s), acc in
             {(0, 0): 0.99, (0, 1): 0.98, (1, 0): 0.95, (1, 1): 0.96}.items()]
    method = [dict(r, method="swpu", test_accuracy=r["test_accuracy"] - 0.01) for r in dense]
    row = aggregate(method, dense)
    assert row["splits"] == [0, 1] and row["seeds"] == [0, 1] and row["runs"] == 4
    assert row["test_accuracy"] == pytest.approx(0.96)
    assert (row["test_accuracy_min"], row["test_accuracy_max"]) == pytest.approx((0.94, 0.98))
    assert row["test_accuracy_std"] == pytest.approx(statistics.stdev([0.98, 0.97, 0.94, 0.95]))
    assert [p["test_accuracy"] for p in row["test_accuracy_per_split"]] == pytest.approx([0.975, 0.945])
    assert row["test_accuracy_split_std"] == pytest.approx(statistics.stdev([0.975, 0.945]))
    assert row["test_accuracy_vs_dense"] == pytest.approx(-0.01)
    assert row["test_accuracy_vs_dense_std"] == pytest.approx(0.0, abs=1e-12)
    other_task = [dict(r, test_set="digits 5-9") for r in method]
    assert aggregate(other_task, dense)["test_accuracy_vs_dense"] is None


def test_compare_runs_every_split_with_every_seed(tmp_path, digits, monkeypatch):
    """Two methods, two split seeds x two seeds on a few batches of each split: every pair runs once on
    its own split, and the table's spread is that of the runs' accuracies."""
    monkeypatch.setattr(models.train, "METHODS", {n: METHODS[n] for n in ("dense", "unstructured")})
    loaded = []

    def small(split):
        loaded.append(split)
        d = load_split(split)
        return Split(d.x_train[:64], d.y_train[:64], d.x_test, d.y_test)

    result = compare(tmp_path, epochs=1, seeds=[0, 1], splits=[3, 4], progress=lambda _: None, sweep=(), load=small)
    assert sorted(loaded) == [3, 3, 3, 3, 4, 4, 4, 4]
    with open(tmp_path / "compare_runs.csv") as f:
        runs = list(csv.DictReader(f))
    assert [(r["method"], r["split"], r["seed"]) for r in runs] == [
        (m, p, s) for m in ("dense", "unstructured") for p in ("3", "4") for s in ("0", "1")]
    for row in result["methods"]:
        acc = [float(r["test_accuracy"]) for r in runs if r["method"] == row["method"]]
        assert row["test_accuracy"] == pytest.approx(statistics.mean(acc))
        assert row["test_accuracy_std"] == pytest.approx(statistics.stdev(acc))
        assert (row["test_accuracy_min"], row["test_accuracy_max"]) == (min(acc), max(acc))
        summary = json.loads((tmp_path / row["method"] / "split4-seed1" / "summary.json").read_text())
        assert (summary["split"], summary["seed"]) == (4, 1)
    dense_runs = {r["split"] + r["seed"]: float(r["test_accuracy"]) for r in runs if r["method"] == "dense"}
    pruned = {r["split"] + r["seed"]: float(r["test_accuracy"]) for r in runs if r["method"] == "unstructured"}
    assert result["methods"][1]["test_accuracy_vs_dense"] == pytest.approx(
        statistics.mean(pruned[k] - dense_runs[k] for k in dense_runs))
    assert "split seeds [3, 4] x seeds [0, 1]" in (tmp_path / "compare.txt").read_text()


def test_sparsity_at_floor_interpolates_the_crossing():
    pts = [{"weight_sparsity": 0.9, "test_accuracy": 0.98}, {"weight_sparsity": 0.95, "test_accuracy": 0.97},
           {"weight_sparsity": 0.99, "test_accuracy": 0.93}]
    assert sparsity_at_floor(pts, 0.96)["weight_sparsity"] == pytest.approx(0.96)
    assert sparsity_at_floor(pts, 0.90) == {"weight_sparsity": 0.99, "bounded": False}
    assert sparsity_at_floor(pts, 0.99)["weight_sparsity"] is None
