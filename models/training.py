"""The training loop: explicit FF, BP and WG through the network, SGD with momentum, cosine learning rate.

Gradients are computed on the loss multiplied by ``loss_scale`` (a power of two), so that errors stay in
FP16's normal range when the executor rounds operands to FP16, as on-device FP16 training does; the
optimizer divides it out again.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from models.layers import SGD, softmax_cross_entropy
from models.network import Context


@dataclass
class TrainConfig:
    epochs: int = 20
    batch_size: int = 32
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    loss_scale: float = 1024.0
    seed: int = 0


def weight_sparsity(net, method) -> float:
    zeros = total = 0
    for g in net.gemm_layers:
        w = method.effective_weight(g)
        zeros += int((w == 0).sum())
        total += w.size
    return zeros / max(total, 1)


class StepLoop:
    """The training loop one step at a time: a fresh data order each epoch, FF, BP, WG, the optimizer
    and the method's mask update. fit() runs whole epochs of it; the RTL trainer
    (verif/common/train_rtl.py) runs single steps in lock step with the golden executor."""

    def __init__(self, net, method, data, config: TrainConfig, rng: np.random.Generator, recorder=None):
        self.net, self.method, self.data, self.config, self.rng = net, method, data, config, rng
        self.recorder = recorder
        self.steps_per_epoch = math.ceil(len(data.x_train) / config.batch_size)
        self.total = config.epochs * self.steps_per_epoch
        method.begin(net, self.total, self.steps_per_epoch)
        if recorder is not None:
            recorder.begin(method, self.total)
        self.opt = SGD(net.params(), config.lr, config.momentum, config.weight_decay)
        self.step = 0
        self.order = None

    def run_step(self, executor=None, stats=None) -> dict:
        """One optimizer step on the next batch; its loss, correct predictions and batch size."""
        if self.step >= self.total:
            raise ValueError(f"the run has {self.total} steps; step {self.step} is past its end")
        config, within = self.config, self.step % self.steps_per_epoch
        if within == 0:
            self.order = self.rng.permutation(len(self.data.x_train))
        idx = self.order[within * config.batch_size:(within + 1) * config.batch_size]
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        ctx = Context(self.method, executor, stats, self.recorder, training=True, step=self.step)
        logits = self.net.forward(x, ctx)
        loss, grad = softmax_cross_entropy(logits, y)
        self.net.backward(grad * config.loss_scale, ctx)
        self.opt.lr = config.lr * 0.5 * (1 + math.cos(math.pi * self.step / self.total))
        self.opt.step(config.loss_scale)
        self.method.after_step(self.net, self.step)
        if stats is not None:
            stats.add_samples(len(idx))
        self.step += 1
        return {"loss": float(loss), "correct": int((logits.argmax(axis=1) == y).sum()), "samples": len(idx)}


def fit(net, method, data, config: TrainConfig, rng: np.random.Generator, *, stats=None, recorder=None,
        executor=None, progress=None, label: str = "") -> list[dict]:
    """Train ``net`` on data.x_train; returns one history row per epoch."""
    loop = StepLoop(net, method, data, config, rng, recorder)
    history = []
    for epoch in range(config.epochs):
        t0 = time.perf_counter()
        loss_sum = correct = 0.0
        for _ in range(loop.steps_per_epoch):
            out = loop.run_step(executor, stats)
            loss_sum += out["loss"] * out["samples"]
            correct += out["correct"]
        n = len(data.x_train)
        row = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / n,
            "train_accuracy": correct / n,
            "test_accuracy": net.accuracy(data.x_test, data.y_test, method, executor),
            "weight_sparsity": weight_sparsity(net, method),
            "seconds": time.perf_counter() - t0,
        }
        if stats is not None:
            per_layer = stats.end_epoch()
            ff = [p["FF"]["b_sparsity"] for p in per_layer.values() if "FF" in p]
            grads = [p["WG"]["a_sparsity"] for p in per_layer.values() if "WG" in p]
            row["activation_sparsity"] = float(np.mean(ff)) if ff else 0.0
            row["gradient_sparsity"] = float(np.mean(grads)) if grads else 0.0
        history.append(row)
        if progress is not None:
            progress(f"{label}epoch {epoch + 1:3d}/{config.epochs}  loss {row['train_loss']:.4f}  "
                     f"train {100 * row['train_accuracy']:5.1f}%  test {100 * row['test_accuracy']:5.1f}%  "
                     f"weight sparsity {100 * row['weight_sparsity']:5.1f}%  ({row['seconds']:.1f}s)")
    return history
