"""Benchmark of the spiking sampling network: per-step cost, one paper run, projected sweep cost.

    python benchmarks/sampling.py [--skip-full-run]

Reference (spec sampling §4, design.md): the official simulator costs 0.6-1.6 us per step for 7
neurons; a full protocol-A sweep ~840 CPU-hours, protocol B ~190 + ~210 (KP sweep). Target: <= 0.03 us
per simulated step, memory independent of run length.
"""

import resource
import statistics
import sys
import time

import numpy as np

from sal.rng import generator
from sal.sampling import make_target, paper_params, run
from sal.sampling.paper import KP_SWEEP, KP_SWEEP_LEVELS, RUNS, SCENARIOS
from sal.sampling.sampler import sleep_phase


def ns_per_step(simulator, n_steps, repeat=5):
    W, b, _ = make_target(4321)
    ones = np.ones((7, 7))
    sleep_phase(W, b, 1000, generator(0), ones, ones, simulator=simulator)  # compile / load cache
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        sleep_phase(W, b, n_steps, generator(k), ones, ones, simulator=simulator)
        times.append(time.perf_counter() - start)
    return 1e9 * statistics.median(times) / n_steps


def steps_of(p):
    """Simulated steps of one run: every cycle's sleep phase, validation cycles val_factor x longer."""
    n_val = len(range(0, p["epochs"], p["val_step"]))
    return p["dur"] * p["tau_ref"] * ((p["epochs"] - n_val) + n_val * p["val_factor"])


def main():
    event = ns_per_step("event", 20_000_000)
    step = ns_per_step("per_step", 2_000_000, repeat=3)
    print(f"event-driven sampler, 7 neurons (target network): {event:6.1f} ns/step   (target <= 30 ns)")
    print(f"per-step Bernoulli sampler (reference):           {step:6.1f} ns/step   (official 600-1600 ns)")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = paper_params("syn_noise_sal", "B", 0)
    if "--skip-full-run" not in sys.argv:
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
