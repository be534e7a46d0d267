"""Explicit FF/BP/WG of every layer against finite differences (float64, exact executor)."""
import numpy as np
import pytest

from models.layers import (LEAKY, LINEAR, SATURATED, ZERO, Activation, BatchNorm2d, Conv2d, Linear, MaxPool2d,
                           SGD, Param, softmax_cross_entropy)
from models.methods.base import Method
from models.network import Context, build_cnn
from models.tests.conftest import exact_executor


def ctx():
    return Context(Method(), executor=exact_executor, training=True)


def numeric_grad(f, x, index, eps=1e-6):
    old = x[index]
    x[index] = old + eps
    up = f()
    x[index] = old - eps
    down = f()
    x[index] = old
    return (up - down) / (2 * eps)


def sample_indices(rng, shape, n=6):
    return [tuple(rng.integers(0, s) for s in shape) for _ in range(n)]


def test_conv_wg_and_bp_match_finite_differences():
    rng = np.random.default_rng(1)
    conv = Conv2d("c", 3, 4, 3, 1, rng)
    conv.weight.value = conv.weight.value.astype(np.float64)
    x = rng.standard_normal((2, 3, 5, 5))
    r = rng.standard_normal((2, 4, 5, 5))
    loss = lambda: float((conv.forward(x, ctx()) * r).sum())  # noqa: E731
    loss()
    dx = conv.backward(r, ctx(), need_dx=True)
    dw = conv.weight.grad
    for i in sample_indices(rng, x.shape):
        assert dx[i] == pytest.approx(numeric_grad(loss, x, i), rel=1e-6, abs=1e-8)
    for i in sample_indices(rng, dw.shape):
        assert dw[i] == pytest.approx(numeric_grad(loss, conv.weight.value, i), rel=1e-6, abs=1e-8)


