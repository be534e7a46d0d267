"""Command line of the reference trainer.

  python -m models.train --method NAME --epochs N --seed S [--split P] --out DIR [--record SPEC] [--set OPT=VALUE ...]
  python -m models.train --compare [--splits P,P,...] [--seeds S,S,...] [--out DIR]
                                                      every method on every split and seed: the comparison
                                                      table (mean and spread), plot and sweep
  python -m models.train --make-fixtures              regenerate models/data/records (committed records)

A run writes DIR/summary.json (method, test_accuracy, weight_sparsity, effectual_mac_fraction, ...),
history.csv, layers.csv and training.png, and with --record the operation records under DIR/records.
A split seed (--split) draws the train/test split, a seed (--seed) the initialization and data order.
"""
from __future__ import annotations

import os

# one BLAS thread: runs are reproducible and leave the other core to the simulators
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from models import report  # noqa: E402
from models.dataset import SPLIT_SEED, load_split  # noqa: E402
from models.methods import METHODS, make_method  # noqa: E402
from models.network import build_cnn  # noqa: E402
from models.records import Recorder, RecordSpec, RecordSpecError  # noqa: E402
from models.stats import Stats  # noqa: E402
from models.training import TrainConfig, fit, weight_sparsity  # noqa: E402

DEFAULT_EPOCHS = 20
FIXTURES = Path(__file__).parent / "data" / "records"
FIXTURE_SEED = 0
# per method: the layers the committed records hold (a conv and the fc layer(s) of its network)
FIXTURE_LAYERS = {"dqstp": "conv2,fc", "rowpipe": "conv1,conv2,conv3,fc1,fc2"}
FIXTURE_SPEC = "layers={layers};phases=FF,BP,WG;steps=first,last;samples=2"
# Methods recorded under several option settings: method -> {sub-folder: settings}
FIXTURE_VARIANTS = {"nzpc": {a: [f"activation={a}"] for a in ("relu", "relu6", "leakyrelu")}}
# Extra record sets for `make compare` (models/data/compare/<name>; not under records/, so the cores'
# default record tests do not load them): name -> (method, option settings).
COMPARE_SETS = {"swpu-s85": ("swpu", ["sparsity=0.85"])}   # about 80 % line sparsity at the last step
SWEEP_METHODS = ("structured", "swpu", "unstructured")
SWEEP_SPARSITIES = (0.9, 0.95, 0.97, 0.98, 0.99)
# --compare's default split seeds: test accuracy moves by up to 2 points with the split, more than the
# methods differ, so one split cannot rank them
DEFAULT_SPLITS = (0, 1, 2)


class Run:
    """Everything one training run holds; methods read and replace parts of it in prepare()."""

    def __init__(self, method, config: TrainConfig, progress, data):
        self.method, self.config, self.progress = method, config, progress
        self.data = data
        self.rng = np.random.default_rng(config.seed)
        self.net = build_cnn(self.rng, self.data.num_classes, method.activation,
                             batch_norm=method.batch_norm)
        self.baseline_macs = self.net.training_macs_per_sample(self.data.x_train.shape[1:])
        self.baseline_weights = sum(g.weight.value.size for g in self.net.gemm_layers)
        self.history: list[dict] = []


def prepared_run(name: str, *, epochs: int | None = None, seed: int = 0, split: int = SPLIT_SEED,
                 settings: list[str] | None = None, batch_size: int | None = None, progress=print, data=None) -> Run:
    """A run of method ``name`` built and prepared (pretraining, network changes), before its first step.
    A ``batch_size`` other than the default scales the learning rate with it (the linear scaling
    rule), so that small batches train as stably as the default one."""
    method = make_method(name, settings)
    config = TrainConfig(epochs=epochs or DEFAULT_EPOCHS, seed=seed)
    if batch_size is not None:
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        config.lr *= batch_size / config.batch_size
        config.batch_size = batch_size
    run = Run(method, config, progress, data if data is not None else load_split(split))
    method.prepare(run)
    return run


