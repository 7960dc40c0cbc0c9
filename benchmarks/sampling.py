"""Benchmark of the spiking sampling network: cost against n, one paper run, projected sweep cost.

    python benchmarks/sampling.py [--skip-full-run] [--official DIR]

Prints ns per simulated step against n (7, 20, 100, 1000) for the event-driven sampler (dense and
sparse CSR) and the literal per-step sampler, and, with ``--official DIR`` (a checkout of the official
package, DIR/neuralsampling/network.py, e.g. from unibe-cns/sal-code spiking_sampling_network/src), the
official simulator ``sim_poisson_neurons`` timed in the same run (timing only; nothing of it is part of
this repository). All numbers are medians of repeated runs.

Reference (spec sampling §4, issue 11): the official simulator costs 0.6-1.6 us per step for 7
neurons and grows about linearly in n (843 -> 1718 -> 3404 -> 6137 ns at n = 7, 20, 50, 100); a full
protocol-A sweep ~840 CPU-hours, protocol B ~190 + ~210 (KP sweep). Targets: <= 25 ns per step at
n = 7; at n = 100 (dense) >= 4x faster than the official simulator; cost per step growing no faster
than events x fan-out (~n^2 dense, ~n k sparse); memory independent of run length.
"""

import argparse
import resource
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp

from sal.rng import generator
from sal.sampling import make_target, paper_params, run
from sal.sampling.params import KP_SWEEP, KP_SWEEP_LEVELS, RUNS, SCENARIOS
from sal.sampling.sampler import sleep_phase

SIZES = (7, 20, 100, 1000)
STEPS = {  # steps per timed run (event-driven, per-step, official): each run takes ~0.1-1 s
    7: (20_000_000, 2_000_000, 400_000), 20: (4_000_000, 500_000, 200_000),
    100: (500_000, 40_000, 100_000), 1000: (10_000, 1_000, 5_000),
}


def bench_network(n):
    """n = 7: the paper's first target network; otherwise symmetric N(0, 1/n) weights, b ~ U(-1, 1)."""
    if n == 7:
        W, b, _ = make_target(4321)
        return W, b
    rng = np.random.default_rng(n)
    W = rng.normal(0.0, 1.0 / np.sqrt(n), (n, n))
    np.fill_diagonal(W, 0.0)
    return (W + W.T) / 2, rng.uniform(-1.0, 1.0, n)


def sparse_network(n, k):
    """k random presynaptic partners per neuron, N(0, 1/k) weights, b ~ U(-1, 1)."""
    rng = np.random.default_rng(n + k)
    rows, cols = np.repeat(np.arange(n), k), rng.integers(0, n, n * k)
    W = sp.csr_matrix((rng.normal(0.0, 1.0 / np.sqrt(k), n * k), (rows, cols)), shape=(n, n))
    W.setdiag(0)
    W.eliminate_zeros()
    return W, rng.uniform(-1.0, 1.0, n)


def median_ns_per_step(fn, n_steps, repeat, clock=time.process_time):
    """Median cost per step of repeated runs. The default clock is the process's CPU time, which does
    not count the time other jobs on a shared machine take from it (pass time.perf_counter for wall
    time)."""
    fn(min(n_steps, 1000), 0)  # compile / load the cache
    times = []
    for k in range(repeat):
        start = clock()
        fn(n_steps, k + 1)
        times.append(clock() - start)
    return 1e9 * statistics.median(times) / n_steps


def ours(W, b, simulator):
    ones = 1.0 if sp.issparse(W) else np.ones(W.shape)

    def fn(n_steps, seed):
        return sleep_phase(W, b, n_steps, generator(seed), ones, ones, simulator=simulator, joint_states=b.size <= 20)

    return fn


def official(W, b, src):
    sys.path.insert(0, src)
    from neuralsampling.network import rect_kernel, sim_poisson_neurons

    def fn(n_steps, seed):
        np.random.seed(seed)  # seeds NumPy only (the official RNG bug); timing is unaffected
        return sim_poisson_neurons(n_steps, rect_kernel, b, W, 50, 50)

    return fn


def ns_per_step(simulator, n_steps, repeat=5):
    W, b = bench_network(7)
    return median_ns_per_step(ours(W, b, simulator), n_steps, repeat)