def test_linear_wg_and_bp_match_finite_differences():
    rng = np.random.default_rng(2)
    fc = Linear("f", 6, 3, rng)
    fc.weight.value = fc.weight.value.astype(np.float64)
    x = rng.standard_normal((4, 6))
    r = rng.standard_normal((4, 3))
    loss = lambda: float((fc.forward(x, ctx()) * r).sum())  # noqa: E731
    loss()
    dx = fc.backward(r, ctx(), need_dx=True)
    np.testing.assert_allclose(fc.bias.grad, r.sum(axis=0))
    for i in sample_indices(rng, x.shape):
        assert dx[i] == pytest.approx(numeric_grad(loss, x, i), rel=1e-6, abs=1e-8)
    for i in sample_indices(rng, fc.weight.grad.shape):
        assert fc.weight.grad[i] == pytest.approx(numeric_grad(loss, fc.weight.value, i), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("one_pass", [False, True])
def test_batchnorm_backward_matches_finite_differences(one_pass):
    rng = np.random.default_rng(3)
    bn = BatchNorm2d("bn", 3)
    bn.one_pass = one_pass
    bn.gamma.value = rng.uniform(0.5, 2, 3)
    bn.beta.value = rng.standard_normal(3)
    y = rng.standard_normal((4, 3, 2, 2)) * 3 + 1
    r = rng.standard_normal(y.shape)
    loss = lambda: float((bn.forward(y, True) * r).sum())  # noqa: E731
    loss()
    dy = bn.backward(r)
    for i in sample_indices(rng, y.shape):
        assert dy[i] == pytest.approx(numeric_grad(loss, y, i), rel=1e-5, abs=1e-7)
    for i in range(3):
        assert bn.gamma.grad[i] == pytest.approx(numeric_grad(loss, bn.gamma.value, (i,)), rel=1e-5)


def test_acbn_keeps_the_zeros_of_dy():
    rng = np.random.default_rng(4)
    bn = BatchNorm2d("bn", 2)
    bn.approx_backward = True
    bn.forward(rng.standard_normal((3, 2, 2, 2)), True)
    dz = rng.standard_normal((3, 2, 2, 2)) * (rng.random((3, 2, 2, 2)) < 0.5)
    dy = bn.backward(dz)
    np.testing.assert_array_equal(dy == 0, dz == 0)
    np.testing.assert_allclose(dy, dz * (bn.gamma.value * bn.inv_std)[None, :, None, None])


def test_batchnorm_eval_uses_running_statistics():
    bn = BatchNorm2d("bn", 1)
    bn.running_mean[:] = 2.0
    bn.running_var[:] = 4.0 - bn.eps
    np.testing.assert_allclose(bn.forward(np.full((1, 1, 1, 1), 6.0), train=False), 2.0, rtol=1e-6)


def test_activation_states_and_derivatives():
    z = np.array([-2.0, 0.0, 3.0, 6.0, 7.0])
    a, s = Activation("relu").forward(z)
    np.testing.assert_array_equal(a, [0, 0, 3, 6, 7])
    np.testing.assert_array_equal(s, [ZERO, ZERO, LINEAR, LINEAR, LINEAR])
    act6 = Activation("relu6")
    a, s = act6.forward(z)
    np.testing.assert_array_equal(a, [0, 0, 3, 6, 6])
    np.testing.assert_array_equal(s, [ZERO, ZERO, LINEAR, SATURATED, SATURATED])
    np.testing.assert_array_equal(act6.backward(np.ones(5)), [0, 0, 1, 0, 0])
    leaky = Activation("leakyrelu", alpha=0.1)
    a, s = leaky.forward(z)
    np.testing.assert_allclose(a, [-0.2, 0, 3, 6, 7])
    np.testing.assert_array_equal(s, [LEAKY, LEAKY, LINEAR, LINEAR, LINEAR])
    np.testing.assert_allclose(leaky.backward(np.ones(5)), [0.1, 0.1, 1, 1, 1])
    with pytest.raises(ValueError, match="activation must be one of"):
        Activation("gelu")


def test_maxpool_routes_gradient_and_state_through_the_argmax():
    x = np.array([[[[1, 5, 0, 0], [2, 3, 0, -1], [0, 0, 7, 7], [0, 0, 7, 7]]]], dtype=float)
    state = (x > 0).astype(np.int8)
    pool = MaxPool2d()
    y, st = pool.forward(x, state)
    np.testing.assert_array_equal(y[0, 0], [[5, 0], [0, 7]])
    np.testing.assert_array_equal(st[0, 0], [[1, 0], [0, 1]])
    g = pool.backward(np.ones((1, 1, 2, 2)))
    assert g.sum() == 4 and g[0, 0, 0, 1] == 1 and g[0, 0, 2, 2] == 1   # ties: the first maximum


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    _, grad = softmax_cross_entropy(logits, labels)
    for i in sample_indices(rng, logits.shape):
        f = lambda: softmax_cross_entropy(logits, labels)[0]  # noqa: E731
        assert grad[i] == pytest.approx(numeric_grad(f, logits, i), rel=1e-4, abs=1e-6)


def test_whole_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    net = build_cnn(rng, 10, widths=(4, 4, 4))
    for p in net.params():
        p.value = p.value.astype(np.float64)
    x = rng.standard_normal((3, 1, 8, 8))
    labels = np.array([1, 7, 3])

    def loss():
        return softmax_cross_entropy(net.forward(x, ctx()), labels)[0]

    _, g = softmax_cross_entropy(net.forward(x, ctx()), labels)
    net.backward(g.astype(np.float64), ctx())
    w = net.layer("conv2").weight
    analytic = w.grad.copy()
    for i in sample_indices(rng, w.value.shape, 5):
        assert analytic[i] == pytest.approx(numeric_grad(loss, w.value, i), rel=1e-4, abs=1e-7)


def test_sgd_leaves_frozen_entries_alone_and_divides_the_loss_scale():
    p = Param("w", np.ones(3, np.float32), decay=False)
    p.grad = np.array([8.0, 8.0, 8.0], np.float32)
    p.frozen = np.array([False, True, False])
    SGD([p], lr=0.5, momentum=0.0).step(loss_scale=8.0)
    np.testing.assert_allclose(p.value, [0.5, 1.0, 0.5])