def run_method(name: str, *, epochs: int | None = None, seed: int = 0, split: int = SPLIT_SEED, out=None,
               record: RecordSpec | None = None, settings: list[str] | None = None, progress=print,
               executor=None, data=None) -> dict:
    """Train one method on the digits split drawn by ``split`` and return its summary (written to
    ``out`` when given). ``data`` replaces that split (tests use a small one; ``split`` then only
    labels it); ``executor`` replaces the numpy executor."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    run = prepared_run(name, epochs=epochs, seed=seed, split=split, settings=settings, progress=progress, data=data)
    method, config = run.method, run.config
    t_prepare = time.perf_counter() - t0
    stats = Stats()
    recorder = None
    if record is not None:
        if out is None:
            raise ValueError("recording needs an output directory")
        recorder = Recorder(record, Path(out) / "records", loss_scale=config.loss_scale)
        recorder.check_layers([g.name for g in run.net.gemm_layers])
    t1 = time.perf_counter()
    run.history = fit(run.net, method, run.data, config, run.rng, stats=stats, recorder=recorder,
                      executor=executor, progress=progress, label=f"{name}: ")
    train_seconds = time.perf_counter() - t1
    method.finish(run)
    totals = stats.totals()
    baseline = sum(sum(p.values()) for p in run.baseline_macs.values()) * stats.samples
    summary = {
        "method": name,
        "description": method.description,
        "seed": seed,
        "split": split,
        "epochs": config.epochs,
        "options": asdict(method.options),
        "train": asdict(config),
        "test_accuracy": run.history[-1]["test_accuracy"],
        "test_samples": len(run.data.y_test),
        "test_set": digest_of_test_set(run.data),
        "train_accuracy": run.history[-1]["train_accuracy"],
        "weight_sparsity": weight_sparsity(run.net, method),
        "effectual_mac_fraction": totals["effectual_macs"] / baseline,
        "estimate_mac_fraction": totals["estimate_macs"] / baseline,
        "mac_fraction": totals["dense_macs"] / baseline,
        "train_seconds": train_seconds,
        "prepare_seconds": t_prepare,
        "total_seconds": time.perf_counter() - t0,
        # CPU time of this process (one BLAS thread): the wall time of an unloaded machine
        "cpu_seconds": time.process_time() - cpu0,
        "layer_weight_sparsity": {g.name: float((method.effective_weight(g) == 0).mean()) for g in run.net.gemm_layers},
        "layers": stats.summary(),
        "history": run.history,
        "records": [str(p) for p in recorder.written] if recorder else [],
        "definitions": report.DEFINITIONS,
    }
    summary.update(method.summary(run))
    if out is not None:
        report.write_run(out, summary)
    return summary


def digest_of_test_set(data) -> str:
    """A short fingerprint of the test samples and labels: runs compare pairwise only on one test set."""
    h = hashlib.sha256(np.ascontiguousarray(data.x_test).tobytes())
    h.update(np.ascontiguousarray(data.y_test).tobytes())
    return h.hexdigest()[:16]


MEAN_KEYS = ("test_accuracy", "weight_sparsity", "effectual_mac_fraction", "estimate_mac_fraction",
             "mac_fraction", "train_seconds", "cpu_seconds")


def spread(values) -> dict:
    """Mean, min, max and sample standard deviation (n - 1 in the denominator; None for one value)."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max()),
            "std": float(v.std(ddof=1)) if v.size > 1 else None, "n": int(v.size)}


def paired_difference(runs: list[dict], reference: list[dict]) -> dict | None:
    """Spread of test accuracy minus the reference method's on the same split and seed, so that a
    split's own difficulty cancels; None when a pair's test sets differ (rowpipe's digits 5-9)."""
    ref = {(r["split"], r["seed"]): r for r in reference}
    pairs = [(r, ref[(r["split"], r["seed"])]) for r in runs if (r["split"], r["seed"]) in ref]
    if not pairs or any(r["test_set"] != q["test_set"] for r, q in pairs):
        return None
    return spread([r["test_accuracy"] - q["test_accuracy"] for r, q in pairs])


