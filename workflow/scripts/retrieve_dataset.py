"""Snakemake adapter: one data set -> its folder resources/datasets/{dataset}, once, before any training job
(copied from params.source if given, else from a known local location, else downloaded; checksums verified)."""

from sal import pipeline
from sal.deepnet.data import retrieve

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    retrieve(sm.wildcards.dataset, sm.output[0], sm.params.source)
