"""Snakemake adapter: one experiment (or one seeded run) -> its result file."""

import numba
from threadpoolctl import threadpool_limits

from sal import pipeline

pipeline.setup_logging(snakemake.log[0])  # noqa: F821 (snakemake injects this object)
numba.set_num_threads(snakemake.threads)  # noqa: F821
threadpool_limits(snakemake.threads)  # noqa: F821 (BLAS threads = the job's threads)
pipeline.run_experiment(
    snakemake.params.family,  # noqa: F821
    snakemake.params.experiment,  # noqa: F821
    snakemake.params.params,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    seed=snakemake.params.get("seed"),  # noqa: F821
    checkpoint=snakemake.params.get("checkpoint"),  # noqa: F821
)
