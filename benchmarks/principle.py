"""Benchmark of the SAL-principle engine: prints per-call costs against the design targets.

    python benchmarks/principle.py

Reference costs (design.md, official code on a 2-core machine): one STDD at M = 102 takes 5-8 s;
the fig-11 grid ~35 CPU-minutes and 7-10 GB. Targets: STDD <= 10 ms with the default BLAS threads of a
plain process (issue 11: the stationary solve is our own compiled elimination, independent of BLAS);
fig-11 grid <= 60 s, <= 500 MB. Run it without setting OPENBLAS_NUM_THREADS / OMP_NUM_THREADS.
"""

import resource
import statistics
import time
from pathlib import Path

import numpy as np
import yaml
from threadpoolctl import threadpool_info, threadpool_limits

from sal.principle import stdd
from sal.principle.stdd import _boundary_chain, firing_probabilities
from sal.principle.experiments import psp_shapes
from sal.principle.simulate import simulate_spikes, weight_evolution
from sal.rng import generator

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["principle"]


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    # warm up: compile (or load cached) Numba kernels outside the timings
    stdd(0.8, 0.4, -0.5, -0.5, tau_ref=5, tau_syn=5, window=12)
    simulate_spikes(0.8, 0.4, -0.5, -0.5, 1000, rng=generator(0), tau_ref=5, tau_syn=5)

    fig2c = dict(tau_ref=50, tau_syn=50, window=102)
    threads = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()) or "none loaded"
    t = median_time(lambda: stdd(0.8, 0.4, -0.5, -0.5, **fig2c), 21)
    print(f"STDD, rect, tau = 50, M = 102 (fig 2c), default threads ({threads}): {1e3 * t:8.2f} ms   "
          "(target <= 10 ms; official 5-8 s)")
    with threadpool_limits(1):
        t1 = median_time(lambda: stdd(0.8, 0.4, -0.5, -0.5, **fig2c), 21)
    print(f"STDD, the same, BLAS limited to one thread:  {1e3 * t1:8.2f} ms")
    # for comparison: the LAPACK solve of the same (2M-1)^2 boundary system that the STDD used before
    PI, PJ = firing_probabilities(0.8, 0.4, -0.5, -0.5, psp_shape="rect", **fig2c)
    R, lengths = _boundary_chain(PI, PJ, 50)
    A = R - np.eye(R.shape[0])
    A[0] = lengths
    rhs = np.eye(R.shape[0])[0]
    t_lapack = median_time(lambda: np.linalg.solve(A, rhs), 21)
    with threadpool_limits(1):
        t_lapack1 = median_time(lambda: np.linalg.solve(A, rhs), 21)
    print(f"  (np.linalg.solve of its {A.shape[0]}x{A.shape[0]} system, no longer used: {1e3 * t_lapack:.2f} ms "
          f"with default threads, {1e3 * t_lapack1:.2f} ms with one)")
    t = median_time(lambda: stdd(1.0, 1.0, -0.5, 0.5, psp="alpha", tau_ref=10, tau_syn=5, window=20), 201)
    print(f"STDD, alpha, tau = 10, M = 20 (fig 11):   {1e3 * t:8.3f} ms")

    n = 20_000_000
    t = median_time(lambda: simulate_spikes(0.8, 0.4, -0.5, -0.5, n, rng=generator(1), tau_ref=10, tau_syn=10), 5)
    print(f"two-neuron simulator, tau = 10:           {1e9 * t / n:8.2f} ns/step ({n:.0e} steps in {t:.2f} s)")
    we = {**CONFIG["weight_evolution"]["params"], "plastic": ["w_ji", "w_ij"]}
    t = median_time(lambda: weight_evolution(we, 0), 3)
    steps = we["epochs"] * we["steps_per_epoch"]
    print(f"fig-2d run ({we['epochs']} epochs x {we['steps_per_epoch']} steps): {t:8.2f} s  "
          f"({1e9 * t / steps:.1f} ns/step incl. STDP)")

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    ds = psp_shapes(CONFIG["psp_shapes"])
    t = time.perf_counter() - start
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_stdd = ds["dw_ji"].size
    print(f"fig-11 grid ({n_stdd} STDDs + attractor lines, 1 core): {t:6.2f} s   (target <= 60 s; official ~35 CPU-min)")
    print(f"fig-11 grid memory: process peak RSS {rss1:.0f} MB, of which {rss0:.0f} MB before the grid "
          f"(imports, earlier benchmarks)   (target <= 500 MB; official 7-10 GB)")


if __name__ == "__main__":
    main()