def aggregate(runs: list[dict], reference: list[dict] | None = None) -> dict:
    """One row for a method run on several splits and seeds: the mean of the headline numbers, the
    spread of the test accuracy over every run and between the splits' means, the paired difference
    to ``reference`` (the dense runs), and each run's method-specific results."""
    row = {k: v for k, v in runs[0].items()
           if k not in ("history", "layers", "definitions", "records", "seed", "split", "test_set")}
    for key in MEAN_KEYS:
        row[key] = float(np.mean([r[key] for r in runs]))
    acc = spread([r["test_accuracy"] for r in runs])
    splits = sorted({r["split"] for r in runs})
    per_split = [{"split": p, "test_accuracy": float(np.mean([r["test_accuracy"] for r in runs if r["split"] == p]))}
                 for p in splits]
    row.update(splits=splits, seeds=sorted({r["seed"] for r in runs}), runs=acc["n"],
               test_accuracy_min=acc["min"], test_accuracy_max=acc["max"], test_accuracy_std=acc["std"],
               test_accuracy_split_std=spread([p["test_accuracy"] for p in per_split])["std"],
               test_accuracy_per_split=per_split,
               test_accuracy_per_run=[{"split": r["split"], "seed": r["seed"], "test_accuracy": r["test_accuracy"]}
                                      for r in runs])
    diff = paired_difference(runs, reference) if reference is not None else None
    row.update({f"test_accuracy_vs_dense{suffix}": None if diff is None else diff[key]
                for suffix, key in (("", "mean"), ("_min", "min"), ("_max", "max"), ("_std", "std"))})
    name = runs[0]["method"]
    if name in runs[0]:
        row[name] = runs[0][name] if len(runs) == 1 else [r[name] for r in runs]
    return row


def sparsity_at_floor(points: list[dict], floor: float) -> dict:
    """Where the accuracy-vs-sparsity curve first drops below ``floor``, interpolated linearly between
    the last point at or above it and the next one; ``bounded`` False when no point drops below."""
    pts = sorted(points, key=lambda p: p["weight_sparsity"])
    if not pts or pts[0]["test_accuracy"] < floor:
        return {"weight_sparsity": None, "bounded": True}
    for lo, hi in zip(pts, pts[1:]):
        if hi["test_accuracy"] < floor:
            t = (lo["test_accuracy"] - floor) / (lo["test_accuracy"] - hi["test_accuracy"])
            return {"weight_sparsity": lo["weight_sparsity"] + t * (hi["weight_sparsity"] - lo["weight_sparsity"]),
                    "bounded": True}
    return {"weight_sparsity": pts[-1]["weight_sparsity"], "bounded": False}


