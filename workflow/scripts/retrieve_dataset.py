"""Snakemake adapter: one data set -> its folder resources/datasets/{dataset}, once, before any training job
(copied from params.source if given, else from a known local location, else downloaded; checksums verified)."""

from sal import pipeline
from sal.deepnet.data import retrieve

pipeline.setup_logging(snakemake.log[0])  # noqa: F821 (snakemake injects this object)
retrieve(
    snakemake.wildcards.dataset,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    snakemake.params.source,  # noqa: F821
)
