"""Snakemake adapter: per-run result files -> one summary file."""

from sal import pipeline
from sal.registry import family

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    labels = list(map(tuple, sm.params.labels))
    runs = dict(zip(labels, sm.input))
    expected = dict(zip(labels, sm.params.expected))  # what each run file must hold (kind, run, seed, parameters)
    summary = family(sm.params.family).summary(sm.params.summary)
    pipeline.summarize(summary, runs, sm.output[0], expected=expected, **sm.params.options)
