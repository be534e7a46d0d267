"""The NZPC core's side of the testbench: CSR values, operand packing, result unpacking and the
counters a job must end with. Expected values come from models/ only (golden.gemm_fp16_masked, the
estimator and balancer of models/methods/nzpc.py); hdl/nzpc/nzpc_top.sv is the other side.

The core runs one engine, out[r, q] = sum over visited p of V[r, p] * S[q, p], with lanes owning
lines q and the round's vector V[r, :] broadcast (C = A . B, A [M x K], B [K x N]):
  FF, BP: V = A (R = M rows), S = B^T (Q = N lines), P = K; result C.
  WG:     V = B^T (R = N),    S = A (Q = M lines),   P = K; result C^T (decode() transposes back).
Visited positions: FF, and every job in detect mode, visit S's non-zeros (runtime zero detection,
one detect cycle per S word); BP/WG in estimator mode visit the positions the on-chip mask allows.

Operands of an Operation: a, b (float16); BP/WG: mask (int8 states laid out like dZ: B [K x N] for BP,
A [M x K] for WG), the state the preceding FF job left on chip. Readback: state (int8 [M x N], the
FF's). meta: act (FF: relu, relu6, leakyrelu, none), mode ("estimator" or "detect"), balance (bool),
layer (tag), readback (bool).

Frames (16 FP16 values a 256-bit word, value p = 16w + i at bits 16i): V word (r, w) at r*PW + w,
S word (q, w) at q*PW + w, PW = ceil(P/16). Result beat (r, b) = Lanes FP32: slot l = out[r, b*Lanes + l].
Readback beats (Lanes 32-bit slots): mask words (b, mb) (slot l: 2-bit states of rows 16mb..16mb+15
of column b*Lanes + l), column counts, row counts, BP schedule, WG schedule (lane of each line).
"""
from __future__ import annotations

import numpy as np

from models import golden
from models.methods.nzpc import ACTIVATIONS, allowed, balance, estimate_state, line_costs, state_bits
from verif.common.agents import ceil_div, ints_to_words, words_to_ints
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, gemm_columns, gemm_shape

CORE = load_core("nzpc")
WORD_BITS = load_csr_map(CORE.rdl).in_beat_bits
VALS = WORD_BITS // 16                         # FP16 values an operand word
PMAX = 16 * VALS                               # inner positions a lane's vector copy holds
MASK_ROWS = 16                                 # FF rows a mask word holds
BUF_V, BUF_S = 0, 1
MODES = ("estimator", "detect")
# The core's own faults and the ERR_CODE each must end in.
CORE_FAULTS = {
    "mask_missing": "MASK_MISSING",    # BP/WG (estimator) with no FF mask on chip (reset, aborted FF)
    "mask_stale": "MASK_STALE",        # LAYER.tag differs from the tag of the FF that wrote the mask
    "mask_shape": "MASK_SHAPE",        # BP/WG dims that do not match the mask's FF shape
}



def mode_of(op: Operation) -> str:
    mode = op.meta.get("mode", "estimator")
    if mode not in MODES:
        raise ValueError(f"{op.op_id}: mode must be one of {MODES}, not {mode!r}")
    return mode


def act_of(op: Operation) -> str:
    act = op.meta.get("act", "relu")
    if act not in ACTIVATIONS:
        raise ValueError(f"{op.op_id}: act must be one of {ACTIVATIONS}, not {act!r}")
    return act


def readback(op: Operation) -> bool:
    return bool(op.meta.get("readback"))


def masked(op: Operation) -> bool:
    """BP/WG in estimator mode: the job visits the positions the on-chip mask allows."""
    return op.phase != "FF" and mode_of(op) == "estimator" and not readback(op)


def balanced(op: Operation) -> bool:
    return masked(op) and bool(op.meta.get("balance", True))


