"""The RowPipe core's side of the testbench: CSR values, operand packing, result unpacking and the
counters a job must end with. Expected values come from models/ only (models/methods/rowpipe.py:
pipeline_pair for CONV jobs, golden.gemm_fp16 for HEAD jobs); hdl/rowpipe/rowpipe_top.sv is the other side.

A CONV job (meta kind "conv", phase FF) runs two frozen conv layers on one image. Operands: x_q (uint8
[c0, H, W], UINT4; an operation of [B, c0, H, W] is split into one job per image), w1 (int8 [c1, c0, k1, k1], INT4), scale1, shift1 (float16 [c1]), w2 (int8 [c2, c1,
k2, k2]), scale2, shift2 (float16 [c2]); meta p1, p2 (paddings), pool (2x2 max pool between),
layerwise (layer-by-layer mode instead of the row pipeline). Result: layer 2's FP16 output y2
[c2, Ho2, Wo2], returned as its bit patterns (uint32) so the scoreboard compares bits.
A HEAD job (meta kind "head") is C = A . B in fp16_gemm's format (verif/common/gemm_packing.py).

Layouts (P = StageMacs, G(c) = ceil(c / P), CPW = 64 / P, 4-bit fields, field f at bits 4f of the
stream counted over the whole frame):
  X       in[c, y, x] at field ((y W + x) G(c0) + c / P) P + c % P.
  weights word ((g k + ky) k + kx) ceil(Ci / CPW) + cb holds w[g P + j, cb CPW + i, ky, kx] at field
          i P + j; then ceil(Co / 8) dequantizer words: scale of channel co at bits 32 (co % 8) of word
          Nw + co / 8, its shift 16 bits above.
  result  word (y Wo2 + x) G(c2) + g holds y2[g P + j, y, x] at bits 16 j.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import golden
from models.formats import pack_fields, to_fields
from models.lowering import im2col
from models.methods.rowpipe import FrozenConv, pipeline_pair
from verif.common.agents import ints_to_words, words_to_ints
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, gemm_shape
from verif.common.gemm_packing import LANES, Fp16GemmFormat, ceil_div

CORE = load_core("rowpipe")
WORD_BITS = load_csr_map(CORE.rdl).in_beat_bits
FIELDS = WORD_BITS // 4                      # 4-bit fields of an operand word
OUT_BITS = 128                               # result word
assert WORD_BITS == 16 * LANES, "fp16_gemm words are one operand beat"
BUF_W1, BUF_W2, BUF_X = 0, 1, 2
RESULT_COUNTER, X_COUNTER = 2, 3             # SRAM counter slots of the result and X buffers
W_BITS = ACT_BITS = 4
# The core's own faults and the ERR_CODE each must end in (CSR values, except bad_scale: frames).
CORE_FAULTS = {
    "conv_phase": "CONV_PHASE",     # a CONV job with PHASE BP
    "kernel_big": "KERNEL_BIG",     # K2 = Banks
    "bad_pad": "BAD_PAD",           # p2 = K2
    "out_empty": "OUT_EMPTY",       # H = 1 with K1 = 3 and no padding
    "pool_odd": "POOL_ODD",         # pool with an odd layer-1 output height
    "row_long": "ROW_LONG",         # c1 = 255: a line-buffer row longer than a bank row
    "map_tall": "MAP_TALL",         # layer-by-layer mode with more rows than the banks hold
    "bad_scale": "BAD_SCALE",       # a zero scale in layer 2's dequantizer words (runtime)
}


def kind(op: Operation) -> str:
    k = op.meta.get("kind", "conv")
    if k not in ("conv", "head"):
        raise ValueError(f"{op.op_id}: kind must be 'conv' or 'head', not {k!r}")
    return k


@dataclass(frozen=True)
class ConvGeometry:
    """The shape of a CONV job, as rowpipe_top.sv derives it from the registers."""
    h: int
    w: int
    c0: int
    c1: int
    c2: int
    k1: int
    p1: int
    k2: int
    p2: int
    pool: bool

    @property
    def ho1(self):
        return self.h + 2 * self.p1 - self.k1 + 1

    @property
    def wo1(self):
        return self.w + 2 * self.p1 - self.k1 + 1

    @property
    def hi2(self):
        return self.ho1 // 2 if self.pool else self.ho1

    @property
    def wi2(self):
        return self.wo1 // 2 if self.pool else self.wo1

    @property
    def ho2(self):
        return self.hi2 + 2 * self.p2 - self.k2 + 1

    @property
    def wo2(self):
        return self.wi2 + 2 * self.p2 - self.k2 + 1


def geometry(op: Operation) -> ConvGeometry:
    o = op.operands
    c0, h, w = o["x_q"].shape[-3:]
    c1, c0w, k1, _ = o["w1"].shape
    c2, c1w, k2, _ = o["w2"].shape
    if c0w != c0 or c1w != c1:
        raise ValueError(f"{op.op_id}: channels do not chain: x {c0}, w1 {o['w1'].shape}, w2 {o['w2'].shape}")
    return ConvGeometry(h, w, c0, c1, c2, k1, int(op.meta.get("p1", 0)), k2, int(op.meta.get("p2", 0)),
                        bool(op.meta.get("pool", False)))


def layers(op: Operation) -> tuple[FrozenConv, FrozenConv]:
    o, g = op.operands, geometry(op)
    return (FrozenConv(o["w1"], o["scale1"], o["shift1"], g.p1), FrozenConv(o["w2"], o["scale2"], o["shift2"], g.p2))


def images(op: Operation) -> np.ndarray:
    """The input maps of a CONV operation, [B, c0, H, W]."""
    x = op.operands["x_q"]
    return x if x.ndim == 4 else x[None]


def reference(op: Operation) -> list[dict[str, np.ndarray]]:
    """Every intermediate of a CONV operation per image (models/methods/rowpipe.py:pipeline_pair),
    cached on the op."""
    if "_reference" not in op.meta:
        op.meta["_reference"] = [pipeline_pair(x, *layers(op), geometry(op).pool) for x in images(op)]
    return op.meta["_reference"]


def taps(size_in: int, size_out: int, k: int, pad: int) -> np.ndarray:
    """Kernel taps inside the input, per output position along one axis."""
    pos = np.arange(size_out)[:, None] + np.arange(k)[None, :] - pad
    return ((pos >= 0) & (pos < size_in)).sum(axis=1)


def pack4(values: np.ndarray) -> list[int]:
    """4-bit fields (two's complement for a signed dtype) in order -> operand words."""
    return words_to_ints(pack_fields(to_fields(values, 4), 4, WORD_BITS))


class RowpipeCodec(CoreCodec):
    core_faults = CORE_FAULTS
    extra_core_registers = ("CFG_ERR",)
    sram_counter_of_dest = {BUF_W1: 0, BUF_W2: 1, BUF_X: X_COUNTER}

    def __init__(self, csr_map: CsrMap, params: dict | None = None):
        self.map = csr_map
        self.p = dict(active_parameters(CORE) if params is None else params)
        self.macs_per_stage = self.p["StageMacs"]
        self.num_mult = 2 * self.macs_per_stage
        self.result_word_bits = OUT_BITS
        self.head = Fp16GemmFormat(self.p["HeadRows"], self.p["HeadCols"])

    def G(self, c: int) -> int:
        return ceil_div(c, self.macs_per_stage)

    # ---- packing
    def pack_x(self, x_q: np.ndarray) -> list[int]:
        c, h, w = x_q.shape
        groups = np.zeros((h, w, self.G(c) * self.macs_per_stage), dtype=np.uint8)
        groups[:, :, :c] = x_q.transpose(1, 2, 0)
        return pack4(groups)

    def pack_weights(self, w_q: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> list[int]:
        p = self.macs_per_stage
        cpw = FIELDS // p
        co, ci, k, _ = w_q.shape
        padded = np.zeros((self.G(co) * p, ceil_div(ci, cpw) * cpw, k, k), dtype=np.int8)
        padded[:co, :ci] = w_q
        # [g, j, cb, i, ky, kx] -> word (g, ky, kx, cb), field (i, j)
        t = padded.reshape(self.G(co), p, -1, cpw, k, k).transpose(0, 4, 5, 2, 3, 1)
        words = pack4(t)
        pairs = np.zeros((ceil_div(co, 8) * 8, 2), dtype=np.uint16)
        pairs[:co, 0] = np.asarray(scale, np.float16).view(np.uint16)
        pairs[:co, 1] = np.asarray(shift, np.float16).view(np.uint16)
        return words + words_to_ints(pairs.reshape(-1, 16))

    def frames(self, op):
        if kind(op) == "head":
            return [(BUF_W1, self.head.pack_a(op.operands["a"])), (BUF_W2, self.head.pack_b(op.operands["b"]))]
        o = op.operands
        scale2 = np.array(o["scale2"], np.float16)
        if op.fault == "bad_scale":     # a zero scale on the last channel of layer 2
            scale2[-1] = np.float16(op.meta.get("bad_scale_value", 0.0))
        return [(BUF_W1, self.pack_weights(o["w1"], o["scale1"], o["shift1"])),
                (BUF_W2, self.pack_weights(o["w2"], scale2, o["shift2"])),
                (BUF_X, self.pack_x(self.one_image(op)))]

    # ---- configuration
    def csr_writes(self, op):
        fault = op.fault
        phase = self.map.enum("accel_phase_e")[op.phase]
        if fault == "bad_phase":
            phase = 3
        if kind(op) == "head":
            m, n, k = gemm_shape(op)
            if fault == "zero_dim":
                m = 0
            elif fault == "oversize":
                k = 0xFFFF
            return [("MODE", 1), ("DIM_M", m), ("DIM_N", n), ("DIM_K", k), ("PHASE", phase)]
        g = geometry(op)
        h, w, c0, c1, c2 = g.h, g.w, g.c0, g.c1, g.c2
        k1, p1, k2, p2 = g.k1, g.p1, g.k2, g.p2
        pool, layerwise = g.pool, bool(op.meta.get("layerwise", False))
        if fault == "zero_dim":
            c2 = 0
        elif fault == "oversize" and not op.meta.get("oversize_as_is"):  # else its own shape is over a buffer
            h = w = 255
        elif fault == "conv_phase":
            phase = self.map.enum("accel_phase_e")["BP"]
        elif fault == "kernel_big":
            k2, p2 = self.p["Banks"], 0
        elif fault == "bad_pad":
            p2 = k2
        elif fault == "out_empty":
            h, k1, p1 = 1, 3, 0
        elif fault == "pool_odd":
            pool, h = True, h + 1 if g.ho1 % 2 == 0 else h
        elif fault == "row_long":
            c1 = 255
        elif fault == "map_tall":
            layerwise = True
        mode = int(pool) << 2 | int(layerwise) << 1
        return [("MODE", mode), ("MAP", w << 8 | h), ("CHANNELS", c2 << 16 | c1 << 8 | c0),
                ("KERNEL", p2 << 12 | k2 << 8 | p1 << 4 | k1), ("PHASE", phase)]

    # ---- results
    def result_words(self, op):
        """Result words of the operation (all its jobs)."""
        if kind(op) == "head":
            m, n, _ = gemm_shape(op)
            return self.head.c_words(m, n)
        return self.geometry_words(geometry(op))["C"] * len(images(op))

    def decode(self, op, beats):
        if kind(op) == "head":
            m, n, _ = gemm_shape(op)
            return self.head.decode(beats, m, n)
        g = geometry(op)
        words = ints_to_words(beats, OUT_BITS // 8, np.uint16)      # [(y, x, g), 8 lanes]
        p = self.macs_per_stage
        lanes = words[:, :p].reshape(g.ho2, g.wo2, self.G(g.c2) * p)[:, :, :g.c2]
        y2 = lanes.transpose(2, 0, 1).astype(np.uint32)
        return y2[None] if op.operands["x_q"].ndim == 4 else y2      # a job of a one-image batch

    def expected(self, op):
        if kind(op) == "head":
            return golden.gemm_fp16(op.operands["a"], op.operands["b"])
        y2 = np.stack([ref["y2"] for ref in reference(op)]).view(np.uint16).astype(np.uint32)
        return y2 if op.operands["x_q"].ndim == 4 else y2[0]

    def dims(self, op):
        if kind(op) == "head":
            m, n, k = gemm_shape(op)
            return {"M": m, "N": n, "K": k}
        g = geometry(op)
        return {"H": g.h, "W": g.w, "C0": g.c0, "C1": g.c1, "C2": g.c2, "K1": g.k1, "K2": g.k2,
                "pool": int(g.pool)}

    def macs(self, op):
        """(dense MACs, effectual MACs): every tap of the im2col GEMMs; effectual = both operands
        non-zero (padding taps are zero)."""
        if kind(op) == "head":
            a, b = op.operands["a"], op.operands["b"]
            return a.shape[0] * a.shape[1] * b.shape[1], golden.effectual_macs(a, b)
        (l1, l2), dense, effectual = layers(op), 0, 0
        for x, ref in zip(images(op), reference(op)):
            for layer, x_in, acc in ((l1, x, ref["acc1"]), (l2, ref["q1p"], ref["acc2"])):
                co, ci, k, _ = layer.q_w.shape
                dense += co * ci * k * k * acc.shape[1] * acc.shape[2]
                effectual += golden.effectual_macs(layer.q_w.reshape(co, -1), im2col(x_in[None], k, k, layer.pad))
        return dense, effectual

    def mac_units(self, op):
        return self.head.rows * self.head.cols if kind(op) == "head" else self.num_mult

    # ---- the counters a CONV job must end with (from the layouts and loop order, not the RTL)
    def conv_counts(self, op) -> dict[str, int]:
        g, p = geometry(op), self.macs_per_stage
        cpw = FIELDS // p
        t1 = np.outer(taps(g.h, g.ho1, g.k1, g.p1), taps(g.w, g.wo1, g.k1, g.p1))     # [Ho1, Wo1]
        t2y, t2x = taps(g.hi2, g.ho2, g.k2, g.p2), taps(g.wi2, g.wo2, g.k2, g.p2)
        t2 = np.outer(t2y, t2x)
        g0, g1, g2 = self.G(g.c0), self.G(g.c1), self.G(g.c2)
        banks = g.k2 + 1
        lb_rd, lb_wr = [0] * 4, [0] * 4
        for yo in range(g.ho2):
            for ky in range(g.k2):
                iy = yo + ky - g.p2
                if 0 <= iy < g.hi2:
                    lb_rd[iy % banks] += int(t2x.sum()) * g1 * g2
        for r in range(g.hi2):
            lb_wr[r % banks] += g.wi2 * g1
        counts = {
            "S1_MAC_CYC": int(t1.sum()) * g.c0 * g1, "S2_MAC_CYC": int(t2.sum()) * g.c1 * g2,
            f"SRAM_RD[{X_COUNTER}]": int(t1.sum()) * g0 * g1,
            "SRAM_RD[0]": int(t1.sum()) * ceil_div(g.c0, cpw) * g1 + g.ho1 * g1,
            "SRAM_RD[1]": int(t2.sum()) * ceil_div(g.c1, cpw) * g2 + g.ho2 * g2,
            f"SRAM_WR[{RESULT_COUNTER}]": g.ho2 * g.wo2 * g2,
            "DQ_OPS": g.ho1 * g.wo1 * g.c1 + g.ho2 * g.wo2 * g.c2,
            "POOL_RD": g.hi2 * g.wi2 * g1 if g.pool else 0, "POOL_WR": g.hi2 * g.wi2 * g1 if g.pool else 0,
            "BANK_CONFLICT": 0,
        }
        counts.update({f"LB_RD{b}": lb_rd[b] for b in range(4)})
        counts.update({f"LB_WR{b}": lb_wr[b] for b in range(4)})
        return {name: n * len(images(op)) for name, n in counts.items()}

    def check(self, op, res):
        if op.fault is not None or res.err_code != "NONE":
            return []
        c, fails = res.counters, []
        if kind(op) == "head":
            quiet = ("S1_MAC_CYC", "S2_MAC_CYC", "DQ_OPS", "BANK_CONFLICT", "PEAK_ROWS", "BOTH_BUSY")
            return [f"{op.op_id}: {name} is {c[name]} on a HEAD job" for name in quiet if c[name]]
        for name, want in self.conv_counts(op).items():
            if c[name] != want:
                fails.append(f"{op.op_id}: {name} is {c[name]}, expected {want}")
        g, n = geometry(op), len(images(op))     # counters are summed over the images' jobs
        s1, s2, cyc = c["S1_MAC_CYC"], c["S2_MAC_CYC"], c["CYC_COMPUTE"]
        if op.meta.get("layerwise"):
            if c["PEAK_ROWS"] != n * g.hi2:
                fails.append(f"{op.op_id}: PEAK_ROWS is {c['PEAK_ROWS']} layer by layer, expected {n * g.hi2}")
            if c["BOTH_BUSY"] != 0 or cyc < s1 + s2 or c["S2_WAIT"] < s1:
                fails.append(f"{op.op_id}: layer by layer, yet the stages overlapped (BOTH_BUSY "
                             f"{c['BOTH_BUSY']}, CYC_COMPUTE {cyc} < {s1} + {s2} or S2_WAIT {c['S2_WAIT']} < {s1})")
        else:
            lo, hi = n * min(g.k2 - g.p2, g.hi2), n * min(g.k2 + 1, g.hi2)
            if not lo <= c["PEAK_ROWS"] <= hi:
                fails.append(f"{op.op_id}: PEAK_ROWS is {c['PEAK_ROWS']}, expected {lo}..{hi} (K2 + 1 banks)")
            if cyc < max(s1, s2) or c["BOTH_BUSY"] > min(s1, s2):
                fails.append(f"{op.op_id}: CYC_COMPUTE {cyc} or BOTH_BUSY {c['BOTH_BUSY']} impossible "
                             f"for stage MAC cycles {s1} and {s2}")
            if g.hi2 > g.k2 + 1 and c["BOTH_BUSY"] == 0:
                fails.append(f"{op.op_id}: the row pipeline never ran both layers at once ({g.hi2} rows)")
        return fails

    def metrics(self, op, counters):
        if kind(op) == "head":
            return {"kind": "head"}
        g = geometry(op)
        word_bytes = self.macs_per_stage * ACT_BITS / 8
        row_bytes = g.wi2 * self.G(g.c1) * word_bytes
        return {"kind": "conv", "variant": "layerwise" if op.meta.get("layerwise") else "pipeline",
                "parts": list(op.meta.get("parts", [])), "images": len(images(op)),
                "both_busy": counters["BOTH_BUSY"], "peak_rows": counters["PEAK_ROWS"],
                "line_buffer_bytes": (g.k2 + 1) * row_bytes, "whole_map_bytes": g.hi2 * row_bytes}

    # ---- sizes
    def conv_words(self, op) -> dict[str, int]:
        return {**self.geometry_words(geometry(op)), "C": self.result_words(op)}

    def geometry_words(self, g: ConvGeometry) -> dict[str, int]:
        """Words of each buffer a one-image CONV job of geometry g loads (W1, W2, X) and writes (C),
        from the layouts above."""
        p = self.macs_per_stage
        cpw = FIELDS // p
        nw = lambda co, ci, k: self.G(co) * k * k * ceil_div(ci, cpw) + ceil_div(co, 8)  # noqa: E731
        return {"W1": nw(g.c1, g.c0, g.k1), "W2": nw(g.c2, g.c1, g.k2),
                "X": ceil_div(g.h * g.w * self.G(g.c0) * p, FIELDS), "C": g.ho2 * g.wo2 * self.G(g.c2)}

    @staticmethod
    def one_image(op) -> np.ndarray:
        x = images(op)
        if len(x) != 1:
            raise ValueError(f"{op.op_id}: a job takes one image, not {len(x)} (split() makes one job each)")
        return x[0]

    def head_tile(self, op) -> tuple[int, int]:
        return self.head.tile_shape(*gemm_shape(op), self.p["WWords"], self.p["WWords"], self.p["CWords"])

    def split(self, op):
        """A HEAD operation: the M x N tiles whose A, B and C fit (as dense's driver tiles). A CONV
        operation of several images: one job per image (the core has no batch dimension)."""
        if kind(op) == "head":
            m_tile, n_tile = self.head_tile(op)
            if (m_tile, n_tile) == gemm_shape(op)[:2]:
                return [op]
            return [Operation(f"{op.op_id}#{label}", op.phase, {"a": a, "b": b}, meta=dict(op.meta))
                    for label, a, b in self.head.split(op.operands["a"], op.operands["b"], m_tile, n_tile)]
        if op.operands["x_q"].ndim == 3:
            return super().split(op)
        meta = {k: v for k, v in op.meta.items() if k != "_reference"}
        parts = [Operation(f"{op.op_id}#image{i}", op.phase, {**op.operands, "x_q": x}, meta=dict(meta))
                 for i, x in enumerate(images(op))]
        for part in parts:
            self.check_fits(part)
        return parts

    def join(self, op, parts, results):
        if kind(op) == "head":
            return self.head.join(results, gemm_shape(op)[1], self.head_tile(op)[1])
        return np.stack(results)

    def check_fits(self, op):
        if kind(op) == "head":
            m, n, k = gemm_shape(op)
            words = {"A": self.head.a_words(m, k), "B": self.head.b_words(n, k), "C": self.head.c_words(m, n)}
            limits = {"A": self.p["WWords"], "B": self.p["WWords"], "C": self.p["CWords"]}
        else:
            g = geometry(op)
            words = self.conv_words(op)
            limits = {"W1": self.p["WWords"], "W2": self.p["WWords"], "X": self.p["XWords"], "C": self.p["CWords"]}
            if g.wi2 * self.G(g.c1) > self.p["RowWords"]:
                raise ValueError(f"{op.op_id}: a line-buffer row of {g.wi2 * self.G(g.c1)} words does not fit "
                                 f"RowWords={self.p['RowWords']}")
        over = [f"{name} needs {words[name]} words, the buffer has {limits[name]}"
                for name in limits if words[name] > limits[name]]
        if over:
            raise ValueError(f"{op.op_id} does not fit the core (it does not tile): {'; '.join(over)}")

    def compute_cycles_bound(self, op):
        if kind(op) == "head":
            return self.head.cycles_bound(*gemm_shape(op))
        g, c = geometry(op), self.conv_counts(op)
        blocks = g.ho1 * g.wo1 * self.G(g.c1) + g.ho2 * g.wo2 * self.G(g.c2)
        return c["S1_MAC_CYC"] + c["S2_MAC_CYC"] + blocks * (self.macs_per_stage + 8) + 1000
