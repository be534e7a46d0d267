"""Lowering of conv and fully connected layers to the GEMM C[MxN] = A[MxK] . B[KxN] the cores compute.

im2col layout (used everywhere, records included): the row of ``cols`` is (c, i, j) with c the input
channel and (i, j) the kernel position, row index = (c * kh + i) * kw + j; the column is (b, ho, wo),
column index = (b * Ho + ho) * Wo + wo. So the columns of one sample are contiguous (Ho * Wo of them),
which is what lets a record keep only the first few samples.

GEMM form of each phase (the contract with the testbenches, see records.py):

=====  =========================  ============================  ==============================
layer  FF  (A, B -> C)            BP (A, B -> C)                WG (A, B -> C)
=====  =========================  ============================  ==============================
conv   W[Cout, Cin*kh*kw],        W^T[Cin*kh*kw, Cout],         dY[Cout, batch*Ho*Wo],
       im2col(x)[Cin*kh*kw,       dY[Cout, batch*Ho*Wo]         im2col(x)^T[batch*Ho*Wo,
       batch*Ho*Wo] -> Y            -> dcols (col2im gives dX)    Cin*kh*kw] -> dW
fc     W[out, in], x^T[in, batch] W^T[in, out], dY^T[out,       dY^T[out, batch], x[batch, in]
       -> Y^T                      batch] -> dX^T                -> dW
=====  =========================  ============================  ==============================
"""
from __future__ import annotations

import numpy as np


def out_size(size: int, kernel: int, pad: int, stride: int) -> int:
    out = (size + 2 * pad - kernel) // stride + 1
    if out <= 0:
        raise ValueError(f"kernel {kernel} with pad {pad} does not fit an input of size {size}")
    return out


def im2col(x: np.ndarray, kh: int, kw: int, pad: int = 0, stride: int = 1, pad_value=0) -> np.ndarray:
    """x[B, C, H, W] -> cols[C*kh*kw, B*Ho*Wo] (layout in the module docstring)."""
    if x.ndim != 4:
        raise ValueError(f"im2col needs x[B, C, H, W], got shape {x.shape}")
    b, c, h, w = x.shape
    ho, wo = out_size(h, kh, pad, stride), out_size(w, kw, pad, stride)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=pad_value) if pad else x
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # win[B, C, Ho, Wo, kh, kw] -> [C, kh, kw, B, Ho, Wo]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(c * kh * kw, b * ho * wo)


def col2im(cols: np.ndarray, x_shape, kh: int, kw: int, pad: int = 0, stride: int = 1) -> np.ndarray:
    """The adjoint of im2col: sums each column entry back onto the input position it was read from."""
    b, c, h, w = x_shape
    ho, wo = out_size(h, kh, pad, stride), out_size(w, kw, pad, stride)
    if cols.shape != (c * kh * kw, b * ho * wo):
        raise ValueError(f"col2im expects cols of shape {(c * kh * kw, b * ho * wo)}, got {cols.shape}")
    d = cols.reshape(c, kh, kw, b, ho, wo)
    xp = np.zeros((b, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += d[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, pad:pad + h, pad:pad + w] if pad else xp


def nchw_to_matrix(y: np.ndarray) -> np.ndarray:
    """Y[B, C, H, W] -> [C, B*H*W], the column order of im2col."""
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(y.shape[1], -1)


def matrix_to_nchw(m: np.ndarray, batch: int, h: int, w: int) -> np.ndarray:
    """[C, B*H*W] -> Y[B, C, H, W]."""
    return np.ascontiguousarray(m.reshape(m.shape[0], batch, h, w).transpose(1, 0, 2, 3))

