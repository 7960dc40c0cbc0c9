"""Snakemake adapter: summaries -> a headline-numbers table (CSV)."""

from sal import pipeline
from sal.headline import headline_table
from sal.registry import FAMILIES

sm = snakemake  # noqa: F821 (snakemake injects this object)
with pipeline.job(sm.log[0]):
    inputs = {}
    for key, path in sm.input.items():  # inputs are named <family>__<product>
        name, product = key.split("__")
        inputs.setdefault(name, {})[product] = path
    headline_table(sm.wildcards.table, inputs, FAMILIES).to_csv(sm.output[0], index=False)
