"""Snakemake adapter: stored datasets -> figure (PDF, PNG) and the plotted numbers (CSV)."""

from pathlib import Path

from sal import pipeline

pipeline.setup_logging(snakemake.log[0])  # noqa: F821 (snakemake injects this object)
pipeline.plot(
    snakemake.params.family,  # noqa: F821
    snakemake.params.figure,  # noqa: F821
    dict(snakemake.input.items()),  # noqa: F821
    Path(snakemake.output.pdf).with_suffix(""),  # noqa: F821
    snakemake.output.csv,  # noqa: F821
)
