"""Shared helpers of the models tests: one BLAS thread, a small data split, a float64 context."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.dataset import Split, load_split  # noqa: E402


@pytest.fixture(scope="session")
def digits() -> Split:
    return load_split()


@pytest.fixture(scope="session")
def small_digits(digits) -> Split:
    """A fixed subset (a few batches), so that whole training runs take a second or two."""
    return Split(digits.x_train[:192], digits.y_train[:192], digits.x_test[:96], digits.y_test[:96])


def exact_executor(op) -> np.ndarray:
    """Float64 products, for finite-difference gradient checks."""
    c = op.a.astype(np.float64) @ op.b.astype(np.float64)
    return c if op.out_skip is None else np.where(op.out_skip, 0.0, c)
