"""The dense core's side of the testbench: CSR values, operand packing and result unpacking for
C[MxN] = A[MxK] . B[KxN]. Expected values and MAC counts come from models/golden.py only.

Packing: hdl/common/fp16_gemm.sv's word format, verif/common/gemm_packing.py.
"""
from __future__ import annotations

import numpy as np

from models import golden
from verif.common.cores import load_core
from verif.common.csr_map import CsrMap, load_csr_map
from verif.common.env import CoreCodec, Operation, gemm_shape
from verif.common.gemm_packing import LANES, Fp16GemmFormat, ceil_div

assert load_csr_map(load_core("dense").rdl).in_beat_bits == 16 * LANES, "fp16_gemm words are one beat"
BUF_A, BUF_B = 0, 1
BUF_C = 2  # the result buffer's SRAM counter (the core writes it, the drain reads it)


class DenseCodec(CoreCodec):
    sram_counter_of_dest = {BUF_A: 0, BUF_B: 1}     # C is counter BUF_C, written by the core
    def __init__(self, csr_map: CsrMap, rows: int = 4, cols: int = 4,
                 a_words: int = 4096, b_words: int = 4096, c_words: int = 4096, tile_rows: int = 1):
        self.map = csr_map
        self.rows, self.cols, self.tile_rows = rows, cols, tile_rows
        self.a_words, self.b_words, self.c_words = a_words, b_words, c_words
        self.num_mult = rows * cols
        self.result_word_bits = 32 * cols  # a C row segment; the core packs 512 / this a C line
        self.format = Fp16GemmFormat(rows, cols, tile_rows)

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

    pack_tiles = staticmethod(Fp16GemmFormat.pack_tiles)

    def pack_a(self, a: np.ndarray) -> list[int]:
        return self.format.pack_a(a)

    def pack_b(self, b: np.ndarray) -> list[int]:
        return self.format.pack_b(b)

    def frames(self, op):
        return [(BUF_A, self.pack_a(op.operands["a"])), (BUF_B, self.pack_b(op.operands["b"]))]

    def result_words(self, op):
        m, n, _ = self.shape(op)
        return self.format.c_words(m, n)

    def decode(self, op, beats):
        m, n, _ = self.shape(op)
        return self.format.decode(beats, m, n)

    def expected(self, op):
        return golden.gemm_fp16(op.operands["a"], op.operands["b"])

    def macs(self, op):
        m, n, k = self.shape(op)
        return m * n * k, golden.effectual_macs(op.operands["a"], op.operands["b"])

    def tile_shape(self, m: int, n: int, k: int) -> tuple[int, int]:
        return self.format.tile_shape(m, n, k, self.a_words, self.b_words, self.c_words)

    def split(self, op):
        m, n, k = self.shape(op)
        m_tile, n_tile = self.tile_shape(m, n, k)
        if (m_tile, n_tile) == (m, n):
            return [op]
        return [Operation(f"{op.op_id}#{label}", op.phase, {"a": a, "b": b})
                for label, a, b in self.format.split(op.operands["a"], op.operands["b"], m_tile, n_tile)]

    def join(self, op, parts, results):
        m, n, k = self.shape(op)
        return self.format.join(results, n, self.tile_shape(m, n, k)[1])

    def check(self, op, res):
        """A job's SRAM reads and writes and compute cycles against the loop nest's own count
        (Fp16GemmFormat.job_counts); the scoreboard checks each job of a split operation."""
        if op.fault is not None or res.err_code != "NONE":
            return []
        want = self.format.job_counts(*self.shape(op))
        c = res.counters
        fails = [f"{op.op_id}: {counter} is {c[counter]}, expected {want[name]}" for counter, name in
                 ((f"SRAM_RD[{BUF_A}]", "a_reads"), (f"SRAM_RD[{BUF_B}]", "b_reads"), (f"SRAM_WR[{BUF_C}]", "c_writes"))
                 if c[counter] != want[name]]
        exact = want["cycles_exact"]
        cycles = c["CYC_COMPUTE"]
        if cycles < want["compute_cycles"] or (exact and cycles != want["compute_cycles"]):
            fails.append(f"{op.op_id}: CYC_COMPUTE is {cycles}, expected "
                         f"{'' if exact else 'at least '}{want['compute_cycles']}")
        return fails

    def compute_cycles_bound(self, op):
        return self.format.cycles_bound(*self.shape(op))
