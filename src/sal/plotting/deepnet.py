"""Figures of SAL in deep networks: fig 7 (weight scatter), fig 8 (CNN training), fig 9 (SALNet)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..store import parameters
from . import require_finite, style

ALGO = {"sal": ("SAL", "C0"), "rdd": ("RDD", "C1"), "stdwi": ("STDWI", "C2")}
METHOD = {"bp": ("BP", "k"), "bp_fa": ("BP+FA", "0.5"), "fa": ("FA", "C3"), "kp": ("KP", "C2"),
          "scfa": ("SC-FA", "C4"), "sal": ("SAL", "C0"), "rdd": ("RDD", "C1")}


def fig7(weight_scatter):
    """W against the learned feedback B for SAL, RDD and STDWI, and the angle between them over time."""
    ds = weight_scatter
    algos = list(ds["algorithm"].values)
    w = ds["W"].values.ravel()
    rows = []
    with style():
        fig, axes = plt.subplots(1, len(algos) + 1, figsize=(2.0 * (len(algos) + 1), 2.2), layout="constrained")
        for ax, algo in zip(axes, algos):
            label, colour = ALGO.get(str(algo), (str(algo), None))
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
            label, colour = ALGO.get(str(algo), (str(algo), None))
            angle = ds["angle"].sel(algorithm=algo).values
            ax.plot(t, angle, color=colour, label=label)
            rows += [(str(algo), ti, a) for ti, a in zip(t, angle)]
        ax.set_xlabel("time [s]")
        ax.set_ylabel("angle(W, B) [deg]")
        ax.legend()
        fix = "fixed" if not parameters(ds).get("rdd_official_bug", False) else "official, never updates"
        fig.suptitle(f"Fig 7: two populations of {ds.sizes['pre']}; RDD update counter {fix}", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["algorithm", "time_s", "angle_deg"])


def fig8(training):
    """Test accuracy per epoch (mean ± std over seeds), W-B angle per FC layer, final accuracy per method."""
    ds = training
    methods = [m for m in METHOD if m in ds["method"].values]
    epochs = ds["epoch"].values
    layers = list(ds["layer"].values)
    rows = []
    with style():
        fig, axes = plt.subplots(1, 2 + len(layers), figsize=(2.1 * (2 + len(layers)), 2.4), layout="constrained")
        for m in methods:
            label, colour = METHOD[m]
            acc = ds["test_accuracy"].sel({"method": m}).values  # (seed, epoch)
            require_finite(f"fig8 accuracy {m}", acc)
            axes[0].plot(epochs, acc.mean(0), color=colour, label=label)
            axes[0].fill_between(epochs, acc.mean(0) - acc.std(0), acc.mean(0) + acc.std(0), color=colour,
                                 alpha=0.15, lw=0)
            for k, layer in enumerate(layers):
                angle = ds["angle"].sel({"method": m, "layer": layer}).values
                init = ds["initial_angle"].sel({"method": m, "layer": layer}).values[:, None]
                a = np.concatenate([init, angle], axis=1).mean(0)
                axes[2 + k].plot(np.r_[0, epochs], a, color=colour, label=label)
                rows += [(m, layer, int(e), v) for e, v in zip(np.r_[0, epochs], a)]
            final = acc[:, -5:].mean(1)
            axes[1].bar(methods.index(m), final.mean(), yerr=final.std(), color=colour, capsize=2)
            rows.append((m, "final_test_accuracy", -1, float(final.mean())))
        if "bp_fa" in methods:
            bpfa = ds["test_accuracy"].sel({"method": "bp_fa"}).values[:, -5:].mean()
            axes[1].axhline(bpfa, color="0.5", ls="--", lw=0.8)
        axes[0].set_xlabel("epoch")
        axes[0].set_ylabel("test accuracy [%]")
        axes[0].legend(fontsize=5.5, ncols=2)
        axes[1].set_xticks(range(len(methods)))
        axes[1].set_xticklabels([METHOD[m][0] for m in methods], rotation=60, fontsize=6)
        lo = min(float(ds["test_accuracy"].isel(epoch=-1).min()) - 5, 90)
        axes[1].set_ylim(max(lo, 0), 100)
        axes[1].set_title("final (last 5 epochs)", loc="left")
        for k, layer in enumerate(layers):
            axes[2 + k].set_title(f"{layer}: angle(W, B)", loc="left")
            axes[2 + k].set_xlabel("epoch")
            axes[2 + k].set_ylim(-3, 100)
        p = next(iter(parameters(ds)["runs"].values()))
        fig.suptitle(f"Fig 8: CNN on {p['dataset']} ({ds.sizes['seed']} seeds, {len(epochs)} epochs"
                     f"{', reduced network' if p['dataset'] == 'digits' else ''})", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["method", "quantity", "epoch", "value"])


def fig9(salnet):
    """Pure SAL with frozen random W: seed-mean angle per FC layer over simulated time, one line per η."""
    ds = salnet
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
                require_finite("fig9", angle)
                axes[k].plot(t, angle, color=cmap(j / max(len(etas) - 1, 1)), label=f"η = {eta:g}")
                rows += [(layer, eta, ti, a) for ti, a in zip(t, angle)]
            axes[k].set_title(layer, loc="left")
            axes[k].set_xlabel("simulated time [s]")
        axes[0].set_ylabel("angle(W, B) [deg]")
        axes[0].legend()
        p = next(iter(parameters(ds)["runs"].values()))
        fig.suptitle(f"Fig 9: SALNet {p['sizes']}, frozen random W, {ds.sizes['seed']} seeds", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["layer", "eta", "time_s", "angle_deg"])


FIGURES = {"fig7_weight_scatter": fig7, "fig8_cnn_training": fig8, "fig9_salnet": fig9}
