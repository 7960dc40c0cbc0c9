"""Figures of SAL in deep networks: fig 7 (weight scatter), fig 8 (CNN training), fig 9 (SALNet) and fig S4
(beyond the paper: fully connected networks of growing depth and width)."""

from __future__ import annotations

import inspect

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..deepnet.salphase import SALPhase, simulated_seconds
from ..deepnet.summaries import SCALING_ORDER, final_accuracy, scaling_metrics, sweep_shapes
from ..headline import counted
from ..store import parameters
from . import method, require_finite, style

#: fig 8's methods in the order they are drawn (their look: ``sal.plotting.METHODS``)
METHOD_ORDER = ("bp", "bp_fa", "fa", "kp", "scfa", "sal", "rdd")


def fig7(weight_scatter):
    """W against the learned feedback B for SAL, RDD and STDWI, and the angle between them over time."""
    ds = weight_scatter
    algos = list(ds["algorithm"].values)
    w = ds["W"].values.ravel()
    rows = []
    with style():
        fig, axes = plt.subplots(1, len(algos) + 1, figsize=(2.0 * (len(algos) + 1), 2.2), layout="constrained")
        for ax, algo in zip(axes, algos):
            label, colour = method(algo).label, method(algo).color
            b = ds["B"].sel(algorithm=algo).isel(time=-1).values.ravel()
            require_finite(f"fig7 {algo}", b)
            ax.plot(w, b / np.abs(b).max() * np.abs(w).max(), ".", ms=1.5, color=colour)
            lim = 1.1 * np.abs(w).max()
            ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
            ax.set_aspect("equal")
            ax.set_xlabel("W")
            ax.set_title(f"{label}: {float(ds['angle'].sel(algorithm=algo)[-1]):.1f}°", loc="left")
        axes[0].set_ylabel("B (rescaled)")
        ax = axes[-1]
        t = ds["time"].values
        for algo in algos:
            angle = ds["angle"].sel(algorithm=algo).values
            ax.plot(t, angle, **method(algo).line)
            rows += [(str(algo), ti, a) for ti, a in zip(t, angle)]
        ax.set_xlabel("time [s]")
        ax.set_ylabel("angle(W, B) [deg]")
        ax.legend(loc="best")
        fix = "fixed" if not parameters(ds).get("rdd_official_bug", False) else "official, never updates"
        fig.suptitle(f"Fig 7: two populations of {ds.sizes['pre']}; RDD update counter {fix}", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["algorithm", "time_s", "angle_deg"])


def _final_accuracy(training):
    """``final_accuracy`` of the summary, refusing non-finite accuracies before anything is drawn."""
    require_finite("fig8 test accuracy", training["test_accuracy"].values)
    return final_accuracy(training)


DATASET_LABEL = {"digits": "digits 8×8 (reduced)", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10",
                 "svhn": "SVHN"}


