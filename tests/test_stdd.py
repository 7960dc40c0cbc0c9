"""The analytic STDD chain against the theory of spec principle §2-4."""

import numpy as np
import pytest

from sal.principle import sal_update, stdd
from sal.principle.stdd import firing_probabilities, propagate, stationary

SAL = dict(tau_plus=50, tau_minus=50)
FIG2C = dict(tau_ref=50, tau_syn=50, window=102)


def chain(w_ji=0.7, w_ij=-0.3, b_i=0.2, b_j=-0.4, psp="rect", tau_ref=4, tau_syn=4, window=12):
    PI, PJ = firing_probabilities(w_ji, w_ij, b_i, b_j, psp_shape=psp, tau_ref=tau_ref, tau_syn=tau_syn,
                                  window=window)
    return PI, PJ, tau_ref


def dense_T(PI, PJ, tau_ref, keep_single=True, keep_both=True):
    """The transition matrix T[target, source] written out from the spec, state (a, b) -> a * M + b."""
    M = PI.size
    T = np.zeros((M * M, M * M))
    n = lambda x: min(x + 1, M - 1)  # noqa: E731
    for a in range(M):
        for b in range(M):
            pi = PI[b] if a >= tau_ref - 1 else 0.0
            pj = PJ[a] if b >= tau_ref - 1 else 0.0
            src = a * M + b
            T[n(a) * M + n(b), src] += (1 - pi) * (1 - pj)
            if keep_both:
                T[0, src] += pi * pj
            if keep_single:
                T[n(b), src] += pi * (1 - pj)
                T[n(a) * M, src] += (1 - pi) * pj
    return T


def reference_right_half(PI, PJ, tau_ref, restart=True):
    """Right half by explicit matrix powers of the dense killed chain (spec §3 steps 1-6)."""
    M = PI.size
    T = dense_T(PI, PJ, tau_ref)
    vals, vecs = np.linalg.eig(T)
    pi = np.real(vecs[:, np.argmin(abs(vals - 1))])
    pi /= pi.sum()
    q = np.zeros(M * M)
    q[:M] = pi[:M] / pi[:M].sum()  # a = 0: i just spiked
    Tk = dense_T(PI, PJ, tau_ref, keep_single=False, keep_both=restart)
    S = np.zeros((M, M * M))
    for d in range(1, M):
        for b in range(tau_ref - 1, M):
            S[d, (d - 1) * M + b] = PJ[d - 1]
    r = S @ q
    for _ in range(M):
        q = Tk @ q
        r += S @ q
    return 0.5 * r[1:] / r[1:].sum()


def test_transition_columns_sum_to_one():
    PI, PJ, tau = chain()
    M = PI.size
    out = np.empty((M, M))
    for a in range(M):
        for b in range(M):
            e = np.zeros((M, M))
            e[a, b] = 1.0
            propagate(e, PI, PJ, tau, out, True, True)
            assert abs(out.sum() - 1.0) < 1e-14
            assert np.count_nonzero(out) <= 4


@pytest.mark.parametrize("psp", ["rect", "alpha", "exp"])
def test_stationary_distribution_is_exact(psp):
    PI, PJ, tau = chain(psp=psp, tau_ref=5, tau_syn=2.5, window=17)
    pi = stationary(PI, PJ, tau)
    out = np.empty_like(pi)
    propagate(pi, PI, PJ, tau, out, True, True)
    assert pi.min() >= 0
    assert abs(pi.sum() - 1) < 1e-14
    assert np.abs(out - pi).max() < 1e-12
    T = dense_T(PI, PJ, tau)  # independent check: dense eigenvector of T
    vals, vecs = np.linalg.eig(T)
    ref = np.real(vecs[:, np.argmin(abs(vals - 1))])
    np.testing.assert_allclose(pi.ravel(), ref / ref.sum(), atol=1e-13)


def test_stationary_at_fig2c_size():
    PI, PJ, tau = chain(0.8, 0.4, -0.5, -0.5, tau_ref=50, tau_syn=50, window=102)
    pi = stationary(PI, PJ, tau)
    out = np.empty_like(pi)
    propagate(pi, PI, PJ, tau, out, True, True)
    assert np.abs(out - pi).max() < 1e-12


@pytest.mark.parametrize("restart", [True, False])
@pytest.mark.parametrize("psp", ["rect", "alpha"])
def test_matches_dense_matrix_reference(restart, psp):
    kw = dict(psp=psp, tau_ref=4, tau_syn=2.0, window=12)
    lags, p = stdd(0.9, -0.6, 0.3, -0.2, coincidence_restart=restart, **kw)
    PI, PJ, tau = chain(0.9, -0.6, 0.3, -0.2, **kw)
    np.testing.assert_allclose(p[lags > 0], reference_right_half(PI, PJ, tau, restart), atol=1e-13)
    PI, PJ, tau = chain(-0.6, 0.9, -0.2, 0.3, **kw)  # left half = right half with roles exchanged
    np.testing.assert_allclose(p[lags < 0][::-1], reference_right_half(PI, PJ, tau, restart), atol=1e-13)


def test_halves_are_normalised_and_nonnegative():
    lags, p = stdd(1.3, -0.4, 0.5, -1.0, tau_ref=7, tau_syn=7, window=20)
    assert lags[0] == -19 and lags[-1] == 19 and np.isnan(p[lags == 0]).all()
    assert abs(p[lags > 0].sum() - 0.5) < 1e-14 and abs(p[lags < 0].sum() - 0.5) < 1e-14
    assert (p[lags != 0] >= 0).all()


