"""The Trainer core's side of the testbench: CSR values, operand packing for both dataflows, the
output skip masks, the speculation rule and x-hat words, and result unpacking. Expected values and
counts come from models/golden.py only (hdl/trainer/trainer_top.sv is the other side).

Operands of an Operation:
  a, b    float16 [M x K], [K x N]       C = A . B (zero-skipping, golden.gemm_fp16_skip)
  skip    bool    [M x N]  (BP, WG)      outputs the mask removes (written +0) when meta["skip"]
  thr     float32 [M], dir int8 [M] (FF) the speculation rule (golden.speculation_skip) when meta["spec"]
  xhat    float16 [M x N]  (BP)          BN x-hat for the backward sums when meta["bn"]
meta: dataflow ("compress_A" / "compress_B"; absent: the runtime rule models/methods/trainer.py:
choose_dataflow for the build's lanes),
spec, audit, keep (mantissa bits of the estimate), skip, bn (0 off, 1 one-pass, 2 two-pass).

Packing (L = the build's Lanes; X = the compressed operand, Y = the broadcast one):
  compress_A: X rows = A's rows, Y = B; tile (m, yt) = outputs (m, yt*L + j)   t = m*YT + yt
  compress_B: X rows = B's columns, Y = A^T; tile (n, yt) = outputs (yt*L + j, n)   t = yt*N + n
  X word (r, kb) = 16 FP16 of row r at k = kb*16 + i; Y word (k, yt) = L FP16 at lanes j.
  MASK bit t*L + j; SPEC word w = rows 4w..4w+3, 64 bits each (threshold bits, 2-bit direction);
  XHAT word t = L FP16. Result: C word t (L FP32), then BN words 2g (s1) and 2g+1 (s2) of rows
  g*L .. g*L+L-1. decode() returns C [M x N] with s1 and s2 as two more columns when BN is on.
"""
from __future__ import annotations

import numpy as np

from models import golden
from models.methods.trainer import choose_dataflow
from verif.common.agents import ceil_div, ints_to_words, words_to_ints
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, gemm_columns, gemm_shape

CORE = load_core("trainer")
WORD_BITS = load_csr_map(CORE.rdl).in_beat_bits
KSTEP = WORD_BITS // 16                        # FP16 values of an X word
BUF_X, BUF_Y, BUF_MASK, BUF_SPEC, BUF_XHAT = range(5)
RULES_PER_WORD = WORD_BITS // 64
DATAFLOWS = ("compress_A", "compress_B")
BN_MODES = ("off", "one-pass", "two-pass")
# The core's own faults and the ERR_CODE each must end in.
CORE_FAULTS = {
    "bad_dataflow": "BAD_DATAFLOW",     # DATAFLOW.mode = 2
    "bad_bn_mode": "BAD_BN_MODE",       # BN.mode = 3
    "bn_on_wg": "BN_PHASE",             # BN statistics asked for on a WG job
    "spec_bits": "SPEC_BITS",           # SPEC.keep beyond the estimate multipliers
    "rule_missing": "NOT_LOADED",       # a speculated FF job without its rule buffer
    "mask_missing": "NOT_LOADED",       # a masked BP/WG job without its mask
}



def dataflow_of(op: Operation, lanes: int | None = None) -> str:
    """The job's dataflow: meta["dataflow"], else the runtime rule for `lanes` (default: the build's)."""
    lanes = active_parameters(CORE)["Lanes"] if lanes is None else lanes
    mode = op.meta.get("dataflow") or choose_dataflow(op.operands["a"], op.operands["b"], lanes)
    if mode not in DATAFLOWS:
        raise ValueError(f"{op.op_id}: dataflow must be one of {DATAFLOWS}, not {mode!r}")
    return mode


def speculating(op: Operation) -> bool:
    return op.phase == "FF" and bool(op.meta.get("spec"))


def masking(op: Operation) -> bool:
    return op.phase in ("BP", "WG") and bool(op.meta.get("skip"))


def bn_mode(op: Operation) -> int:
    return int(op.meta.get("bn", 0))


