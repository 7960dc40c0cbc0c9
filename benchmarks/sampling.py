"""Benchmark of the spiking sampling network: cost against n, the paper-scale sweeps, one paper run.

    python benchmarks/sampling.py [--skip-sizes] [--skip-full-run] [--repeat R] [--official DIR]

Prints ns per simulated step against n (7, 20, 100, 1000) for the event-driven sampler (dense and
sparse CSR) and the literal per-step sampler, and, with ``--official DIR`` (a checkout of the official
package, DIR/neuralsampling/network.py, e.g. from unibe-cns/sal-code spiking_sampling_network/src), the
official simulator ``sim_poisson_neurons`` timed in the same run (timing only; nothing of it is part of
this repository). Then the small-network paths of the event-driven sampler (hazard tables, the default
up to 10 neurons, against thinning, the path before), and the projected CPU-hours of every sampling
sweep of config/paper.yaml with either path, from reduced runs measured in the same process; finally
one full protocol-B run against its projection. All numbers are medians of repeated runs, in process
CPU time (not counting what other jobs on a shared machine take).

Reference (spec sampling §4, issue 11): the official simulator costs 0.6-1.6 us per step for 7
neurons and grows about linearly in n (843 -> 1718 -> 3404 -> 6137 ns at n = 7, 20, 50, 100); a full
protocol-A sweep ~840 CPU-hours, protocol B ~190 + ~210 (KP sweep). Targets: <= 25 ns per step at
n = 7; at n = 100 (dense) >= 4x faster than the official simulator; cost per step growing no faster
than events x fan-out (~n^2 dense, ~n k sparse); memory independent of run length; protocol B with
its KP sweep <= 5 CPU-h, protocol A <= 10 CPU-h.
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sal.config import merge, read_yaml
from sal.rng import generator
from sal.sampling import learning, make_target, paper_params, run
from sal.sampling.params import kp_labels, run_params, sweep_labels
from sal.sampling.sampler import sleep_phase

ROOT = Path(__file__).resolve().parents[1]

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


def ours(W, b, simulator, **kw):
    ones = 1.0 if sp.issparse(W) else np.ones(W.shape)

    def fn(n_steps, seed):
        return sleep_phase(W, b, n_steps, generator(seed), ones, ones, simulator=simulator, joint_states=b.size <= 20,
                           **kw)

    return fn


def official(W, b, src):
    sys.path.insert(0, src)
    from neuralsampling.network import rect_kernel, sim_poisson_neurons

    def fn(n_steps, seed):
        np.random.seed(seed)  # seeds NumPy only (the official RNG bug); timing is unaffected
        return sim_poisson_neurons(n_steps, rect_kernel, b, W, 50, 50)

    return fn


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


def small_network_paths():
    """n = 7 and 10: the hazard-table path (default up to 10 neurons) against the thinning path, which
    was the event-driven sampler for every n before (issue 11 item 5); medians of 5 runs, CPU time."""
    print("small networks, event-driven: hazard tables (default for n <= 10) vs thinning (the former path):")
    for n in (7, 10):
        W, b = bench_network(n)
        steps = STEPS[7][0] // 4
        ns = {t: median_ns_per_step(ours(W, b, "event", hazard_table=t), steps, 5) for t in (True, False)}
        print(f"{n:>6} neurons: {ns[True]:6.1f} ns/step with tables, {ns[False]:6.1f} with thinning "
              f"({ns[False] / ns[True]:.1f}x)")


class PhaseClock:
    """Stands in for ``learning.sleep_phase``: runs it (tables or thinning) and sums the CPU time of the
    learning phases and of the validation phases (the longer ones) of one run."""

    def __init__(self, hazard_table, learn_steps):
        self.hazard_table, self.learn_steps = hazard_table, learn_steps
        self.time = {"learn": 0.0, "val": 0.0}
        self.calls = {"learn": 0, "val": 0}

    def __call__(self, *args, **kw):
        kind = "learn" if args[2] == self.learn_steps else "val"
        start = time.process_time()
        out = sleep_phase(*args, hazard_table=self.hazard_table, **kw)
        self.time[kind] += time.process_time() - start
        self.calls[kind] += 1
        return out


def iteration_costs(p, hazard_table):
    """CPU seconds of one learning iteration and of one validation iteration of run ``p``, each with its
    share of the per-iteration Python work (update, clipping, bookkeeping), from one reduced run."""
    clock = PhaseClock(hazard_table, p["dur"] * p["tau_ref"])
    learning.sleep_phase = clock
    try:
        start = time.process_time()
        run(p)
        total = time.process_time() - start
    finally:
        learning.sleep_phase = sleep_phase
    overhead = (total - sum(clock.time.values())) / sum(clock.calls.values())
    return {k: clock.time[k] / clock.calls[k] + overhead for k in clock.time}


def projected_cost(p, cost):
    """CPU seconds of the full run ``p`` from the measured iteration costs."""
    n_val = len(range(0, p["epochs"], p["val_step"]))
    return (p["epochs"] - n_val) * cost["learn"] + n_val * cost["val"]


def sweep_costs(repeat):
    """Projected CPU-hours of every sampling sweep of config/paper.yaml, tables vs thinning.

    Per protocol and scenario one reduced run (the paper's phases and validation, 2 validation
    intervals instead of 40-75; condition sal at the highlighted noise level, run 0) gives the CPU time
    of a learning and of a validation iteration; every run of a sweep is projected from them with its
    own epochs. Tables and thinning alternate; medians of ``repeat`` runs.
    """
    config = merge(*(read_yaml(ROOT / "config" / f) for f in ("config.yaml", "paper.yaml")))["sampling"]
    print(f"paper-scale sampling sweeps (config/paper.yaml), CPU time projected from reduced runs "
          f"(median of {repeat}); before = the thinning sampler:")
    print(f"{'':>14} {'learning it.':>13} {'validation it.':>15} {'one run':>18}")
    totals = {}
    for protocol, block in config["protocols"].items():
        for scenario, sc in block["scenarios"].items():
            labels = dict(protocol=protocol, scenario=scenario, level=sc["highlight"], run=0)
            p = run_params(config, "noise_run", condition="sal", **labels)
            reduced = {**p, "epochs": 2 * p["val_step"] + 1}
            iteration_costs({**reduced, "epochs": 3}, True)  # compile / load
            samples = {t: [] for t in (False, True)}
            for _ in range(repeat):
                for t in samples:
                    samples[t].append(iteration_costs(reduced, t))
            cost = {t: {k: statistics.median(c[k] for c in samples[t]) for k in ("learn", "val")} for t in samples}
            per_run = {t: projected_cost(p, cost[t]) for t in cost}
            print(f"{protocol} {scenario:>12} {1e3 * cost[True]['learn']:10.2f} ms {1e3 * cost[True]['val']:12.1f} ms "
                  f"{per_run[False]:7.1f} -> {per_run[True]:5.1f} s ({per_run[False] / per_run[True]:.1f}x)")
            sweeps = {f"{protocol} noise sweeps": [run_params(config, "noise_run", protocol=protocol, scenario=scenario,
                                                              condition=c, level=lvl, run=r)
                                                   for c, lvl, r in sweep_labels(block, scenario)]}
            if block.get("kp_sweep"):
                sweeps[f"{protocol} KP sweep"] = [
                    run_params(config, "noise_run", protocol=protocol, scenario=scenario, condition="kp", level=lvl,
                               run=r, kp_rate=rate) for lvl, rate, r in kp_labels(block, scenario)]
            for name, runs in sweeps.items():
                total = totals.setdefault(name, {"runs": 0, False: 0.0, True: 0.0})
                total["runs"] += len(runs)
                for t in (False, True):
                    total[t] += sum(projected_cost(q, cost[t]) for q in runs)
    print(f"{'sweep':<18} {'runs':>5} {'CPU-h before':>13} {'CPU-h now':>10}")
    for name, total in totals.items():
        print(f"{name:<18} {total['runs']:5d} {total[False] / 3600:13.1f} {total[True] / 3600:10.1f} "
              f"({total[False] / total[True]:.1f}x)")
    b = sum(t[True] for name, t in totals.items() if name.startswith("B")) / 3600
    a = sum(t[True] for name, t in totals.items() if name.startswith("A")) / 3600
    print(f"protocol B with its KP sweep: {b:.1f} CPU-h (target <= 5); protocol A: {a:.1f} CPU-h (target <= 10)")
    return cost


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-full-run", action="store_true")
    parser.add_argument("--skip-sizes", action="store_true", help="skip the cost against n")
    parser.add_argument("--repeat", type=int, default=3, help="reduced runs per scenario and sampler path")
    parser.add_argument("--official", metavar="DIR", help="directory holding the official neuralsampling package")
    args = parser.parse_args()
    if not args.skip_sizes:
        event = cost_against_n(args.official)
        print(f"event-driven sampler, 7 neurons (target network): {event:6.1f} ns/step CPU time   (target <= 25 ns)")
    small_network_paths()
    sweep_costs(args.repeat)
    if not args.skip_full_run:  # one full paper run against its projection
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        p = paper_params("syn_noise_sal", "B", 0)
        reduced = {**p, "epochs": 2 * p["val_step"] + 1}
        projected = projected_cost(p, iteration_costs(reduced, True))
        start = time.process_time()
        ds = run(p)
        t_run = time.process_time() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"one protocol-B run (syn_noise_sal, noise 0.8, {p['epochs']} cycles): {t_run:.1f} s CPU time "
              f"(projected {projected:.1f} s); final D_KL {float(ds['dkl'][-1]):.4f}, asymmetry "
              f"{float(ds['asymmetry'][-1]):.2e}")
        print(f"peak RSS {rss:.0f} MB (before the run {rss_before:.0f} MB); the run streams its statistics, so "
              "memory does not grow with its length")


if __name__ == "__main__":
    main()
