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
from models.records import Recorder, RecordSpec  # noqa: E402
from models.stats import Stats  # noqa: E402
from models.training import TrainConfig, fit, weight_sparsity  # noqa: E402

DEFAULT_EPOCHS = 20
FIXTURES = Path(__file__).parent / "data" / "records"
FIXTURE_SEED = 0
# per method: the layers the committed records hold (a conv and the fc layer(s) of its network)
FIXTURE_LAYERS = {"dqstp": "conv2,fc", "rowpipe": "conv2,fc1,fc2"}
FIXTURE_SPEC = "layers={layers};phases=FF,BP,WG;steps=first,last;samples=2"
SWEEP_SPARSITIES = (0.6, 0.7, 0.8, 0.9, 0.95)


class Run:
    """Everything one training run holds; methods read and replace parts of it in prepare()."""

    def __init__(self, method, config: TrainConfig, progress, data=None):
        self.method, self.config, self.progress = method, config, progress
        self.data = data if data is not None else load_split()
        self.rng = np.random.default_rng(config.seed)
        self.net = build_cnn(self.rng, self.data.num_classes, method.activation)
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
    }
    summary.update(method.summary(run))
    if out is not None:
        report.write_run(out, summary)
    return summary


def compare(out: Path, epochs: int | None, seed: int, progress=print, sweep=SWEEP_SPARSITIES, data=None) -> dict:
    """Every method with its defaults, then structured vs swpu over the ``sweep`` target sparsities."""
    summaries = []
    for name in METHODS:
        summaries.append(run_method(name, epochs=epochs, seed=seed, out=out / name, progress=progress, data=data))
        progress(report.table(summaries[-1:]))
    result = {"methods": [{k: v for k, v in s.items() if k not in ("history", "layers")} for s in summaries]}
    sweep_result = None
    if sweep:
        dense_acc = next(s["test_accuracy"] for s in summaries if s["method"] == "dense")
        sweep_result = {"accuracy_floor": dense_acc - 0.02, "points": {}, "max_sparsity_at_floor": {}}
        for name in ("structured", "swpu"):
            points = []
            for target in sweep:
                s = run_method(name, epochs=epochs, seed=seed, settings=[f"sparsity={target}"], progress=None,
                               data=data)
                points.append({"target": target, "weight_sparsity": s["weight_sparsity"],
                               "test_accuracy": s["test_accuracy"]})
                progress(f"sweep {name} sparsity {target}: weight sparsity {s['weight_sparsity']:.3f} "
                         f"test accuracy {s['test_accuracy']:.4f}")
            sweep_result["points"][name] = points
            ok = [p["weight_sparsity"] for p in points if p["test_accuracy"] >= sweep_result["accuracy_floor"]]
            sweep_result["max_sparsity_at_floor"][name] = max(ok) if ok else None
        result["sweep"] = sweep_result
    out.mkdir(parents=True, exist_ok=True)
    rows = result["methods"]
    report.write_json(out / "compare.json", result)
    report.write_csv(out / "compare.csv", [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in rows])
    report.plot_comparison(out / "compare.png", summaries, sweep_result)
    text = report.table(rows)
    (out / "compare.txt").write_text(text + "\n")
    progress("\n" + text)
    if sweep_result:
        progress(f"pruning ratio at accuracy >= {sweep_result['accuracy_floor']:.4f} (dense - 2 points): "
                 f"{sweep_result['max_sparsity_at_floor']}")
    return result


def make_fixtures(root: Path = FIXTURES, progress=print) -> list[str]:
    """Regenerate the committed records: every method, seed 0, default epochs."""
    if root.exists():
        for sub in root.iterdir():
            if sub.is_dir():
                shutil.rmtree(sub)
    written = []
    for name in METHODS:
        spec = RecordSpec.parse(FIXTURE_SPEC.format(layers=FIXTURE_LAYERS.get(name, "conv2,fc")))
        with _tmpdir() as tmp:
            s = run_method(name, seed=FIXTURE_SEED, out=tmp, record=spec, progress=progress)
            shutil.copytree(Path(tmp) / "records" / name, root / name)
        progress(report.table([s]))
        written += s["records"]
    return written


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
    p.add_argument("--no-sweep", action="store_true", help="with --compare: skip the structured/swpu sweep")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.method:
        try:
            make_method(args.method, args.settings)
        except ValueError as e:
            p.error(str(e))
        out = args.out or Path("build/models") / args.method
        s = run_method(args.method, epochs=args.epochs, seed=args.seed, out=out, record=args.record,
                       settings=args.settings)
        print(report.table([s]))
        print(f"wrote {out / 'summary.json'}" + (f" and {len(s['records'])} records under {out / 'records'}"
                                                  if s["records"] else ""))
    elif args.compare:
        if args.record or args.settings:
            p.error("--record and --set apply to a single --method run")
        compare(args.out or Path("build/models/compare"), args.epochs, args.seed,
                sweep=() if args.no_sweep else SWEEP_SPARSITIES)
    else:
        if args.record or args.settings or args.epochs or args.seed:
            p.error("--make-fixtures takes no other options (it uses seed 0 and the default epochs)")
        written = make_fixtures(args.out or FIXTURES)
        print(f"wrote {len(written)} records under {args.out or FIXTURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
