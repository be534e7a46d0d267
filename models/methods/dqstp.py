"""DQ-STP: SVD low-rank decomposition, 2^n weight quantization, fixed-point activations and errors, ACBN.

After ``pretrain_epochs`` of dense FP training (offline, before the measured on-device training), each
conv with min(Cout, Cin*kh*kw) >= ``min_rank_dim`` becomes a rank-R conv ``<name>.lr`` followed by a
1x1 conv ``<name>.pw`` (R = rank_fraction * that minimum), from the truncated SVD of W2d = U S V^T:
W_lr = sqrt(S) V^T, W_pw = U sqrt(S). Then every GEMM layer trains with:
- weights 2^n-quantized from full-precision shadow weights on every use (golden.pow2_encode: sign +
  level, level 0 = zero weight, 2^(code_bits-1)-1 levels up from e_base = e_max - levels + 1), the
  gradient applied to the shadow weights (straight-through);
- activations and errors in dynamic fixed point: signed ``act_bits``/``err_bits`` integers with a
  per-tensor power-of-two scale 2^-f;
- FF (activation x 2^n weight) and BP (error x flipped 2^n weight) on the shifter array (op kind
  "shift_add", golden.shift_add_gemm); WG (activation x error) on the multiplier array ("int_mac",
  golden.int_gemm);
- ACBN: BN backward with batch mean and variance treated as constants, dX = gamma / sigma * dY, so the
  errors keep the activation's zeros.
Records carry the integer operands, FCSR words of the feature and gradient maps, and the exact integer
accumulator (the core's golden result).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import golden
from models.formats import FCSR
from models.layers import Conv2d
from models.methods.base import Method, Options
from models.network import ConvBlock


@dataclass
class DqstpOptions(Options):
    pretrain_epochs: int = 4
    rank_fraction: float = 0.25
    min_rank_dim: int = 16
    code_bits: int = 4
    act_bits: int = 8
    err_bits: int = 8
    acbn: bool = True

    def validate(self):
        if not 0 < self.rank_fraction <= 1:
            raise ValueError("rank_fraction must be in (0, 1]")
        if not 2 <= self.code_bits <= 8 or not 2 <= self.act_bits <= 16 or not 2 <= self.err_bits <= 16:
            raise ValueError("code_bits must be 2..8, act_bits and err_bits 2..16")
        if self.pretrain_epochs < 0:
            raise ValueError("pretrain_epochs must be >= 0")


class LowRankConv:
    """A rank-R kxk conv followed by a 1x1 conv, standing where one conv stood in its block."""

    def __init__(self, conv: Conv2d, rank: int, rng):
        w2d = conv.w2d.astype(np.float64)
        u, s, vt = np.linalg.svd(w2d, full_matrices=False)
        root = np.sqrt(s[:rank])
        cout, cin, k, _ = conv.weight.value.shape
        self.name, self.rank = conv.name, rank
        self.lr = Conv2d(f"{conv.name}.lr", cin, rank, k, conv.pad, rng, conv.stride)
        self.lr.weight.value[...] = (root[:, None] * vt[:rank]).reshape(rank, cin, k, k)
        self.pw = Conv2d(f"{conv.name}.pw", rank, cout, 1, 0, rng)
        self.pw.weight.value[...] = (u[:, :rank] * root[None, :]).reshape(cout, rank, 1, 1)
        self.in_state = None

    @property
    def gemm_layers(self):
        return [self.lr, self.pw]

    def params(self):
        return self.lr.params() + self.pw.params()

    def forward(self, x, ctx):
        self.lr.in_state = self.in_state
        return self.pw.forward(self.lr.forward(x, ctx), ctx)

    def backward(self, dy, ctx, need_dx):
        return self.lr.backward(self.pw.backward(dy, ctx, True), ctx, need_dx)


def fixed_point(x: np.ndarray, bits: int) -> tuple[np.ndarray, int]:
    """x -> (q, f) with q signed ``bits``-bit integers and x ~ q * 2^-f, f as large as fits max|x|."""
    top = (1 << (bits - 1)) - 1
    peak = float(np.abs(x).max()) if x.size else 0.0
    f = int(np.floor(np.log2(top / peak))) if peak > 0 else 0
    q = np.clip(np.rint(x * np.float32(2.0 ** f)), -top, top)
    return q.astype(np.int8 if bits <= 8 else np.int16), f


class Dqstp(Method):
    name = "dqstp"
    Options = DqstpOptions
    description = "SVD low-rank + 2^n weights (shifter array) + fixed-point activations/errors + ACBN"

    def prepare(self, run):
        from models.training import TrainConfig, fit
        o = self.options
        if o.pretrain_epochs:
            cfg = TrainConfig(**{**run.config.__dict__, "epochs": o.pretrain_epochs})
            fit(run.net, Method(), run.data, cfg, run.rng, progress=run.progress, label="pretrain ")
        self.pretrain_accuracy = run.net.accuracy(run.data.x_test, run.data.y_test, Method())
        self.ranks = {}
        for s in run.net.stages:
            if isinstance(s, ConvBlock):
                m, k = s.conv.w2d.shape
                if min(m, k) >= o.min_rank_dim:
                    rank = max(1, int(round(o.rank_fraction * min(m, k))))
                    s.conv = LowRankConv(s.conv, rank, run.rng)
                    self.ranks[s.conv.name] = rank
                s.bn.approx_backward = o.acbn
        self.decomposed_accuracy = run.net.accuracy(run.data.x_test, run.data.y_test, self)

    # ---- 2^n weights -----------------------------------------------------------------------------
    def exp_base(self, w: np.ndarray) -> int:
        levels = (1 << (self.options.code_bits - 1)) - 1
        peak = float(np.abs(w).max())
        e_max = int(np.floor(np.log2(peak * 4.0 / 3.0))) if peak > 0 else 0
        return max(e_max - levels + 1, -14)   # FP16-normal levels, so the dense equivalent is exact

    def codes(self, layer) -> tuple[np.ndarray, int]:
        w = layer.w2d
        e = self.exp_base(w)
        return golden.pow2_encode(w, e, self.options.code_bits), e

    def weight(self, layer, phase, ctx):
        codes, e = self.codes(layer)
        return golden.pow2_values(codes, e, self.options.code_bits).astype(np.float32)

    def effective_weight(self, layer):
        return self.weight(layer, "FF", None)

    def decorate(self, layer, op, ctx):
        o = self.options
        if op.phase in ("FF", "BP"):
            codes, e = self.codes(layer)
            bits = o.act_bits if op.phase == "FF" else o.err_bits
            q, f = fixed_point(op.b, bits)
            op.kind = "shift_add"
            op.b = (q * np.float32(2.0 ** -f)).astype(np.float32)
            op.aux.update(a_codes=("MK", codes if op.phase == "FF" else np.ascontiguousarray(codes.T)),
                          b_q=("KN", q))
            op.meta.update(a_exp_base=e, b_frac_bits=f, code_bits=o.code_bits, b_bits=bits)
        else:
            qa, fa = fixed_point(op.a, o.err_bits)
            qb, fb = fixed_point(op.b, o.act_bits)
            op.kind = "int_mac"
            op.a = (qa * np.float32(2.0 ** -fa)).astype(np.float32)
            op.b = (qb * np.float32(2.0 ** -fb)).astype(np.float32)
            op.aux.update(a_q=("MK", qa), b_q=("KN", qb))
            op.meta.update(a_frac_bits=fa, b_frac_bits=fb, a_bits=o.err_bits, b_bits=o.act_bits)
        return op

    def record_arrays(self, op, ctx, a16, b16, c):
        o = self.options
        wb = ctx.recorder.word_bits
        arrays, described = {}, {}
        b_q = op.aux_array("b_q")
        if op.kind == "shift_add":
            codes = op.aux_array("a_codes")
            acc = golden.shift_add_gemm(codes, b_q, o.code_bits, op.meta["b_bits"])
            arrays.update(a_codes=codes, b_q=b_q, acc=acc.astype(np.int32))
            scale_exp = op.meta["a_exp_base"] - op.meta["b_frac_bits"]
            described.update(a_codes="uint8 2^n codes (golden.pow2_decode, code_bits)",
                             b_q="int8 fixed point, value = b_q * 2^-b_frac_bits",
                             acc="golden.shift_add_gemm(a_codes, b_q): value = acc * 2^result_exp")
            exact_a = np.array_equal(a16.astype(np.float64), golden.pow2_values(codes, op.meta["a_exp_base"], o.code_bits))
        else:
            a_q = op.aux_array("a_q")
            acc = golden.int_gemm(a_q, b_q, op.meta["a_bits"], op.meta["b_bits"])
            arrays.update(a_q=a_q, b_q=b_q, acc=acc.astype(np.int32),
                          a_fcsr_words=FCSR.encode(a_q).pack(wb, op.meta["a_bits"]))
            scale_exp = -(op.meta["a_frac_bits"] + op.meta["b_frac_bits"])
            described.update(a_q="int8 errors, value = a_q * 2^-a_frac_bits", b_q="int8 activations",
                             acc="golden.int_gemm(a_q, b_q): value = acc * 2^result_exp",
                             a_fcsr_words="FCSR.pack(a_q) (gradient map)")
            exact_a = np.array_equal(a16.astype(np.float64), a_q * 2.0 ** -op.meta["a_frac_bits"])
        b_fcsr = FCSR.encode(b_q)
        arrays["b_fcsr_words"] = b_fcsr.pack(wb, op.meta["b_bits"])
        described["b_fcsr_words"] = "FCSR.pack(b_q, value_bits=b_bits) (feature map or gradient map)"
        exact_b = np.array_equal(b16.astype(np.float64), b_q * 2.0 ** -op.meta["b_frac_bits"])
        bits = op.meta["b_bits"]
        storage = {"dense": b_q.size * bits, "fcsr": b_fcsr.storage_bits(bits),
                   "csr16": (b_q.shape[0] + 1) * 16 + int((b_q != 0).sum()) * (16 + bits)}
        return arrays, {"result_exp": scale_exp, "outputs": ["acc"], "arrays": described,
                        "dense_equivalent_exact": bool(exact_a and exact_b), "b_storage_bits": storage}

    def summary(self, run):
        n_weights = sum(g.weight.value.size for g in run.net.gemm_layers)
        nonzero = sum(int((self.effective_weight(g) != 0).sum()) for g in run.net.gemm_layers)
        return {"dqstp": {
            "pretrain_epochs": self.options.pretrain_epochs,
            "pretrain_accuracy": self.pretrain_accuracy,
            "accuracy_after_decomposition_and_quantization": self.decomposed_accuracy,
            "ranks": self.ranks,
            "weights": n_weights,
            "dense_weights": run.baseline_weights,
            "nonzero_weights_vs_dense": nonzero / run.baseline_weights,
        }}
