"""NZPC: non-zero position constraints between operands, known from the forward pass.

The network is conv -> activation [-> pool] with no batch norm between, so each conv's FF output z
is the activation's input: a position estimator at the FF output stage derives each output's state
(layers.py: ZERO, LINEAR, SATURATED, LEAKY) from z alone, as the result leaves the array. The same
layer's BP and WG then need no runtime zero detection: the gradient dZ = dY * f'(z) at the conv
output is zero wherever the state has a zero derivative (ReLU: z <= 0; ReLU6: z <= 0 or z >= 6;
LeakyReLU: none, but the 1-bit sign says where alpha applies), so
- BP  (C = W^T . dZ): the products on dZ's zero-derivative positions are never issued;
- WG  (C = dZ . cols^T): the same, on the A side.
Per-row and per-column counts of the allowed positions are what static load balancing uses.
No weight pruning. ``estimate_state`` is the estimator's rule and ``balance`` the balancer's; both
are what the NZPC core computes, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.layers import LEAKY, LINEAR, Activation
from models.methods.base import Method, Options

ACTIVATIONS = Activation.NAMES + ("none",)     # "none": a layer with no activation after it (fc)


@dataclass
class NzpcOptions(Options):
    activation: str = "relu"   # relu, relu6 or leakyrelu

    def validate(self):
        if self.activation not in Activation.NAMES:
            raise ValueError(f"activation must be one of {', '.join(Activation.NAMES)}, got {self.activation!r}")


def estimate_state(z, activation: str) -> np.ndarray:
    """The estimator: the activation state of each FP32 FF output (numpy's comparisons, so NaN is
    ZERO for ReLU, LINEAR for ReLU6 and LEAKY for LeakyReLU; -0 is <= 0)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    z = np.asarray(z, dtype=np.float32)
    if activation == "none":
        return np.full(z.shape, LINEAR, np.int8)
    with np.errstate(invalid="ignore"):
        return Activation(activation).state_of(z)


def allowed(state) -> np.ndarray:
    """Positions whose derivative is non-zero (LINEAR or LEAKY): the ones BP and WG visit."""
    state = np.asarray(state)
    return (state == LINEAR) | (state == LEAKY)


def state_bits(activation: str) -> int:
    """Bits of position information per output: ReLU and LeakyReLU 1, ReLU6 2, none 0."""
    return {"relu": 1, "relu6": 2, "leakyrelu": 1, "none": 0}[activation]


def line_costs(counts) -> np.ndarray:
    """Cycles of a line that visits ``count`` positions: one a position, at least one (to write +0)."""
    return np.maximum(np.asarray(counts, dtype=np.int64), 1)


def balance(counts, lanes: int) -> np.ndarray:
    """Static load balance of lines over lanes, block by block (``lanes`` lines a block, one per lane):
    in each block, the line with the largest cost goes to the least-loaded free lane (ties: lowest
    line, lowest lane), loads carried across blocks. Returns lane_of[line] for every line of the
    padded blocks (padding lines cost 0)."""
    if lanes < 1:
        raise ValueError(f"lanes must be positive, got {lanes}")
    counts = np.asarray(counts, dtype=np.int64)
    blocks = -(-len(counts) // lanes)
    cost = np.zeros(blocks * lanes, np.int64)
    cost[:len(counts)] = line_costs(counts)
    load = np.zeros(lanes, np.int64)
    lane_of = np.zeros(blocks * lanes, np.int64)
    for b in range(blocks):
        items = list(range(b * lanes, (b + 1) * lanes))
        free = list(range(lanes))
        for _ in range(lanes):
            line = max(items, key=lambda i: (cost[i], -i))
            lane = min(free, key=lambda ln: (load[ln], ln))
            lane_of[line] = lane
            load[lane] += cost[line]
            items.remove(line)
            free.remove(lane)
    return lane_of


class Nzpc(Method):
    name = "nzpc"
    Options = NzpcOptions
    description = "FF-output state masks drive the same layer's BP and WG (no runtime zero detection)"
    batch_norm = False

    @property
    def activation(self):
        return self.options.activation

    def begin(self, net, total_steps, steps_per_epoch):
        super().begin(net, total_steps, steps_per_epoch)
        self.storage = {"dense_bits": 0, "compressed_bits": 0}
        self.masked = {"positions": 0, "skipped": 0}

    def decorate(self, layer, op, ctx):
        if not ctx.training:
            return op
        op.meta["activation"] = getattr(layer, "out_act", "none")
        if op.phase == "FF":
            return op
        mask = getattr(layer, "out_state", None)
        if mask is None:
            mask = np.full((op.a.shape[0], op.a.shape[1]) if op.phase == "WG" else op.b.shape, LINEAR, np.int8)
        # BP's B and WG's A are dZ[out, positions]: the state map is laid out like them
        op.aux["mask"] = ("KN", mask) if op.phase == "BP" else ("MK", mask)
        if op.phase == "WG":
            kept = allowed(mask)
            self.masked["positions"] += kept.size
            self.masked["skipped"] += int((~kept).sum())
            self.storage["dense_bits"] += 16 * mask.size
            self.storage["compressed_bits"] += state_bits(op.meta["activation"]) * mask.size + 16 * int(kept.sum())
        return op

    def record_arrays(self, op, ctx, a16, b16, c):
        layer_act = op.meta["activation"]
        arrays, described = {}, {}
        if op.phase == "FF":
            st = estimate_state(c, layer_act)
            keep = allowed(st)
            arrays.update(state=st, row_count=keep.sum(axis=1).astype(np.int32),
                          col_count=keep.sum(axis=0).astype(np.int32))
            described.update(
                state="int8[M, N]: the estimator's state of each FF output (0 zero, 1 linear, 2 saturated, 3 leaky)",
                row_count="int32[M]: allowed (non-zero derivative) outputs per row: the WG lines' counts",
                col_count="int32[N]: allowed outputs per column: the BP lines' counts")
        else:
            arrays["mask"] = op.aux_array("mask").astype(np.int8)
            described["mask"] = ("int8[K, N] (BP: dZ = B) or int8[M, K] (WG: dZ = A): the training's "
                                 "activation state of the layer's FF output, laid out like dZ")
        return arrays, {"activation": layer_act, "network_activation": self.activation, "record_set": self.activation,
                        "state_bits": state_bits(layer_act), "arrays": described}

    def summary(self, run):
        s, m = self.storage, self.masked
        return {"nzpc": {"activation": self.activation, "state_bits": state_bits(self.activation),
                         "dz_positions_masked": m["skipped"] / max(m["positions"], 1),
                         "activation_storage_vs_dense": s["compressed_bits"] / max(s["dense_bits"], 1)}}