def cost_against_n(official_src):
    print("CPU time per simulated step (median of repeated runs; tau = tau_syn = 50):")
    print(f"{'n':>6} {'spikes/step':>11} {'event':>11} {'ns/(spike*n)':>12} {'per-step':>11} {'official':>11} "
          f"{'official/event':>14}")
    event_ns = {}
    for n in SIZES:
        W, b = bench_network(n)
        steps_event, steps_per_step, steps_official = STEPS[n]
        ev = median_ns_per_step(ours(W, b, "event"), steps_event, 5 if n < 1000 else 3)
        spikes = sleep_phase(W, b, 20_000, generator(0), np.ones((n, n)), np.ones((n, n)),
                             joint_states=False)["counts"].sum() / 20_000
        ps = median_ns_per_step(ours(W, b, "per_step"), steps_per_step, 3)
        off = median_ns_per_step(official(W, b, official_src), steps_official, 3) if official_src else None
        event_ns[n] = ev
        off_txt = f"{off:9.0f} ns {off / ev:13.1f}x" if off else f"{'-':>11} {'-':>14}"
        print(f"{n:>6} {spikes:11.3f} {ev:8.1f} ns {ev / (spikes * n):12.2f} {ps:8.0f} ns {off_txt}")
    print("sparse connectivity (CSR, k synapses per neuron), event-driven:")
    for n, k in ((1000, 20), (10_000, 20), (100_000, 20)):
        W, b = sparse_network(n, k)
        steps = max(200, 20_000_000 // n)
        ev = median_ns_per_step(ours(W, b, "event"), steps, 3)
        spikes = sleep_phase(W, b, steps, generator(0), 1.0, 1.0)["counts"].sum() / steps
        print(f"{n:>6} neurons, k = {k}: {ev:10.0f} ns/step, {spikes:7.1f} spikes/step, "
              f"{ev / (spikes * k):6.2f} ns per spike and synapse")
    W, b = bench_network(7)
    wall = median_ns_per_step(ours(W, b, "event"), STEPS[7][0], 5, clock=time.perf_counter)
    print(f"event-driven sampler, 7 neurons, wall-clock time: {wall:.1f} ns/step (CPU time {event_ns[7]:.1f})")
    return event_ns[7]


def steps_of(p):
    """Simulated steps of one run: every cycle's sleep phase, validation cycles val_factor x longer."""
    n_val = len(range(0, p["epochs"], p["val_step"]))
    return p["dur"] * p["tau_ref"] * ((p["epochs"] - n_val) + n_val * p["val_factor"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-full-run", action="store_true")
    parser.add_argument("--official", metavar="DIR", help="directory holding the official neuralsampling package")
    args = parser.parse_args()
    event = cost_against_n(args.official)
    print(f"event-driven sampler, 7 neurons (target network): {event:6.1f} ns/step CPU time   (target <= 25 ns)")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = paper_params("syn_noise_sal", "B", 0)
    if not args.skip_full_run:
        start = time.perf_counter()
        ds = run(p)
        t_run = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"one protocol-B run (syn_noise_sal, noise 0.8, {p['epochs']} cycles, {steps_of(p):.2e} steps): "
              f"{t_run:.1f} s, {1e9 * t_run / steps_of(p):.1f} ns/step incl. learning; final D_KL "
              f"{float(ds['dkl'][-1]):.4f}, asymmetry {float(ds['asymmetry'][-1]):.2e}")
        print(f"peak RSS {rss:.0f} MB (before the run {rss_before:.0f} MB); the run streams its statistics, so "
              "memory does not grow with its length")
    # projected sweeps, from the measured event-driven cost (one core per run)
    for protocol, conds in (("B", 3), ("A", 2)):
        total = 0.0
        for scenario, s in SCENARIOS[protocol].items():
            p = paper_params(scenario, protocol, 0)
            total += steps_of(p) * len(s["levels"]) * conds * len(RUNS)
        print(f"protocol {protocol} sweeps (figs 4, 5; 20 runs per point): {total:.2e} steps = "
              f"{total * event * 1e-9 / 3600:.1f} CPU-h   (official ~{190 if protocol == 'B' else 840} CPU-h)")
    kp = sum(steps_of(paper_params(f"{s}_kp", "B", 0)) * len(rates) * len(KP_SWEEP_LEVELS) * len(RUNS)
             for s, rates in KP_SWEEP.items())
    print(f"protocol B KP sweep: {kp:.2e} steps = {kp * event * 1e-9 / 3600:.1f} CPU-h   (official ~210 CPU-h)")


if __name__ == "__main__":
    main()
