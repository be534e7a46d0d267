"""The SWPU core's side of the testbench: CSR values, operand and mask packing, result unpacking.
Expected values, MAC counts and the fetch plan come from models/ only.

An operation's operands: a [M, K] and b [K, N] (FP16), line (bool [filters, lines]: line l of a
filter = kernel positions l*lw .. l*lw+lw-1) and shape (bool [kernel positions]); meta line_w and
order ("clustered": the schedule from models.methods.swpu.cluster_filters, or "natural").
The masked dimension holds the kernel positions: k in FF (A = W), m in BP (A = W^T), n in WG (C = dW).

Packing (matches hdl/swpu/swpu_top.sv): an operand beat (SHELL.in_beat_bits of the CSR map, 256)
holds LANES_PER_WORD (16) FP16 values. A word (group, kb) holds the group's Rows rows in schedule
order for k-steps kb*KbA .. +KbA-1 at lane kk*Rows + row (KbA = LANES_PER_WORD/Rows); B word
(k, nt) holds B[k, nt*Cols .. +Cols-1]. Mask word 0 is the shape mask, then one row per filter
(FF, WG: bits over lines) or per line (BP: bits over filters), bit i of a word = position i.
Schedule: 16-bit row numbers, LANES_PER_WORD per word. A result beat is one Cols-wide FP32 row
segment, (m, nt).
"""
from __future__ import annotations

import numpy as np

from models import golden
from models.methods.swpu import cluster_filters, group_unions
from verif.common.agents import ceil_div, rows_from_beats, words_to_ints
from verif.common.cores import load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, OpResult, gemm_shape

LANES_PER_WORD = load_csr_map(load_core("swpu").rdl).in_beat_bits // 16  # FP16 values per operand beat
MAX_DIM = 256                # one 256-bit mask word: rows, kernel positions, lines, BP filters
BUF_A, BUF_B, BUF_MASK, BUF_SCHED = 0, 1, 2, 3



def bits_word(bits: np.ndarray) -> int:
    """A bool vector as one integer, bit i = bits[i]."""
    return int(sum(1 << int(i) for i in np.flatnonzero(bits)))


