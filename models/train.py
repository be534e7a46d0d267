"""Command line of the reference trainer.

  python -m models.train --method NAME --epochs N --seed S --out DIR [--record SPEC] [--set OPT=VALUE ...]
  python -m models.train --compare [--out DIR]        every method, the comparison table, plot and sweep
  python -m models.train --make-fixtures              regenerate models/data/records (committed records)

A run writes DIR/summary.json (method, test_accuracy, weight_sparsity, effectual_mac_fraction, ...),
history.csv, layers.csv and training.png, and with --record the operation records under DIR/records.
"""
from __future__ import annotations

import os

# one BLAS thread: runs are reproducible and leave the other core to the simulators
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from models import report  # noqa: E402
from models.dataset import load_split  # noqa: E402
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


class Run:
    """Everything one training run holds; methods read and replace parts of it in prepare()."""

    def __init__(self, method, config: TrainConfig, progress, data=None):
        self.method, self.config, self.progress = method, config, progress
        self.data = data if data is not None else load_split()
        self.rng = np.random.default_rng(config.seed)
        self.net = build_cnn(self.rng, self.data.num_classes, method.activation,
                             batch_norm=method.batch_norm)
        self.baseline_macs = self.net.training_macs_per_sample(self.data.x_train.shape[1:])
        self.baseline_weights = sum(g.weight.value.size for g in self.net.gemm_layers)
        self.history: list[dict] = []


def run_method(name: str, *, epochs: int | None = None, seed: int = 0, out=None, record: RecordSpec | None = None,
               settings: list[str] | None = None, progress=print, executor=None, data=None) -> dict:
    """Train one method and return its summary (written to ``out`` when given). ``data`` replaces the
    digits split (tests use a small one); ``executor`` replaces the numpy executor."""
    method = make_method(name, settings)
    config = TrainConfig(epochs=epochs or DEFAULT_EPOCHS, seed=seed)
    run = Run(method, config, progress, data)
    t0, cpu0 = time.perf_counter(), time.process_time()
    method.prepare(run)
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
        "epochs": config.epochs,
        "options": asdict(method.options),
        "train": asdict(config),
        "test_accuracy": run.history[-1]["test_accuracy"],
        "train_accuracy": run.history[-1]["train_accuracy"],
        "weight_sparsity": weight_sparsity(run.net, method),
        "effectual_mac_fraction": totals["effectual_macs"] / baseline,
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


MEAN_KEYS = ("test_accuracy", "weight_sparsity", "effectual_mac_fraction", "mac_fraction", "train_seconds",
             "cpu_seconds")


def aggregate(runs: list[dict]) -> dict:
    """One row for a method run with several seeds: the mean of the headline numbers, the spread of
    the accuracy, and each seed's method-specific results."""
    row = {k: v for k, v in runs[0].items() if k not in ("history", "layers", "definitions", "records", "seed")}
    for key in MEAN_KEYS:
        row[key] = float(np.mean([r[key] for r in runs]))
    acc = [r["test_accuracy"] for r in runs]
    row.update(seeds=[r["seed"] for r in runs], test_accuracy_per_seed=acc,
               test_accuracy_std=float(np.std(acc)) if len(runs) > 1 else None)
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