@pytest.mark.parametrize("psp", ["rect", "alpha"])
def test_exchange_symmetry(psp):
    kw = dict(psp=psp, tau_ref=10, tau_syn=5, window=25)
    _, p = stdd(0.9, -0.3, 0.4, -0.7, **kw)
    _, q = stdd(-0.3, 0.9, -0.7, 0.4, **kw)
    np.testing.assert_allclose(p[::-1], q, atol=1e-13, equal_nan=True)


@pytest.mark.parametrize("w", [-1.2, -0.3, 0.0, 0.6, 1.5])
def test_neural_sampling_symmetry_theorem(w):
    """Rect PSP, tau_syn = tau_ref: symmetric weights give a symmetric STDD for any biases."""
    rng = np.random.default_rng(7)
    tau = 8
    for b_i, b_j in rng.uniform(-2, 2, size=(4, 2)):
        lags, p = stdd(w, w, b_i, b_j, tau_ref=tau, tau_syn=tau, window=30, fill_middle="zero")
        assert np.abs(p - p[::-1]).max() < 1e-12
        plateau = p[(lags >= 1) & (lags <= tau - 1)]
        assert np.ptp(plateau) < 1e-12 * plateau.max()


def test_sal_drift_is_antisymmetric_and_restores_symmetry():
    """dW_ij = -dW_ji; rect: sign(dW_ji) = -sign(W_ji - W_ij) everywhere off the diagonal."""
    weights = np.linspace(-1.5, 1.5, 7)
    for b_i, b_j in [(-0.5, -0.5), (0.5, -1.0), (1.0, 0.3)]:
        for w_ji in weights:
            for w_ij in weights:
                lags, p = stdd(w_ji, w_ij, b_i, b_j, tau_ref=6, tau_syn=6, window=15, fill_middle="zero")
                dji, dij = sal_update(lags, p, tau_plus=6, tau_minus=6)
                assert abs(dji + dij) < 1e-14
                if w_ji == w_ij:
                    assert abs(dji) < 1e-13
                else:
                    assert np.sign(dji) == -np.sign(w_ji - w_ij)


def test_alpha_psp_breaks_the_symmetry():
    """Negative control: alpha PSP (tau_syn = tau_ref / 2), symmetric weights, unequal biases."""
    lags, p = stdd(1.0, 1.0, -0.5, 0.5, psp="alpha", tau_ref=10, tau_syn=5, window=30, fill_middle="zero")
    assert np.abs(p - p[::-1]).max() > 1e-3
    assert abs(sal_update(lags, p, tau_plus=10, tau_minus=10)[0]) > 1e-4


def test_regression_fig2c():
    """Values of the official engine (coincidence restart on), spec principle §4."""
    lags, p = stdd(0.8, 0.4, -0.5, -0.5, **FIG2C, fill_middle="zero")
    assert sal_update(lags, p, **SAL)[0] == pytest.approx(-0.028886, abs=5e-7)
    lags, p = stdd(-0.8, -0.4, -0.5, -0.5, **FIG2C, fill_middle="zero")
    assert sal_update(lags, p, **SAL)[0] == pytest.approx(0.025385, abs=5e-7)
    lags, p = stdd(0.6, 0.6, -0.5, -0.5, **FIG2C)
    assert p[(lags >= 1) & (lags <= 49)] == pytest.approx(0.0076381, abs=5e-8)


def test_coincidence_restart_is_a_small_correction():
    """Spec §3: the clean first-passage definition differs by < 0.5 % in SAL for tau >= 25."""
    a = stdd(0.8, 0.4, -0.5, -0.5, **FIG2C, fill_middle="zero")
    b = stdd(0.8, 0.4, -0.5, -0.5, **FIG2C, fill_middle="zero", coincidence_restart=False)
    sa, sb = sal_update(*a, **SAL)[0], sal_update(*b, **SAL)[0]
    assert sa != sb
    assert abs(sa / sb - 1) < 5e-3


def test_fill_middle():
    lags, p = stdd(0.5, 0.2, 0.0, 0.0, tau_ref=5, tau_syn=5, window=11, fill_middle="smooth")
    c = int(np.flatnonzero(lags == 0)[0])
    assert p[c] == pytest.approx(0.5 * (p[c - 1] + p[c + 1]))
    assert stdd(0.5, 0.2, 0.0, 0.0, tau_ref=5, tau_syn=5, window=11, fill_middle="zero")[1][c] == 0


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(tau_ref=1, window=10), "tau_ref"),
        (dict(tau_ref=5, window=5), "window"),
        (dict(tau_ref=5, window=10, psp="square"), "psp"),
        (dict(tau_ref=5, window=10, fill_middle="mean"), "fill_middle"),
        (dict(tau_ref=5.5, window=10), "tau_ref"),
    ],
)
def test_bad_arguments_are_named(kw, match):
    kw = {"tau_syn": 5, **kw}
    with pytest.raises(ValueError, match=match):
        stdd(0.1, 0.2, 0, 0, **kw)


def test_sal_update_rejects_nan_outside_centre():
    lags, p = stdd(0.5, 0.2, 0.0, 0.0, tau_ref=5, tau_syn=5, window=11)
    sal_update(lags, p, tau_plus=5, tau_minus=5)  # centre NaN is fine
    p[0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        sal_update(lags, p, tau_plus=5, tau_minus=5)
