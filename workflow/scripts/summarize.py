"""Snakemake adapter: per-run result files -> one summary file."""

from sal import pipeline

pipeline.setup_logging(snakemake.log[0])  # noqa: F821 (snakemake injects this object)
runs = dict(zip(map(tuple, snakemake.params.labels), snakemake.input))  # noqa: F821
pipeline.summarize(
    snakemake.params.family,  # noqa: F821
    snakemake.params.experiment,  # noqa: F821
    runs,
    snakemake.output[0],  # noqa: F821
    **snakemake.params.options,  # noqa: F821
)
