"""Every figure, rendered as the workflow renders it, is saved inside the package style and has no clipped
or overlapping text.

The figures are built from the test study's datasets (``config/test.yaml``), stored in
``tests/data/figure_inputs/`` (each under its path in ``results/``). After a summary's layout changes, or a
figure is added, refresh them from a test-study run:

    snakemake --cores 2 --configfile config/test.yaml   # in a copy of the workflow
    python tests/test_figures_render.py path/to/that/copy/results
"""

from __future__ import annotations

import functools
import re
import shutil
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from PIL import Image

import sal.config
from sal import pipeline, store
from sal.deepnet.summaries import final_accuracy
from sal.plotting import GREY, METHODS, OKABE_ITO, style, text_problems
from sal.registry import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "figure_inputs"
TEST_CONFIG = sal.config.load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])
JOBS = {job.stem: job for family in FAMILIES for job in family.figure_jobs(TEST_CONFIG[family.name])}


def _stored(path: str) -> Path:
    """Where the stored copy of the test study's ``results/...`` file lies."""
    return DATA / Path(path).relative_to("results")


def _render(function, inputs: dict, stem: Path):
    """``pipeline.plot`` as the plot rule runs it; returns the figure it built and the files it wrote."""
    built = []

    @functools.wraps(function)  # same parameters: pipeline.plot checks the inputs against them
    def keep(**datasets):
        fig, numbers = function(**datasets)
        built.append(fig)
        return fig, numbers

    paths = pipeline.plot(keep, inputs, stem, stem.with_suffix(".csv"))
    return built[0], paths


def _check_files(paths):
    pdf, png = paths
    image = Image.open(png)
    dpi = image.info.get("dpi", (0, 0))
    assert min(dpi) >= 199.5, f"{png.name}: {dpi} dpi, the style asks for 200"
    data = pdf.read_bytes()
    fonts = re.findall(rb"/Subtype\s*/(Type3|TrueType|CIDFontType2|Type1)\b", data)
    assert fonts, f"{pdf.name}: no fonts found"
    assert b"Type3" not in fonts and b"Type1" not in fonts, f"{pdf.name}: fonts {sorted(set(fonts))}, not TrueType"


def _check_text(fig, name):
    with style():
        problems = text_problems(fig)
    plt.close(fig)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_every_figure_has_stored_inputs():
    """Each figure of every registry is rendered here (a new figure needs its inputs stored, see above)."""
    stems = {fig.stem for family in FAMILIES for fig in family.figures}
    assert stems <= set(JOBS), f"figures the test study does not build: {sorted(stems - set(JOBS))}"
    missing = sorted(p for job in JOBS.values() for p in job.inputs.values() if not _stored(p).exists())
    assert not missing, f"refresh tests/data/figure_inputs (see this file's docstring): {missing}"


@pytest.mark.parametrize("stem", sorted(JOBS))
def test_figure_is_saved_in_style_without_clipped_or_overlapping_text(stem, tmp_path):
    job = JOBS[stem]
    fig, paths = _render(job.figure.function, {n: _stored(p) for n, p in job.inputs.items()}, tmp_path / stem)
    _check_files(paths)
    _check_text(fig, stem)


def _training(methods, datasets, seeds=2, epochs=6):
    """A fig-8 summary of every method on several data sets (accuracies made up; only the look is tested)."""
    from sal.deepnet.summaries import training_summary
    from sal.provenance import attributes

    rng = np.random.default_rng(0)
    runs = {}
    for d in datasets:
        for k, m in enumerate(methods):
            for s in range(seeds):
                acc = np.linspace(40, 60 + 4 * k, epochs) + rng.normal(0, 1, epochs)
                layers = ["fc1", "fc2", "fc3"]
                ds = xr.Dataset(
                    {"train_accuracy": ("epoch", acc), "test_accuracy": ("epoch", acc),
                     "test_loss": ("epoch", np.full(epochs, 0.5)),
                     "angle": (("epoch", "layer"), np.linspace(90, 10 * k, epochs)[:, None] * np.ones(3)),
                     "initial_angle": ("layer", np.full(3, 90.0))},
                    coords={"epoch": np.arange(1, epochs + 1), "layer": layers,
                            "layer_size_in": ("layer", [1024, 384, 192]), "layer_size_out": ("layer", [384, 192, 10])})
                ds.attrs.update(attributes("test"))
                ds.attrs.update({"sal_kind": "deepnet.train", "seed": s,
                                 "parameters": f'{{"dataset": "{d}", "method": "{m}", "seed": {s}}}'})
                runs[(d, m, s)] = ds
    return training_summary(runs)


