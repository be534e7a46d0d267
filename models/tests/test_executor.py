"""The executor interface: FP16 rounding, the golden executor, sample slicing, replaceability."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models import golden
from models.tests import pyfloat
from models.executor import GemmOp, GoldenExecutor, NumpyExecutor, fp16_rounded
from models.train import run_method


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float32, st.integers(1, 50), elements=st.floats(width=32, allow_nan=False)),
       st.integers(0, 10))
def test_fp16_rounding_equals_golden(x, keep):
    with np.errstate(over="ignore"):
        ref = golden.truncate_fp16(x, keep).astype(np.float32)
    np.testing.assert_array_equal(fp16_rounded(x, keep), ref)


def test_fp16_rounding_at_the_subnormal_boundary():
    x = np.array([2**-14 - 2**-25, np.nextafter(np.float32(2**-14 - 2**-25), 0), 2**-24 * 2.5, -2**-25,
                  65519.9, 65520], np.float32)
    np.testing.assert_array_equal(fp16_rounded(x), [2**-14, 2**-14 - 2**-24, 2**-23, -0.0, 65504, np.inf])
    assert np.signbit(fp16_rounded(x)[3])


def test_numpy_and_golden_executors_agree_on_an_fp_op():
    rng = np.random.default_rng(0)
    op = GemmOp("l", "FF", rng.standard_normal((5, 30)).astype(np.float32),
                rng.standard_normal((30, 7)).astype(np.float32))
    exact = GoldenExecutor()(op)
    np.testing.assert_allclose(NumpyExecutor()(op), exact, rtol=1e-5, atol=1e-5)
    # bit for bit against a pure-Python FP16 GEMM (struct's roundings, ascending k; models/tests/pyfloat.py)
    a16 = [[pyfloat.f16(float(x)) for x in row] for row in op.a]
    b16 = [[pyfloat.f16(float(x)) for x in row] for row in op.b]
    np.testing.assert_array_equal(golden.bits(exact), golden.bits(np.array(pyfloat.gemm_fp16(a16, b16), np.float32)))


def test_skipped_outputs_get_their_fill():
    op = GemmOp("l", "BP", np.ones((2, 2), np.float32), np.ones((2, 2), np.float32),
                out_skip=np.array([[True, False], [False, False]]))
    np.testing.assert_array_equal(NumpyExecutor()(op), [[0, 2], [2, 2]])
    op.skip_fill = np.full((2, 2), 7.0, np.float32)
    np.testing.assert_array_equal(GoldenExecutor()(op), [[7, 2], [2, 2]])


def test_first_samples_cuts_every_operand_along_the_sample_axis():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(4, 2)
    op = GemmOp("l", "WG", a, b, sample_axis="K", per_sample=2, out_skip=np.zeros((3, 2), bool),
                aux={"mk": ("MK", a.copy()), "kn": ("KN", b.copy()), "m": ("M", np.ones(3)), "k": ("K", np.ones(4))})
    cut = op.first_samples(1)
    assert cut.shape == (3, 2, 2) and cut.samples == 1
    np.testing.assert_array_equal(cut.a, a[:, :2])
    np.testing.assert_array_equal(cut.b, b[:2])
    assert cut.aux_array("mk").shape == (3, 2) and cut.aux_array("kn").shape == (2, 2)
    assert cut.aux_array("m").shape == (3,) and cut.aux_array("k").shape == (2,)
    assert cut.out_skip.shape == (3, 2)
    op_n = GemmOp("l", "FF", a, np.ones((4, 6)), per_sample=3, out_skip=np.zeros((3, 6), bool))
    assert op_n.first_samples(1).b.shape == (4, 3) and op_n.first_samples(1).out_skip.shape == (3, 3)
    assert op_n.first_samples(5) is op_n


def test_gemm_op_rejects_bad_shapes_and_phases():
    with pytest.raises(ValueError, match="A\\[MxK\\] and B\\[KxN\\]"):
        GemmOp("l", "FF", np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="phase"):
        GemmOp("l", "XX", np.ones((2, 3)), np.ones((3, 3)))


class CountingExecutor(NumpyExecutor):
    """What an RTL-backed executor would look like from the trainer's side."""

    def __init__(self):
        self.seen = set()

    def __call__(self, op):
        self.seen.add((op.layer, op.phase, op.kind))
        return super().__call__(op)


@pytest.mark.parametrize("method", ["dense", "dqstp"])
def test_every_layer_operation_goes_through_the_executor(method, small_digits):
    ex = CountingExecutor()
    settings_ = ["pretrain_epochs=0"] if method == "dqstp" else []
    run_method(method, epochs=1, data=small_digits, executor=ex, progress=None, settings=settings_)
    phases = {(layer, phase) for layer, phase, _ in ex.seen}
    layers = {layer for layer, _ in phases}
    for layer in layers:
        assert (layer, "FF") in phases and (layer, "WG") in phases
    assert ("conv1", "BP") not in phases            # nothing needs the gradient of the image
    assert ("fc", "BP") in phases
    if method == "dqstp":
        assert {kind for *_, kind in ex.seen} == {"shift_add", "int_mac"}


def test_golden_executor_gives_the_same_training_step_as_numpy(small_digits):
    """One FF/BP/WG step of a narrow network through the bit-exact executor and through numpy."""
    from models.layers import softmax_cross_entropy
    from models.methods.base import Method
    from models.network import Context, build_cnn

    grads = []
    for executor in (NumpyExecutor(), GoldenExecutor()):
        net = build_cnn(np.random.default_rng(3), 10, widths=(4, 8, 8))
        ctx = Context(Method(), executor=executor, training=True)
        _, g = softmax_cross_entropy(net.forward(small_digits.x_train[:8], ctx), small_digits.y_train[:8])
        net.backward(g * 1024, ctx)
        grads.append({p.name: p.grad.copy() for p in net.params()})
    for name, g in grads[0].items():
        np.testing.assert_allclose(grads[1][name], g, rtol=2e-3, atol=2e-3 * np.abs(g).max(), err_msg=name)
