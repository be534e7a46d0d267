"""The dense core's side of the testbench: CSR values, operand packing and result unpacking for
C[MxN] = A[MxK] . B[KxN]. Expected values and MAC counts come from models/golden.py only.

Packing (matches hdl/dense/dense_top.sv): a 256-bit operand beat holds 16 FP16 lanes. A word
(mt, kb) holds rows mt*R .. mt*R+R-1 for k-steps kb*KA .. kb*KA+KA-1 at lane kk*R + i (KA = 16/R);
B word (nt, kb) holds columns nt*C .. nt*C+C-1 at lane kk*C + j. Padding is zero. A result beat is
one C-wide FP32 row segment, row-major: (m, nt).
"""
from __future__ import annotations

import numpy as np

from models import golden
from verif.common.agents import rows_from_beats, words_to_ints
from verif.common.cores import load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, gemm_shape

LANES = load_csr_map(load_core("dense").rdl).in_beat_bits // 16  # FP16 values per operand beat
BUF_A, BUF_B = 0, 1


def ceil_div(x: int, d: int) -> int:
    return -(-x // d)


class DenseCodec(CoreCodec):
    sram_counter_of_dest = {BUF_A: 0, BUF_B: 1}     # C is counter 2, written by the core
    def __init__(self, csr_map: CsrMap, rows: int = 4, cols: int = 4,
                 a_words: int = 4096, b_words: int = 4096, c_words: int = 4096):
        self.map = csr_map
        self.rows, self.cols = rows, cols
        self.a_words, self.b_words, self.c_words = a_words, b_words, c_words
        self.num_mult = rows * cols

    shape = staticmethod(gemm_shape)

    def dims(self, op):
        m, n, k = self.shape(op)
        return {"M": m, "N": n, "K": k}

    def csr_writes(self, op):
        m, n, k = self.shape(op)
        phase = self.map.enum("accel_phase_e")[op.phase]
        if op.fault == "zero_dim":
            m = 0
        elif op.fault == "oversize":
            k = 0xFFFF
        elif op.fault == "bad_phase":
            phase = 3
        return [("DIM_M", m), ("DIM_N", n), ("DIM_K", k), ("PHASE", phase)]

    @staticmethod
    def pack_tiles(x: np.ndarray, tile: int) -> list[int]:
        """Rows of x in groups of `tile`, `16/tile` columns (k-steps) per word, lane = kk * tile + row."""
        rows, k = x.shape
        ksteps = LANES // tile
        groups, kblk = ceil_div(rows, tile), ceil_div(k, ksteps)
        padded = np.zeros((groups * tile, kblk * ksteps), dtype=np.float16)
        padded[:rows, :k] = x
        words = padded.reshape(groups, tile, kblk, ksteps).transpose(0, 2, 3, 1).reshape(-1, LANES)
        return words_to_ints(words.view(np.uint16))

    def pack_a(self, a: np.ndarray) -> list[int]:
        return self.pack_tiles(a, self.rows)

    def pack_b(self, b: np.ndarray) -> list[int]:
        return self.pack_tiles(b.T, self.cols)  # B's columns are the array's columns

    def frames(self, op):
        return [(BUF_A, self.pack_a(op.operands["a"])), (BUF_B, self.pack_b(op.operands["b"]))]

    def result_beats(self, op):
        m, n, _ = self.shape(op)
        return m * ceil_div(n, self.cols)

    def decode(self, op, beats):
        m, n, _ = self.shape(op)
        return rows_from_beats(beats, m, n, self.cols, np.float32)

    def expected(self, op):
        return golden.gemm_fp16(op.operands["a"], op.operands["b"])

    def macs(self, op):
        m, n, k = self.shape(op)
        return m * n * k, golden.effectual_macs(op.operands["a"], op.operands["b"])

    def tile_shape(self, m: int, n: int, k: int) -> tuple[int, int]:
        """The largest M x N block whose A, B and C fit the buffers. K is never split: a split
        would change the accumulation order that the golden model (and training) defines."""
        k_words_a, k_words_b = ceil_div(k, LANES // self.rows), ceil_div(k, LANES // self.cols)
        if k_words_a > self.a_words or k_words_b > self.b_words:
            raise ValueError(f"K={k} does not fit the buffers even one tile wide "
                             f"(at most {LANES // self.rows * self.a_words})")
        m_tile = min(m, self.rows * (self.a_words // k_words_a))
        n_tile = min(n, self.cols * (self.b_words // k_words_b), self.cols * (self.c_words // self.rows))
        m_tile = min(m_tile, self.c_words // ceil_div(n_tile, self.cols))
        if m_tile < m:
            m_tile -= m_tile % self.rows
        return m_tile, n_tile

    def split(self, op):
        m, n, k = self.shape(op)
        m_tile, n_tile = self.tile_shape(m, n, k)
        if (m_tile, n_tile) == (m, n):
            return [op]
        a, b = op.operands["a"], op.operands["b"]
        return [Operation(f"{op.op_id}#m{m0}n{n0}", op.phase, {"a": a[m0:m0 + m_tile], "b": b[:, n0:n0 + n_tile]})
                for m0 in range(0, m, m_tile) for n0 in range(0, n, n_tile)]

    def join(self, op, parts, results):
        m, n, _ = self.shape(op)
        _, n_tile = self.tile_shape(*self.shape(op))
        n_blocks = ceil_div(n, n_tile)
        rows = [np.concatenate(results[i:i + n_blocks], axis=1) for i in range(0, len(results), n_blocks)]
        return np.concatenate(rows, axis=0)

    def compute_cycles_bound(self, op):
        m, n, k = self.shape(op)
        tiles = ceil_div(m, self.rows) * ceil_div(n, self.cols)
        return tiles * (k + self.rows) + 16
