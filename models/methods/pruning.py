"""Dynamic pruning during training, shared by unstructured, structured, swpu and trainer.

Every ``interval`` steps the mask of each pruned layer is re-selected from the full-precision shadow
weights by group score, towards a sparsity that grows along the cubic schedule of Zhu & Gupta (2017)
from ``warmup_epochs`` to ``ramp_end`` of training and then holds. FF, BP and WG use only unpruned
weights: pruned weights are zero in FF and BP, their WG outputs are removed (op.out_skip) and the
optimizer does not move them, so a pruned group comes back only if it outscores a kept one at a later
re-selection. The first conv layer (9 weights per filter) is not pruned unless asked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.formats import pack_mask
from models.methods.base import Method, Options


@dataclass
class PruningOptions(Options):
    sparsity: float = 0.75          # target fraction of zero weights in each pruned layer
    interval: int = 10              # steps between mask re-selections
    warmup_epochs: float = 1.0      # dense training before the first pruning
    ramp_end: float = 0.6           # fraction of training by which the target is reached
    prune_first_layer: bool = False

    def validate(self):
        if not 0.0 <= self.sparsity < 1.0:
            raise ValueError(f"sparsity must be in [0, 1), got {self.sparsity}")
        if self.interval < 1:
            raise ValueError("interval must be at least 1")
        if not 0.0 < self.ramp_end <= 1.0 or self.warmup_epochs < 0:
            raise ValueError("ramp_end must be in (0, 1] and warmup_epochs >= 0")


def weight_view4(layer) -> np.ndarray:
    """The weight as W[N, C, kh, kw]; an FC layer as a conv over the map its input was flattened from."""
    w = layer.weight.value
    return w if w.ndim == 4 else w.reshape((w.shape[0],) + layer.group_view)


def keep_top(scores: np.ndarray, prune: int) -> np.ndarray:
    """True for all but the ``prune`` lowest scores (ties broken by position, so deterministic)."""
    keep = np.ones(scores.size, dtype=bool)
    if prune > 0:
        keep[np.argsort(scores.ravel(), kind="stable")[:prune]] = False
    return keep.reshape(scores.shape)


class PruningMethod(Method):
    Options = PruningOptions

    def __init__(self, options=None):
        super().__init__(options)
        self.masks: dict = {}

    def begin(self, net, total_steps, steps_per_epoch):
        super().begin(net, total_steps, steps_per_epoch)
        o = self.options
        self.start = int(round(o.warmup_epochs * steps_per_epoch))
        self.end = max(self.start + 1, int(round(o.ramp_end * total_steps)))
        layers = net.gemm_layers
        self.pruned = [g for i, g in enumerate(layers) if g.trainable and (i > 0 or o.prune_first_layer)]
        self.masks = {g.name: np.ones(g.weight.value.shape, dtype=bool) for g in self.pruned}
        self.mask_history = []

    def target_at(self, step: int) -> float:
        t = np.clip((step - self.start) / (self.end - self.start), 0.0, 1.0)
        return float(self.options.sparsity * (1 - (1 - t) ** 3))

    def select(self, layer, sparsity: float) -> np.ndarray:
        """bool mask of the weight's shape, True = kept. Single weights by magnitude here; the other
        methods select groups."""
        w = layer.weight.value
        return keep_top(np.abs(w), int(round(sparsity * w.size)))

    def after_step(self, net, step):
        if step < self.start or (step - self.start) % self.options.interval:
            return
        s = self.target_at(step)
        for g in self.pruned:
            mask = self.select(g, s)
            self.masks[g.name] = mask
            g.weight.frozen = ~mask

    def mask2d(self, name: str) -> np.ndarray | None:
        m = self.masks.get(name)
        return None if m is None else m.reshape(m.shape[0], -1)

    def weight(self, layer, phase, ctx):
        m = self.mask2d(layer.name)
        return layer.w2d if m is None else layer.w2d * m

    def effective_weight(self, layer):
        return self.weight(layer, "FF", None)

    def decorate(self, layer, op, ctx):
        m = self.mask2d(layer.name)
        if op.phase == "WG" and m is not None and not m.all():
            op.out_skip = ~m
        return op

    def record_arrays(self, op, ctx, a16, b16, c):
        m = self.mask2d(op.layer)
        if m is None:
            return {}, {"pruned": False}
        mask = m if op.phase != "BP" else m.T
        where = {"FF": "A", "BP": "A", "WG": "C"}[op.phase]
        arrays = {"w_mask": mask, "w_mask_words": pack_mask(mask, ctx.recorder.word_bits)}
        return arrays, {"pruned": True, "arrays": {
            "w_mask": f"bool, True = weight kept, laid out like {where}",
            "w_mask_words": "w_mask packed row-major, 1 bit per weight (formats.pack_mask)"}}


class Unstructured(PruningMethod):
    name = "unstructured"
    description = "dynamic magnitude pruning of single weights"


class Structured(PruningMethod):
    name = "structured"
    description = "dynamic shape-wise group pruning (Wen et al. 2016): W[:, c, i, j] across all filters"

    def select(self, layer, sparsity):
        w4 = weight_view4(layer)
        score = np.sqrt(np.square(w4).sum(axis=0))               # [C, kh, kw]
        shape_keep = keep_top(score, int(round(sparsity * score.size)))
        return np.broadcast_to(shape_keep, w4.shape).reshape(layer.weight.value.shape).copy()
