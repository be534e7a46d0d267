"""Effectual MAC counting against a brute-force count."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models import golden
from models.executor import GemmOp
from models.stats import Stats, effectual_macs


def brute_force(a, b, skip):
    count = 0
    for m in range(a.shape[0]):
        for n in range(b.shape[1]):
            if skip is None or not skip[m, n]:
                count += sum(1 for k in range(a.shape[1]) if a[m, k] != 0 and b[k, n] != 0)
    return count


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.integers(1, 5), st.booleans(), st.integers(0, 2**31 - 1))
def test_effectual_macs_count_nonzero_pairs_of_kept_outputs(m, k, n, with_skip, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)) * (rng.random((m, k)) < 0.6)
    b = rng.standard_normal((k, n)) * (rng.random((k, n)) < 0.6)
    skip = rng.random((m, n)) < 0.3 if with_skip else None
    op = GemmOp("l", "FF", a.astype(np.float32), b.astype(np.float32), out_skip=skip)
    assert effectual_macs(op) == brute_force(a, b, skip)


def test_fp_operands_that_round_to_zero_are_not_effectual():
    tiny = np.float32(2**-14 - 2**-25)          # rounds up to the smallest FP16 normal
    below = np.nextafter(tiny, np.float32(0))    # rounds to the largest subnormal: non-zero
    tie = np.float32(2**-25)                     # the tie between 0 and 2^-24: even, zero
    a = np.array([[1.0, 1.0, 1.0, 1.0, 1.0]], np.float32)
    b = np.array([[tiny], [below], [np.nextafter(tie, np.float32(1))], [tie], [1e-9]], np.float32)
    assert b.astype(np.float16).ravel().tolist() == [2**-14, 2**-14 - 2**-24, 2**-24, 0, 0]
    assert effectual_macs(GemmOp("l", "FF", a, b)) == 3
    assert effectual_macs(GemmOp("l", "FF", a, b, kind="int_mac")) == 5     # integer kinds: exact zeros only


def test_stats_sum_per_layer_and_phase():
    st_ = Stats()
    a = np.array([[1, 0], [2, 3]], np.float32)
    st_.add(GemmOp("l", "WG", a, a, out_skip=np.array([[True, False], [False, False]])))
    st_.add(GemmOp("l", "WG", a, a))
    row = st_.summary()["l"]["WG"]
    assert row["ops"] == 2 and row["dense_macs"] == 16
    assert row["effectual_macs"] == brute_force(a, a, None) * 2 - 1
    assert row["a_sparsity"] == 0.25 and row["skipped_output_fraction"] == 1 / 8


def test_estimate_macs_take_every_output_and_are_kept_apart_from_effectual_ones():
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((6, 7)) * (rng.random((6, 7)) < 0.5)).astype(np.float32)
    b = (rng.standard_normal((7, 5)) * (rng.random((7, 5)) < 0.5)).astype(np.float32)
    skip = rng.random((6, 5)) < 0.4
    st_ = Stats()
    op = GemmOp("conv1", "FF", a, b, out_skip=skip)
    st_.add_estimate(op)
    st_.add(op)
    row = st_.summary()["conv1"]["FF"]
    assert row["estimate_macs"] == brute_force(a, b, None)       # the estimate skips no output
    assert row["effectual_macs"] == brute_force(a, b, skip)      # the full-precision MACs still do
    pairs_of_skipped = brute_force(a, b, ~skip)
    assert pairs_of_skipped > 0 and row["estimate_macs"] == row["effectual_macs"] + pairs_of_skipped
    assert st_.totals()["estimate_macs"] == row["estimate_macs"]
    assert op.out_skip is skip                                   # counting left the op as it was