class NzpcCodec(CoreCodec):
    core_faults = CORE_FAULTS
    extra_core_registers = ("CFG_ERR",)
    sram_counter_of_dest = {BUF_V: 0, BUF_S: 1}

    def __init__(self, csr_map: CsrMap, params: dict | None = None):
        self.map = csr_map
        self.p = dict(active_parameters(CORE) if params is None else params)
        self.lanes = self.p["Lanes"]
        self.num_mult = self.lanes
        self.result_word_bits = 32 * self.lanes

    def shape(self, op) -> tuple[int, int, int]:
        if readback(op):
            return op.operands["state"].shape + (0,)
        return gemm_shape(op)

    def dims(self, op):
        m, n, k = self.shape(op)
        return {"M": m, "N": n, "K": k}

    # ---- the engine's view of a job
    def vs(self, op) -> tuple[np.ndarray, np.ndarray]:
        """(V [R x P], S [Q x P]) of a compute job."""
        a, b = op.operands["a"], op.operands["b"]
        return (b.T, a) if op.phase == "WG" else (a, b.T)

    def geometry(self, op) -> dict[str, int]:
        v, s = self.vs(op)
        r, q, p = v.shape[0], s.shape[0], v.shape[1]
        return {"R": r, "Q": q, "P": p, "PW": ceil_div(p, VALS), "QB": ceil_div(q, self.lanes)}

    def visits(self, op) -> np.ndarray:
        """bool [Q x P]: the positions each line visits."""
        _, s = self.vs(op)
        if masked(op):
            mask = op.operands["mask"]
            return allowed(mask.T if op.phase == "BP" else mask)
        return s != 0

    def lane_of(self, op) -> np.ndarray:
        """The lane of every line of the job's padded blocks."""
        g = self.geometry(op)
        if balanced(op):
            return balance(self.visits(op).sum(axis=1), self.lanes)
        return np.arange(g["QB"] * self.lanes) % self.lanes

    def line_cycles(self, op) -> np.ndarray:
        """Cycles each line takes in a round (the RTL's issue rule, hdl/nzpc/nzpc_top.sv)."""
        g, visits = self.geometry(op), self.visits(op)
        if masked(op):
            return line_costs(visits.sum(axis=1))
        return g["PW"] + visits.sum(axis=1)

    # ---- configuration
    def csr_writes(self, op):
        m, n, k = self.shape(op)
        phase = self.map.enum("accel_phase_e")[op.phase]
        mode = {"act": ACTIVATIONS.index(act_of(op)), "detect": int(mode_of(op) == "detect"),
                "balance": int(balanced(op)), "readback": int(readback(op))}
        layer = int(op.meta.get("layer", 0))
        fault = op.fault
        if fault == "zero_dim":
            m = 0
        elif fault == "oversize":
            k = 0xFFFF
        elif fault == "bad_phase":
            phase = 3
        elif fault == "mask_stale":
            layer = (layer + 1) & 0xFF
        elif fault == "mask_shape":
            k, m = (k + 1, m) if op.phase == "BP" else (k, m + 1)
        return [("DIM_M", m), ("DIM_N", n), ("DIM_K", k), ("PHASE", phase),
                ("MODE", self.map["MODE"].pack(0, **mode)), ("LAYER", layer)]

    # ---- operand frames
    @staticmethod
    def pack_rows(x: np.ndarray) -> list[int]:
        """Rows of an FP16 matrix as whole operand words (zero padding past the last column)."""
        words = ceil_div(x.shape[1], VALS)
        padded = np.zeros((x.shape[0], words * VALS), dtype=np.float16)
        padded[:, :x.shape[1]] = x
        return words_to_ints(padded.reshape(-1, VALS).view(np.uint16))

    def frames(self, op):
        if readback(op):
            return []
        v, s = self.vs(op)
        return [(BUF_V, self.pack_rows(v)), (BUF_S, self.pack_rows(s))]

    # ---- results
    def readback_words(self, op) -> np.ndarray:
        """uint32 [beats x Lanes]: the metadata a readback job streams, from models/ (spec layout)."""
        state = np.asarray(op.operands["state"], dtype=np.int64)
        m, n = state.shape
        lanes = self.lanes
        keep = allowed(state)
        cols, rows = keep.sum(axis=0), keep.sum(axis=1)
        nb, mb = ceil_div(n, lanes), ceil_div(m, MASK_ROWS)
        st = np.zeros((mb * MASK_ROWS, nb * lanes), dtype=np.int64)
        st[:m, :n] = state
        fields = st.reshape(mb, MASK_ROWS, nb, lanes)               # (mb, i, b, l)
        shifts = (2 * np.arange(MASK_ROWS))[None, :, None, None]
        mask_words = (fields << shifts).sum(axis=1).transpose(1, 0, 2).reshape(-1, lanes)   # (b, mb) x l

        def per_block(values, count):
            out = np.zeros(ceil_div(count, lanes) * lanes, dtype=np.int64)
            out[:count] = values[:count]
            return out.reshape(-1, lanes)

        sections = [mask_words, per_block(cols, n), per_block(rows, m),
                    per_block(balance(cols, lanes), n), per_block(balance(rows, lanes), m)]
        return np.concatenate(sections).astype(np.uint32)

    def result_words(self, op):
        if readback(op):
            m, n, _ = self.shape(op)
            nb, rb = ceil_div(n, self.lanes), ceil_div(m, self.lanes)
            return nb * ceil_div(m, MASK_ROWS) + 2 * nb + 2 * rb
        g = self.geometry(op)
        return g["R"] * g["QB"]

    def decode(self, op, beats):
        words = ints_to_words(beats, self.lanes * 4, np.uint32)
        if readback(op):
            return words.copy()
        g = self.geometry(op)
        out = words.reshape(g["R"], g["QB"] * self.lanes)[:, :g["Q"]]
        return np.ascontiguousarray(out.T if op.phase == "WG" else out).view(np.float32)

    # ---- the golden side
    def expected(self, op):
        if readback(op):
            return self.readback_words(op)
        a, b = op.operands["a"], op.operands["b"]
        keep = self.visits(op)                       # [Q x P]
        if op.phase == "WG":                          # C^T = B^T . A^T, the mask on A^T's columns
            return np.ascontiguousarray(golden.gemm_fp16_masked(b.T, a.T, keep.T).T)
        return golden.gemm_fp16_masked(a, b, keep.T)

    def state_after(self, op) -> np.ndarray:
        """The mask an FF job leaves on chip: the estimator's state of its result (models/)."""
        return estimate_state(self.expected(op), act_of(op))

    def macs(self, op):
        if readback(op):
            return 0, 0
        m, n, k = self.shape(op)
        v, s = self.vs(op)
        visited_nz = self.visits(op) & (s != 0)
        v_nz = (v != 0).sum(axis=0)
        return m * n * k, int((visited_nz.sum(axis=0) * v_nz).sum())

    def mac_units(self, op):
        return self.lanes

    def core_counts(self, op) -> dict[str, int]:
        """The core counters a good job must end with."""
        zero = {"MASK_BITS": 0, "SKIP_MASK": 0, "SKIP_ZERO": 0, "DETECT_CYC": 0, "IMBALANCE": 0,
                "ROUND_CYC": 0, "VCOPY_WR": 0, "CFG_ERR": 0}
        if readback(op):
            return zero
        g = self.geometry(op)
        cycles = self.line_cycles(op)
        per_lane = np.bincount(self.lane_of(op)[:g["Q"]], weights=cycles, minlength=self.lanes)
        skipped = int((g["P"] - self.visits(op).sum(axis=1)).sum()) * g["R"]
        m, n, _ = self.shape(op)
        return {**zero,
                "MASK_BITS": m * n * state_bits(act_of(op)) if op.phase == "FF" else 0,
                "SKIP_MASK": skipped if masked(op) else 0,
                "SKIP_ZERO": 0 if masked(op) else skipped,
                "DETECT_CYC": 0 if masked(op) else g["R"] * g["Q"] * g["PW"],
                "IMBALANCE": int(g["R"] * (per_lane.max() - per_lane).sum()),
                "ROUND_CYC": int(g["R"] * per_lane.max()),
                "VCOPY_WR": g["R"] * g["PW"] * self.lanes}

    def check(self, op, res):
        if op.fault is not None or res.result is None:
            return []
        c = res.counters
        failures = [f"{op.op_id}: {name} is {c[name]}, expected {count}"
                    for name, count in self.core_counts(op).items() if c[name] != count]
        if not readback(op) and c["MAC_SKIPPED"] != c["SKIP_MASK"] + c["SKIP_ZERO"]:
            failures.append(f"{op.op_id}: MAC_SKIPPED {c['MAC_SKIPPED']} is not SKIP_MASK + SKIP_ZERO")
        if op.phase == "FF" and not readback(op):
            # the balancer reads a block's counts (2 cycles) and places its Lanes lines one a cycle,
            # for BP's blocks (FF columns) then WG's (FF rows)
            m, n, _ = self.shape(op)
            want = (ceil_div(n, self.lanes) + ceil_div(m, self.lanes)) * (self.lanes + 2)
            if c["BALANCE_CYC"] != want:
                failures.append(f"{op.op_id}: BALANCE_CYC is {c['BALANCE_CYC']}, expected {want}")
        return failures

    def metrics(self, op, counters):
        c = counters
        return {"mode": mode_of(op), "balance": balanced(op), "act": act_of(op), "readback": readback(op),
                "detect_cycles": c["DETECT_CYC"], "imbalance_cycles": c["IMBALANCE"],
                "round_cycles": c["ROUND_CYC"], "positions_skipped": c["SKIP_MASK"] + c["SKIP_ZERO"]}

    # ---- limits
    def over_limits(self, op) -> list[str]:
        """The buffers and limits a job exceeds, as "name words > limit"."""
        if readback(op):
            return []
        g, p = self.geometry(op), self.p
        m, _, _ = self.shape(op)
        return [f"{what} {have} > {limit}" for what, have, limit in (
            ("P (inner positions)", g["P"], PMAX), ("Q (lines)", g["Q"], p["QMax"]),
            ("S words a lane", g["QB"] * g["PW"], p["SWords"]), ("V words", g["R"] * g["PW"], p["VWords"]),
            ("C words a lane", g["R"] * g["QB"], p["CWords"]),
            ("FF rows (mask)", m if op.phase == "FF" else 0, PMAX)) if have > limit]

    def check_fits(self, op) -> None:
        over = self.over_limits(op)
        if over:
            raise ValueError(f"{op.op_id} does not fit the nzpc core's buffers: {', '.join(over)}")

    def split(self, op):
        """A BP or WG job in detect mode over the buffers splits N (columns of B and C; BP's mask
        too), exactly: its outputs are independent. FF jobs and estimator-mode jobs are not split:
        the on-chip mask covers the FF job's whole output."""
        if op.fault is not None or not self.over_limits(op):
            return [op]
        if op.phase == "FF" or masked(op) or readback(op):
            self.check_fits(op)
        also = ("mask",) if op.phase == "BP" else ()       # BP's mask is laid out like dZ = B
        return self.tiles(op, op.operands["b"].shape[1], lambda op, start, tile: gemm_columns(op, start, tile, also),
                          self.lanes)

    def join(self, op, parts, results):
        return np.concatenate(results, axis=1)

    def compute_cycles_bound(self, op):
        if readback(op):
            return 64 * self.result_words(op) + 256
        g = self.geometry(op)
        return g["R"] * (g["QB"] * (g["PW"] + g["P"]) + g["PW"] + 8) + 32 * (g["QB"] + g["R"]) + 256
