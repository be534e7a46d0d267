"""What a sparse-training method can change, and the dense behaviour every method starts from.

A method sees every layer operation through four hooks: ``weight`` (the weight FF and BP use),
``decorate`` (operands, removed outputs, integer forms of a GemmOp), ``after_step`` (mask updates) and
``record_arrays`` (what its core needs in an operation record). ``prepare`` may pretrain or rebuild the
network before the measured training starts (DQ-STP, rowpipe).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass
class Options:
    """Method options; the command line sets them with --set NAME=VALUE."""


class Method:
    name = "dense"
    Options = Options
    description = "dense baseline: no sparsity support"

    def __init__(self, options: Options | None = None):
        self.options = options if options is not None else self.Options()
        self.first_active_step = 0     # the step where the method's technique first applies

    # ---- the run -------------------------------------------------------------------------------
    def prepare(self, run) -> None:
        """Before training: may pretrain, transform the network or change the data (run.net, run.data)."""

    def begin(self, net, total_steps: int, steps_per_epoch: int) -> None:
        self.total_steps, self.steps_per_epoch = total_steps, steps_per_epoch

    def after_step(self, net, step: int) -> None:
        """After the optimizer step (mask re-selection)."""

    def finish(self, run) -> None:
        """After training: comparison runs the method reports on (Trainer, rowpipe)."""

    def summary(self, run) -> dict:
        return {}

    # ---- layer operations ------------------------------------------------------------------------
    def weight(self, layer, phase: str, ctx) -> np.ndarray:
        """The W2d[M, K] that FF (and, transposed, BP) multiplies with."""
        return layer.w2d

    def decorate(self, layer, op, ctx):
        return op

    def observe_speculation(self, block, y, skip, ctx) -> None:
        """Called by a conv block whose FF outputs were removed by speculation."""

    def record_arrays(self, op, ctx, a16, b16, c) -> tuple[dict, dict]:
        """Method arrays and metadata for an operation record of ``op`` (already cut to its samples);
        a16, b16 and c are the record's flushed FP16 operands and golden result. Metadata keys
        "outputs" (names of golden result arrays) and "arrays" (what each array is) are merged."""
        return {}, {}

    activation = "relu"    # the network's activation function
    batch_norm = True      # conv -> BN -> activation (False: conv -> activation)

    def effective_weight(self, layer) -> np.ndarray:
        """The weight as the core stores it (pruned entries zero), for weight sparsity."""
        return layer.w2d


def parse_options(cls, pairs: list[str]):
    """NAME=VALUE strings -> an options dataclass, converting by field type; clear errors otherwise."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects NAME=VALUE, got {pair!r}")
        key, raw = pair.split("=", 1)
        key = key.strip().replace("-", "_")
        if key not in fields:
            raise ValueError(f"unknown option {key!r} for this method; known: {', '.join(sorted(fields)) or 'none'}")
        default = fields[key].default
        try:
            if isinstance(default, bool):
                if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError
                values[key] = raw.lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                values[key] = int(raw)
            elif isinstance(default, float):
                values[key] = float(raw)
            else:
                values[key] = raw
        except ValueError:
            raise ValueError(f"option {key} expects a {type(default).__name__}, got {raw!r}") from None
    opts = cls(**values)
    if hasattr(opts, "validate"):
        opts.validate()
    return opts
