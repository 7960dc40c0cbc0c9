"""Kolen-Pollack at the best decay rate of fig S2 (issue 12): declared per scenario, made of the KP sweep's
own runs where the levels coincide, drawn in figs 4-5 next to KP at the official rate, and in the headline."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sal.config
from sal import store
from sal.plotting.sampling import fig4
from sal.registry import family
from sal.sampling import summaries

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "tests" / "data" / "figure_inputs" / "sampling" / "B" / "syn_noise" / "summary.nc"
BEST = 1.0e-04  # the test study's one KP sweep rate (config/test.yaml)
SAMPLING = family("sampling")


def _block(rate=BEST):
    config = sal.config.load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])
    block = config["sampling"]
    if rate is not None:
        block["protocols"]["B"]["scenarios"]["syn_noise"]["kp_best_rate"] = rate
    return block


def test_kp_best_is_a_product_only_where_a_rate_is_declared():
    assert "kp_best_syn_noise" in SAMPLING.products(_block())[""]
    assert "kp_best_plast_noise" not in SAMPLING.products(_block())[""]
    assert not any(k.startswith("kp_best") for k in SAMPLING.products(_block(None))[""])
    assert SAMPLING.figure("fig4_synaptic_noise").required == ["syn_noise"]


def test_kp_best_runs_are_the_sweeps_runs_at_that_rate_at_every_level():
    block = _block()
    labels, files = SAMPLING.summary_inputs("kp_best", block, protocol="B", scenario="syn_noise")
    levels = block["protocols"]["B"]["scenarios"]["syn_noise"]["levels"]
    assert [lab[:2] for lab in labels] == [["kp_best", lvl] for lvl in levels]
    _, sweep_files = SAMPLING.summary_inputs("kp_sweep", block, protocol="B", scenario="syn_noise")
    shared = set(files) & set(sweep_files)  # level 0.8 is swept: the same file, not a second run
    assert shared == {f"results/sampling/B/syn_noise/kp_sweep/noise~0.8/rate~{BEST:g}/run~0.nc"}
    scale = block["protocols"]["B"]["rate_scale"]
    for expected in SAMPLING.summary_expected("kp_best", block, protocol="B", scenario="syn_noise"):
        assert expected["parameters"]["lr_kp"] == pytest.approx(BEST * scale)
        assert expected["parameters"]["lr_sal"] == 0.0


@pytest.fixture(scope="module")
def kp_best_summary():
    """The test study's KP-at-best-rate sweep, run here (2 short runs) and summarised as the workflow does."""
    block = _block()
    exp = SAMPLING.experiment("kp_run")
    runs = {}
    for labels, wc in SAMPLING.summary("kp_best").runs(block, protocol="B", scenario="syn_noise"):
        runs[tuple(labels)] = exp.run(exp.parameters(block, **wc))
    return summaries.noise_sweep_summary(runs, scenario="syn_noise", highlight=0.8)


def test_fig4_draws_kp_at_both_rates(kp_best_summary):
    syn_noise = store.read(STORED)
    fig, table = fig4(syn_noise, kp_best_summary)
    labels = fig.legends[0].get_texts()
    official = summaries.kp_rate(syn_noise, "kp")
    assert {t.get_text() for t in labels} >= {f"KP, official rate ({official:.1e})",
                                              f"KP, best rate of fig S2 ({BEST * 3:.1e})"}
    assert np.isfinite(table["final_dkl_kp_best_median"].dropna()).all()
    fig_without, table_without = fig4(syn_noise)
    assert "final_dkl_kp_best_median" not in table_without


def test_kp_best_must_match_the_sweeps_levels(kp_best_summary):
    syn_noise = store.read(STORED)
    with pytest.raises(ValueError, match="other noise levels"):
        fig4(syn_noise, kp_best_summary.isel(level=[0]))


def test_kp_headline_row_names_both_rates(kp_best_summary):
    syn_noise = store.read(STORED)
    rows = [*summaries.kp_rows_syn_noise(syn_noise, kp_best_summary),
            *summaries.kp_rows_plast_noise(syn_noise, kp_best_summary)]
    assert [r[1] for r in rows] == ["fig 4", "fig 5"]
    key, _, quantity, ours, _ = rows[0]
    assert key == "kp_dkl" and f"{BEST * 3:g} (best of fig S2)" in quantity
    official, best = (float(x) for x in ours.split(" / "))
    final = kp_best_summary["dkl"].isel(iteration=-1).sel(condition="kp_best", level=0.8).median("run")
    assert best == pytest.approx(float(final), abs=5e-5)


def test_best_kp_rate_is_the_argmin_of_the_median():
    dkl = np.array([[[0.03, 0.02, 0.9]], [[0.01, 0.05, 0.02]], [[0.04, 0.04, 0.04]]])  # rate x level x run
    ds = xr.Dataset({"dkl": (("kp_rate", "level", "run"), dkl)},
                    coords={"kp_rate": [1e-6, 2e-6, 4e-6], "level": [0.8], "run": [0, 1, 2]})
    assert summaries.best_kp_rate(ds, 0.8) == 2e-6  # medians 0.03, 0.02, 0.04