def compare(out: Path, epochs: int | None = None, seeds=(0,), splits=DEFAULT_SPLITS, progress=print,
            sweep=SWEEP_SPARSITIES, load=load_split) -> dict:
    """Every method with its defaults on every (split seed, seed) pair, then a sweep of target sparsity
    for the pruning methods of SWEEP_METHODS over the same pairs: the pruning ratio each reaches at the
    mean accuracy of dense minus 2 points. ``load`` gives the data of a split seed (tests: small ones)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    seeds, splits = list(seeds), list(splits)
    grid = [(p, s) for p in splits for s in seeds]
    runs = {}
    for name in METHODS:
        runs[name] = [run_method(name, epochs=epochs, seed=s, split=p, data=load(p), progress=progress,
                                 out=out / name if len(grid) == 1 else out / name / f"split{p}-seed{s}")
                      for p, s in grid]
        progress(report.table([aggregate(runs[name], runs["dense"])]))
    rows = [aggregate(r, runs["dense"]) for r in runs.values()]
    result = {"definitions": report.DEFINITIONS, "splits": splits, "seeds": seeds, "methods": rows}
    sweep_result = None
    if sweep:
        floor = next(r["test_accuracy"] for r in rows if r["method"] == "dense") - 0.02
        sweep_result = {"accuracy_floor": floor, "splits": splits, "seeds": seeds, "points": {},
                        "sparsity_at_floor": {}}
        for name in SWEEP_METHODS:
            points = []
            for target in sweep:
                group = [run_method(name, epochs=epochs, seed=s, split=p, settings=[f"sparsity={target}"],
                                    progress=None, data=load(p)) for p, s in grid]
                acc = spread([g["test_accuracy"] for g in group])
                points.append({"target": target,
                               "weight_sparsity": float(np.mean([g["weight_sparsity"] for g in group])),
                               "test_accuracy": acc["mean"], "test_accuracy_min": acc["min"],
                               "test_accuracy_max": acc["max"], "test_accuracy_std": acc["std"],
                               "test_accuracy_per_run": [{"split": g["split"], "seed": g["seed"],
                                                          "test_accuracy": g["test_accuracy"]} for g in group]})
                progress(f"sweep {name} sparsity {target}: weight sparsity {points[-1]['weight_sparsity']:.4f} "
                         f"test accuracy {acc['mean']:.4f} ({acc['min']:.4f}..{acc['max']:.4f})")
            sweep_result["points"][name] = points
            sweep_result["sparsity_at_floor"][name] = sparsity_at_floor(points, floor)
        result["sweep"] = sweep_result
    result.update(cpu_seconds=time.process_time() - cpu0, wall_seconds=time.perf_counter() - t0)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(out / "compare.json", result)
    report.write_csv(out / "compare.csv", [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in rows])
    report.write_csv(out / "compare_runs.csv", [{k: r[k] for k in RUN_COLUMNS} for group in runs.values() for r in group])
    report.plot_comparison(out / "compare.png", rows, [group[0] for group in runs.values()], sweep_result)
    text = (f"test accuracy over {len(grid)} run(s) per method: split seeds {splits} x seeds {seeds}; "
            "mean, min, max, sample std; vs dense: mean difference to dense on the same split and seed\n\n")
    text += report.table(rows)
    if sweep_result:
        text += (f"\n\nweight sparsity reached at mean test accuracy >= {floor:.4f} (dense - 2 points), "
                 f"split seeds {splits} x seeds {seeds}:\n")
        text += "\n".join(f"  {n}: {v['weight_sparsity']:.4f}" + ("" if v["bounded"] else " (never dropped below)")
                          if v["weight_sparsity"] is not None else f"  {n}: below the floor at every point"
                          for n, v in sweep_result["sparsity_at_floor"].items())
    text += f"\n\nrun time: {result['cpu_seconds']:.0f} s CPU, {result['wall_seconds']:.0f} s wall"
    (out / "compare.txt").write_text(text + "\n")
    progress("\n" + text)
    return result


# compare_runs.csv: one row per method, split seed and seed
RUN_COLUMNS = ("method", "split", "seed", "test_accuracy", "weight_sparsity", "effectual_mac_fraction",
               "estimate_mac_fraction", "cpu_seconds")


def make_fixtures(root: Path = FIXTURES, progress=print) -> list[str]:
    """Regenerate the committed records: every method, seed 0, default epochs; then COMPARE_SETS."""
    if root.exists():
        for sub in root.iterdir():
            if sub.is_dir():
                shutil.rmtree(sub)
    written = []
    for name in METHODS:
        written += method_fixtures(name, root, progress)
    for set_name, (name, settings) in COMPARE_SETS.items():
        written += _fixture_run(name, settings, root.parent / "compare" / set_name, progress)
    return written


def method_fixtures(name: str, root: Path = FIXTURES, progress=print) -> list[str]:
    """One method's committed records (root/<method>, or root/<method>/<variant> per FIXTURE_VARIANTS)."""
    variants = FIXTURE_VARIANTS.get(name, {"": []})
    return [path for sub, settings in variants.items()
            for path in _fixture_run(name, settings, root / name / sub if sub else root / name, progress)]


