"""Snakemake adapter: stored datasets -> figure (PDF, PNG) and the plotted numbers (CSV)."""

from pathlib import Path

from sal import pipeline
from sal.registry import family

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    figure = family(sm.params.family).figure(sm.params.figure)
    pipeline.plot(figure.function, dict(sm.input.items()), Path(sm.output.pdf).with_suffix(""), sm.output.csv,
                  kinds=dict(sm.params.kinds))
