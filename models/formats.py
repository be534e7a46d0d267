"""Sparse formats and their packing into hardware stream words.

Stream words: a word is ``word_bits`` wide (a multiple of 8) and is represented as little-endian
bytes, an array uint8[n_words, word_bits // 8] (what an AXI4-Stream frame carries; words_to_ints gives
tdata integers). Fields of ``bits`` width fill a word from bit 0 upwards, ``word_bits // bits`` per word
(word_bits must be a multiple of bits, so no field straddles two words). A stream is a list of
*sections*; each section starts on a new word and its last word is zero-padded.

Values: float16 / float32 travel as their raw bit patterns; integers in two's complement of
``value_bits`` (4 for INT4), checked to fit. Zeros of either sign count as zero (decode gives +0).

Formats (all of a 2-D matrix, row-major):
  Bitmap   sections: [mask, R*C one-bit fields] [values]
  CSR      sections: [row_ptr, R+1 fields of index_bits] [col_idx, nnz fields] [values]
  FCSR     sections: [row flags, R bits: row has a non-zero] [bitmaps, C bits per flagged row]
           [values]   (DQ-STP's flag compressed sparse row, our layout)
  LineShapeMasks (SWPU), of a conv weight W[N, C, kh, kw]:
           sections: [shape mask, C*kh*kw bits] [line mask, N*C*kh bits]; W[n,c,i,j] is kept
           iff shape[c,i,j] and line[n,c,i]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class FormatError(ValueError):
    """Malformed input to an encoder, decoder or unpacker."""


# ---- fields and words -----------------------------------------------------------------------------

def _check_word_bits(word_bits: int, bits: int) -> None:
    if not isinstance(word_bits, (int, np.integer)) or word_bits <= 0 or word_bits % 8:
        raise FormatError(f"word_bits must be a positive multiple of 8, got {word_bits}")
    if not 1 <= bits <= 64 or word_bits % bits:
        raise FormatError(f"field width {bits} must be 1..64 and divide word_bits {word_bits}")


def default_value_bits(dtype) -> int:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 1
    if dtype.kind in "iuf":
        return dtype.itemsize * 8
    raise FormatError(f"no stream encoding for dtype {dtype}")


def to_fields(values, bits: int | None = None) -> np.ndarray:
    """Values -> unsigned fields (uint64): raw bits of floats, two's complement of integers."""
    values = np.asarray(values)
    bits = default_value_bits(values.dtype) if bits is None else bits
    if values.dtype.kind == "f":
        if bits != values.dtype.itemsize * 8:
            raise FormatError(f"{values.dtype} values need {values.dtype.itemsize * 8}-bit fields, not {bits}")
        return values.view(f"u{values.dtype.itemsize}").astype(np.uint64)
    if values.dtype == np.bool_:
        return values.astype(np.uint64)
    if values.dtype.kind not in "iu":
        raise FormatError(f"no stream encoding for dtype {values.dtype}")
    v = values.astype(np.int64)
    lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if values.dtype.kind == "i"
              else (0, (1 << bits) - 1))
    if v.size and (v.min() < lo or v.max() > hi):
        raise FormatError(f"values outside the {bits}-bit range [{lo}, {hi}] of {values.dtype}")
    return (v & ((1 << bits) - 1) if bits < 64 else v).astype(np.uint64)


def from_fields(fields: np.ndarray, dtype, bits: int | None = None) -> np.ndarray:
    dtype = np.dtype(dtype)
    bits = default_value_bits(dtype) if bits is None else bits
    fields = np.asarray(fields, dtype=np.uint64)
    if dtype.kind == "f":
        return fields.astype(f"u{dtype.itemsize}").view(dtype)
    if dtype == np.bool_:
        return fields.astype(bool)
    v = fields.astype(np.int64)
    if dtype.kind == "i" and bits < 64:
        v = np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)
    return v.astype(dtype)