class TrainerCodec(CoreCodec):
    core_faults = CORE_FAULTS
    extra_core_registers = ("CFG_ERR",)
    sram_counter_of_dest = {BUF_X: 0, BUF_Y: 1, BUF_MASK: None, BUF_SPEC: None, BUF_XHAT: None}

    def __init__(self, csr_map: CsrMap, params: dict | None = None):
        self.map = csr_map
        self.p = dict(active_parameters(CORE) if params is None else params)
        self.lanes = self.p["Lanes"]
        self.num_mult = self.lanes
        self.result_word_bits = 32 * self.lanes

    shape = staticmethod(gemm_shape)

    def dims(self, op):
        m, n, k = self.shape(op)
        return {"M": m, "N": n, "K": k}

    # ---- geometry
    def geometry(self, op) -> dict[str, int]:
        """Rows of X (R), tiles across Y (YT), X words a row (KB), tiles (T) of the job."""
        m, n, k = self.shape(op)
        mode = dataflow_of(op, self.lanes)
        rows, across = (m, n) if mode == "compress_A" else (n, m)
        yt = ceil_div(across, self.lanes)
        return {"R": rows, "YT": yt, "KB": ceil_div(k, KSTEP), "T": rows * yt, "K": k, "M": m, "N": n}

    def tile_outputs(self, op) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every tile t and lane j: the output (m, n) it holds and whether it is inside C."""
        g, mode = self.geometry(op), dataflow_of(op, self.lanes)
        t = np.arange(g["T"])[:, None]
        j = np.arange(self.lanes)[None, :]
        if mode == "compress_A":
            m, n = np.broadcast_to(t // g["YT"], (g["T"], self.lanes)), (t % g["YT"]) * self.lanes + j
        else:
            m, n = (t // g["R"]) * self.lanes + j, np.broadcast_to(t % g["R"], (g["T"], self.lanes))
        valid = (m < g["M"]) & (n < g["N"])
        return np.where(valid, m, 0), np.where(valid, n, 0), valid

    def per_tile(self, op, x: np.ndarray, fill=0) -> np.ndarray:
        """An [M x N] array laid out as tiles x lanes (padding lanes = fill)."""
        m, n, valid = self.tile_outputs(op)
        return np.where(valid, x[m, n], np.asarray(fill, dtype=x.dtype))

    # ---- configuration
    def csr_writes(self, op):
        m, n, k = self.shape(op)
        phase = self.map.enum("accel_phase_e")[op.phase]
        mode = DATAFLOWS.index(dataflow_of(op, self.lanes))
        bn, keep = bn_mode(op), int(op.meta.get("keep", 2))
        fault = op.fault
        if fault == "zero_dim":
            m = 0
        elif fault == "oversize":
            k = 0xFFFF
        elif fault == "bad_phase":
            phase = 3
        elif fault == "bad_dataflow":
            mode = 2
        elif fault == "bad_bn_mode":
            bn = 3
        elif fault == "bn_on_wg":
            phase, bn = self.map.enum("accel_phase_e")["WG"], 1
        elif fault == "spec_bits":
            keep = self.p["SpecBits"] + 1
        skip = {"spec": int(speculating(op)), "bp": int(op.phase == "BP" and masking(op)),
                "wg": int(op.phase == "WG" and masking(op)), "audit": int(bool(op.meta.get("audit")))}
        return [("DIM_M", m), ("DIM_N", n), ("DIM_K", k), ("PHASE", phase), ("DATAFLOW", mode),
                ("SKIP", self.map["SKIP"].pack(0, **skip)), ("SPEC", keep), ("BN", bn)]

    # ---- operand frames
    def x_matrix(self, op) -> np.ndarray:
        a, b = op.operands["a"], op.operands["b"]
        return a if dataflow_of(op, self.lanes) == "compress_A" else b.T

    def y_matrix(self, op) -> np.ndarray:
        a, b = op.operands["a"], op.operands["b"]
        return b if dataflow_of(op, self.lanes) == "compress_A" else a.T

    def pack_x(self, op) -> list[int]:
        x, g = self.x_matrix(op), self.geometry(op)
        padded = np.zeros((g["R"], g["KB"] * KSTEP), dtype=np.float16)
        padded[:, :g["K"]] = x
        return words_to_ints(padded.reshape(-1, KSTEP).view(np.uint16))

    def pack_y(self, op) -> list[int]:
        y, g = self.y_matrix(op), self.geometry(op)
        padded = np.zeros((g["K"], g["YT"], KSTEP), dtype=np.float16)
        lanes = np.zeros((g["K"], g["YT"] * self.lanes), dtype=np.float16)
        lanes[:, :y.shape[1]] = y
        padded[:, :, :self.lanes] = lanes.reshape(g["K"], g["YT"], self.lanes)
        return words_to_ints(padded.reshape(-1, KSTEP).view(np.uint16))

    def pack_mask(self, op) -> list[int]:
        bits = self.per_tile(op, np.asarray(op.operands["skip"], dtype=bool), False).ravel()
        padded = np.zeros(ceil_div(bits.size, WORD_BITS) * WORD_BITS, dtype=bool)
        padded[:bits.size] = bits
        return words_to_ints(np.packbits(padded.reshape(-1, WORD_BITS), axis=1, bitorder="little"))

    def pack_rule(self, op) -> list[int]:
        thr = np.asarray(op.operands["thr"], dtype=np.float32).view(np.uint32).astype(np.uint64)
        direction = np.asarray(op.operands["dir"]).astype(np.int64)
        if not np.isin(direction, (-1, 0, 1)).all():
            raise ValueError(f"{op.op_id}: speculation directions must be -1, 0 or +1")
        entries = thr | ((direction & 3).astype(np.uint64) << np.uint64(32))
        padded = np.zeros(ceil_div(entries.size, RULES_PER_WORD) * RULES_PER_WORD, dtype=np.uint64)
        padded[:entries.size] = entries
        return words_to_ints(padded.reshape(-1, RULES_PER_WORD))

    def pack_xhat(self, op) -> list[int]:
        xhat = self.per_tile(op, np.asarray(op.operands["xhat"], dtype=np.float16))
        words = np.zeros((xhat.shape[0], KSTEP), dtype=np.float16)
        words[:, :self.lanes] = xhat
        return words_to_ints(words.view(np.uint16))

    def frames(self, op):
        frames = [(BUF_X, self.pack_x(op)), (BUF_Y, self.pack_y(op))]
        if masking(op) and op.fault != "mask_missing":
            frames.append((BUF_MASK, self.pack_mask(op)))
        if speculating(op) and op.fault != "rule_missing":
            frames.append((BUF_SPEC, self.pack_rule(op)))
        if op.phase == "BP" and bn_mode(op):
            frames.append((BUF_XHAT, self.pack_xhat(op)))
        return frames

    # ---- results
    def bn_words(self, op) -> int:
        return 2 * ceil_div(self.shape(op)[0], self.lanes) if bn_mode(op) else 0

    def result_words(self, op):
        return self.geometry(op)["T"] + self.bn_words(op)

    def decode(self, op, beats):
        g, lanes = self.geometry(op), self.lanes
        words = ints_to_words(beats, lanes * 4, np.uint32)
        c = np.zeros((g["M"], g["N"]), dtype=np.uint32)
        m, n, valid = self.tile_outputs(op)
        c[m[valid], n[valid]] = words[:g["T"]][valid]
        if not bn_mode(op):
            return c.view(np.float32)
        stats = words[g["T"]:].reshape(-1, 2, lanes)           # (group, s1/s2, lane)
        s1 = stats[:, 0, :].ravel()[:g["M"]]
        s2 = stats[:, 1, :].ravel()[:g["M"]]
        return np.concatenate([c, s1[:, None], s2[:, None]], axis=1).view(np.float32)

    # ---- the golden side
    def skipped(self, op) -> np.ndarray | None:
        """The outputs the job removes (bool [M x N]), from models/golden.py; None: no skipping."""
        a, b = op.operands["a"], op.operands["b"]
        if speculating(op):
            est = golden.speculation_estimate(a, b, int(op.meta.get("keep", 2)))
            return golden.speculation_skip(est, op.operands["thr"], op.operands["dir"])
        if masking(op):
            return np.asarray(op.operands["skip"], dtype=bool)
        return None

    def core_c(self, op) -> np.ndarray:
        """C as the core writes it: exact where computed, the estimate (FF) or +0 (BP, WG) where
        skipped."""
        a, b = op.operands["a"], op.operands["b"]
        skip = self.skipped(op)
        if skip is None:
            return golden.gemm_fp16_skip(a, b)
        exact = golden.gemm_fp16_skip(a, b, out_keep=~skip)
        if speculating(op):
            est = golden.speculation_estimate(a, b, int(op.meta.get("keep", 2)))
            return np.where(skip, est, exact).astype(np.float32)
        return exact

    def expected(self, op):
        c = self.core_c(op)
        if not bn_mode(op):
            return c
        if op.phase == "FF":
            s1, s2 = golden.row_sum_sumsq(c)
        else:
            s1, s2 = golden.row_sum_dot(c, op.operands["xhat"].astype(np.float32))
        return np.concatenate([c, s1[:, None], s2[:, None]], axis=1)

    def macs(self, op):
        m, n, k = self.shape(op)
        a, b = op.operands["a"], op.operands["b"]
        skip = self.skipped(op)
        if skip is None or op.meta.get("audit") and speculating(op):
            return m * n * k, golden.effectual_macs(a, b)
        return m * n * k, golden.effectual_macs_skip(a, b, out_keep=~skip)

    def core_counts(self, op) -> dict[str, int]:
        """The core counters a good job must end with, from models/golden.py."""
        a, b = op.operands["a"], op.operands["b"]
        g = self.geometry(op)
        skip = self.skipped(op)
        spec, audit = speculating(op), speculating(op) and bool(op.meta.get("audit"))
        x_nonzeros = (self.x_matrix(op) != 0).sum(axis=1)   # entries a tile fetches
        tile_skipped = np.zeros(g["T"], dtype=bool)
        if skip is not None and not audit:
            _, _, valid = self.tile_outputs(op)
            tile_skipped = (self.per_tile(op, skip, True) | ~valid).all(axis=1)
        tile_rows = np.arange(g["T"]) // g["YT"] if dataflow_of(op, self.lanes) == "compress_A" else np.arange(g["T"]) % g["R"]
        fetched = x_nonzeros[tile_rows]
        want = {
            "EST_MACS": golden.effectual_macs(a, b) if spec else 0,
            "SPEC_SKIPPED": int(skip.sum()) if spec else 0,
            "SPEC_WRONG": 0,
            "BP_SKIPPED": int(skip.sum()) if masking(op) and op.phase == "BP" else 0,
            "WG_SKIPPED": int(skip.sum()) if masking(op) and op.phase == "WG" else 0,
            "TILES_SKIPPED": int(tile_skipped.sum()),
            "BN_READS": g["T"] if bn_mode(op) == 2 else 0,
            "BN_WRITES": self.bn_words(op),
            "REPLAY_WR": int(fetched.sum()) if spec else 0,
            "REPLAY_RD": int(fetched[~tile_skipped].sum()) if spec else 0,
            "CFG_ERR": 0,
        }
        if audit:
            exact = golden.gemm_fp16_skip(a, b)
            on_skip_side = golden.speculation_skip(exact, op.operands["thr"], op.operands["dir"])
            want["SPEC_WRONG"] = int((skip & ~on_skip_side).sum())
        return want

    def check(self, op, res):
        if op.fault is not None or res.result is None:
            return []
        c = res.counters
        return [f"{op.op_id}: {name} is {c[name]}, expected {count}"
                for name, count in self.core_counts(op).items() if c[name] != count]

    def metrics(self, op, counters):
        c = counters
        return {"dataflow": dataflow_of(op, self.lanes), "spec": speculating(op), "audit": bool(op.meta.get("audit")),
                "masked": masking(op), "bn": BN_MODES[bn_mode(op)] if bn_mode(op) < 3 else "bad",
                "driver_choice": choose_dataflow(op.operands["a"], op.operands["b"], self.lanes),
                "outputs_skipped": c["SPEC_SKIPPED"] + c["BP_SKIPPED"] + c["WG_SKIPPED"],
                "outputs": int(np.prod(self.shape(op)[:2]))}

    # ---- limits
    def over_limits(self, op) -> list[str]:
        """The buffers and limits a job exceeds, as "name words > limit"."""
        g, p = self.geometry(op), self.p
        need = {"XWords": g["R"] * g["KB"], "YWords": g["K"] * g["YT"], "CWords": g["T"],
                "MaskWords": ceil_div(g["T"] * self.lanes, WORD_BITS),
                "SpecWords": ceil_div(g["M"], RULES_PER_WORD), "XhatWords": g["T"],
                "BnWords": self.bn_words(op)}
        over = [f"{name} {words} > {p[name]}" for name, words in need.items() if words > p[name]]
        if speculating(op) and g["K"] > p["MaxSpecK"]:
            over.append(f"K {g['K']} > MaxSpecK {p['MaxSpecK']}")
        return over

    def check_fits(self, op) -> None:
        over = self.over_limits(op)
        if over:
            raise ValueError(f"{op.op_id} does not fit the trainer core's buffers: {', '.join(over)}")

    def split(self, op):
        """A job over the buffers splits N (columns of B, C and the skip mask), exactly: its outputs
        are independent. A job with BN statistics is not split (they sum over N)."""
        if op.fault is not None or not self.over_limits(op):
            return [op]
        if bn_mode(op):
            self.check_fits(op)
        return self.tiles(op, op.operands["b"].shape[1],
                          lambda op, start, tile: gemm_columns(op, start, tile, ("skip",)), self.lanes)

    def join(self, op, parts, results):
        return np.concatenate(results, axis=1)

    def compute_cycles_bound(self, op):
        g = self.geometry(op)
        per_tile = g["KB"] + g["K"] + 8
        bn = (g["T"] * self.lanes + 4 * g["T"]) * (2 if bn_mode(op) == 2 else 1)
        return g["T"] * per_tile + bn + 64
