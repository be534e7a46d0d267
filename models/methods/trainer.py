"""Trainer: dynamic weight pruning plus implicit-redundancy speculation and one-pass BN statistics.

Implicit redundancy = operations with non-zero operands that cannot affect training:
- FF outputs the activation will zero. Speculated from a cheap estimate: the same GEMM on operands
  whose mantissas are cut to ``keep_mantissa_bits`` (golden.speculation_estimate). With the BN that
  follows, an output is zero when scale * y + shift <= 0 (scale, shift from BN's running statistics, so
  known before the batch); the rule skips it when the estimate predicts scale * est + shift < -margin
  (golden.speculation_skip on a per-channel threshold). A skipped output costs no full-precision MAC;
  its estimate still feeds the BN statistics and its activation is forced to zero. A mis-speculation is
  a skipped output whose exact value would have come out of the activation non-zero. The estimate's own
  reduced-precision MACs (the non-zero pairs of every output) are counted as estimate MACs
  (Stats.add_estimate), apart from the effectual MACs.
- BP outputs (column gradients) that land on input positions whose activation derivative is zero, or
  on padding: col2im and the activation derivative throw them away.
- WG of pruned weights: they stay pruned until the next re-selection (shared with every pruning method).
Dataflow: per operation the sparser operand is compressed and the denser one broadcast (recorded).
BN: batch statistics from one pass, var = E[y^2] - E[y]^2 (golden.row_sum_sumsq in records).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import golden
from models.executor import fp16_rounded
from models.formats import Bitmap
from models.layers import LINEAR, SATURATED
from models.lowering import matrix_to_nchw
from models.methods.pruning import PruningOptions, Unstructured
from models.network import ConvBlock, dead_input_positions


@dataclass
class TrainerOptions(PruningOptions):
    speculate: bool = True
    keep_mantissa_bits: int = 2      # mantissa bits of the estimate's operands
    margin: float = 0.25             # skip only when the predicted BN output is below -margin
    speculation_start_epochs: float = 1.0   # running BN statistics must settle first
    compare_without_speculation: bool = True  # also train with speculation off, for its accuracy effect

    def validate(self):
        super().validate()
        if not 0 <= self.keep_mantissa_bits <= 10:
            raise ValueError("keep_mantissa_bits must be in 0..10")


def choose_dataflow(a: np.ndarray, b: np.ndarray, lanes: int = 16, word: int = 16) -> str:
    """The runtime's dataflow rule for C = A . B on a core with `lanes` outputs a tile: compress the
    operand whose non-zeros cost fewer fetch cycles, broadcast the other. Compressing A walks every
    row of A once per ceil(N/lanes) tiles, one cycle a non-zero and at least one a `word`-value
    X word; compressing B walks B's columns once per ceil(M/lanes) tiles. Densities and shapes are
    what a runtime knows from the producing layer's output counters; a tie compresses B."""
    (m, k), n = a.shape, b.shape[1]
    words = -(-k // word)

    def walk(x: np.ndarray, rows: int, tiles: int) -> int:
        return tiles * (int(np.count_nonzero(x)) + rows * words)

    cost_a = walk(a, m, -(-n // lanes))
    cost_b = walk(b, n, -(-m // lanes))
    return "compress_A" if cost_a < cost_b else "compress_B"


def estimate_fast(a: np.ndarray, b: np.ndarray, bits: int) -> np.ndarray:
    """Float32 BLAS version of golden.speculation_estimate, used while training (records use golden)."""
    return fp16_rounded(a, bits) @ fp16_rounded(b, bits)


class Trainer(Unstructured):
    name = "trainer"
    Options = TrainerOptions
    description = "dynamic pruning + speculation of ReLU-zeroed FF outputs + BP/WG redundancy masks + one-pass BN"

    def begin(self, net, total_steps, steps_per_epoch):
        super().begin(net, total_steps, steps_per_epoch)
        self.blocks = {s.conv.name: s for s in net.stages if isinstance(s, ConvBlock)}
        for block in self.blocks.values():
            block.bn.one_pass = True
        self.spec_start = int(round(self.options.speculation_start_epochs * steps_per_epoch))
        self.first_active_step = min(self.spec_start, total_steps - 1)
        self.counts = {"outputs": 0, "skipped": 0, "wrong": 0}
        self.dataflow = {}

    def speculation_rule(self, block):
        """Per output channel (threshold, direction) such that skip <=> scale*est + shift < -margin."""
        scale, shift = block.bn.affine()
        direction = np.sign(scale).astype(np.int8)
        safe = np.where(scale == 0, 1.0, scale)
        threshold = ((-self.options.margin - shift) / safe).astype(np.float32)
        # scale 0: the output is shift whatever y is; never skip (direction 0)
        return threshold, direction

    def decorate(self, layer, op, ctx):
        op = super().decorate(layer, op, ctx)
        if not ctx.training:
            return op
        if op.phase == "FF" and layer.name in self.blocks:
            layer.ff_skip = None
            if self.options.speculate and ctx.step >= self.spec_start:
                self.speculate(layer, op)
                if ctx.stats is not None:     # the estimate's own MACs, counted apart from effectual ones
                    ctx.stats.add_estimate(op)
        if op.phase == "BP":
            dead = dead_input_positions(layer)
            if dead is not None:
                op.out_skip = layer.skip_mask_of_input(dead)
        mode = choose_dataflow(op.a, op.b)
        op.meta["dataflow"] = mode
        key = f"{op.phase}:{mode}"
        self.dataflow[key] = self.dataflow.get(key, 0) + 1
        return op

    def speculate(self, layer, op):
        threshold, direction = self.speculation_rule(self.blocks[layer.name])
        est = estimate_fast(op.a, op.b, self.options.keep_mantissa_bits)
        skip = golden.speculation_skip(est, threshold, direction)
        op.out_skip, op.skip_fill = skip, est
        op.aux["spec_threshold"] = ("M", threshold)
        op.aux["spec_direction"] = ("M", direction)
        b, _, h, w = layer.geometry(layer.x_shape)["y_shape"]
        layer.ff_skip = matrix_to_nchw(skip, b, h, w)
        # for measuring only: the exact outputs the skipped positions would have had
        layer.spec_exact = matrix_to_nchw(op.a.astype(np.float32) @ op.b.astype(np.float32), b, h, w)

    def observe_speculation(self, block, y, skip, ctx):
        z = block.bn.normalize_with_batch_stats(block.conv.spec_exact)
        alive = block.act.state_of(z)
        wrong = skip & ((alive == LINEAR) | (alive == SATURATED) | (block.act.kind == "leakyrelu"))
        self.counts["outputs"] += skip.size
        self.counts["skipped"] += int(skip.sum())
        self.counts["wrong"] += int(wrong.sum())

    def record_arrays(self, op, ctx, a16, b16, c):
        arrays, meta = super().record_arrays(op, ctx, a16, b16, c)
        described = meta.setdefault("arrays", {})
        outputs = []
        c_core = c
        if op.phase == "FF" and "spec_threshold" in op.aux:
            bits = self.options.keep_mantissa_bits
            est = golden.speculation_estimate(a16, b16, bits)
            thr, direction = op.aux_array("spec_threshold"), op.aux_array("spec_direction")
            skip = golden.speculation_skip(est, thr, direction)
            c_core = np.where(skip, est, c).astype(np.float32)
            arrays.update(spec_threshold=thr, spec_direction=direction, spec_estimate=est, out_skip=skip)
            meta.update(keep_mantissa_bits=bits, margin=self.options.margin, skip_fill="spec_estimate")
            outputs += ["spec_estimate", "out_skip"]
            described.update(
                spec_threshold="float32[M]: per output channel threshold of the speculation rule",
                spec_direction="int8[M]: +1 skip if estimate < threshold, -1 if >, 0 never",
                spec_estimate="golden.speculation_estimate(a, b, keep_mantissa_bits): written at skipped outputs",
                out_skip="golden.speculation_skip(spec_estimate, spec_threshold, spec_direction)")
        elif op.out_skip is not None:
            c_core = np.where(op.out_skip, np.float32(0), c).astype(np.float32)
            arrays["out_skip"] = op.out_skip
            described["out_skip"] = ("bool[M, N]: removed outputs (BP: column gradients on zero-derivative "
                                     "positions or padding; WG: pruned weights), +0 in core_result()")
        if op.phase == "FF" and op.layer in self.blocks:
            s, q = golden.row_sum_sumsq(c_core)
            arrays.update(bn_sum=s, bn_sumsq=q)
            outputs += ["bn_sum", "bn_sumsq"]
            described.update(bn_sum="golden.row_sum_sumsq(core_result())[0]: one-pass BN sum per channel",
                             bn_sumsq="golden.row_sum_sumsq(core_result())[1]: sum of squares")
        mode = op.meta.get("dataflow", "compress_B")
        compressed = a16 if mode == "compress_A" else b16
        arrays["compressed_words"] = Bitmap.encode(compressed).pack(ctx.recorder.word_bits)
        described["compressed_words"] = f"Bitmap.pack of the compressed operand ({mode[-1]}), FP16 values"
        meta["outputs"] = outputs
        return arrays, meta

    def finish(self, run):
        """The same run (seed, data order, pruning) with speculation off: its accuracy effect."""
        from dataclasses import replace

        from models.network import build_cnn
        from models.training import fit
        self.accuracy_without_speculation = None
        if not (self.options.speculate and self.options.compare_without_speculation):
            return
        rng = np.random.default_rng(run.config.seed)
        net = build_cnn(rng, run.data.num_classes, self.activation)
        ref = Trainer(replace(self.options, speculate=False, compare_without_speculation=False))
        history = fit(net, ref, run.data, run.config, rng, progress=run.progress, label="no speculation ")
        self.accuracy_without_speculation = history[-1]["test_accuracy"]

    def summary(self, run):
        c = self.counts
        without = getattr(self, "accuracy_without_speculation", None)
        return {"trainer": {
            "speculated_outputs_fraction": c["skipped"] / max(c["outputs"], 1),
            "misspeculation_rate": c["wrong"] / max(c["skipped"], 1),
            "misspeculated_outputs_fraction": c["wrong"] / max(c["outputs"], 1),
            "keep_mantissa_bits": self.options.keep_mantissa_bits,
            "margin": self.options.margin,
            "dataflow_ops": dict(sorted(self.dataflow.items())),
            "accuracy_without_speculation": without,
            "accuracy_effect_of_speculation": None if without is None else run.history[-1]["test_accuracy"] - without,
        }}