def fig8(training):
    """First dataset: test accuracy per epoch (mean ± std over seeds) and the W-B angle per FC layer;
    every dataset: final accuracy per method (each seed a dot, mean ± std) on an axis fitted to the data, with
    BP+FA dashed."""
    ds = training
    datasets = list(ds["dataset"].values)
    first = ds.sel(dataset=datasets[0])
    methods = [m for m in METHOD_ORDER if m in ds["method"].values]
    epochs = ds["epoch"].values
    layers = list(ds["layer"].values)
    final = _final_accuracy(ds)
    rows = []
    with style():
        final_width = 0.16 * len(methods) * len(datasets) + 0.8
        width = 2.1 * (1 + len(layers)) + final_width
        fig, axes = plt.subplots(1, 2 + len(layers), figsize=(width, 2.7), layout="constrained",
                                 width_ratios=[2.1] * (1 + len(layers)) + [final_width])
        acc_ax, final_ax, angle_axes = axes[0], axes[-1], axes[1:-1]
        for m in methods:
            look = method(m)
            colour = look.color
            acc = first["test_accuracy"].sel({"method": m}).values  # (seed, epoch)
            acc_ax.plot(epochs, acc.mean(0), **look.line)
            acc_ax.fill_between(epochs, acc.mean(0) - acc.std(0), acc.mean(0) + acc.std(0), color=colour,
                                alpha=0.15, lw=0)
            rows += [(datasets[0], m, "test_accuracy", int(e), v) for e, v in zip(epochs, acc.mean(0))]
            for ax, layer in zip(angle_axes, layers):
                angle = first["angle"].sel({"method": m, "layer": layer}).values
                require_finite(f"fig8 angle {m} {layer}", angle)
                init = first["initial_angle"].sel({"method": m, "layer": layer}).values[:, None]
                a = np.concatenate([init, angle], axis=1).mean(0)
                ax.plot(np.r_[0, epochs], a, **look.line)
                rows += [(datasets[0], m, f"angle_{layer}", int(e), v) for e, v in zip(np.r_[0, epochs], a)]
        step = 1.0 / (len(methods) + 1)
        positions, names = [], []
        for j, m in enumerate(methods):
            look = method(m)
            x = np.arange(len(datasets)) + (j - (len(methods) - 1) / 2) * step
            f = final.sel({"method": m, "dataset": datasets}).transpose("dataset", "seed")
            for xi, seeds in zip(x, f.values):  # every seed a small dot, the mean a larger one (± std)
                final_ax.plot(np.full(len(seeds), xi), seeds, "o", ms=1.8, color=look.color, alpha=0.5, mew=0)
            final_ax.errorbar(x, f.mean("seed"), yerr=f.std("seed") if f.sizes["seed"] > 1 else None, fmt="o",
                            ms=3.5, color=look.color, capsize=1.5, elinewidth=0.8, label=look.label)
            positions += list(x)
            names += [look.label] * len(datasets)
            rows += [(d, m, "final_test_accuracy", -1, float(v)) for d, v in zip(datasets, f.mean("seed").values)]
        if "bp_fa" in methods:
            for k, d in enumerate(datasets):
                final_ax.hlines(float(final.sel({"method": "bp_fa", "dataset": d}).mean()), k - 0.5, k + 0.5, color="0.3",
                              ls="--", lw=0.8, zorder=3)
        for ax in (acc_ax, *angle_axes):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        acc_ax.set_xlabel("epoch")
        acc_ax.set_ylabel("test accuracy [%]")
        acc_ax.set_title(DATASET_LABEL[datasets[0]], loc="left")
        acc_ax.legend(fontsize=5.5, ncols=2, loc="best")
        for ax, layer in zip(angle_axes, layers):
            ax.set_title(f"{layer}: angle(W, B)", loc="left")
            ax.set_xlabel("epoch")
            ax.set_ylabel("angle [deg]")
            ax.set_ylim(-3, 100)
        final_ax.set_xticks(positions, names, rotation=90, fontsize=6)  # every point is named
        final_ax.tick_params(axis="x", length=0, pad=2)
        top = final_ax.secondary_xaxis("top")  # the data set of each group of points
        top.set_xticks(range(len(datasets)), [DATASET_LABEL[d].split(" ")[0] for d in datasets], fontsize=6)
        top.tick_params(length=0, pad=1)
        top.spines["top"].set_visible(False)
        final_ax.set_xlim(-0.5, len(datasets) - 0.5)
        final_ax.margins(y=0.15)  # the differences between methods, not the distance from zero, are the result
        final_ax.yaxis.grid(True, lw=0.3, color="0.85")
        final_ax.set_ylabel("final test accuracy [%]")
        final_ax.set_title("last 5 epochs\n(- - BP+FA)", loc="left", fontsize=7)
        reduced = ", digits: reduced network" if "digits" in datasets else ""
        seeds = counted(ds.sizes["seed"], "seed")
        fig.suptitle(f"Fig 8: CNN training ({seeds}, {len(epochs)} epochs{reduced})", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["dataset", "method", "quantity", "epoch", "value"])


