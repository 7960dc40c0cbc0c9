"""Snakemake adapter: one experiment (or one seeded run) -> its result file."""

import numba
from threadpoolctl import threadpool_limits

from sal import pipeline
from sal.registry import family

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    numba.set_num_threads(sm.threads)
    threadpool_limits(sm.threads)  # BLAS threads = the job's threads
    experiment = family(sm.params.family).experiment(sm.params.experiment)
    pipeline.run_experiment(experiment, sm.params.params, sm.output[0], seed=sm.params.seed,
                            checkpoint=sm.params.checkpoint, labels=dict(sm.wildcards.items()))
