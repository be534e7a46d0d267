"""The small CNN and the context that carries every layer operation to the method and the executor.

Default network for 8x8 digits (conv -> BN -> activation, then 2x2 max pool after blocks 2 and 3):
  conv1 1->16 3x3 pad 1 (8x8) | conv2 16->32 (8x8) + pool | conv3 32->64 (4x4) + pool | fc 256->classes
"""
from __future__ import annotations

import numpy as np

from models.executor import GemmOp, NumpyExecutor
from models.lowering import nchw_to_matrix
from models.layers import Activation, BatchNorm2d, Conv2d, Linear, MaxPool2d, zero_derivative

WIDTHS = (16, 32, 64)


class Context:
    """What a layer operation needs besides its operands: the method, the executor and, in training,
    the step, the statistics and the recorder."""

    def __init__(self, method, executor=None, stats=None, recorder=None, training=False, step=0):
        self.method = method
        self.executor = executor or NumpyExecutor()
        self.stats, self.recorder = stats, recorder
        self.training, self.step = training, step

    def weight(self, layer, phase: str) -> np.ndarray:
        return self.method.weight(layer, phase, self)

    def run(self, layer, op: GemmOp):
        op = self.method.decorate(layer, op, self)
        c = self.executor(op)
        if self.training:
            if self.stats is not None:
                self.stats.add(op)
            if self.recorder is not None:
                self.recorder.capture(op, self)
        return c, op


class ConvBlock:
    """conv -> batch norm -> activation [-> 2x2 max pool]; without batch norm (``batch_norm=False``)
    the conv output is the activation's input, so its state is known where FF results leave a core
    (``conv.out_state``, NZPC's position estimator)."""

    def __init__(self, conv: Conv2d, act: Activation, pool: bool, batch_norm: bool = True):
        self.conv = conv
        self.bn = BatchNorm2d(conv.name.replace("conv", "bn"), conv.weight.value.shape[0]) if batch_norm else None
        self.act = act
        self.pool = MaxPool2d() if pool else None
        conv.out_act = act.kind

    @property
    def gemm_layers(self):
        return self.conv.gemm_layers if hasattr(self.conv, "gemm_layers") else [self.conv]

    def params(self):
        return [p for g in self.gemm_layers for p in g.params()] + (self.bn.params() if self.bn else [])

    def forward(self, x, state, ctx):
        self.conv.in_state = state
        y = self.conv.forward(x, ctx)
        # a method may have removed FF outputs that the activation will zero (Trainer's speculation)
        skip = getattr(self.conv, "ff_skip", None) if ctx.training else None
        z = self.bn.forward(y, ctx.training) if self.bn else y
        if skip is not None:
            ctx.method.observe_speculation(self, y, skip, ctx)
        a, st = self.act.forward(z, force_zero=skip)
        # the state of the conv's own outputs, laid out like its FF result C (only without BN)
        self.conv.out_state = None if self.bn else nchw_to_matrix(st)
        if self.pool is not None:
            a, st = self.pool.forward(a, st)
        return a, st

    def backward(self, g, ctx, need_dx):
        if self.pool is not None:
            g = self.pool.backward(g)
        g = self.act.backward(g)
        if self.bn:
            g = self.bn.backward(g)
        return self.conv.backward(g, ctx, need_dx)


class Flatten:
    gemm_layers: list = []

    def params(self):
        return []

    def forward(self, x, state, ctx):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1), (None if state is None else state.reshape(x.shape[0], -1))

    def backward(self, g, ctx, need_dx):
        return g.reshape(self.shape)


