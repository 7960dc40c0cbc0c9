"""Benchmark of the spiking feedback-learning phases of the deep-network family (spec deepnet §2-§5).

    python benchmarks/deepnet_spiking.py [--skip-paper-fig7] [--synapses-only]

Reference: the official PyTorch SAL phase costs ~0.77 s per step at batch 32 for [1600, 384, 192, 10]
(~200 h per 100-epoch run); target <= 5 ms per step on one core. Prints the SAL phase's ms per step
(median over blocks after warm-up), the RDD phase's cost per simulated second and per 90-s epoch,
and the run times of the reduced fig-7 / fig-9 experiments (plus the paper-scale fig 7).

Then the SAL phase's cost per step against the number of synapses for the fully connected networks of
fig S4 (Fashion-MNIST inputs; the event-driven kernel costs one weight row per spike, so it should grow
about linearly with the synapses at a given firing rate), with the fitted exponent of cost ∝ synapses^k
(``--synapses-only``: just this part).
"""

import statistics
import sys
import time

import numpy as np

from sal.deepnet.rdd import RDDPhase
from sal.deepnet.salphase import SALPhase, alignment_angles
from sal.deepnet.experiments import salnet, weight_scatter
from sal.deepnet.params import FC_SIZES, paper_params_fig7, paper_params_fig9, quick_params_fig7, quick_params_fig9
from sal.deepnet.scatter import initial_salnet

OFFICIAL_MS_PER_STEP = 770.0


#: fig S4's networks: [inputs, hidden..., classes] (the width sweep at depth 2, the depth sweep at width 256)
SCALING_SIZES = [[784, w, w, 10] for w in (64, 128, 256, 512, 1024)] + [[784] + [256] * d + [10] for d in (1, 4, 6)]


def sal_ms_per_step(batch, block_steps=500, blocks=5, sizes=FC_SIZES):
    W, b, B = initial_salnet(sizes, 0)
    phase = SALPhase(sizes, batch=batch, block_steps=block_steps, blocks_per_epoch=1, rng=np.random.default_rng(1))
    phase.run(W, b, B)  # compile / load the cache, reach the stationary firing regime
    wall, cpu = [], []
    for _ in range(blocks):
        w0, c0 = time.perf_counter(), time.process_time()
        phase.run(W, b, B)
        wall.append(1e3 * (time.perf_counter() - w0) / block_steps)
        cpu.append(1e3 * (time.process_time() - c0) / block_steps)
    rate = phase.spike_count.sum() / (phase.t * batch)
    return statistics.median(wall), statistics.median(cpu), rate, alignment_angles(W, B)


def rdd_seconds_per_simulated_second(seconds=2.0):
    W, b, B = initial_salnet(FC_SIZES, 0)
    phase = RDDPhase(FC_SIZES, rng=np.random.default_rng(2))
    phase.drive(0, 0.2, W, B)  # compile / load the cache
    out = []
    for layer in range(3):
        phase.reset()
        start = time.perf_counter()
        phase.drive(layer, seconds, W, B)
        out.append((time.perf_counter() - start) / seconds)
    return out


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def final_angles(ds):
    return ", ".join(f"{a} {v:.1f} deg" for a, v in zip(ds["algorithm"].values, ds["angle"].values[:, -1]))


def sal_cost_against_synapses(batch=32):
    """Print the SAL phase's CPU ms per step for every network of fig S4 against its synapses; fit the exponent."""
    print(f"SAL phase cost against synapses (batch {batch}, CPU time, median of 5 blocks of 500 steps):")
    synapses, cost = [], []
    for sizes in sorted(SCALING_SIZES, key=lambda n: sum(a * b for a, b in zip(n[:-1], n[1:]))):
        n_syn = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        _, cpu, rate, _ = sal_ms_per_step(batch, sizes=sizes)
        synapses.append(n_syn)
        cost.append(cpu)
        print(f"  {str(sizes):40s} {n_syn:8d} synapses {sum(sizes):5d} neurons: {cpu:6.3f} ms/step, "
              f"{1e6 * cpu / n_syn:5.2f} ns per synapse, {rate:4.0f} spikes per step and copy; "
              f"fig-8 phase (10000 steps) {10 * cpu:5.1f} s per epoch")
    k = np.polyfit(np.log(synapses), np.log(cost), 1)[0]
    top = np.log(cost[-1] / cost[-2]) / np.log(synapses[-1] / synapses[-2])
    print(f"  cost ~ synapses^{k:.2f} over all (1 = linear; small networks pay a per-neuron cost), "
          f"^{top:.2f} between the two largest")


def main():
    if "--synapses-only" in sys.argv:
        sal_cost_against_synapses()
        return
    for batch in (32, 64):
        wall, cpu, rate, _ = sal_ms_per_step(batch)
        line = (f"SAL sleep phase {FC_SIZES}, batch {batch}: {wall:5.2f} ms/step wall, {cpu:5.2f} ms/step CPU "
                f"({rate:.0f} spikes per step and copy)")
        if batch == 32:
            print(f"{line}; target <= 5 ms, official {OFFICIAL_MS_PER_STEP:.0f} ms "
                  f"(x{OFFICIAL_MS_PER_STEP / wall:.0f})")
            epoch_s = wall * 1e-3 * 5 * 2000
            print(f"  one fig-8 SAL epoch (5 blocks x 2000 steps): {epoch_s:.0f} s; "
                  f"100 epochs: {100 * epoch_s / 3600:.2f} h")
        else:
            p = paper_params_fig9(0.04, 0)
            run_h = wall * 1e-3 * p["epochs"] * p["steps"] / 3600
            print(f"{line}\n  projected paper fig-9 run ({p['epochs']} epochs x {p['steps']} steps): "
                  f"{run_h:.1f} h; 4 etas x 5 seeds: {20 * run_h:.0f} CPU-h")
    per_s = rdd_seconds_per_simulated_second()
    epoch = 30 * sum(per_s)
    print(f"RDD phase {FC_SIZES}: " + ", ".join(f"layer {k} driven {1e3 * s:.0f} ms" for k, s in enumerate(per_s))
          + f" per simulated second; one 90-s epoch ~ {epoch:.0f} s; 100 epochs ~ {100 * epoch / 3600:.2f} h")
    t7, ds7 = timed(weight_scatter, quick_params_fig7(), 0)
    print(f"fig 7 reduced ({quick_params_fig7()['seconds']} s): {t7:.2f} s; final angles {final_angles(ds7)}")
    if "--skip-paper-fig7" not in sys.argv:
        t7, ds7 = timed(weight_scatter, paper_params_fig7(), 0)
        print(f"fig 7 paper scale (100 s): {t7:.2f} s; final angles {final_angles(ds7)} "
              "(official code: SAL ~14, RDD fixed ~26, STDWI ~54)")
    p9 = quick_params_fig9()
    t9, ds9 = timed(salnet, p9, 0)
    print(f"fig 9 reduced ({p9['sizes']}, {p9['epochs']} epochs x {p9['steps']} steps, batch {p9['batch']}): "
          f"{t9:.2f} s; angles {np.round(ds9['angle'].values[0], 1)} -> {np.round(ds9['angle'].values[-1], 1)} deg")
    sal_cost_against_synapses()


if __name__ == "__main__":
    main()