def pack_fields(fields, bits: int, word_bits: int) -> np.ndarray:
    """Unsigned fields -> words uint8[n_words, word_bits // 8] (at least one word per section)."""
    _check_word_bits(word_bits, bits)
    f = np.asarray(fields, dtype=np.uint64).ravel()
    if f.size and bits < 64 and f.max() >= (1 << bits):
        raise FormatError(f"a field does not fit in {bits} bits")
    per_word = word_bits // bits
    n_words = max(1, -(-f.size // per_word))
    bitarr = np.zeros(n_words * word_bits, dtype=np.uint8)
    if f.size:
        shifts = np.arange(bits, dtype=np.uint64)
        bitarr[:f.size * bits] = ((f[:, None] >> shifts) & np.uint64(1)).astype(np.uint8).ravel()
    return np.packbits(bitarr, bitorder="little").reshape(n_words, word_bits // 8)


def unpack_fields(words, bits: int, word_bits: int, count: int) -> np.ndarray:
    _check_word_bits(word_bits, bits)
    words = _as_words(words, word_bits)
    needed = max(1, -(-count // (word_bits // bits)))
    if len(words) < needed:
        raise FormatError(f"stream ends early: {count} fields of {bits} bits need {needed} words, "
                          f"got {len(words)}")
    bitarr = np.unpackbits(words[:needed].ravel(), bitorder="little")[:count * bits]
    shifts = np.arange(bits, dtype=np.uint64)
    return (bitarr.reshape(count, bits).astype(np.uint64) << shifts).sum(axis=1, dtype=np.uint64)


def _as_words(words, word_bits: int) -> np.ndarray:
    words = np.asarray(words)
    if words.dtype != np.uint8 or words.ndim != 2 or words.shape[1] != word_bits // 8:
        raise FormatError(f"words must be uint8[n, {word_bits // 8}] for {word_bits}-bit words, "
                          f"got {words.dtype}{list(words.shape)}")
    return words


class WordReader:
    """Reads sections back in order; ``finish`` rejects a stream that runs long."""

    def __init__(self, words, word_bits: int):
        self.words, self.word_bits, self.pos = _as_words(words, word_bits), word_bits, 0

    def take(self, count: int, bits: int) -> np.ndarray:
        fields = unpack_fields(self.words[self.pos:], bits, self.word_bits, count)
        self.pos += max(1, -(-count // (self.word_bits // bits)))
        return fields

    def finish(self) -> None:
        if self.pos != len(self.words):
            raise FormatError(f"stream runs long: {len(self.words) - self.pos} words left over")


def pack_sections(sections, word_bits: int) -> np.ndarray:
    """[(fields, bits), ...] -> words, each section word-aligned."""
    return np.concatenate([pack_fields(f, b, word_bits) for f, b in sections], axis=0)


def pack_mask(mask, word_bits: int = 32) -> np.ndarray:
    return pack_fields(np.asarray(mask, dtype=bool).ravel(), 1, word_bits)


def unpack_mask(words, shape, word_bits: int = 32) -> np.ndarray:
    reader = WordReader(words, word_bits)
    mask = reader.take(int(np.prod(shape)), 1).astype(bool).reshape(shape)
    reader.finish()
    return mask


def words_to_ints(words) -> list[int]:
    """Words -> Python integers (AXI4-Stream tdata), bit 0 of byte 0 is bit 0."""
    return [int.from_bytes(bytes(w), "little") for w in np.asarray(words, dtype=np.uint8)]


def ints_to_words(values, word_bits: int) -> np.ndarray:
    _check_word_bits(word_bits, 8)
    try:
        rows = [int(v).to_bytes(word_bits // 8, "little") for v in values]
    except OverflowError:
        raise FormatError(f"a word does not fit in {word_bits} bits") from None
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), word_bits // 8)


# ---- matrix formats -----------------------------------------------------------------------------

def _matrix(dense) -> np.ndarray:
    dense = np.asarray(dense)
    if dense.ndim != 2:
        raise FormatError(f"sparse formats encode 2-D matrices, got shape {dense.shape}")
    default_value_bits(dense.dtype)
    return dense


def _check_shape(shape) -> tuple[int, int]:
    if len(shape) != 2 or min(shape) < 0:
        raise FormatError(f"shape must be (rows, cols) with non-negative sizes, got {shape}")
    return int(shape[0]), int(shape[1])


@dataclass
class Bitmap:
    shape: tuple
    mask: np.ndarray      # bool[R, C]
    values: np.ndarray    # the non-zeros in row-major order

    @classmethod
    def encode(cls, dense) -> "Bitmap":
        dense = _matrix(dense)
        mask = dense != 0
        return cls(dense.shape, mask, dense[mask])

    def decode(self) -> np.ndarray:
        if self.mask.shape != tuple(self.shape) or self.mask.dtype != bool:
            raise FormatError(f"bitmap must be bool{list(self.shape)}, got {self.mask.dtype}{list(self.mask.shape)}")
        if int(self.mask.sum()) != len(self.values):
            raise FormatError(f"bitmap marks {int(self.mask.sum())} non-zeros but {len(self.values)} values given")
        out = np.zeros(self.shape, dtype=self.values.dtype)
        out[self.mask] = self.values
        return out

    def pack(self, word_bits: int = 32, value_bits: int | None = None) -> np.ndarray:
        vb = default_value_bits(self.values.dtype) if value_bits is None else value_bits
        return pack_sections([(self.mask.ravel(), 1), (to_fields(self.values, vb), vb)], word_bits)

    @classmethod
    def unpack(cls, words, shape, dtype, word_bits: int = 32, value_bits: int | None = None) -> "Bitmap":
        r, c = _check_shape(shape)
        vb = default_value_bits(dtype) if value_bits is None else value_bits
        reader = WordReader(words, word_bits)
        mask = reader.take(r * c, 1).astype(bool).reshape(r, c)
        values = from_fields(reader.take(int(mask.sum()), vb), dtype, vb)
        reader.finish()
        return cls((r, c), mask, values)


@dataclass
class CSR:
    shape: tuple
    row_ptr: np.ndarray   # int64[R + 1]
    col_idx: np.ndarray   # int64[nnz]
    values: np.ndarray

    @classmethod
    def encode(cls, dense) -> "CSR":
        dense = _matrix(dense)
        rows, cols = np.nonzero(dense)
        row_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))])
        return cls(dense.shape, row_ptr.astype(np.int64), cols.astype(np.int64), dense[rows, cols])

    def validate(self) -> None:
        r, c = _check_shape(self.shape)
        rp, ci = np.asarray(self.row_ptr), np.asarray(self.col_idx)
        if rp.shape != (r + 1,) or rp[0] != 0 or np.any(np.diff(rp) < 0):
            raise FormatError("row_ptr must have R+1 entries, start at 0 and never decrease")
        if rp[-1] != len(ci) or len(ci) != len(self.values):
            raise FormatError(f"row_ptr ends at {rp[-1]} but there are {len(ci)} column indices "
                              f"and {len(self.values)} values")
        if len(ci) and (ci.min() < 0 or ci.max() >= c):
            raise FormatError(f"column index out of range 0..{c - 1}")
        for i in range(r):
            if np.any(np.diff(ci[rp[i]:rp[i + 1]]) <= 0):
                raise FormatError(f"column indices of row {i} must be strictly increasing")

    def decode(self) -> np.ndarray:
        self.validate()
        out = np.zeros(self.shape, dtype=self.values.dtype)
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.row_ptr))
        out[rows, self.col_idx] = self.values
        return out

    def pack(self, word_bits: int = 32, value_bits: int | None = None, index_bits: int = 16) -> np.ndarray:
        vb = default_value_bits(self.values.dtype) if value_bits is None else value_bits
        if max(self.shape) >= (1 << index_bits) or len(self.values) >= (1 << index_bits):
            raise FormatError(f"{index_bits}-bit indices cannot address shape {self.shape} "
                              f"with {len(self.values)} non-zeros")
        return pack_sections([(self.row_ptr, index_bits), (self.col_idx, index_bits),
                              (to_fields(self.values, vb), vb)], word_bits)

    @classmethod
    def unpack(cls, words, shape, dtype, word_bits: int = 32, value_bits: int | None = None,
               index_bits: int = 16) -> "CSR":
        r, c = _check_shape(shape)
        vb = default_value_bits(dtype) if value_bits is None else value_bits
        reader = WordReader(words, word_bits)
        row_ptr = reader.take(r + 1, index_bits).astype(np.int64)
        if row_ptr[0] != 0 or np.any(np.diff(row_ptr) < 0):
            raise FormatError("row_ptr must start at 0 and never decrease")
        nnz = int(row_ptr[-1])
        col_idx = reader.take(nnz, index_bits).astype(np.int64)
        values = from_fields(reader.take(nnz, vb), dtype, vb)
        reader.finish()
        out = cls((r, c), row_ptr, col_idx, values)
        out.validate()
        return out


@dataclass
class FCSR:
    shape: tuple
    row_flags: np.ndarray   # bool[R]: the row has a non-zero
    bitmaps: np.ndarray     # bool[flagged rows, C]
    values: np.ndarray      # non-zeros, row-major

    @classmethod
    def encode(cls, dense) -> "FCSR":
        dense = _matrix(dense)
        mask = dense != 0
        flags = mask.any(axis=1)
        return cls(dense.shape, flags, mask[flags], dense[mask])

    def validate(self) -> None:
        r, c = _check_shape(self.shape)
        if self.row_flags.shape != (r,) or self.bitmaps.shape != (int(self.row_flags.sum()), c):
            raise FormatError(f"FCSR of shape {self.shape} needs {r} row flags and one {c}-bit bitmap "
                              f"per flagged row, got {self.row_flags.shape} and {self.bitmaps.shape}")
        if len(self.bitmaps) and not self.bitmaps.any(axis=1).all():
            raise FormatError("a flagged row has an empty bitmap")
        if int(self.bitmaps.sum()) != len(self.values):
            raise FormatError(f"bitmaps mark {int(self.bitmaps.sum())} non-zeros but {len(self.values)} values given")

    def decode(self) -> np.ndarray:
        self.validate()
        mask = np.zeros(self.shape, dtype=bool)
        mask[self.row_flags] = self.bitmaps
        out = np.zeros(self.shape, dtype=self.values.dtype)
        out[mask] = self.values
        return out

    def pack(self, word_bits: int = 32, value_bits: int | None = None) -> np.ndarray:
        vb = default_value_bits(self.values.dtype) if value_bits is None else value_bits
        return pack_sections([(self.row_flags, 1), (self.bitmaps.ravel(), 1),
                              (to_fields(self.values, vb), vb)], word_bits)

    @classmethod
    def unpack(cls, words, shape, dtype, word_bits: int = 32, value_bits: int | None = None) -> "FCSR":
        r, c = _check_shape(shape)
        vb = default_value_bits(dtype) if value_bits is None else value_bits
        reader = WordReader(words, word_bits)
        flags = reader.take(r, 1).astype(bool)
        bitmaps = reader.take(int(flags.sum()) * c, 1).astype(bool).reshape(int(flags.sum()), c)
        values = from_fields(reader.take(int(bitmaps.sum()), vb), dtype, vb)
        reader.finish()
        out = cls((r, c), flags, bitmaps, values)
        out.validate()
        return out

    def storage_bits(self, value_bits: int | None = None) -> int:
        vb = default_value_bits(self.values.dtype) if value_bits is None else value_bits
        return len(self.row_flags) + self.bitmaps.size + len(self.values) * vb


@dataclass
class LineShapeMasks:
    """SWPU's sub-structure of a conv weight W[N, C, kh, kw]: shape groups W[:, c, i, j] and lines
    W[n, c, i, :]. An FC weight uses the (C, H, W) map its input was flattened from as (C, kh, kw)."""

    line: np.ndarray    # bool[N, C, kh]
    shape: np.ndarray   # bool[C, kh, kw]

    @classmethod
    def encode(cls, w4) -> "LineShapeMasks":
        w4 = np.asarray(w4)
        if w4.ndim != 4:
            raise FormatError(f"line and shape masks need a weight W[N, C, kh, kw], got shape {w4.shape}")
        nz = w4 != 0
        return cls(nz.any(axis=3), nz.any(axis=0))

    def validate(self) -> None:
        if self.line.ndim != 3 or self.shape.ndim != 3 or self.line.shape[1:] != self.shape.shape[:2]:
            raise FormatError(f"line mask [N, C, kh] and shape mask [C, kh, kw] disagree: "
                              f"{self.line.shape} vs {self.shape.shape}")

    def decode(self) -> np.ndarray:
        """The element mask bool[N, C, kh, kw]."""
        self.validate()
        return self.line[..., None] & self.shape[None]

    def pack(self, word_bits: int = 32) -> np.ndarray:
        self.validate()
        return pack_sections([(self.shape.ravel(), 1), (self.line.ravel(), 1)], word_bits)

    @classmethod
    def unpack(cls, words, dims, word_bits: int = 32) -> "LineShapeMasks":
        """dims = (N, C, kh, kw)."""
        if len(dims) != 4 or min(dims) <= 0:
            raise FormatError(f"dims must be (N, C, kh, kw), got {dims}")
        n, c, kh, kw = (int(d) for d in dims)
        reader = WordReader(words, word_bits)
        shape = reader.take(c * kh * kw, 1).astype(bool).reshape(c, kh, kw)
        line = reader.take(n * c * kh, 1).astype(bool).reshape(n, c, kh)
        reader.finish()
        return cls(line, shape)
