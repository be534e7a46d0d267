"""Layers with explicit FF, BP and WG (no autograd).

GEMM layers (Conv2d, Linear) build the GemmOp of each phase (lowering.py) and run it through the
context, which hands it to the method (masks, quantization, speculation) and then to the executor.
Everything else (batch norm, activations, pooling, loss) is elementwise work the cores do not do.

Activations also return a *state* map of their outputs, the position information NZPC and Trainer
use (known from FF, no runtime zero detection):
  0 ZERO      value 0, derivative 0 (ReLU/ReLU6 below 0)
  1 LINEAR    derivative 1
  2 SATURATED value 6, derivative 0 (ReLU6 at or above 6)
  3 LEAKY     negative side of LeakyReLU, derivative alpha
"""
from __future__ import annotations

import numpy as np

from models.executor import GemmOp
from models.lowering import col2im, im2col, matrix_to_nchw, nchw_to_matrix, out_size

ZERO, LINEAR, SATURATED, LEAKY = 0, 1, 2, 3


def he_normal(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Param:
    """A trainable array with its gradient; ``frozen`` entries (pruned weights) are never updated."""

    def __init__(self, name: str, value: np.ndarray, decay: bool):
        self.name, self.value, self.decay = name, value, decay
        self.grad = np.zeros_like(value)
        self.frozen: np.ndarray | None = None


class GemmLayer:
    """Common part of Conv2d and Linear: a weight viewed as W2d[M, K] for the GEMM."""

    trainable = True

    def __init__(self, name: str, w: np.ndarray):
        self.name = name
        self.weight = Param(f"{name}.w", w, decay=True)
        self.in_state: np.ndarray | None = None    # state map of the input (set by the network)

    @property
    def w2d(self) -> np.ndarray:
        return self.weight.value.reshape(self.weight.value.shape[0], -1)

    def params(self):
        return [self.weight] if self.trainable else []


class Conv2d(GemmLayer):

    def __init__(self, name: str, cin: int, cout: int, k: int, pad: int, rng, stride: int = 1):
        super().__init__(name, he_normal(rng, (cout, cin, k, k), cin * k * k))
        self.k, self.pad, self.stride = k, pad, stride

    def geometry(self, x_shape) -> dict:
        b, c, h, w = x_shape
        ho, wo = out_size(h, self.k, self.pad, self.stride), out_size(w, self.k, self.pad, self.stride)
        return dict(layer_type="conv", x_shape=[b, c, h, w], w_shape=list(self.weight.value.shape),
                    y_shape=[b, self.weight.value.shape[0], ho, wo], kernel=self.k, pad=self.pad,
                    stride=self.stride)

    def macs_per_sample(self, x_shape) -> int:
        g = self.geometry(x_shape)
        return int(np.prod(g["w_shape"]) * g["y_shape"][2] * g["y_shape"][3])

    def forward(self, x: np.ndarray, ctx) -> np.ndarray:
        self.x_shape = x.shape
        geo = self.geometry(x.shape)
        ho, wo = geo["y_shape"][2:]
        cols = im2col(x, self.k, self.k, self.pad, self.stride)
        op = GemmOp(self.name, "FF", ctx.weight(self, "FF"), cols, per_sample=ho * wo,
                    meta=dict(geo, lowering="A=W[Cout,Cin*kh*kw], B=im2col(x)[Cin*kh*kw,B*Ho*Wo]"))
        y, op = ctx.run(self, op)
        self.cols = op.b            # what FF really used (quantized if the method quantizes)
        return matrix_to_nchw(y, x.shape[0], ho, wo)

    def backward(self, dy: np.ndarray, ctx, need_dx: bool):
        geo = self.geometry(self.x_shape)
        dy2 = nchw_to_matrix(dy)
        ho, wo = geo["y_shape"][2:]
        op = GemmOp(self.name, "WG", dy2, self.cols.T, sample_axis="K", per_sample=ho * wo,
                    meta=dict(geo, lowering="A=dY[Cout,B*Ho*Wo], B=im2col(x)^T[B*Ho*Wo,Cin*kh*kw]"))
        dw, op_wg = ctx.run(self, op)
        self.weight.grad = dw.reshape(self.weight.value.shape)
        if not need_dx:
            return None
        op = GemmOp(self.name, "BP", ctx.weight(self, "BP").T, op_wg.a, per_sample=ho * wo,
                    meta=dict(geo, lowering="A=W^T[Cin*kh*kw,Cout], B=dY[Cout,B*Ho*Wo], C=dcols"))
        dcols, _ = ctx.run(self, op)
        return col2im(dcols, self.x_shape, self.k, self.k, self.pad, self.stride)

    def skip_mask_of_input(self, dead: np.ndarray) -> np.ndarray:
        """Column-gradient entries that land on input positions where ``dead`` is set (or on padding)."""
        return im2col(dead, self.k, self.k, self.pad, self.stride, pad_value=True)

    def input_cols(self, x_like: np.ndarray, pad_value=0) -> np.ndarray:
        return im2col(x_like, self.k, self.k, self.pad, self.stride, pad_value=pad_value)


class Linear(GemmLayer):
    """y = x W^T + bias. ``group_view`` is the (C, H, W) map the input was flattened from, so that
    shape- and line-wise pruning treat the layer as a conv whose kernel covers the whole map."""


    def __init__(self, name: str, fin: int, fout: int, rng, group_view=None):
        super().__init__(name, he_normal(rng, (fout, fin), fin))
        self.bias = Param(f"{name}.b", np.zeros(fout, dtype=np.float32), decay=False)
        self.group_view = tuple(group_view) if group_view else (fin, 1, 1)

    def params(self):
        return [self.weight, self.bias] if self.trainable else []

    def geometry(self, x_shape) -> dict:
        return dict(layer_type="fc", x_shape=list(x_shape), w_shape=list(self.weight.value.shape),
                    y_shape=[x_shape[0], self.weight.value.shape[0]], group_view=list(self.group_view))

    def macs_per_sample(self, x_shape) -> int:
        return int(self.weight.value.size)

    def forward(self, x: np.ndarray, ctx) -> np.ndarray:
        self.x_shape = x.shape
        op = GemmOp(self.name, "FF", ctx.weight(self, "FF"), np.ascontiguousarray(x.T),
                    meta=dict(self.geometry(x.shape), lowering="A=W[out,in], B=x^T[in,B]"))
        yt, op = ctx.run(self, op)
        self.x = op.b.T
        return yt.T + self.bias.value

    def backward(self, dy: np.ndarray, ctx, need_dx: bool):
        geo = self.geometry(self.x_shape)
        op = GemmOp(self.name, "WG", np.ascontiguousarray(dy.T), np.ascontiguousarray(self.x),
                    sample_axis="K", meta=dict(geo, lowering="A=dY^T[out,B], B=x[B,in]"))
        dw, op_wg = ctx.run(self, op)
        self.weight.grad = dw
        self.bias.grad = dy.sum(axis=0)
        if not need_dx:
            return None
        op = GemmOp(self.name, "BP", ctx.weight(self, "BP").T, op_wg.a,
                    meta=dict(geo, lowering="A=W^T[in,out], B=dY^T[out,B], C=dX^T"))
        dxt, _ = ctx.run(self, op)
        return dxt.T

    def skip_mask_of_input(self, dead: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(dead.reshape(dead.shape[0], -1).T)

    def input_cols(self, x_like: np.ndarray, pad_value=0) -> np.ndarray:
        return np.ascontiguousarray(x_like.reshape(x_like.shape[0], -1).T)


class BatchNorm2d:
    """Per-channel batch norm over (B, H, W).

    one_pass: variance as E[y^2] - E[y]^2, the statistics a unit can accumulate while conv outputs
    stream out (Trainer). approx_backward: ACBN (DQ-STP), batch mean and variance treated as constants
    in BP, so dX = gamma / sigma * dY keeps dY's zeros.
    """

    def __init__(self, name: str, channels: int, eps: float = 1e-5, momentum: float = 0.1):
        self.name, self.eps, self.momentum = name, eps, momentum
        self.gamma = Param(f"{name}.gamma", np.ones(channels, np.float32), decay=False)
        self.beta = Param(f"{name}.beta", np.zeros(channels, np.float32), decay=False)
        self.running_mean = np.zeros(channels, np.float32)
        self.running_var = np.ones(channels, np.float32)
        self.one_pass = False
        self.approx_backward = False

    def params(self):
        return [self.gamma, self.beta]

    def affine(self):
        """The inference-time map y -> scale * y + shift per channel, from running statistics."""
        scale = self.gamma.value / np.sqrt(self.running_var + self.eps)
        return scale, self.beta.value - scale * self.running_mean

    def forward(self, y: np.ndarray, train: bool) -> np.ndarray:
        if not train:
            scale, shift = self.affine()
            return y * scale[None, :, None, None] + shift[None, :, None, None]
        axes = (0, 2, 3)
        mean = y.mean(axis=axes)
        var = (np.square(y).mean(axis=axes) - mean**2 if self.one_pass else y.var(axis=axes))
        var = np.maximum(var, 0.0)
        n = y.size // y.shape[1]
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / max(n - 1, 1)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.mean = mean
        self.xhat = (y - mean[None, :, None, None]) * self.inv_std[None, :, None, None]
        return self.gamma.value[None, :, None, None] * self.xhat + self.beta.value[None, :, None, None]

    def normalize_with_batch_stats(self, y: np.ndarray) -> np.ndarray:
        """BN output of other conv values under the statistics of the last training forward."""
        xhat = (y - self.mean[None, :, None, None]) * self.inv_std[None, :, None, None]
        return self.gamma.value[None, :, None, None] * xhat + self.beta.value[None, :, None, None]

    def backward(self, dz: np.ndarray) -> np.ndarray:
        axes = (0, 2, 3)
        self.gamma.grad = (dz * self.xhat).sum(axis=axes)
        self.beta.grad = dz.sum(axis=axes)
        g = (self.gamma.value * self.inv_std)[None, :, None, None]
        if self.approx_backward:
            return g * dz
        mean_dz = dz.mean(axis=axes)[None, :, None, None]
        mean_dz_xhat = (dz * self.xhat).mean(axis=axes)[None, :, None, None]
        return g * (dz - mean_dz - self.xhat * mean_dz_xhat)


class Activation:
    """ReLU, ReLU6 or LeakyReLU, with the state map of its output (module docstring)."""

    NAMES = ("relu", "relu6", "leakyrelu")

    def __init__(self, kind: str = "relu", alpha: float = 0.1):
        if kind not in self.NAMES:
            raise ValueError(f"activation must be one of {self.NAMES}, got {kind!r}")
        self.kind, self.alpha = kind, alpha

    def state_of(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "relu":
            return np.where(z > 0, LINEAR, ZERO).astype(np.int8)
        if self.kind == "relu6":
            return np.where(z <= 0, ZERO, np.where(z >= 6, SATURATED, LINEAR)).astype(np.int8)
        return np.where(z > 0, LINEAR, LEAKY).astype(np.int8)

    def forward(self, z: np.ndarray, force_zero: np.ndarray | None = None):
        state = self.state_of(z)
        if force_zero is not None:
            state[force_zero] = ZERO
        self.state = state
        return apply_state(z, state, self.alpha), state

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * derivative_of_state(self.state, self.alpha)


def apply_state(z: np.ndarray, state: np.ndarray, alpha: float) -> np.ndarray:
    out = np.where(state == LINEAR, z, 0.0)
    out = np.where(state == SATURATED, 6.0, out)
    return np.where(state == LEAKY, alpha * z, out).astype(z.dtype)


def derivative_of_state(state: np.ndarray, alpha: float) -> np.ndarray:
    d = (state == LINEAR).astype(np.float32)
    return np.where(state == LEAKY, np.float32(alpha), d).astype(np.float32)


def zero_derivative(state: np.ndarray) -> np.ndarray:
    """Positions whose gradient is multiplied by zero downstream (ZERO or SATURATED)."""
    return (state == ZERO) | (state == SATURATED)


class MaxPool2d:
    """2x2, stride 2. The state map is pooled through the same argmax, so it still describes the
    derivative of the pooled value."""

    def forward(self, x: np.ndarray, state: np.ndarray | None):
        b, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"MaxPool2d needs even H and W, got {h}x{w}")
        win = x.reshape(b, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h // 2, w // 2, 4)
        self.arg = win.argmax(axis=-1)
        self.x_shape = x.shape
        out = np.take_along_axis(win, self.arg[..., None], axis=-1)[..., 0]
        if state is not None:
            sw = state.reshape(b, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h // 2, w // 2, 4)
            state = np.take_along_axis(sw, self.arg[..., None], axis=-1)[..., 0]
        return out, state

    def backward(self, dy: np.ndarray) -> np.ndarray:
        b, c, h, w = self.x_shape
        win = np.zeros((b, c, h // 2, w // 2, 4), dtype=dy.dtype)
        np.put_along_axis(win, self.arg[..., None], dy[..., None], axis=-1)
        return win.reshape(b, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h, w)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray):
    """Mean cross-entropy over the batch and its gradient with respect to the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = -np.log(np.maximum(p[np.arange(n), labels], 1e-12)).mean()
    grad = p.copy()
    grad[np.arange(n), labels] -= 1.0
    return float(loss), (grad / n).astype(np.float32)


class SGD:
    """SGD with momentum and weight decay; gradients arrive multiplied by the loss scale."""

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 5e-4):
        self.params, self.lr, self.momentum, self.weight_decay = list(params), lr, momentum, weight_decay
        # one buffer per parameter, in order (not keyed by id(): a deep copy of a run stays valid)
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def step(self, loss_scale: float = 1.0):
        for p, v in zip(self.params, self.velocity):
            g = p.grad / loss_scale
            if p.decay:
                g = g + self.weight_decay * p.value
            v *= self.momentum
            v += g
            update = self.lr * v
            if p.frozen is not None:
                update = np.where(p.frozen, 0.0, update)
                v[p.frozen] = 0.0
            p.value -= update.astype(np.float32)
