"""The word format of hdl/common/fp16_gemm.sv (dense's datapath, RowPipe's FP16 head), in one place.

An array of R x C multipliers with T row groups (TileRows) computes output tiles of TM = R*T rows x
C columns. An operand word holds 16 FP16 lanes (a 256-bit beat). A word (mt, kb) holds rows
mt*TM .. mt*TM+TM-1 of A for k-steps kb*KA .. kb*KA+KA-1 at lane kk*TM + i (KA = 16/TM); B word
(nt, kb) holds columns nt*C .. nt*C+C-1 of B at lane kk*C + j (KB = 16/C). Padding is zero. A result
word is one C-wide FP32 row segment of C, row-major: (m, nt). T = 1 is the plain R x C array.
"""
from __future__ import annotations

import numpy as np

from verif.common.agents import ceil_div, rows_from_beats, words_to_ints

LANES = 16  # FP16 values per operand word



class Fp16GemmFormat:
    """Packing of C[MxN] = A[MxK] . B[KxN] for an R x C fp16_gemm array with T row groups."""

    def __init__(self, rows: int, cols: int, tile_rows: int = 1):
        if tile_rows < 1 or LANES % (rows * tile_rows) or LANES % cols:
            raise ValueError(f"rows x tile_rows ({rows} x {tile_rows}) and cols ({cols}) must divide {LANES}")
        self.rows, self.cols, self.tile_rows = rows, cols, tile_rows
        self.tile_m = rows * tile_rows  # rows of an output tile and of an A word

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
        return self.pack_tiles(a, self.tile_m)

    def pack_b(self, b: np.ndarray) -> list[int]:
        return self.pack_tiles(b.T, self.cols)  # B's columns are the array's columns

    def a_words(self, m: int, k: int) -> int:
        return ceil_div(m, self.tile_m) * ceil_div(k, LANES // self.tile_m)

    def b_words(self, n: int, k: int) -> int:
        return ceil_div(n, self.cols) * ceil_div(k, LANES // self.cols)

    def c_words(self, m: int, n: int) -> int:
        return m * ceil_div(n, self.cols)

    def decode(self, beats: list[int], m: int, n: int) -> np.ndarray:
        return rows_from_beats(beats, m, n, self.cols, np.float32)

    def tile_shape(self, m: int, n: int, k: int, a_words: int, b_words: int, c_words: int) -> tuple[int, int]:
        """The largest M x N block whose A, B and C fit buffers of these word counts. K is never split:
        a split would change the accumulation order that the golden model (and training) defines."""
        tm = self.tile_m
        k_words_a, k_words_b = ceil_div(k, LANES // tm), ceil_div(k, LANES // self.cols)
        if k_words_a > a_words or k_words_b > b_words:
            raise ValueError(f"K={k} does not fit the buffers even one tile wide "
                             f"(at most {min(LANES // tm * a_words, LANES // self.cols * b_words)})")
        m_tile = min(m, tm * (a_words // k_words_a))
        # C holds at least one output tile's rows of the block (all it can when it is smaller).
        n_tile = min(n, self.cols * (b_words // k_words_b), self.cols * max(1, c_words // tm))
        m_tile = min(m_tile, c_words // ceil_div(n_tile, self.cols))
        if tm <= m_tile < m:
            m_tile -= m_tile % tm
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

    def job_counts(self, m: int, n: int, k: int) -> dict[str, int | bool]:
        """What one job does, counted from fp16_gemm's loop nest (m-tile, n-tile, k, row group; groups
        wholly past M are not issued), for the scoreboard to check the counters against: A and B word
        reads (a k-step's first group reads a new word every 16/TM, 16/C k-steps), C row writes, MAC
        steps, and compute cycles: one step a cycle from the cycle after start, the MAC one cycle
        later, then the last group's rows written one a cycle. `cycles_exact` is False where the
        writeback may hold the array (a group of R > 1 rows finishing before the previous one is
        written); `compute_cycles` is then a lower bound."""
        tm, r = self.tile_m, self.rows
        m_tiles, n_tiles = ceil_div(m, tm), ceil_div(n, self.cols)
        groups = [min(self.tile_rows, ceil_div(m - mt * tm, r)) for mt in range(m_tiles)]
        last_group_rows = m - ((m_tiles - 1) * tm + (groups[-1] - 1) * r)
        steps = sum(groups) * n_tiles * k
        return {"a_reads": m_tiles * n_tiles * ceil_div(k, LANES // tm),
                "b_reads": m_tiles * n_tiles * ceil_div(k, LANES // self.cols),
                "c_writes": m * n_tiles,
                "mac_steps": steps,
                "compute_cycles": steps + 2 + last_group_rows,
                "cycles_exact": r == 1 or (max(groups) == 1 and k >= r)}

    def cycles_bound(self, m: int, n: int, k: int) -> int:
        """Compute cycles of one job: every output tile takes K MAC cycles per row group plus its
        writeback (at most R cycles per group)."""
        return ceil_div(m, self.tile_m) * ceil_div(n, self.cols) * self.tile_rows * (k + self.rows) + 16
