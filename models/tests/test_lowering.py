"""im2col / col2im and the GEMM form of each conv phase against direct loop implementations."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.lowering import col2im, im2col, matrix_to_nchw, nchw_to_matrix, out_size


def conv_direct(x, w, pad, stride):
    b, c, h, wd = x.shape
    n, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = out_size(h, k, pad, stride), out_size(wd, k, pad, stride)
    y = np.zeros((b, n, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.einsum("bckl,nckl->bn", patch, w)
    return y


shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(3, 7), st.integers(3, 7),
                   st.integers(1, 4), st.sampled_from([1, 3]), st.integers(0, 1), st.integers(1, 2))


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2**31 - 1))
def test_conv_phases_match_direct_convolution(shape, seed):
    b, c, h, wd, n, k, pad, stride = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((b, c, h, wd))
    w = rng.standard_normal((n, c, k, k))
    cols = im2col(x, k, k, pad, stride)
    ho, wo = out_size(h, k, pad, stride), out_size(wd, k, pad, stride)
    # FF: A = W[Cout, Cin*k*k], B = im2col(x)
    y = matrix_to_nchw(w.reshape(n, -1) @ cols, b, ho, wo)
    np.testing.assert_allclose(y, conv_direct(x, w, pad, stride), atol=1e-10)
    dy = rng.standard_normal(y.shape)
    dy2 = nchw_to_matrix(dy)
    # WG: A = dY[Cout, B*Ho*Wo], B = im2col(x)^T -> dW; BP: A = W^T, B = dY -> column gradient, col2im
    dw = (dy2 @ cols.T).reshape(w.shape)
    dx = col2im(w.reshape(n, -1).T @ dy2, x.shape, k, k, pad, stride)
    # the gradients of <conv(x, w), dy> by the direct convolution's linearity
    eps = rng.standard_normal(w.shape)
    np.testing.assert_allclose((conv_direct(x, eps, pad, stride) * dy).sum(), (dw * eps).sum(), rtol=1e-9, atol=1e-9)
    ex = rng.standard_normal(x.shape)
    np.testing.assert_allclose((conv_direct(ex, w, pad, stride) * dy).sum(), (dx * ex).sum(), rtol=1e-9, atol=1e-9)


def test_im2col_layout_is_channel_kernel_rows_and_sample_major_columns():
    x = np.arange(2 * 2 * 3 * 3, dtype=float).reshape(2, 2, 3, 3)
    cols = im2col(x, 3, 3, pad=1)
    assert cols.shape == (2 * 9, 2 * 9)
    # row (c=1, i=1, j=1) is the centre tap of channel 1: the channel itself, sample by sample
    np.testing.assert_array_equal(cols[1 * 9 + 4], x[:, 1].ravel())
    # the columns of sample 0 come first
    np.testing.assert_array_equal(cols[4, :9], x[0, 0].ravel())


def test_col2im_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match="col2im expects"):
        col2im(np.zeros((5, 5)), (1, 1, 3, 3), 3, 3, 1)


def test_kernel_larger_than_input_is_rejected():
    with pytest.raises(ValueError, match="does not fit"):
        im2col(np.zeros((1, 1, 2, 2)), 5, 5)
