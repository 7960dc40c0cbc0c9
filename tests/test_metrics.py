"""The shared metrics: one angle for every family, exact where arccos is not."""

import numpy as np
import pytest

from sal.metrics import angle, feedback_angle


def test_angle_of_parallel_orthogonal_and_opposite_weights():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3))
    assert angle(w, w) == 0.0 and angle(w, 2.5 * w) == pytest.approx(0.0, abs=1e-12)
    assert angle(w, -w) == pytest.approx(180.0, abs=1e-12)
    assert angle([1.0, 0.0], [0.0, 3.0]) == pytest.approx(90.0, abs=1e-12)
    assert np.isnan(angle(w, np.zeros_like(w)))


def test_small_angles_are_exact_where_arccos_is_not():
    theta = 1e-9  # radians
    a, b = np.array([1.0, 0.0]), np.array([np.cos(theta), np.sin(theta)])
    assert np.radians(angle(a, b)) == pytest.approx(theta, rel=1e-6)
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert np.radians(np.degrees(np.arccos(np.clip(cosine, -1, 1)))) != pytest.approx(theta, rel=1e-2)


def test_batched_angles_equal_the_angle_of_each_matrix():
    rng = np.random.default_rng(1)
    B, W = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 2, 3))
    batched = feedback_angle(B, W)
    assert batched.shape == (5,)
    for k in range(5):
        assert batched[k] == pytest.approx(angle(B[k], W[k].T), abs=1e-12)
    assert np.all(feedback_angle(W.swapaxes(-1, -2), W) == 0.0)  # B = Wᵀ: weight transport
    with pytest.raises(ValueError, match="B must be"):
        feedback_angle(B, B)