class SwpuCodec(CoreCodec):
    core_faults = {"line_width": "LINE_WIDTH", "mask_range": "MASK_RANGE",
                   "sched_range": "SCHED_RANGE", "sched_repeat": "SCHED_RANGE"}
    extra_core_registers = ("ERR_INFO",)
    # SRAM counters: 0 A, 1 B, 2 C, 3 metadata (masks and schedule together)
    sram_counter_of_dest = {BUF_A: 0, BUF_B: 1, BUF_MASK: 3, BUF_SCHED: 3}

    def __init__(self, csr_map: CsrMap, rows: int, cols: int, lanes: int, a_words: int, b_words: int,
                 c_words: int, mask_words: int):
        """The array size and buffer depths of the build under test (the testbench passes
        verif.common.cores.active_parameters, so there is no second default here)."""
        self.map = csr_map
        self.rows, self.cols, self.num_mult = rows, cols, lanes
        self.result_word_bits = 32 * cols
        self.kb_a = LANES_PER_WORD // rows
        self.a_words, self.b_words, self.c_words, self.mask_words = a_words, b_words, c_words, mask_words

    # ---- shapes and masks
    shape = staticmethod(gemm_shape)

    def dims(self, op):
        m, n, k = self.shape(op)
        return {"M": m, "N": n, "K": k}

    @classmethod
    def masks(cls, op: Operation) -> tuple[np.ndarray, np.ndarray, int]:
        """(line [filters, lines], shape [kernel positions], line width), checked against the GEMM."""
        m, n, k = cls.shape(op)
        line, shape = np.asarray(op.operands["line"], bool), np.asarray(op.operands["shape"], bool)
        lw = int(op.meta.get("line_w", 1))
        kpos, filters = {"FF": (k, m), "BP": (m, k), "WG": (n, m)}[op.phase]
        if shape.shape != (kpos,) or lw < 1 or kpos % lw or line.shape != (filters, kpos // lw):
            raise ValueError(f"{op.op_id}: {op.phase} needs shape[{kpos}] and line[{filters}, {kpos}/line_w] "
                             f"with line_w dividing {kpos}; got {shape.shape}, {line.shape}, line_w {lw}")
        return line, shape, lw

    @classmethod
    def keep(cls, op: Operation) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(a_keep [M, K] or None, out_keep [M, N] or None): what the masks keep of A or of C."""
        line, shape, lw = cls.masks(op)
        per_pos = np.repeat(line, lw, axis=1) & shape[None, :]      # [filters, kernel positions]
        if op.phase == "FF":
            return per_pos, None
        if op.phase == "BP":
            return per_pos.T.copy(), None
        return None, per_pos

    def row_masks(self, op: Operation) -> np.ndarray:
        """Per row of A (and C), the positions of the masked dimension it keeps."""
        a_keep, out_keep = self.keep(op)
        return a_keep if a_keep is not None else out_keep

    def schedule(self, op: Operation) -> np.ndarray:
        m = self.shape(op)[0]
        if "schedule" in op.meta:
            return np.asarray(op.meta["schedule"], dtype=np.int64)
        if op.meta.get("order", "clustered") == "natural":
            return np.arange(m)
        return cluster_filters(self.row_masks(op), self.rows)

    def scheduled(self, op: Operation) -> bool:
        return op.meta.get("order", "clustered") != "natural"

    # ---- CSRs and frames
    def csr_writes(self, op):
        m, n, k = self.shape(op)
        _, _, lw = self.masks(op)
        phase = self.map.enum("accel_phase_e")[op.phase]
        if op.fault == "zero_dim":
            m = 0
        elif op.fault == "oversize":
            n = 0xFFFF
        elif op.fault == "bad_phase":
            phase = 3
        elif op.fault == "line_width":
            lw = 5
        return [("DIM_M", m), ("DIM_N", n), ("DIM_K", k), ("PHASE", phase), ("LINE_W", lw),
                ("ORDER", int(self.scheduled(op)))]

    def pack_a(self, a: np.ndarray, order: np.ndarray) -> list[int]:
        m, k = a.shape
        groups, kblk = ceil_div(m, self.rows), ceil_div(k, self.kb_a)
        padded = np.zeros((groups * self.rows, kblk * self.kb_a), dtype=np.float16)
        padded[:m, :k] = a[order]
        words = padded.reshape(groups, self.rows, kblk, self.kb_a).transpose(0, 2, 3, 1).reshape(-1, LANES_PER_WORD)
        return words_to_ints(words.view(np.uint16))

    def pack_b(self, b: np.ndarray) -> list[int]:
        k, n = b.shape
        padded = np.zeros((k, ceil_div(n, self.cols) * self.cols), dtype=np.float16)
        padded[:, :n] = b
        return words_to_ints(padded.reshape(-1, self.cols).view(np.uint16))

    def pack_masks(self, op: Operation) -> list[int]:
        line, shape, _ = self.masks(op)
        rows = line.T if op.phase == "BP" else line
        words = [bits_word(shape)] + [bits_word(r) for r in rows]
        if op.fault == "mask_range":   # a kept line past the end of the last row
            words[-1] |= 1 << (rows.shape[1] if rows.shape[1] < MAX_DIM else 0)
        return words

    def pack_schedule(self, op: Operation) -> list[int]:
        order = self.schedule(op).astype(np.uint16)
        if op.fault == "sched_range":
            order[-1] = len(order)
        elif op.fault == "sched_repeat" and len(order) > 1:
            order[-1] = order[0]
        per_word = LANES_PER_WORD     # 16-bit entries, like FP16 values
        padded = np.zeros(ceil_div(len(order), per_word) * per_word, dtype=np.uint16)
        padded[:len(order)] = order
        return words_to_ints(padded.reshape(-1, per_word))

    def frames(self, op):
        frames = [(BUF_MASK, self.pack_masks(op))]
        if self.scheduled(op):
            frames.append((BUF_SCHED, self.pack_schedule(op)))
        order = self.schedule(op)
        if op.fault in ("sched_range", "sched_repeat"):
            order = np.arange(len(order))     # A's layout cannot follow a bad schedule
        frames += [(BUF_A, self.pack_a(op.operands["a"], order)), (BUF_B, self.pack_b(op.operands["b"]))]
        return frames

    # ---- results and expectations
    def result_words(self, op):
        m, n, _ = self.shape(op)
        return m * ceil_div(n, self.cols)

    def decode(self, op, beats):
        m, n, _ = self.shape(op)
        return rows_from_beats(beats, m, n, self.cols, np.float32)

    def expected(self, op):
        a_keep, out_keep = self.keep(op)
        return golden.gemm_fp16_skip(op.operands["a"], op.operands["b"], a_keep, out_keep)

    def macs(self, op):
        m, n, k = self.shape(op)
        a_keep, out_keep = self.keep(op)
        return m * n * k, golden.effectual_macs_skip(op.operands["a"], op.operands["b"], a_keep, out_keep)

    def fetch_plan(self, op: Operation) -> dict[str, int]:
        """Steps the detect-before-load controller must skip and issue (models.methods.swpu)."""
        m, n, k = self.shape(op)
        tiles = ceil_div(n, self.cols)
        masks = self.row_masks(op)
        order = self.schedule(op)
        if op.phase == "WG":   # a tile is skipped when none of its outputs is kept
            empty = sum(int(not masks[order[g:g + self.rows]][:, t * self.cols:(t + 1) * self.cols].any())
                        for g in range(0, m, self.rows) for t in range(tiles))
            total = ceil_div(m, self.rows) * tiles
            return {"STEPS_SKIPPED": empty * k, "STEPS_ISSUED": (total - empty) * k, "TILES_SKIPPED": empty}
        unions = group_unions(masks, order, self.rows)
        return {"STEPS_SKIPPED": int((k - unions).sum()) * tiles, "STEPS_ISSUED": int(unions.sum()) * tiles,
                "TILES_SKIPPED": int((unions == 0).sum()) * tiles}

    def check(self, op: Operation, res: OpResult) -> list[str]:
        c, failures = res.counters, []
        if op.fault in self.core_faults:
            code = self.map.decode_error(c["ERR_INFO"] & 0xFF)
            if code != self.core_faults[op.fault]:
                failures.append(f"{op.op_id}: ERR_INFO.code {code}, expected {self.core_faults[op.fault]}")
        if op.fault is not None:
            return failures
        if c["PRUNED_FETCH"]:
            failures.append(f"{op.op_id}: {c['PRUNED_FETCH']} fetches of pruned lines (must be 0)")
        for name, want in self.fetch_plan(op).items():
            if c[name] != want:
                failures.append(f"{op.op_id}: {name} is {c[name]}, the fetch plan says {want}")
        return failures

    def compute_cycles_bound(self, op):
        m, n, k = self.shape(op)
        groups, tiles = ceil_div(m, self.rows), ceil_div(n, self.cols)
        steps_per_k = ceil_div(self.rows * self.cols, self.num_mult)
        return 2 * MAX_DIM + groups * (self.rows + 2 + tiles * (k * steps_per_k + self.rows + 2)) + 64

    def check_fits(self, op):
        """Rows, kernel positions and BP's filters are at most one mask word (MAX_DIM) each."""
        m, n, k = self.shape(op)
        limited = {"M": m, "kernel positions": {"FF": k, "BP": m, "WG": n}[op.phase]}
        if op.phase == "BP":
            limited["K (filters)"] = k
        over = [f"{name} = {value}" for name, value in limited.items() if value > MAX_DIM]
        if over:
            raise ValueError(f"{op.op_id}: {', '.join(over)} over the core's limit of {MAX_DIM} (one mask word)")

    def split(self, op):
        """FF and BP split N (pixels) when B or C overflow; the masked dimension is never split."""
        if op.fault is None:
            self.check_fits(op)
        m, n, k = self.shape(op)
        tile = n
        while tile > self.cols and (k * ceil_div(tile, self.cols) > self.b_words
                                    or m * ceil_div(tile, self.cols) > self.c_words):
            tile = ceil_div(tile, 2 * self.cols) * self.cols
        if tile == n:
            return [op]
        if op.phase == "WG":
            raise ValueError(f"{op.op_id}: WG with N={n} does not fit the buffers and N is the masked dimension")
        return [Operation(f"{op.op_id}#n{n0}", op.phase, {**op.operands, "b": op.operands["b"][:, n0:n0 + tile]},
                          meta=dict(op.meta)) for n0 in range(0, n, tile)]

    def join(self, op, parts, results):
        return np.concatenate(results, axis=1)
