"""The handwritten-digits data set (sklearn's 1,797 8x8 images) with a split fixed by a seed."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_SEED = 0          # one split for every method, so their accuracies compare
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray   # [N, 1, 8, 8] float32, pixel / 16 (values k/16: exact in FP16 and fixed point)
    y_train: np.ndarray   # [N] int64 labels 0..9
    x_test: np.ndarray
    y_test: np.ndarray

    def only(self, classes) -> "Split":
        """The samples of the given classes, relabelled 0..len(classes)-1 in the given order."""
        classes = list(classes)
        relabel = {c: i for i, c in enumerate(classes)}

        def pick(x, y):
            keep = np.isin(y, classes)
            return x[keep], np.array([relabel[int(v)] for v in y[keep]], dtype=np.int64)

        return Split(*pick(self.x_train, self.y_train), *pick(self.x_test, self.y_test))

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_split(seed: int = SPLIT_SEED, test_fraction: float = TEST_FRACTION) -> Split:
    """Stratified train/test split: the same seed gives the same split on every machine."""
    from sklearn.datasets import load_digits  # the only use of scikit-learn

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[rng.permutation(idx)[: int(round(test_fraction * len(idx)))]] = True
    return Split(x[~test], y[~test], x[test], y[test])
