"""Benchmark of a workflow job's start-up: the imports a fresh process pays before it simulates.

    python benchmarks/startup.py [--repeats 7]

Every Snakemake job is a fresh Python process (workflow/scripts/run_experiment.py), so at paper scale
(660 sampling runs of ≈ 10 CPU-s, 60 microcircuit runs of ≈ 7 CPU-s) the start-up is a per-job tax.
Prints, per family, the median CPU time of a process that imports what a job of that family imports,
next to one that imports every family (what each job paid before ``sal.registry`` imported lazily).
"""

import argparse
import resource
import statistics
import subprocess
import sys

JOB = "import numba, threadpoolctl; from sal import pipeline; from sal.registry import {what}"
FAMILIES = ("principle", "sampling", "microcircuit", "deepnet")


def cpu_seconds(code: str) -> float:
    """CPU time (user + system) of a fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    codes = {"every family": JOB.format(what="FAMILIES")}
    codes |= {name: JOB.format(what="family") + f"; family({name!r})" for name in FAMILIES}
    samples = {label: [] for label in codes}
    for _ in range(args.repeats):  # interleaved, so that a load change hits every label alike
        for label, code in codes.items():
            samples[label].append(cpu_seconds(code))
    every = statistics.median(samples["every family"])
    print(f"job start-up, CPU s (median of {args.repeats}; every family imported: {every:.2f} s)")
    for name in FAMILIES:
        own = statistics.median(samples[name])
        print(f"  {name:13s} {own:5.2f} s   saves {every - own:4.2f} s per job ({every / own:.2f}x)")


if __name__ == "__main__":
    main()
