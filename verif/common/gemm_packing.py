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

    def tile_shape(self, m: int, n: int, k: int, a_words: int, b_words: int, c_words: int) -> tuple[int, int]:
        """The largest M x N block whose A, B and C fit buffers of these word counts. K is never split:
        a split would change the accumulation order that the golden model (and training) defines."""
        k_words_a, k_words_b = ceil_div(k, LANES // self.rows), ceil_div(k, LANES // self.cols)
        if k_words_a > a_words or k_words_b > b_words:
            raise ValueError(f"K={k} does not fit the buffers even one tile wide "
                             f"(at most {LANES // self.rows * a_words})")
        m_tile = min(m, self.rows * (a_words // k_words_a))
        n_tile = min(n, self.cols * (b_words // k_words_b), self.cols * (c_words // self.rows))
        m_tile = min(m_tile, c_words // ceil_div(n_tile, self.cols))
        if m_tile < m:
            m_tile -= m_tile % self.rows
        return m_tile, n_tile

    @staticmethod
    def split(a: np.ndarray, b: np.ndarray, m_tile: int, n_tile: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(label, A block, B block) of every M x N tile, row-major."""
        m, n = a.shape[0], b.shape[1]
        return [(f"m{m0}n{n0}", a[m0:m0 + m_tile], b[:, n0:n0 + n_tile])
                for m0 in range(0, m, m_tile) for n0 in range(0, n, n_tile)]

    @staticmethod
    def join(results: list[np.ndarray], n: int, n_tile: int) -> np.ndarray:
        """C from its tiles' results, in split()'s order."""
        n_blocks = ceil_div(n, n_tile)
        rows = [np.concatenate(results[i:i + n_blocks], axis=1) for i in range(0, len(results), n_blocks)]
        return np.concatenate(rows, axis=0)

    def cycles_bound(self, m: int, n: int, k: int) -> int:
        """Compute cycles of one job: every output tile takes K MAC cycles plus its writeback."""
        return ceil_div(m, self.rows) * ceil_div(n, self.cols) * (k + self.rows) + 16
