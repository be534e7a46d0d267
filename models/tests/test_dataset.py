"""The train/test split: a split seed draws a stratified partition of the digits; the same seed
draws it again, another seed another one."""
from collections import Counter

import numpy as np
from sklearn.datasets import load_digits

from models.dataset import TEST_FRACTION, load_split


def sample_keys(x, y) -> Counter:
    """Each sample as (pixels, label), counted: duplicates in the data set stay apart."""
    return Counter((img.tobytes(), int(label)) for img, label in zip(np.asarray(x, np.float32), y))


def test_a_split_is_a_stratified_partition_of_every_digit():
    d = load_digits()
    split = load_split(1)
    every = sample_keys(d.images.astype(np.float32)[:, None] / 16.0, d.target)
    assert sample_keys(split.x_train, split.y_train) + sample_keys(split.x_test, split.y_test) == every
    per_class = Counter(d.target.tolist())
    assert Counter(split.y_test.tolist()) == {c: round(TEST_FRACTION * n) for c, n in per_class.items()}


def test_the_same_split_seed_reproduces_the_split_and_another_changes_it():
    first, again, other = load_split(7), load_split(7), load_split(8)
    np.testing.assert_array_equal(first.x_test, again.x_test)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    assert sample_keys(first.x_test, first.y_test) != sample_keys(other.x_test, other.y_test)
    assert len(first.y_test) == len(other.y_test)        # the same sizes, other samples
