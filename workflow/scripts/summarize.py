"""Snakemake adapter: per-run result files -> one summary file."""

from sal import pipeline
from sal.registry import family

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    runs = dict(zip(map(tuple, sm.params.labels), sm.input))
    summary = family(sm.params.family).summary(sm.params.summary)
    pipeline.summarize(summary, runs, sm.output[0], **sm.params.options)
