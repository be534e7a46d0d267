"""The word format of hdl/common/fp16_gemm.sv (dense's datapath, RowPipe's FP16 head), in one place.

An operand word holds 16 FP16 lanes (a 256-bit beat). A word (mt, kb) holds rows mt*R .. mt*R+R-1 of
A for k-steps kb*KA .. kb*KA+KA-1 at lane kk*R + i (KA = 16/R); B word (nt, kb) holds columns
nt*C .. nt*C+C-1 of B at lane kk*C + j. Padding is zero. A result word is one C-wide FP32 row segment
of C, row-major: (m, nt).
"""
from __future__ import annotations

import numpy as np

from verif.common.agents import rows_from_beats, words_to_ints

LANES = 16  # FP16 values per operand word


def ceil_div(x: int, d: int) -> int:
    return -(-x // d)


class Fp16GemmFormat:
    """Packing of C[MxN] = A[MxK] . B[KxN] for an R x C fp16_gemm array."""

    def __init__(self, rows: int, cols: int):
        if LANES % rows or LANES % cols:
            raise ValueError(f"rows ({rows}) and cols ({cols}) must divide {LANES}")
        self.rows, self.cols = rows, cols

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

    def a_words(self, m: int, k: int) -> int:
        return ceil_div(m, self.rows) * ceil_div(k, LANES // self.rows)

    def b_words(self, n: int, k: int) -> int:
        return ceil_div(n, self.cols) * ceil_div(k, LANES // self.cols)

    def c_words(self, m: int, n: int) -> int:
        return m * ceil_div(n, self.cols)

    def decode(self, beats: list[int], m: int, n: int) -> np.ndarray:
        return rows_from_beats(beats, m, n, self.cols, np.float32)

    def cycles_bound(self, m: int, n: int, k: int) -> int:
        """Compute cycles of one job: every output tile takes K MAC cycles plus its writeback."""
        return ceil_div(m, self.rows) * ceil_div(n, self.cols) * (k + self.rows) + 16