def fig8_table(training):
    """The methods × datasets table of fig 8: final test accuracy (last 5 epochs), mean ± std over seeds."""
    datasets = list(training["dataset"].values)
    methods = [m for m in METHOD_ORDER if m in training["method"].values]
    final = _final_accuracy(training)
    rows, cells = [], []
    mean, std = final.mean("seed"), final.std("seed")
    for m in methods:
        at = [{"method": m, "dataset": d} for d in datasets]  # not sel(method=...): that is sel's own keyword
        spread = training.sizes["seed"] > 1  # no "± 0.0" for a single seed
        cells.append([f"{float(mean.sel(k)):.1f}" + (f" ± {float(std.sel(k)):.1f}" if spread else "") for k in at])
        rows += [(m, d, float(mean.sel(k)), float(std.sel(k)), training.sizes["seed"]) for d, k in zip(datasets, at)]
    with style():
        # the row labels are the first column of the table itself, so that the table lies inside the axes
        fig, ax = plt.subplots(figsize=(1.0 + 1.3 * len(datasets), 0.55 + 0.2 * (len(methods) + 1)),
                               layout="constrained")
        ax.axis("off")
        table = ax.table(cellText=[[method(m).label, *row] for m, row in zip(methods, cells)],
                         colLabels=["method", *(DATASET_LABEL[d] for d in datasets)], loc="upper center",
                         cellLoc="center", colWidths=[0.6 / (1.3 * len(datasets) + 0.6)]
                         + [1.3 / (1.3 * len(datasets) + 0.6)] * len(datasets), bbox=[0, 0, 1, 1])
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        over = (f"mean ± std over {counted(training.sizes['seed'], 'seed')}" if training.sizes["seed"] > 1
                else "1 seed")
        ax.set_title(f"Fig 8 table: final test accuracy [%]\n(last 5 epochs; {over})", fontsize=7)
    return fig, pd.DataFrame(rows, columns=["method", "dataset", "accuracy_mean", "accuracy_std", "seeds"])


def fig8_epoch_seconds() -> float:
    """Simulated time of fig 8's SAL phase per training epoch: ``SALPhase``'s defaults, which are fig 8's phase
    (5 blocks of 2000 steps, 32 copies, 1 ms per step: 320 s)."""
    d = {k: v.default for k, v in inspect.signature(SALPhase).parameters.items()}
    return simulated_seconds(d["blocks_per_epoch"] * d["block_steps"], d["batch"])


def fig9(salnet):
    """Pure SAL with frozen random W: seed-mean angle per FC layer over simulated time, one line per η; the top
    axis gives the time in fig-8 epochs of SAL phase. Time is logarithmic: doubling η shifts a curve left by a
    constant (speed), and each η's plateau stays visible however short its run (noise floor)."""
    ds = salnet
    per_epoch = fig8_epoch_seconds()
    etas = sorted(ds["eta"].values)
    layers = list(ds["layer"].values)
    t = ds["time"].values
    rows = []
    with style():
        fig, axes = plt.subplots(1, len(layers), figsize=(2.2 * len(layers), 2.2), layout="constrained",
                                 sharey=True)
        cmap = plt.get_cmap("viridis")
        for k, layer in enumerate(layers):
            for j, eta in enumerate(etas):
                angle = ds["angle"].sel(eta=eta, layer=layer).mean("seed").values
                n = int(np.isfinite(angle).sum())  # an η may have run fewer epochs (NaN after its last)
                angle = angle[:n]
                require_finite("fig9", angle)
                rows += [(layer, eta, ti, a) for ti, a in zip(t[:n], angle)]
                shown = t[:n] > 0  # the log axis starts after the first epoch (t = 0 holds the initial angle)
                axes[k].plot(t[:n][shown], angle[shown], color=cmap(j / max(len(etas) - 1, 1)), label=f"η = {eta:g}")
            axes[k].set_title(layer, loc="left")
            axes[k].set_xscale("log")
            axes[k].set_xlabel("simulated time [s]")
            top = axes[k].secondary_xaxis("top", functions=(lambda x: x / per_epoch, lambda e: e * per_epoch))
            top.set_xlabel("fig-8 epochs", fontsize=6)
        axes[0].set_ylabel("angle(W, B) [deg]")
        axes[0].legend()
        p = next(iter(parameters(ds)["runs"].values()))
        fig.suptitle(f"Fig 9: SALNet {p['sizes']}, frozen random W, {counted(ds.sizes['seed'], 'seed')}", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["layer", "eta", "time_s", "angle_deg"])


