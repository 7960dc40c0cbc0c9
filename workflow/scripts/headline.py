"""Snakemake adapter: summaries -> the headline-numbers table (CSV)."""

from sal import pipeline
from sal.headline import headline_table

pipeline.setup_logging(snakemake.log[0])  # noqa: F821 (snakemake injects this object)
headline_table(**dict(snakemake.input.items())).to_csv(snakemake.output[0], index=False)  # noqa: F821
