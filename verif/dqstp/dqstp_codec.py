"""The DQ-STP core's side of the testbench: CSR values, FCSR/code/activation packing, result
unpacking, and the bridge from training records. Expected values and MAC counts come from
models/golden.py only; the FCSR layout is models/formats.py:FCSR.

Operands of an Operation (hdl/dqstp/dqstp_top.sv):
  s      int8  [N x K]  the sparse map, sent as FCSR (256-bit words, 8-bit values); rows = outputs
  codes  uint8 [M x K]  2^n weight codes (FF, BP)         -> C[M x N] = shift_add_gemm(codes, s^T)
  x      int8  [N x J]  activations (WG, or BP with WG)   -> G[K x J] = int_gemm(s^T, x)
Operand words are the shell's beats (CSR SHELL.in_beat_bits, 256): W row m = ceil(K/64) words, code
k at bits 4*(k%64); X row n = ceil(J/32) words, byte j%32.
Results: C as M rows of ceil(N/L) words, then G as K rows of ceil(J/L) words (L int32 per word), L the
core's Lanes (shift-add lanes = WG multipliers = results per beat) of the running build.
A BP job with meta["wg"] also computes G; its result is C and G flattened and concatenated.
The counter models below follow the core's banked buffers (hdl/dqstp/dqstp_top.sv's header): what does
not depend on arbitration is exact, the rest (merged reads, conflict stalls) is bounded.
"""
from __future__ import annotations

import heapq

import numpy as np

from models import golden
from models.formats import CSR, FCSR, pack_sections, to_fields
from verif.common.agents import ceil_div, rows_from_beats, words_to_ints
from verif.common.cores import active_parameters, load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation

CORE = load_core("dqstp")
CODE_BITS = 4
VALUE_BITS = 8
WORD_BITS = load_csr_map(CORE.rdl).in_beat_bits  # an operand word is one beat of the shell's stream
DECODE_BITS_PER_CYCLE = 16  # bitmap bits dqstp_fcsr_decode looks at per cycle (its Chunk)
# Compute cycles between the last list read a lane issues and the end of CYC_EP: the entry, the
# weight code and the shift-add with the C write are one pipeline stage each.
EP_PIPELINE_TAIL = 3
WG_PIPELINE_TAIL = 2  # list read -> X and G reads -> multiply-add and G write
CODES_PER_WORD = WORD_BITS // CODE_BITS
X_PER_WORD = WORD_BITS // VALUE_BITS
BUF_F, BUF_W, BUF_X = 0, 1, 2

# Malformed FCSR frames (faults a test names in op.fault) and the core error each must give.
MALFORM_ERRORS = {
    "extra_bitmap_bit": "FCSR_COUNT",      # popcount above the values sent
    "missing_bitmap_bit": "FCSR_COUNT",    # popcount below the values sent
    "row_past_end": "FCSR_ROW_RANGE",      # a row flag at row N
    "bitmap_past_end": "FCSR_ROW_RANGE",   # a bitmap bit after the last flagged row
    "empty_flagged_row": "FCSR_EMPTY_ROW",  # a flagged row with an all-zero bitmap
}



def has_ep(op: Operation) -> bool:
    return op.phase in ("FF", "BP")


def has_wg(op: Operation) -> bool:
    return op.phase == "WG" or bool(op.meta.get("wg"))