SCALING_PANELS = (("gap", "accuracy gap to BP [pp]", "test accuracy: BP − method"),
                  ("feedback_angle", "angle(W, B) [deg]", "feedback angle (used B)"),
                  ("gradient_angle", "angle to BP's gradient [deg]", "gradient angle (hidden layers)"))


def fig_s4(scaling):
    """Beyond the paper: accuracy gap to BP, feedback angle and gradient alignment of the final epoch against
    depth (top row) and width (bottom row), for each method compared with BP; every seed a small point, the
    seed mean a line. Table: every plotted value."""
    metrics = scaling_metrics(scaling)
    methods = [m for m in SCALING_ORDER if m in scaling["method"].values]
    sweeps = [s for s in ("depth", "width") if metrics[f"in_{s}_sweep"].any()]
    seeds = metrics["seed"].values
    rows = []
    with style():
        fig, axes = plt.subplots(len(sweeps), len(SCALING_PANELS), figsize=(6.9, 2.2 * len(sweeps) + 0.5),
                                 layout="constrained", squeeze=False)
        for r, sweep in enumerate(sweeps):
            part = sweep_shapes(metrics, sweep)
            other = "width" if sweep == "depth" else "depth"
            x = part[sweep].values
            for c, (key, ylabel, title) in enumerate(SCALING_PANELS):
                ax = axes[r, c]
                for j, m in enumerate(methods):
                    look = method(m)
                    values = part[key].sel({"method": m}).transpose("shape", "seed").values
                    require_finite(f"figS4 {key} {m}", values)
                    jitter = 1 + 0.04 * (j - (len(methods) - 1) / 2)  # multiplicative: the x axes are log 2
                    ax.plot(np.repeat(x * jitter, len(seeds)), values.ravel(), look.marker, color=look.color,
                            ms=2, alpha=0.5, mew=0)
                    ax.plot(x * jitter, values.mean(1), marker=look.marker, ms=3.5, **look.line)
                    rows += [(sweep, int(d), int(w), m, int(s), key, float(v))
                             for d, w, vs in zip(part["depth"].values, part["width"].values, values)
                             for s, v in zip(seeds, vs)]
                ax.axhline(0, color="0.6", ls=":", lw=0.8)
                ax.set_xscale("log", base=2)
                ax.set_xticks(x, [str(v) for v in x])
                ax.xaxis.set_minor_locator(plt.NullLocator())
                ax.set_xlabel(f"{sweep} ({'hidden layers' if sweep == 'depth' else 'units per layer'}; "
                              f"{other} {int(part[other].values[0])})")
                ax.set_ylabel(ylabel)
                if key != "gap":
                    ax.set_ylim(-3, 100)
                if r == 0:
                    ax.set_title(title, loc="left", fontsize=7)
        handles = [plt.Line2D([], [], marker=method(m).marker, ms=3.5, **method(m).line) for m in methods]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(methods))
        dataset = parameters(scaling)["runs"][str(scaling["shape"].values[0])]["dataset"]
        fig.suptitle(f"Fig S4 (beyond the paper): fully connected networks on {DATASET_LABEL[dataset]}, "
                     f"{len(seeds)} seeds, {scaling.sizes['epoch']} epochs\nlast epoch per seed (points) and seed "
                     "mean (line); BP is 0 in every panel (dotted)", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["sweep", "depth", "width", "method", "seed", "quantity", "value"])


FIGURES = {"fig7_weight_scatter": fig7, "fig8_cnn_training": fig8, "fig8_methods_datasets": fig8_table,
           "fig9_salnet": fig9, "figS4_deepnet_scaling": fig_s4}
