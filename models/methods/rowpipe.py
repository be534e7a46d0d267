"""Rowpipe: transfer learning on a frozen FXP4 backbone with a trained FP16 head.

1. Pretrain (offline) the whole CNN on digits 0-4 in FP.
2. Freeze conv + BN as an integer pipeline: weights INT4 per output channel (w = s_w q_w, symmetric),
   activations UINT4 per layer (x = s_x q_x, s_x from a percentile of the pretraining activations).
   A conv is s_x s_w sum(q_x q_w): INT MACs (golden.int_gemm) then one FP16 multiply-add per output
   (golden.dequant_affine) into which the frozen BN and the next layer's 1/s_x are folded; ReLU and
   requantization to UINT4 follow (golden.requantize_unsigned); max pooling works on the integers
   (it commutes with a monotone quantizer). The last block's dequantizer gives FP16 features.
3. Train a new FP16 head (fc1 -> ReLU -> fc2) on digits 5-9; only the head has BP and WG.
Compared against: the whole network trained on digits 5-9 from scratch (``pretrain_epochs`` epochs),
and the same head on the unquantized backbone.
Row pipeline: layer l+1 starts once k rows of layer l exist; a line buffer of k+1 rows per layer,
row r in bank r mod (k+1), replaces the whole feature map (sizes in the summary and the records).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import golden
from models.executor import GemmOp
from models.layers import Activation, Linear
from models.lowering import im2col, matrix_to_nchw, out_size
from models.methods.base import Method, Options
from models.network import Context, ConvBlock, FcStage, Flatten, Network, build_cnn

SOURCE, TARGET = range(5), range(5, 10)


@dataclass
class RowpipeOptions(Options):
    pretrain_epochs: int = 15
    w_bits: int = 4
    act_bits: int = 4
    hidden: int = 32
    percentile: float = 99.9
    compare_whole_network: bool = True

    def validate(self):
        if not 2 <= self.w_bits <= 8 or not 2 <= self.act_bits <= 8:
            raise ValueError("w_bits and act_bits must be 2..8")
        if not 50 <= self.percentile <= 100:
            raise ValueError("percentile must be in [50, 100]")


class QuantConv:
    """One frozen conv + BN (+ ReLU, requantization, pool) of the integer backbone."""

    trainable = False

    def __init__(self, block: ConvBlock, s_in: float, s_out: float | None, w_bits: int, act_bits: int):
        conv = block.conv
        self.name, self.k, self.pad, self.stride = conv.name, conv.k, conv.pad, conv.stride
        self.pool, self.act_bits = block.pool is not None, act_bits
        w = conv.w2d.astype(np.float64)
        top = (1 << (w_bits - 1)) - 1
        s_w = np.maximum(np.abs(w).max(axis=1), 1e-12) / top
        self.q_w = np.clip(np.rint(w / s_w[:, None]), -top, top).astype(np.int8)
        self.s_w, self.s_in, self.s_out = s_w, s_in, s_out
        bn_scale, bn_shift = block.bn.affine()
        # y_bn = bn_scale * s_in * s_w * acc + bn_shift, in units of the next layer's scale
        div = s_out if s_out is not None else 1.0
        self.scale = golden.to_fp16(bn_scale * s_in * s_w / div)
        self.shift = golden.to_fp16(bn_shift / div)
        self.in_state = None
        self.w2d = (self.q_w * s_w[:, None]).astype(np.float32)   # the real weights the integers stand for

    def params(self):
        return []

    def forward(self, q: np.ndarray, ctx) -> np.ndarray:
        """UINT4 input map -> next UINT4 map (or FP16 features after the last block)."""
        b, c, h, w = q.shape
        ho, wo = out_size(h, self.k, self.pad, self.stride), out_size(w, self.k, self.pad, self.stride)
        self.buffer = row_buffer_bits(c, h, w, self.k, self.act_bits)
        cols = im2col(q, self.k, self.k, self.pad, self.stride)
        op = GemmOp(self.name, "FF", self.w2d, (cols * np.float32(self.s_in)).astype(np.float32),
                    kind="int_dequant", per_sample=ho * wo,
                    aux={"a_q": ("MK", self.q_w), "b_q": ("KN", cols.astype(np.uint8)),
                         "scale": ("M", self.scale), "shift": ("M", self.shift),
                         "x_q": ("", q.astype(np.uint8))},
                    meta=dict(layer_type="conv", x_shape=[b, c, h, w], w_shape=[len(self.q_w), c, self.k, self.k],
                              y_shape=[b, len(self.q_w), ho, wo], kernel=self.k, pad=self.pad, stride=self.stride,
                              lowering="A=s_w*q_w[Cout,Cin*kh*kw], B=s_x*im2col(q_x)", requantized=self.s_out is not None,
                              row_buffer=self.buffer))
        y, _ = ctx.run(self, op)
        y = matrix_to_nchw(y, b, ho, wo)
        if self.s_out is not None:
            out = golden.requantize_unsigned(y, self.act_bits)
        else:
            out = np.maximum(y, 0).astype(np.float32)
        return max_pool2(out) if self.pool else out


def max_pool2(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, stride 2, over the last two axes (even sizes)."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"max_pool2 needs an even height and width, got {h}x{w}")
    return x.reshape(x.shape[:-2] + (h // 2, 2, w // 2, 2)).max(axis=(-3, -1))


@dataclass
class FrozenConv:
    """One frozen integer conv layer as the core takes it: INT4 weights q_w[Cout, Cin, k, k], the
    dequantizer's FP16 scale and shift per output channel, zero padding, stride 1."""
    q_w: np.ndarray
    scale: np.ndarray
    shift: np.ndarray
    pad: int

    @property
    def k(self) -> int:
        return self.q_w.shape[-1]