@pytest.mark.parametrize("stem", ["fig8_cnn_training", "fig8_methods_datasets"])
def test_fig8_with_every_method_and_three_datasets(stem, tmp_path):
    """The paper's fig 8 (seven methods, three data sets): every final accuracy shown and named, nothing clipped."""
    from sal.plotting.deepnet import FIGURES

    summary = _training(["bp", "bp_fa", "fa", "kp", "scfa", "sal", "rdd"], ["cifar10", "fashion_mnist", "svhn"])
    path = tmp_path / "training.nc"
    store.write(summary, path)
    fig, paths = _render(FIGURES[stem], {"training": path}, tmp_path / stem)
    _check_files(paths)
    if stem == "fig8_cnn_training":
        final_ax = fig.axes[-1]
        values = final_accuracy(summary).values
        low, high = final_ax.get_ylim()
        assert low <= values.min() and values.max() <= high, "every seed's final accuracy is on the axis"
        assert low > 0.5 * values.min(), "the axis is fitted to the values, not stretched down to zero"
        assert [t.get_text() for t in final_ax.get_xticklabels()].count("SC-FA") == 3, "every point is named"
    _check_text(fig, stem)


def test_the_check_finds_clipped_and_overlapping_text(tmp_path):
    """The layout check can fail: a title too long for its figure, tick labels on one another."""
    job = JOBS["fig12_proof"]
    ds = store.read(_stored(job.inputs["proof"]))
    with style():
        fig, _ = job.figure.function(ds)
        assert text_problems(fig) == []
        fig.axes[1].set_title("a deliberately long title that runs far past the right edge of the figure", loc="left")
        problems = text_problems(fig)
        assert any(p.startswith("outside the figure: 'a deliberately long title") for p in problems), problems
        fig.axes[1].set_title("", loc="left")
        assert text_problems(fig) == []
        fig.axes[2].set_xticks([0, 0.2], ["a long tick label", "another long tick label"])
        problems = text_problems(fig)
        assert problems and all(p.startswith("overlap: 'a long tick label' and 'another long tick label'")
                                for p in problems), problems
    plt.close(fig)


def test_one_colour_blind_safe_look_per_method():
    """Every method has a fixed colour from the Okabe-Ito palette (or grey) and a line style; methods that
    share a figure differ in colour, line style and marker."""
    assert set(METHODS) == {"sal", "bp", "fa", "bp_fa", "kp", "kp_best", "scfa", "rdd", "stdwi", "none"}
    assert {m.color for m in METHODS.values()} <= set(OKABE_ITO.values()) | {GREY}
    looks = [(m.color, str(m.linestyle)) for m in METHODS.values()]
    assert len(set(looks)) == len(looks), "each method has its own colour and line style"
    together = [("bp", "bp_fa", "fa", "kp", "scfa", "sal", "rdd"),  # fig 8
                ("sal", "rdd", "stdwi"),  # fig 7
                ("none", "sal", "kp", "kp_best"),  # figs 4, 5, S2
                ("sal", "bp", "fa")]  # figs 6, S3
    for group in together:
        for attr in ("color", "linestyle", "marker"):
            values = [str(getattr(METHODS[m], attr)) for m in group]
            assert len(set(values)) == len(values), f"{group} share a {attr}"


def refresh(results: Path) -> None:
    """Copy every figure's inputs from a test-study ``results`` folder into tests/data/figure_inputs (the
    weight-scatter dataset keeps B only at its last time, the only one fig 7 draws, to stay small)."""
    for job in JOBS.values():
        for path in job.inputs.values():
            source, target = results / Path(path).relative_to("results"), _stored(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if job.figure.function.__name__ == "fig7":
                ds = store.read(source)
                last = ds["time"] == ds["time"][-1]
                ds["B"] = ds["B"].where(last, 0.0).astype(np.float32)
                store.write(ds, target)
            else:
                shutil.copyfile(source, target)


if __name__ == "__main__":
    refresh(Path(sys.argv[1]))


def test_fig_s2_draws_a_panel_whose_dkl_values_are_all_infinite(tmp_path):
    """A short KP run can leave target states unsampled everywhere (D_KL = inf): the log axis then has
    nothing finite to show, and the figure must still be drawn, with the note, not crash."""
    job = JOBS["figS2_kolen_pollack"]
    inputs = {name: str(_stored(path)) for name, path in job.inputs.items()}
    for name in ("kp_syn_noise", "syn_noise"):  # KP and the SAL reference band: nothing finite
        ds = store.read(inputs[name])
        ds["dkl"][...] = np.inf
        store.write(ds, tmp_path / f"{name}.nc")
        inputs[name] = str(tmp_path / f"{name}.nc")
    fig, paths = _render(job.figure.function, inputs, tmp_path / "figS2")
    _check_files(paths)
    assert text_problems(fig) == []
    assert any("left out" in t.get_text() for t in fig.findobj(plt.Text))


def test_fig_s2_draws_only_the_scenarios_whose_kp_sweep_the_study_has(tmp_path):
    """An archive with the synaptic-noise KP sweep only (the plasticity-noise one still to run) draws fig S2
    with that one column, not none and not an empty second one."""
    job = JOBS["figS2_kolen_pollack"]
    assert set(job.figure.required) == {"kp_syn_noise", "syn_noise"}
    inputs = {name: str(_stored(job.inputs[name])) for name in job.figure.required}
    fig, paths = _render(job.figure.function, inputs, tmp_path / "figS2")
    _check_files(paths)
    assert len(fig.axes) == 2 and text_problems(fig) == []
    assert set(pd.read_csv(tmp_path / "figS2.csv")["scenario"]) == {"syn_noise"}