def compare(out: Path, epochs: int | None = None, seeds=(0,), progress=print, sweep=SWEEP_SPARSITIES,
            data=None) -> dict:
    """Every method with its defaults (each seed), then a sweep of target sparsity for the pruning methods
    of SWEEP_METHODS: the pruning ratio each reaches at the accuracy of dense minus 2 points."""
    seeds = list(seeds)
    runs = {}
    for name in METHODS:
        runs[name] = [run_method(name, epochs=epochs, seed=seed, progress=progress, data=data,
                                 out=out / name if len(seeds) == 1 else out / name / f"seed{seed}")
                      for seed in seeds]
        progress(report.table([aggregate(runs[name])]))
    rows = [aggregate(r) for r in runs.values()]
    result = {"definitions": report.DEFINITIONS, "seeds": seeds, "methods": rows}
    sweep_result = None
    if sweep:
        floor = next(r["test_accuracy"] for r in rows if r["method"] == "dense") - 0.02
        sweep_result = {"accuracy_floor": floor, "seeds": seeds, "points": {}, "sparsity_at_floor": {}}
        for name in SWEEP_METHODS:
            points = []
            for target in sweep:
                group = [run_method(name, epochs=epochs, seed=seed, settings=[f"sparsity={target}"],
                                    progress=None, data=data) for seed in seeds]
                points.append({"target": target,
                               "weight_sparsity": float(np.mean([g["weight_sparsity"] for g in group])),
                               "test_accuracy": float(np.mean([g["test_accuracy"] for g in group])),
                               "test_accuracy_per_seed": [g["test_accuracy"] for g in group]})
                progress(f"sweep {name} sparsity {target}: weight sparsity {points[-1]['weight_sparsity']:.4f} "
                         f"test accuracy {points[-1]['test_accuracy']:.4f}")
            sweep_result["points"][name] = points
            sweep_result["sparsity_at_floor"][name] = sparsity_at_floor(points, floor)
        result["sweep"] = sweep_result
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(out / "compare.json", result)
    report.write_csv(out / "compare.csv", [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in rows])
    report.plot_comparison(out / "compare.png", [r[0] for r in runs.values()], sweep_result)
    text = report.table(rows)
    if sweep_result:
        text += f"\n\nweight sparsity reached at test accuracy >= {floor:.4f} (dense - 2 points), seeds {seeds}:\n"
        text += "\n".join(f"  {n}: {v['weight_sparsity']:.4f}" + ("" if v["bounded"] else " (never dropped below)")
                          if v["weight_sparsity"] is not None else f"  {n}: below the floor at every point"
                          for n, v in sweep_result["sparsity_at_floor"].items())
    (out / "compare.txt").write_text(text + "\n")
    progress("\n" + text)
    return result


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
    p.add_argument("--out", type=Path, default=None, help="output directory (default build/models/<method or compare>)")
    p.add_argument("--record", type=_record_spec, default=None, metavar="SPEC",
                   help='operation records to write, e.g. "layers=conv2,fc;phases=FF,BP,WG;steps=0,last;samples=2"')
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="OPT=VALUE",
                   help="a method option, e.g. --set sparsity=0.8 (repeatable)")
    p.add_argument("--seeds", type=_seed_list, default=None, metavar="S,S,...",
                   help="with --compare: average every number over these seeds (default: --seed)")
    p.add_argument("--no-sweep", action="store_true", help="with --compare: skip the sparsity sweep")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.method and (args.record or args.settings):
        p.error("--record and --set apply to a single --method run")
    if args.seeds and not args.compare:
        p.error("--seeds applies to --compare")
    if args.make_fixtures and (args.epochs or args.seed or args.no_sweep):
        p.error("--make-fixtures takes no other options (it uses seed 0 and the default epochs)")
    if args.method:
        try:
            make_method(args.method, args.settings)
        except ValueError as e:
            p.error(str(e))
        out = args.out or Path("build/models") / args.method
        try:
            s = run_method(args.method, epochs=args.epochs, seed=args.seed, out=out, record=args.record,
                           settings=args.settings)
        except RecordSpecError as e:
            p.error(str(e))
        print(report.table([s]))
        print(f"wrote {out / 'summary.json'}" + (f" and {len(s['records'])} records under {out / 'records'}"
                                                  if s["records"] else ""))
    elif args.compare:
        compare(args.out or Path("build/models/compare"), args.epochs, args.seeds or [args.seed],
                sweep=() if args.no_sweep else SWEEP_SPARSITIES)
    else:
        written = make_fixtures(args.out or FIXTURES)
        print(f"wrote {len(written)} records under {args.out or FIXTURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
