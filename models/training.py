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


def fit(net, method, data, config: TrainConfig, rng: np.random.Generator, *, stats=None, recorder=None,
        executor=None, progress=None, label: str = "") -> list[dict]:
    """Train ``net`` on data.x_train; returns one history row per epoch."""
    x, y = data.x_train, data.y_train
    steps_per_epoch = math.ceil(len(x) / config.batch_size)
    total = config.epochs * steps_per_epoch
    method.begin(net, total, steps_per_epoch)
    if recorder is not None:
        recorder.begin(method, total)
    opt = SGD(net.params(), config.lr, config.momentum, config.weight_decay)
    history, step = [], 0
    for epoch in range(config.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(len(x))
        loss_sum = correct = 0.0
        for i in range(0, len(x), config.batch_size):
            idx = order[i:i + config.batch_size]
            ctx = Context(method, executor, stats, recorder, training=True, step=step)
            logits = net.forward(x[idx], ctx)
            loss, grad = softmax_cross_entropy(logits, y[idx])
            net.backward(grad * config.loss_scale, ctx)
            opt.lr = config.lr * 0.5 * (1 + math.cos(math.pi * step / total))
            opt.step(config.loss_scale)
            method.after_step(net, step)
            if stats is not None:
                stats.add_samples(len(idx))
            loss_sum += loss * len(idx)
            correct += float((logits.argmax(axis=1) == y[idx]).sum())
            step += 1
        row = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / len(x),
            "train_accuracy": correct / len(x),
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
