"""NZPC: non-zero position constraints between operands, known from the forward pass.

With y = f(z), the activation's state map (layers.py: ZERO, LINEAR, SATURATED, LEAKY) is written by a
position estimator at the FF output stage. The next layer then needs no runtime zero detection:
- FF and WG: the activation operand's zeros are the ZERO positions (ReLU: z <= 0; ReLU6: z <= 0;
  LeakyReLU: none); ReLU6's SATURATED positions hold the constant 6 and need no stored value.
- BP: the column gradients landing on positions whose derivative is zero (ZERO, SATURATED, padding)
  are never computed; for LeakyReLU nothing is removed, but the 1-bit sign says where alpha applies.
Activations are stored compressed by the mask (state bits plus the values of LINEAR/LEAKY positions);
per-row non-zero counts are what static load balancing uses. No weight pruning.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.formats import pack_fields, pack_sections, to_fields
from models.layers import LEAKY, LINEAR, ZERO, Activation
from models.methods.base import Method, Options
from models.network import dead_input_positions


@dataclass
class NzpcOptions(Options):
    activation: str = "relu"   # relu, relu6 or leakyrelu

    def validate(self):
        if self.activation not in Activation.NAMES:
            raise ValueError(f"activation must be one of {', '.join(Activation.NAMES)}, got {self.activation!r}")


def state_operand(layer, phase: str) -> np.ndarray | None:
    """The state of each entry of the layer's activation operand, laid out like B (FF) or B (WG)."""
    if layer.in_state is None:
        return None
    cols = layer.input_cols(layer.in_state, pad_value=ZERO)
    return cols if phase == "FF" else np.ascontiguousarray(cols.T)


class Nzpc(Method):
    name = "nzpc"
    Options = NzpcOptions
    description = "position-constraint masks from the FF pass drive BP and WG (no runtime zero detection)"

    @property
    def activation(self):
        return self.options.activation

    def begin(self, net, total_steps, steps_per_epoch):
        super().begin(net, total_steps, steps_per_epoch)
        self.storage = {"dense_bits": 0, "compressed_bits": 0}

    def decorate(self, layer, op, ctx):
        if not ctx.training or layer.in_state is None:
            return op
        if op.phase in ("FF", "WG"):
            op.aux["b_state"] = ("KN", state_operand(layer, op.phase))
        if op.phase == "FF":
            st = layer.in_state
            self.storage["dense_bits"] += 16 * st.size
            self.storage["compressed_bits"] += state_bits(self.activation) * st.size + 16 * int(
                ((st == LINEAR) | (st == LEAKY)).sum())
        if op.phase == "BP":
            dead = dead_input_positions(layer)
            skip = layer.skip_mask_of_input(dead)
            if skip.any():
                op.out_skip = skip
            if self.activation == "leakyrelu":
                op.aux["out_leaky"] = ("MN", layer.skip_mask_of_input(layer.in_state == LEAKY) & ~skip)
        return op

    def record_arrays(self, op, ctx, a16, b16, c):
        arrays, described = {}, {}
        wb = ctx.recorder.word_bits
        bits = state_bits(self.activation)
        if "b_state" in op.aux:
            st = op.aux_array("b_state").astype(np.int8)
            values = b16[(st == LINEAR) | (st == LEAKY)]
            arrays.update(b_state=st, b_state_words=pack_fields(st.ravel().astype(np.uint64), 2, wb),
                          b_row_nnz=(st != ZERO).sum(axis=1).astype(np.int32),
                          b_compressed_words=pack_sections([(st.ravel().astype(np.uint64), 2),
                                                            (to_fields(values, 16), 16)], wb))
            described.update(
                b_state="int8[K, N]: state of each B entry (0 zero, 1 linear, 2 saturated=6, 3 leaky)",
                b_state_words="b_state packed 2 bits each",
                b_row_nnz="int32[K]: non-zeros per row of B, for static load balancing",
                b_compressed_words="activation storage: 2-bit states, then FP16 values of linear/leaky entries")
        if op.phase == "BP" and op.out_skip is not None:
            arrays["out_skip"] = op.out_skip
            described["out_skip"] = "bool[M, N]: column gradients on zero-derivative positions or padding (+0)"
            arrays["out_row_count"] = (~op.out_skip).sum(axis=1).astype(np.int32)
            described["out_row_count"] = "int32[M]: outputs computed per row (precomputed balance)"
        if "out_leaky" in op.aux:
            arrays["out_leaky"] = op.aux_array("out_leaky")
            described["out_leaky"] = "bool[M, N]: outputs scaled by LeakyReLU's alpha downstream"
        return arrays, {"activation": self.activation, "state_bits": bits, "arrays": described}

    def summary(self, run):
        s = self.storage
        return {"nzpc": {"activation": self.activation, "state_bits": state_bits(self.activation),
                         "activation_storage_vs_dense": s["compressed_bits"] / max(s["dense_bits"], 1)}}


def state_bits(activation: str) -> int:
    """Bits of position information per activation: ReLU and LeakyReLU 1, ReLU6 2."""
    return 2 if activation == "relu6" else 1
