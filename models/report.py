"""Reports of training runs: printed table, JSON, CSV and PNG plots (accuracy and sparsity over training)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

# How the summary's numbers are measured (written into compare.json so that readers need not guess).
DEFINITIONS = {
    "test_accuracy": "fraction of the test split classified correctly after the last epoch; in --compare "
                     "the mean over every split seed x seed run of the method",
    "test_accuracy_min": "lowest test accuracy of those runs (test_accuracy_max: highest)",
    "test_accuracy_std": "sample standard deviation (n - 1) of the test accuracy over those runs",
    "test_accuracy_split_std": "sample standard deviation of the per-split means (test_accuracy_per_split): "
                               "the part of the spread the train/test split causes",
    "test_accuracy_vs_dense": "mean of (test accuracy - dense's test accuracy on the same split seed and "
                              "seed), with _min, _max, _std over the pairs; null where the test sets "
                              "differ (rowpipe: digits 5-9)",
    "weight_sparsity": "zero weights / all weights of the GEMM layers, as the core stores them "
                       "(pruned or zero-coded; biases and BN parameters excluded)",
    "effectual_mac_fraction": "effectual MACs (both operands non-zero in FP16, output not removed "
                              "by the method) summed over every FF/BP/WG op of training, divided by the "
                              "MACs the dense baseline network does for the same training samples",
    "estimate_mac_fraction": "reduced-precision MACs the method spends on estimates that decide which outputs "
                             "to remove (Trainer: its speculation estimate, the non-zero pairs of every "
                             "speculated FF output at keep_mantissa_bits mantissa bits) / the same dense "
                             "baseline; not part of effectual_mac_fraction",
    "mac_fraction": "MACs of the ops the method runs (zeros included) / the same dense baseline",
    "train_seconds": "wall time of the measured training (the machine may be shared)",
    "cpu_seconds": "CPU time of the whole run incl. pretraining and comparison runs, one BLAS thread "
                   "(mean per run; at the top of compare.json: the whole comparison, sweep included)",
}

TABLE_COLUMNS = (
    ("method", "method", "{}"),
    ("test_accuracy", "test acc", "{:.2%}"),
    ("test_accuracy_min", "min", "{:.2%}"),
    ("test_accuracy_max", "max", "{:.2%}"),
    ("test_accuracy_std", "acc std", "{:.2%}"),
    ("test_accuracy_vs_dense", "vs dense", "{:+.2%}"),
    ("test_accuracy_vs_dense_std", "diff std", "{:.2%}"),
    ("weight_sparsity", "weight sp.", "{:.2%}"),
    ("effectual_mac_fraction", "effectual MACs", "{:.3f}"),
    ("estimate_mac_fraction", "estimate MACs", "{:.3f}"),
    ("train_seconds", "train wall (s)", "{:.1f}"),
    ("cpu_seconds", "run CPU (s)", "{:.1f}"),
)


def write_json(path, data) -> None:
    Path(path).write_text(json.dumps(data, indent=1, sort_keys=False, default=_plain) + "\n")


def _plain(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serializable: {type(x)}")


def write_csv(path, rows: list[dict]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def table(rows: list[dict], columns=TABLE_COLUMNS) -> str:
    head = [title for _, title, _ in columns]
    body = [[fmt.format(r[key]) if r.get(key) is not None else "-" for key, _, fmt in columns] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])


def layer_rows(per_layer: dict) -> list[dict]:
    """Flatten {layer: {phase: stats}} into CSV rows."""
    return [dict(layer=layer, phase=phase, **stats) for layer, phases in per_layer.items()
            for phase, stats in phases.items()]


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(path, history: list[dict], title: str) -> None:
    """Test accuracy, weight, activation and gradient sparsity per epoch."""
    plt = _plt()
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(epochs, [h["test_accuracy"] for h in history], "o-", label="test accuracy")
    ax.plot(epochs, [h["weight_sparsity"] for h in history], "s-", label="weight sparsity")
    for key, label in (("activation_sparsity", "activation sparsity (FF B)"),
                       ("gradient_sparsity", "gradient sparsity (WG A)")):
        if key in history[0]:
            ax.plot(epochs, [h[key] for h in history], "--", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_comparison(path, rows: list[dict], first_runs: list[dict], sweep: dict | None = None) -> None:
    """Accuracy and weight sparsity over training (each method's first run), the final test accuracy
    over every run (mean, error bars min to max), the paired difference to dense (mean +- std), the
    end-of-training sparsity and MAC fractions, and the sparsity sweep (error bars min to max)."""
    plt = _plt()
    fig, axes = plt.subplots(2, 3, figsize=(17, 8))
    (acc, wsp, final), (bars, vs_dense, swp) = axes
    for s in first_runs:
        ep = [h["epoch"] for h in s["history"]]
        acc.plot(ep, [h["test_accuracy"] for h in s["history"]], label=s["method"])
        wsp.plot(ep, [h["weight_sparsity"] for h in s["history"]], label=s["method"])
    acc.set_title(f"test accuracy over training (split {first_runs[0]['split']}, seed {first_runs[0]['seed']})")
    acc.set_ylim(0.9, 1.0)
    wsp.set_title("weight sparsity over training")
    wsp.set_ylim(0, 1.0)
    for ax in (acc, wsp):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    names = [r["method"] for r in rows]
    x = np.arange(len(names))
    mean = np.array([r["test_accuracy"] for r in rows])
    low = mean - np.array([r["test_accuracy_min"] for r in rows])
    high = np.array([r["test_accuracy_max"] for r in rows]) - mean
    final.errorbar(x, mean, yerr=[low, high], fmt="o", capsize=4)
    final.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
    final.set_ylabel("test accuracy")
    final.set_title(f"final test accuracy, {rows[0]['runs']} run(s) a method (mean, min..max)")
    paired = [(i, r) for i, r in enumerate(rows) if r.get("test_accuracy_vs_dense") is not None]
    vs_dense.errorbar([i for i, _ in paired], [r["test_accuracy_vs_dense"] for _, r in paired],
                      yerr=[r["test_accuracy_vs_dense_std"] or 0.0 for _, r in paired], fmt="o", capsize=4)
    vs_dense.axhline(0, color="gray", lw=0.8)
    vs_dense.set_xticks(x, [r["method"] + ("" if r.get("test_accuracy_vs_dense") is not None else " (other test set)")
                            for r in rows], rotation=45, ha="right", fontsize=8)
    vs_dense.set_title("test accuracy - dense, same split and seed (mean +- std)")
    bars.bar(x - 0.27, [r["weight_sparsity"] for r in rows], 0.27, label="weight sparsity")
    bars.bar(x, [r["effectual_mac_fraction"] for r in rows], 0.27, label="effectual MAC fraction")
    bars.bar(x + 0.27, [r.get("estimate_mac_fraction", 0.0) for r in rows], 0.27,
             label="estimate MAC fraction (reduced precision)")
    bars.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
    bars.set_ylim(0, 1.0)
    bars.legend(fontsize=7)
    bars.set_title("end of training (mean over runs)")
    if sweep:
        for method, points in sweep["points"].items():
            m = np.array([p["test_accuracy"] for p in points])
            swp.errorbar([p["weight_sparsity"] for p in points], m, fmt="o-", capsize=3, label=method,
                         yerr=[m - [p["test_accuracy_min"] for p in points],
                               np.array([p["test_accuracy_max"] for p in points]) - m])
        swp.axhline(sweep["accuracy_floor"], color="gray", ls=":", label="dense - 2 points")
        swp.set_xlabel("weight sparsity")
        swp.set_ylabel("test accuracy")
        swp.legend(fontsize=7)
    swp.set_title("sparsity sweep (mean, min..max)" if sweep else "sparsity sweep (not run)")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_run(out_dir, summary: dict) -> None:
    """summary.json, history.csv, layers.csv and training.png of one run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "summary.json", summary)
    write_csv(out / "history.csv", summary["history"])
    write_csv(out / "layers.csv", layer_rows(summary["layers"]))
    plot_history(out / "training.png", summary["history"], f"{summary['method']} (seed {summary['seed']})")