def malformed_fcsr(s: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """FCSR words of s broken in the way `kind` names, and the FCSR_NNZ a driver would declare."""
    f = FCSR.encode(s)
    flags, bitmaps, values = f.row_flags.copy(), f.bitmaps.copy(), f.values
    n, k = s.shape
    if kind == "extra_bitmap_bit":
        r, c = np.argwhere(~bitmaps)[rng.integers(len(np.argwhere(~bitmaps)))]
        bitmaps[r, c] = True
    elif kind == "missing_bitmap_bit":
        rows = np.flatnonzero(bitmaps.sum(axis=1) >= 2)
        r = rows[rng.integers(len(rows))]
        bitmaps[r, np.flatnonzero(bitmaps[r])[-1]] = False
    elif kind == "row_past_end":
        if n % 256 == 0:
            raise ValueError("row_past_end needs N that is not a multiple of 256 (padding bits)")
        flags = np.append(flags, True)
    elif kind == "bitmap_past_end":
        if (bitmaps.size % WORD_BITS) == 0:
            raise ValueError("bitmap_past_end needs bitmap padding bits")
        bitmaps = np.append(bitmaps.ravel(), True)
    elif kind == "empty_flagged_row":
        empty = np.flatnonzero(~flags)
        if not len(empty):
            raise ValueError("empty_flagged_row needs an empty row in s")
        r = empty[0]
        flags[r] = True
        at = int(flags[:r].sum())
        bitmaps = np.insert(bitmaps, at, np.zeros(k, dtype=bool), axis=0)
    else:
        raise ValueError(f"unknown malformation {kind!r}; known: {sorted(MALFORM_ERRORS)}")
    packed = pack_sections([(flags, 1), (np.asarray(bitmaps).ravel(), 1),
                            (to_fields(values, VALUE_BITS), VALUE_BITS)], WORD_BITS)
    return packed, len(values)


class DqstpCodec(CoreCodec):
    # wg_beside_ff: WG asked for (CFG.wg_en) in an FF job; WG runs beside EP only
    core_faults = {**MALFORM_ERRORS, "wg_beside_ff": "WG_NEEDS_BP"}

    def __init__(self, csr_map: CsrMap, lanes: int | None = None):
        self.map = csr_map
        # shift-add lanes = WG multipliers = int32 results per result beat: the size the running
        # simulation was built with (the manifest's default outside one)
        self.lanes = active_parameters(CORE)["Lanes"] if lanes is None else lanes
        self.num_mult = self.lanes
        self.result_word_bits = 32 * self.lanes

    # ---- shapes
    @staticmethod
    def shape(op: Operation) -> dict[str, int]:
        s = op.operands["s"]
        n, k = s.shape
        m = op.operands["codes"].shape[0] if has_ep(op) else 0
        j = op.operands["x"].shape[1] if "x" in op.operands else 0
        if has_ep(op) and op.operands["codes"].shape[1] != k:
            raise ValueError(f"{op.op_id}: codes {op.operands['codes'].shape} and s {s.shape} disagree on K")
        if "x" in op.operands and op.operands["x"].shape[0] != n:
            raise ValueError(f"{op.op_id}: x {op.operands['x'].shape} and s {s.shape} disagree on N")
        return {"M": m, "N": n, "K": k, "J": j}

    def dims(self, op):
        return self.shape(op)

    # ---- configuration and operands
    def fcsr_frame(self, op: Operation) -> tuple[list[int], int]:
        s = op.operands["s"]
        if op.fault in MALFORM_ERRORS:
            words, nnz = malformed_fcsr(s, op.fault, np.random.default_rng(op.meta.get("malform_seed", 0)))
        else:
            f = FCSR.encode(s)
            words, nnz = f.pack(WORD_BITS, VALUE_BITS), len(f.values)
        return words_to_ints(words), nnz

    # ---- limits and the driver's tiling
    def over_limits(self, op: Operation) -> list[str]:
        """The build's limits a job exceeds (the RTL's cfg_dim_big), as "name value > limit"."""
        d, p = self.shape(op), active_parameters(CORE)
        words, nnz = self.fcsr_frame(op)
        c_words, g_words = self.result_parts(op)
        checks = {"N": (d["N"], p["MaxN"]), "K": (d["K"], p["MaxK"]), "FCSR words": (len(words), p["FWords"]),
                  "map non-zeros": (nnz, p["ListEntries"])}
        if has_ep(op):
            checks.update({"W words": (len(self.pack_codes(op.operands["codes"])), p["WWords"]),
                           "C words": (c_words, p["CWords"])})
        if has_wg(op):
            checks.update({"X words": (len(self.pack_x(op.operands["x"])), p["XWords"]),
                           "G words": (g_words, p["GWords"])})
        return [f"{name} {value} > {limit}" for name, (value, limit) in checks.items() if value > limit]

    def check_fits(self, op):
        over = self.over_limits(op)
        if over:
            raise ValueError(f"{op.op_id}: {', '.join(over)}: over the core's limits")

    def split(self, op):
        """A job over the limits splits its independent outputs, exactly (integer sums): FF and BP
        split N (rows of the map, columns of C), WG splits J (columns of X and G); a BP job with WG
        beside it is not split."""
        if op.fault is not None or not self.over_limits(op):
            return [op]
        if has_ep(op) == has_wg(op):
            self.check_fits(op)
        if has_ep(op):
            return self.tiles(op, op.operands["s"].shape[0], self._rows_of_s, self.lanes)
        return self.tiles(op, op.operands["x"].shape[1], self._columns_of_x, self.lanes)

    @staticmethod
    def _rows_of_s(op: Operation, start: int, tile: int) -> Operation:
        return Operation(f"{op.op_id}#n{start}", op.phase, {**op.operands, "s": op.operands["s"][start:start + tile]},
                         meta=dict(op.meta))

    @staticmethod
    def _columns_of_x(op: Operation, start: int, tile: int) -> Operation:
        return Operation(f"{op.op_id}#j{start}", op.phase, {**op.operands, "x": op.operands["x"][:, start:start + tile]},
                         meta=dict(op.meta))

    def join(self, op, parts, results):
        return np.concatenate(results, axis=1)

    def csr_writes(self, op):
        d = self.shape(op)
        phases = self.map.enum("accel_phase_e")
        phase = phases[op.phase]
        words, nnz = self.fcsr_frame(op)
        n, k = d["N"], d["K"]
        if op.fault == "zero_dim":
            n = 0
        elif op.fault == "oversize":
            k = 0xFFFF
        elif op.fault == "bad_phase":
            phase = 3
        cfg = self.map["CFG"]
        cfg_word = cfg.fields["align_en"].insert(0, int(op.meta.get("align", True)))
        cfg_word = cfg.fields["wg_en"].insert(cfg_word, int(op.phase == "BP" and has_wg(op)
                                                            or op.fault == "wg_beside_ff"))
        return [("DIM_M", d["M"]), ("DIM_N", n), ("DIM_K", k), ("DIM_J", d["J"]), ("PHASE", phase),
                ("CFG", cfg_word), ("FCSR_WORDS", len(words)), ("FCSR_NNZ", nnz)]

    @staticmethod
    def pack_codes(codes: np.ndarray) -> list[int]:
        m, k = codes.shape
        padded = np.zeros((m, ceil_div(k, CODES_PER_WORD) * CODES_PER_WORD), dtype=np.uint8)
        padded[:, :k] = codes
        pairs = padded[:, 0::2] | (padded[:, 1::2] << 4)   # two codes per byte, low nibble first
        return words_to_ints(pairs.reshape(-1, WORD_BITS // 8))

    @staticmethod
    def pack_x(x: np.ndarray) -> list[int]:
        n, j = x.shape
        padded = np.zeros((n, ceil_div(j, X_PER_WORD) * X_PER_WORD), dtype=np.int8)
        padded[:, :j] = x
        return words_to_ints(padded.view(np.uint8).reshape(-1, WORD_BITS // 8))

    def frames(self, op):
        out = [(BUF_F, self.fcsr_frame(op)[0])]
        if has_ep(op):
            out.append((BUF_W, self.pack_codes(op.operands["codes"])))
        if has_wg(op) or op.fault == "wg_beside_ff":
            out.append((BUF_X, self.pack_x(op.operands["x"])))
        return out

    # ---- results
    def result_parts(self, op) -> tuple[int, int]:
        d = self.shape(op)
        c = d["M"] * ceil_div(d["N"], self.lanes) if has_ep(op) else 0
        g = d["K"] * ceil_div(d["J"], self.lanes) if has_wg(op) else 0
        return c, g

    def result_words(self, op):
        return sum(self.result_parts(op))

    def decode(self, op, beats):
        d = self.shape(op)
        c_words, _ = self.result_parts(op)
        parts = []
        if has_ep(op):
            parts.append(rows_from_beats(beats[:c_words], d["M"], d["N"], self.lanes, np.int32))
        if has_wg(op):
            parts.append(rows_from_beats(beats[c_words:], d["K"], d["J"], self.lanes, np.int32))
        return parts[0] if len(parts) == 1 else np.concatenate([p.ravel() for p in parts])

    def expected_parts(self, op) -> list[np.ndarray]:
        """C (FF/EP) and/or G (WG), int32, from models/golden.py."""
        s = op.operands["s"]
        parts = []
        if has_ep(op):
            parts.append(golden.shift_add_gemm(op.operands["codes"], s.T, CODE_BITS, VALUE_BITS).astype(np.int32))
        if has_wg(op):
            parts.append(golden.int_gemm(s.T, op.operands["x"], VALUE_BITS, VALUE_BITS).astype(np.int32))
        return parts

    def expected(self, op):
        parts = self.expected_parts(op)
        return parts[0] if len(parts) == 1 else np.concatenate([p.ravel() for p in parts])

    def macs(self, op):
        """(dense MACs, effectual MACs): both arrays' operations of the job."""
        d = self.shape(op)
        s_t = op.operands["s"].T
        dense, effectual = 0, 0
        if has_ep(op):
            w = golden.pow2_values(op.operands["codes"], 0, CODE_BITS)  # only zero or not matters
            dense += d["M"] * d["N"] * d["K"]
            effectual += golden.effectual_macs(w, s_t)
        if has_wg(op):
            dense += d["K"] * d["J"] * d["N"]
            effectual += golden.effectual_macs(s_t, op.operands["x"])
        return dense, effectual

    def mac_units(self, op):
        """The shift-add lanes for FF/EP, as many multipliers for WG, both for BP with WG."""
        return self.lanes * (int(has_ep(op)) + int(has_wg(op)))

    def check(self, op, res):
        """A good job's counters against the models below: exact counts (golden.py's, the frame's
        and the layouts'), the EP/WG overlap (both arrays start when decoding ends and run without a
        gap, so they overlap for the shorter one's whole run), decode cycles, and the cycles and
        SRAM reads that arbitration can only make larger (or merging smaller) within their bounds.
        With no bank conflict the lanes' cycles equal the conflict-free schedule exactly."""
        if op.fault is not None or res.result is None:
            return []
        c = res.counters
        want = {**self.core_counts(op), **self.sram_counts(op, c)}
        want["CYC_OVERLAP"] = min(c["CYC_EP"], c["CYC_WG"]) if has_ep(op) and has_wg(op) else 0
        want["CYC_DECODE"] = self.decode_cycles(op) + c["DECODE_WAIT"]
        if has_wg(op):
            want["CYC_WG"] = self.wg_cycles(op)
        if has_ep(op) and c["BANK_CONFLICT"] == 0:
            want["CYC_EP"] = self.ep_cycles(op)
        fails = [f"{op.op_id}: {name} is {c[name]}, expected {count}" for name, count in want.items()
                 if c[name] != count]
        for name, (low, high) in self.count_bounds(op).items():
            if not low <= c[name] <= high:
                fails.append(f"{op.op_id}: {name} is {c[name]}, outside [{low}, {high}]")
        return fails

    def metrics(self, op, counters):
        c, lanes = counters, self.num_mult
        per_cycle = lambda count, cycles: count / (lanes * cycles) if cycles else None  # noqa: E731
        return {"align": bool(op.meta.get("align", True)), "sparsity_s": float(np.mean(op.operands["s"] == 0)),
                "job": "BP+WG" if op.phase == "BP" and has_wg(op) else op.phase,
                "parts": op.meta.get("parts", []),
                "bank_conflicts": c["BANK_CONFLICT"], "decode_wait": c["DECODE_WAIT"],
                "ep_conflict_free_cycles": self.ep_cycles(op) if has_ep(op) else 0,
                "shift_utilization": per_cycle(c["SHIFT_EFFECTUAL"], c["CYC_EP"]),
                "lane_occupancy": per_cycle(c["SHIFT_OPS"], c["CYC_EP"]),
                "wg_utilization": per_cycle(c["WG_EFFECTUAL"], c["CYC_WG"])}

    def core_counts(self, op) -> dict[str, int]:
        """Core counters a correct job must show: non-zeros decoded, shift-adds done and effectual,
        WG multiplies effectual (models/golden.py counts)."""
        d = self.shape(op)
        s = op.operands["s"]
        nnz = int(np.count_nonzero(s))
        out = {"NNZ": nnz, "SHIFT_OPS": d["M"] * nnz if has_ep(op) else 0,
               "SHIFT_EFFECTUAL": 0, "WG_EFFECTUAL": 0}
        if has_ep(op):
            out["SHIFT_EFFECTUAL"] = golden.effectual_macs(golden.pow2_values(op.operands["codes"], 0, CODE_BITS), s.T)
        if has_wg(op):
            out["WG_EFFECTUAL"] = golden.effectual_macs(s.T, op.operands["x"])
        return out

    # ---- cycle models (hdl/dqstp/dqstp_top.sv, dqstp_fcsr_decode.sv)
    @staticmethod
    def decode_cycles(op) -> int:
        """CYC_DECODE without F-port waits: the flag words stream in (one cycle each, plus one for
        the read latency), one cycle per empty row and per 16-bit bitmap chunk of a flagged row, one
        to leave the rows, one to read the bitmap's padding word and one to check the frame."""
        n, k = op.operands["s"].shape
        flagged = int(np.count_nonzero(np.count_nonzero(op.operands["s"], axis=1)))
        flag_words = ceil_div(n, WORD_BITS)
        return flag_words + 1 + (n - flagged) + flagged * ceil_div(k, DECODE_BITS_PER_CYCLE) + 3

    def item_costs(self, op) -> np.ndarray:
        """Front-end cycles of each work item q = m * N + r in hand-out order: max(1, non-zeros of
        row r) (one list read a cycle; an empty row still sends its zero result down the lanes)."""
        d = self.shape(op)
        per_row = np.maximum(1, np.count_nonzero(op.operands["s"], axis=1))
        return np.tile(per_row, d["M"])

    def ep_cycles(self, op) -> int:
        """CYC_EP of the conflict-free schedule: items handed out in order, to every free lane at
        once (alignment; ties to the lowest lane) or to the whole group of lanes when all are free
        (no alignment, each group as long as its longest row), plus the pipeline's tail."""
        costs = self.item_costs(op)
        if op.meta.get("align", True):
            free = [(0, lane) for lane in range(self.lanes)]
            for cost in costs:
                t, lane = heapq.heappop(free)
                heapq.heappush(free, (t + int(cost), lane))
            span = max(t for t, _ in free)
        else:
            span = sum(int(costs[i:i + self.lanes].max()) for i in range(0, len(costs), self.lanes))
        return span + EP_PIPELINE_TAIL

    def ep_cycles_lower_bound(self, op) -> int:
        """No schedule of the items on the lanes is shorter: the work spread evenly, or the longest
        item."""
        costs = self.item_costs(op)
        return max(ceil_div(int(costs.sum()), self.lanes), int(costs.max())) + EP_PIPELINE_TAIL

    def wg_cycles(self, op) -> int:
        """CYC_WG: one non-zero per cycle for each tile of Lanes columns (the WG reader ranks first
        at the list banks, so it never waits), plus the pipeline's tail."""
        d = self.shape(op)
        steps = ceil_div(d["J"], self.lanes) * int(np.count_nonzero(op.operands["s"]))
        return steps + WG_PIPELINE_TAIL if steps else 0

    # ---- SRAM access models (sums over a buffer's banks)
    def sram_counts(self, op, counters: dict[str, int] | None = None) -> dict[str, int]:
        """Accesses that no arbitration changes: every operand word written once, one list entry
        and one row-pointer pair written per non-zero and per row, one C word (32 bits) per output
        written and each C word's Lanes slots read by the drain, G read and written once per WG
        step (read-modify-write) and each G word read once more by the drain, one X read per step."""
        d = self.shape(op)
        s = op.operands["s"]
        nnz = int(np.count_nonzero(s))
        c_words, g_words = self.result_parts(op)
        wg_steps = ceil_div(d["J"], self.lanes) * nnz if has_wg(op) else 0
        words = {dest: len(beats) for dest, beats in self.frames(op)}
        return {"SRAM_WR[0]": words[BUF_F], "SRAM_WR[1]": words.get(BUF_W, 0),
                "SRAM_WR[2]": words.get(BUF_X, 0), "SRAM_WR[3]": nnz,
                "SRAM_RD[2]": wg_steps,
                "ROWPTR_WR": d["N"], "CBUF_WR": d["M"] * d["N"] if has_ep(op) else 0,
                "CBUF_RD": c_words * self.lanes,
                "GBUF_WR": wg_steps, "GBUF_RD": wg_steps + g_words}

    def count_bounds(self, op) -> dict[str, tuple[int, int]]:
        """Counts that merging or conflicts move, with the bounds no schedule can leave:
        - SRAM_RD[0] (F): every flag word, the padding word, and each bitmap and value word once
          (they hold the map's bits and values), at most each frame word once plus the padding word
          again;
        - SRAM_RD[1] (W): at most one code read per shift-add, at least one per distinct
          (weight row, word) the map's columns touch;
        - SRAM_RD[3] (list): at most one read per lane per entry and per WG step, at least every
          entry once (EP) and every WG step (WG reads are in distinct cycles);
        - ROWPTR_RD: at most one per item, at least one per row;
        - CYC_EP: at least the lower bound of any schedule (the conflict-free one is exact when
          BANK_CONFLICT is 0; conflicts may also reorder the greedy hand-out)."""
        d = self.shape(op)
        s = op.operands["s"]
        n, k = s.shape
        nnz = int(np.count_nonzero(s))
        flagged = int(np.count_nonzero(np.count_nonzero(s, axis=1)))
        frame = len(self.fcsr_frame(op)[0])
        bitmap_words = ceil_div(flagged * k, WORD_BITS) if flagged else 0
        value_words = ceil_div(nnz * VALUE_BITS, WORD_BITS)
        out = {"SRAM_RD[0]": (ceil_div(n, WORD_BITS) + 1 + bitmap_words + value_words, frame + 1)}
        wg_steps = ceil_div(d["J"], self.lanes) * nnz if has_wg(op) else 0
        if has_ep(op):
            cols = np.flatnonzero(np.count_nonzero(s, axis=0))
            out["SRAM_RD[1]"] = (d["M"] * len(np.unique(cols // CODES_PER_WORD)), d["M"] * nnz)
            out["SRAM_RD[3]"] = (max(nnz, wg_steps), d["M"] * nnz + wg_steps)
            out["ROWPTR_RD"] = (d["N"], d["M"] * d["N"])
            out["CYC_EP"] = (self.ep_cycles_lower_bound(op), float("inf"))
        else:
            out["SRAM_RD[1]"] = (0, 0)
            out["SRAM_RD[3]"] = (wg_steps, wg_steps)
            out["ROWPTR_RD"] = (0, 0)
            out["CYC_EP"] = (0, 0)
            out["BANK_CONFLICT"] = (0, 0)  # the WG reader alone never meets another requester
        return out

    def compute_cycles_bound(self, op):
        """A timeout bound: decoding with a wait per F word, the lanes with a wait per request, WG."""
        d = self.shape(op)
        nnz = int(np.count_nonzero(op.operands["s"]))
        decode = self.decode_cycles(op) + len(self.fcsr_frame(op)[0]) + 2
        ep = self.ep_cycles(op) + (self.lanes + 1) * 4 * d["M"] * nnz // self.lanes if has_ep(op) else 0
        wg = self.wg_cycles(op) if has_wg(op) else 0
        return decode + ep + wg + 16


# ---- training records ----------------------------------------------------------------------------

def operation_from_record(record, align: bool = True) -> Operation:
    """A dqstp OperationRecord as this core's Operation: FF/BP take the 2^n codes and the map
    (b_q, transposed so that FCSR rows are output positions); WG takes the errors a_q (transposed)
    as the sparse map and the activations b_q as x. The expected result equals the record's acc."""
    if record.method != "dqstp":
        raise ValueError(f"{record.id}: not a dqstp record")
    arr, meta = record.arrays, {"source": "record", "align": align, "record": record.id}
    if record.phase in ("FF", "BP"):
        s = np.ascontiguousarray(arr["b_q"].T)
        operands = {"codes": arr["a_codes"], "s": s}
    else:
        s = np.ascontiguousarray(arr["a_q"].T)
        operands = {"s": s, "x": arr["b_q"]}
    meta["sparsity_s"] = float(np.mean(s == 0))
    # "<record id>@align" or "@noalign": make compare matches it to the record and names the variant
    return Operation(f"{record.id}@{'align' if align else 'noalign'}", record.phase, operands, meta=meta)


def ep_wg_from_records(bp, wg, align: bool = True) -> Operation:
    """One BP job that also computes WG, from a layer's BP and WG records of the same step: both
    use the same error map (BP's b_q is WG's a_q), streamed once as FCSR."""
    if not np.array_equal(bp.arrays["b_q"], wg.arrays["a_q"]):
        raise ValueError(f"{bp.id} and {wg.id} do not share their error map")
    op = operation_from_record(bp, align)
    op.operands["x"] = wg.arrays["b_q"]
    op.op_id = f"{bp.id}+WG@{'align' if align else 'noalign'}"
    op.meta.update(wg=True, parts=[bp.id, wg.id])   # make compare sets it against dense BP + WG
    return op


def dense_equivalent(record) -> tuple[np.ndarray, np.ndarray]:
    """The float16 GEMM operands (A[MxK], B[KxN]) the dense core runs for the same layer operation:
    the record's a and b, which equal the dqstp integer operands times their scales exactly."""
    if not record.meta.get("dense_equivalent_exact", False):
        raise ValueError(f"{record.id}: its float16 operands are not exact images of the integer ones")
    return record.a, record.b


def storage_bits(s: np.ndarray) -> dict[str, int]:
    """Bits to hold map s (int8 values): dense, FCSR (models.formats), CSR with 16-bit indices."""
    csr = CSR.encode(s)
    return {"dense": s.size * VALUE_BITS,
            "fcsr": FCSR.encode(s).storage_bits(VALUE_BITS),
            "csr16": (len(csr.row_ptr) + len(csr.col_idx)) * 16 + len(csr.values) * VALUE_BITS}


def storage_table(records) -> list[dict]:
    """FCSR storage of the map each record streams, against dense and CSR."""
    rows = []
    for rec in records:
        s = operation_from_record(rec).operands["s"]
        bits = storage_bits(s)
        rows.append({"record": rec.id, "shape": list(s.shape), "sparsity": float(np.mean(s == 0)), **bits,
                     "fcsr_vs_dense": bits["fcsr"] / bits["dense"], "fcsr_vs_csr": bits["fcsr"] / bits["csr16"]})
    return rows


if __name__ == "__main__":  # python -m verif.dqstp.dqstp_codec: the storage table of the records
    from models.records import load_records
    from verif.dqstp.dqstp_stimulus import DEFAULT_RECORDS
    print(f"{'record':28s} {'S shape':>10s} {'sparsity':>8s} {'dense B':>8s} {'FCSR B':>8s} {'CSR B':>8s} "
          f"{'FCSR/dense':>10s} {'FCSR/CSR':>9s}")
    for row in storage_table(load_records(DEFAULT_RECORDS, method="dqstp")):
        print(f"{row['record']:28s} {'x'.join(map(str, row['shape'])):>10s} {row['sparsity']:8.3f} "
              f"{row['dense'] // 8:8d} {ceil_div(row['fcsr'], 8):8d} {row['csr16'] // 8:8d} "
              f"{row['fcsr_vs_dense']:10.3f} {row['fcsr_vs_csr']:9.3f}")