class FcStage:
    """Linear [-> activation] (the rowpipe head has a hidden layer)."""

    def __init__(self, fc: Linear, act: Activation | None = None):
        self.fc, self.act = fc, act
        fc.out_act = act.kind if act is not None else "none"

    @property
    def gemm_layers(self):
        return [self.fc]

    def params(self):
        return self.fc.params()

    def forward(self, x, state, ctx):
        self.fc.in_state = state
        y = self.fc.forward(x, ctx)
        if self.act is None:
            self.fc.out_state = None
            return y, None
        a, st = self.act.forward(y)
        self.fc.out_state = np.ascontiguousarray(st.T)   # laid out like the FF result C[out, B]
        return a, st

    def backward(self, g, ctx, need_dx):
        if self.act is not None:
            g = self.act.backward(g)
        return self.fc.backward(g, ctx, need_dx)


class Network:
    def __init__(self, stages):
        self.stages = list(stages)

    @property
    def gemm_layers(self):
        return [g for s in self.stages for g in s.gemm_layers]

    def params(self):
        return [p for s in self.stages for p in s.params()]

    def layer(self, name: str):
        for g in self.gemm_layers:
            if g.name == name:
                return g
        raise KeyError(f"no layer named {name!r}; layers: {[g.name for g in self.gemm_layers]}")

    def forward(self, x: np.ndarray, ctx: Context) -> np.ndarray:
        state = None
        for s in self.stages:
            x, state = s.forward(x, state, ctx)
        return x

    def backward(self, g: np.ndarray, ctx: Context) -> None:
        # BP of a stage is needed only if a trainable GEMM layer sits before it
        trainable_before = []
        seen = False
        for s in self.stages:
            trainable_before.append(seen)
            seen = seen or any(gl.trainable for gl in s.gemm_layers)
        for s, need_dx in zip(reversed(self.stages), reversed(trainable_before)):
            if not any(gl.trainable for gl in s.gemm_layers) and not need_dx:
                break
            g = s.backward(g, ctx, need_dx)

    def predict(self, x: np.ndarray, method, batch: int = 256, executor=None) -> np.ndarray:
        ctx = Context(method, executor=executor, training=False)
        return np.concatenate([self.forward(x[i:i + batch], ctx).argmax(axis=1)
                               for i in range(0, len(x), batch)])

    def accuracy(self, x, y, method, executor=None) -> float:
        return float((self.predict(x, method, executor=executor) == y).mean())

    def training_macs_per_sample(self, input_shape) -> dict:
        """Dense MACs per training sample of each GEMM layer and phase (BP only where it is needed)."""
        from models.methods.base import Method  # noqa: avoid an import cycle at module load
        self.forward(np.zeros((1,) + tuple(input_shape), np.float32), Context(Method(), training=False))
        out, seen = {}, False
        for s in self.stages:
            for g in s.gemm_layers:
                m = g.macs_per_sample((1,) + tuple(g.x_shape[1:]))
                out[g.name] = {"FF": m, "WG": m if g.trainable else 0, "BP": m if seen else 0}
                seen = seen or g.trainable
        return out


def build_cnn(rng: np.random.Generator, num_classes: int = 10, activation: str = "relu",
              widths=WIDTHS, in_shape=(1, 8, 8), batch_norm: bool = True) -> Network:
    c1, c2, c3 = widths
    cin, h, w = in_shape
    blocks = [
        ConvBlock(Conv2d("conv1", cin, c1, 3, 1, rng), Activation(activation), pool=False, batch_norm=batch_norm),
        ConvBlock(Conv2d("conv2", c1, c2, 3, 1, rng), Activation(activation), pool=True, batch_norm=batch_norm),
        ConvBlock(Conv2d("conv3", c2, c3, 3, 1, rng), Activation(activation), pool=True, batch_norm=batch_norm),
    ]
    view = (c3, h // 4, w // 4)
    return Network(blocks + [Flatten(), FcStage(Linear("fc", int(np.prod(view)), num_classes, rng, view))])


def dead_input_positions(layer) -> np.ndarray | None:
    """Positions of a GEMM layer's input whose gradient is multiplied by zero later (from its state)."""
    return None if layer.in_state is None else zero_derivative(layer.in_state)
