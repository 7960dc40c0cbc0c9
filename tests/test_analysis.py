"""Phase plane, attractor lines and proof quantities (spec principle §6)."""

import numpy as np
import pytest

from sal.principle.analysis import attractor_line, deviation_from_diagonal, proof_curves, sal_grid

W = np.linspace(-1.5, 1.5, 10)


def test_phase_plane_rect_diagonal_is_a_line_of_fixed_points():
    w = np.arange(-2, 2.01, 0.5)
    g = sal_grid(w, 0.0, 0.0, tau_ref=8, tau_syn=8, window=16)
    np.testing.assert_allclose(g[..., 0], -g[..., 1], atol=1e-14)  # arrows perpendicular to the diagonal
    assert np.abs(np.diagonal(g[..., 0])).max() < 1e-13
    off = ~np.eye(w.size, dtype=bool)
    assert (np.sign(g[..., 0])[off] == -np.sign(w[:, None] - w[None, :])[off]).all()  # stable: points back


def test_rect_attractor_lies_on_the_diagonal():
    g = sal_grid(W, -0.5, 0.5, tau_ref=10, tau_syn=10, window=20)
    line = attractor_line(W, g[..., 0])
    assert np.abs(line[:, 0] - line[:, 1]).max() < 1e-3
    assert deviation_from_diagonal(line) < 1e-3


def test_alpha_attractor_tilts_more_for_long_psps_and_bias_differences():
    def dev(tau_syn, b_i, b_j):
        g = sal_grid(W, b_i, b_j, psp="alpha", tau_ref=10, tau_syn=tau_syn, window=20)
        return deviation_from_diagonal(attractor_line(W, g[..., 0]))

    assert dev(5.0, -0.75, 0.75) > dev(10 / 3, -0.75, 0.75) > 0.01
    assert dev(5.0, -0.75, 0.75) > dev(5.0, -0.25, 0.25)


@pytest.mark.parametrize("w", [0.5, -0.5])
def test_proof_cumulative_delta_is_nonnegative(w):
    """Delta(t) >= 0 for a perturbation W_ji > W_ij (rect, tau = 40, M = 80, b = (1, 0))."""
    t, delta, big = proof_curves((w, w), (w + 0.05, w - 0.05), 1.0, 0.0, tau_ref=40, window=80)
    assert t[0] == 0 and delta[0] == 0 and t.size == 80
    assert big.min() > -1e-15
    assert big.max() > 5e-3
    assert abs(big[-1]) < 1e-3  # both halves are normalised, so delta integrates to ~0