def _fixture_run(name: str, settings: list[str], dest: Path, progress) -> list[str]:
    spec = RecordSpec.parse(FIXTURE_SPEC.format(layers=FIXTURE_LAYERS.get(name, "conv2,fc")))
    if dest.exists():
        shutil.rmtree(dest)
    with _tmpdir() as tmp:
        s = run_method(name, seed=FIXTURE_SEED, out=tmp, record=spec, settings=settings, progress=progress)
        shutil.copytree(Path(tmp) / "records" / name, dest)
    progress(report.table([s]))
    return s["records"]


def _tmpdir():
    import tempfile
    return tempfile.TemporaryDirectory(prefix="models-fixtures-")


# ---- command line --------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {v}")
    return v


def _seed_list(text: str) -> list[int]:
    return [_seed(t) for t in text.split(",") if t.strip()] or [_seed(text)]


def _record_spec(text: str) -> RecordSpec:
    try:
        return RecordSpec.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="methods: " + ", ".join(f"{n} ({c.description})" for n, c in METHODS.items()))
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--method", choices=list(METHODS), help="the sparse-training method to run")
    mode.add_argument("--compare", action="store_true", help="run every method and compare them")
    mode.add_argument("--make-fixtures", action="store_true", help=f"regenerate {FIXTURES}")
    p.add_argument("--epochs", type=_positive_int, default=None, help=f"training epochs (default {DEFAULT_EPOCHS})")
    p.add_argument("--seed", type=_seed, default=0, help="seed of initialization and data order (default 0)")
    p.add_argument("--split", type=_seed, default=None,
                   help=f"seed of the train/test split of a --method run (default {SPLIT_SEED})")
    p.add_argument("--out", type=Path, default=None, help="output directory (default build/models/<method or compare>)")
    p.add_argument("--record", type=_record_spec, default=None, metavar="SPEC",
                   help='operation records to write, e.g. "layers=conv2,fc;phases=FF,BP,WG;steps=0,last;samples=2"')
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="OPT=VALUE",
                   help="a method option, e.g. --set sparsity=0.8 (repeatable)")
    p.add_argument("--seeds", type=_seed_list, default=None, metavar="S,S,...",
                   help="with --compare: seeds of initialization and data order, every one on every split "
                        "(default: --seed)")
    p.add_argument("--splits", type=_seed_list, default=None, metavar="P,P,...",
                   help="with --compare: train/test split seeds, every one with every seed "
                        f"(default {','.join(map(str, DEFAULT_SPLITS))})")
    p.add_argument("--no-sweep", action="store_true", help="with --compare: skip the sparsity sweep")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.method and (args.record or args.settings):
        p.error("--record and --set apply to a single --method run")
    if args.seeds and not args.compare:
        p.error("--seeds applies to --compare")
    if args.splits and not args.compare:
        p.error("--splits applies to --compare")
    if args.split is not None and not args.method:
        p.error("--split applies to a single --method run (--compare takes --splits)")
    if args.make_fixtures and (args.epochs or args.seed or args.no_sweep):
        p.error("--make-fixtures takes no other options (it uses seed 0, split 0 and the default epochs)")
    if args.method:
        try:
            make_method(args.method, args.settings)
        except ValueError as e:
            p.error(str(e))
        out = args.out or Path("build/models") / args.method
        try:
            s = run_method(args.method, epochs=args.epochs, seed=args.seed, out=out, record=args.record,
                           settings=args.settings, split=SPLIT_SEED if args.split is None else args.split)
        except RecordSpecError as e:
            p.error(str(e))
        print(report.table([s]))
        print(f"wrote {out / 'summary.json'}" + (f" and {len(s['records'])} records under {out / 'records'}"
                                                  if s["records"] else ""))
    elif args.compare:
        compare(args.out or Path("build/models/compare"), args.epochs, args.seeds or [args.seed],
                args.splits or DEFAULT_SPLITS, sweep=() if args.no_sweep else SWEEP_SPARSITIES)
    else:
        written = make_fixtures(args.out or FIXTURES)
        print(f"wrote {len(written)} records under {args.out or FIXTURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