def frozen_conv(x_q: np.ndarray, layer: FrozenConv, w_bits: int = 4, act_bits: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """One image x_q[C, H, W] (UINT) through a frozen conv: (acc [Cout, Ho, Wo] int64, y FP16)."""
    c, h, w = x_q.shape
    cols = im2col(x_q[None].astype(np.int64), layer.k, layer.k, layer.pad)
    acc = golden.int_gemm(layer.q_w.reshape(len(layer.q_w), -1), cols, w_bits, act_bits,
                          a_signed=True, b_signed=False)
    ho, wo = out_size(h, layer.k, layer.pad, 1), out_size(w, layer.k, layer.pad, 1)
    y = golden.dequant_affine(acc, layer.scale, layer.shift)
    return acc.reshape(-1, ho, wo), y.reshape(-1, ho, wo)


def pipeline_pair(x_q: np.ndarray, first: FrozenConv, second: FrozenConv, pool: bool,
                  w_bits: int = 4, act_bits: int = 4) -> dict[str, np.ndarray]:
    """What the RowPipe core computes in one CONV job, for one image x_q[C, H, W]: the first layer,
    ReLU and requantization (golden.requantize_unsigned), an optional 2x2 max pool, the second layer.
    Returns every intermediate: acc1, y1, q1 (requantized), q1p (layer 2's input), acc2, y2 (FP16,
    the job's result)."""
    acc1, y1 = frozen_conv(x_q, first, w_bits, act_bits)
    q1 = golden.requantize_unsigned(y1, act_bits)
    q1p = max_pool2(q1) if pool else q1
    acc2, y2 = frozen_conv(q1p, second, w_bits, act_bits)
    return {"acc1": acc1, "y1": y1, "q1": q1, "q1p": q1p, "acc2": acc2, "y2": y2}


def row_buffer_bits(c: int, h: int, w: int, k: int, bits: int, group: int = 1) -> dict:
    """Input buffering of one layer (c x h x w at `bits` a value, channels padded to a multiple of
    `group`, hdl/rowpipe's StageMacs): the whole feature map vs a line buffer of k+1 rows (k+1 banks,
    row r in bank r mod (k+1)), the formula the RTL's parameters follow (Banks x RowWords words)."""
    row = -(-c // group) * group * w * bits
    return {"whole_map": h * row, "row_pipeline": min(k + 1, h) * row, "banks": k + 1}


class QuantBackbone:
    """The frozen integer conv stages, as one network stage."""

    def __init__(self, layers: list[QuantConv], s_in0: float, act_bits: int):
        self.layers, self.s_in0, self.act_bits = layers, s_in0, act_bits

    @property
    def gemm_layers(self):
        return self.layers

    def params(self):
        return []

    def forward(self, x, state, ctx):
        top = (1 << self.act_bits) - 1
        q = np.clip(np.rint(x / self.s_in0), 0, top).astype(np.float32)
        for layer in self.layers:
            q = layer.forward(q, ctx)
        return q, None

    def backward(self, g, ctx, need_dx):
        return None


class FrozenStages:
    """FP stages run in inference mode (BN on running statistics), no BP, no WG, not recorded."""

    gemm_layers: list = []

    def __init__(self, stages):
        self.stages = list(stages)

    def params(self):
        return []

    def forward(self, x, state, ctx):
        inner = Context(ctx.method, ctx.executor, training=False)
        for s in self.stages:
            x, state = s.forward(x, state, inner)
        return x, state

    def backward(self, g, ctx, need_dx):
        return None


def calibrate(net: Network, x: np.ndarray, percentile: float) -> list[float]:
    """The percentile of each conv block's input over the pretraining data."""
    ctx = Context(Method(), training=False)
    peaks, state = [], None
    for s in net.stages:
        if isinstance(s, ConvBlock):
            peaks.append(float(np.percentile(x, percentile)))
        x, state = s.forward(x, state, ctx)
    return peaks


class Rowpipe(Method):
    name = "rowpipe"
    Options = RowpipeOptions
    description = "transfer learning: frozen INT4/UINT4 backbone (pretrained on 0-4), FP16 head on 5-9"

    def prepare(self, run):
        from models.training import TrainConfig, fit
        o = self.options
        source, target = run.data.only(SOURCE), run.data.only(TARGET)
        cfg = TrainConfig(**{**run.config.__dict__, "epochs": o.pretrain_epochs})
        self.pretrain_config = cfg
        base = build_cnn(run.rng, len(SOURCE))
        fit(base, Method(), source, cfg, run.rng, progress=run.progress, label="pretrain 0-4 ")
        self.source_accuracy_float = base.accuracy(source.x_test, source.y_test, Method())
        blocks = [s for s in base.stages if isinstance(s, ConvBlock)]
        top = (1 << o.act_bits) - 1
        scales = [max(p, 1e-6) / top for p in calibrate(base, source.x_train, o.percentile)]
        layers = [QuantConv(b, scales[i], scales[i + 1] if i + 1 < len(blocks) else None, o.w_bits, o.act_bits)
                  for i, b in enumerate(blocks)]
        backbone = QuantBackbone(layers, scales[0], o.act_bits)
        self.source_accuracy_int = Network([backbone] + base.stages[len(blocks):]).accuracy(
            source.x_test, source.y_test, self)
        self.float_backbone = base.stages[:len(blocks)]
        run.net = self.with_head(backbone, run.rng)
        run.data = target
        run.baseline_macs = build_cnn(np.random.default_rng(0), len(TARGET)).training_macs_per_sample((1, 8, 8))

    def with_head(self, backbone, rng) -> Network:
        fin = self.float_backbone[-1].conv.weight.value.shape[0] * 4    # 2x2 map after the last pool
        return Network([backbone, Flatten(),
                        FcStage(Linear("fc1", fin, self.options.hidden, rng), Activation("relu")),
                        FcStage(Linear("fc2", self.options.hidden, len(TARGET), rng))])

    def finish(self, run):
        """The comparisons: whole network trained on 5-9, and the same head on the FP backbone."""
        from models.training import fit
        self.whole_network_accuracy = self.float_head_accuracy = None
        if not self.options.compare_whole_network:
            return
        rng = np.random.default_rng(run.config.seed + 1)
        whole = build_cnn(rng, len(TARGET))
        fit(whole, Method(), run.data, self.pretrain_config, rng, progress=run.progress, label="whole net 5-9 ")
        self.whole_network_accuracy = whole.accuracy(run.data.x_test, run.data.y_test, Method())
        rng = np.random.default_rng(run.config.seed + 2)
        head_net = self.with_head(FrozenStages(self.float_backbone), rng)
        fit(head_net, Method(), run.data, run.config, rng, progress=run.progress, label="head on FP backbone ")
        self.float_head_accuracy = head_net.accuracy(run.data.x_test, run.data.y_test, Method())

    def record_arrays(self, op, ctx, a16, b16, c):
        if op.kind != "int_dequant":
            return {}, {}
        o = self.options
        a_q, b_q = op.aux_array("a_q"), op.aux_array("b_q")
        acc = golden.int_gemm(a_q, b_q, o.w_bits, o.act_bits, a_signed=True, b_signed=False)
        y = golden.dequant_affine(acc, op.aux_array("scale"), op.aux_array("shift"))
        arrays = dict(a_q=a_q, b_q=b_q, scale=op.aux_array("scale"), shift=op.aux_array("shift"),
                      x_q=op.aux_array("x_q")[:op.samples], acc=acc.astype(np.int32), y=y)
        outputs = ["acc", "y"]
        described = dict(a_q=f"int8 holding INT{o.w_bits} weights", b_q=f"uint8 holding UINT{o.act_bits} activations",
                         scale="float16[M]: dequantizer scale (s_x s_w, BN and next 1/s_x folded)",
                         shift="float16[M]: dequantizer shift", acc="golden.int_gemm(a_q, b_q)",
                         y="golden.dequant_affine(acc, scale, shift)",
                         x_q="uint8[samples, Cin, H, W]: the input map b_q is the im2col of")
        if op.meta.get("requantized"):
            arrays["q_out"] = golden.requantize_unsigned(y, o.act_bits)
            outputs.append("q_out")
            described["q_out"] = "golden.requantize_unsigned(y, act_bits): next layer's input (before pooling)"
        return arrays, {"outputs": outputs, "arrays": described, "w_bits": o.w_bits, "act_bits": o.act_bits}

    def summary(self, run):
        return {"rowpipe": {
            "pretrain_epochs": self.options.pretrain_epochs,
            "source_accuracy_float": self.source_accuracy_float,
            "source_accuracy_int": self.source_accuracy_int,
            "transfer_accuracy_int_backbone": run.history[-1]["test_accuracy"],
            "transfer_accuracy_float_backbone": self.float_head_accuracy,
            "whole_network_accuracy": self.whole_network_accuracy,
            "buffer_bits": {l.name: l.buffer for l in run.net.gemm_layers if isinstance(l, QuantConv)},
        }}
