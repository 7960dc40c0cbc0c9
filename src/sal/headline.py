"""Headline tables: every family's headline numbers next to what the paper (via our specs) reports.

One row per quantity: figure, quantity, our value, the paper's value or claim, and the scale it was
measured at. The rows come from each family's registry (``Headline``: a row function and the paper's
values as data); the report shows the tables and reviewers compare the two columns.
"""

from __future__ import annotations

import pandas as pd

from . import provenance, store

COLUMNS = ["figure", "quantity", "ours", "paper", "measured at"]


def counted(n: int, noun: str) -> str:
    """'1 seed', '3 seeds': a count with its noun, for scales and titles."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def headline_table(table: str, inputs: dict, families) -> pd.DataFrame:
    """Table ``table`` from the summaries in ``inputs`` ({family: {product: file}}), in the order of
    ``families`` (``sal.registry.FAMILIES``). A family contributes its rows when the study has every
    product they read."""
    rows = []
    for family in families:
        files = inputs.get(family.name, {})
        for headline in family.headline:
            if headline.table != table or not set(headline.inputs) <= set(files):
                continue
            datasets = {name: store.read(files[name]) for name in headline.inputs}
            for key, figure, quantity, ours, measured in headline.rows(**datasets):
                ours = f"{ours:.6g}" if isinstance(ours, float) else ours
                rows.append((figure, quantity, ours, headline.paper[key], measured))
    return pd.DataFrame(rows, columns=COLUMNS)


def headline_code(table: str, families) -> str:
    """Hash of the code and paper values table ``table`` is made from."""
    parts = [(h.rows, h.paper) for family in families for h in family.headline if h.table == table]
    return provenance.code_hash(headline_table, *parts)
