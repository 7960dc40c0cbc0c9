"""Fig 6: spiking cortical microcircuits learning a teacher with BP, FA or SAL feedback."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..microcircuit.analysis import final_pattern
from ..microcircuit.params import parse_width
from ..store import parameters
from . import GREY, OKABE_ITO, MethodStyle, log_axis, method, require_finite, style

CONDITIONS = ("sal", "bp", "fa")  # drawn in this order; their look: sal.plotting.METHODS
WEIGHT_COLOURS = {"W10": OKABE_ITO["orange"], "W21": OKABE_ITO["bluish green"], "B1": OKABE_ITO["reddish purple"]}
TEACHER = 2.0
PAPER_NAME = {"B1": "B"}  # the paper's [1, 1, 1] circuit has one feedback weight, B (the run's B1)
OFFICIAL_TRACE_RUN = 11  # the run whose weights the official notebook draws in 6b (else our first run)


def fig6(teacher_student):
    """6b top: validation loss per epoch (median, IQR); 6b bottom: one SAL run's weights over the first
    50 epochs; 6c: final loss and the weights at the first pattern of the last epoch (``final_pattern``)
    of every run per condition (points and box)."""
    ds = teacher_student
    conds = [c for c in CONDITIONS if c in ds["condition"].values]
    epochs = ds["epoch"].values
    rows = {"epoch": epochs}
    finals = []
    with style():
        fig = plt.figure(figsize=(7.0, 4.6), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
        ax_loss, ax_w = top.subplots(1, 2)
        ax_final = bottom.subplots(1, 4)
        for cond in conds:
            look = method(cond)
            colour = look.color
            loss = ds["validation_loss"].sel(condition=cond).values  # (run, epoch)
            require_finite(f"fig6 loss {cond}", loss)
            lo, med, hi = np.quantile(loss, [0.25, 0.5, 0.75], axis=0)
            ax_loss.fill_between(epochs, lo, hi, color=colour, alpha=0.2, lw=0)
            ax_loss.plot(epochs, med, color=colour, ls=look.linestyle, label=f"{look.label} ({loss.shape[0]} runs)")
            rows.update({f"loss_{cond}_q25": lo, f"loss_{cond}_median": med, f"loss_{cond}_q75": hi})
            last = ds.sel(condition=cond).isel(pattern=final_pattern(ds))
            for k, name in enumerate(("validation_loss", "W10", "W21", "B1")):
                values = (loss[:, -1] if name == "validation_loss" else last[name].values.reshape(len(loss), -1)[:, 0])
                x = conds.index(cond) + np.linspace(-0.15, 0.15, values.size)
                ax_final[k].boxplot(values, positions=[conds.index(cond)], widths=0.5, showfliers=False,
                                    medianprops={"color": colour})
                ax_final[k].plot(x, values, look.marker, ms=2.5, color=colour, alpha=0.7)
                finals += [(cond, int(r), PAPER_NAME.get(name, name), v) for r, v in zip(ds["run"].values, values)]
        log_axis(ax_loss)
        ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("validation loss")
        ax_loss.set_title("6b: validation loss (median, IQR over runs)", loc="left")
        ax_loss.legend()
        # one SAL run's weights over the first 50 epochs
        if "sal" in conds:
            runs = list(ds["run"].values)
            run0 = OFFICIAL_TRACE_RUN if OFFICIAL_TRACE_RUN in runs else runs[0]
            one = ds.sel(condition="sal", run=run0)
            shown = one["pattern_epoch"].values < 50
            per_epoch = np.bincount(one["pattern_epoch"].values)[0]
            t = one["pattern"].values[shown] / per_epoch
            for name, colour in WEIGHT_COLOURS.items():
                label = PAPER_NAME.get(name, name)
                w = one[name].values.reshape(one.sizes["pattern"], -1)[shown, 0]
                ax_w.plot(t, w, color=colour, label=label)
                rows_w = pd.DataFrame({"epoch": t, name: w})
                finals += [("sal_trace", int(run0), f"{label}@{e:.3f}", v) for e, v in zip(rows_w["epoch"], w)]
            ax_w.axhline(TEACHER, color="gray", ls="--", lw=0.8)
            ax_w.set_xlabel("epoch")
            ax_w.set_ylabel("weight")
            ax_w.set_title(f"6b: SAL run {run0}, first 50 epochs (dashed: teacher)", loc="left")
            ax_w.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))  # beside the traces, not on them
        for k, (name, title) in enumerate((("validation_loss", "final loss"), ("W10", "W10"), ("W21", "W21"),
                                           ("B1", PAPER_NAME["B1"]))):
            ax = ax_final[k]
            ax.set_xticks(range(len(conds)))
            ax.set_xticklabels([method(c).label for c in conds])
            ax.set_title(f"6c: {title}" + ("" if name == "validation_loss" else " (last epoch)"), loc="left")
            if name == "validation_loss":
                log_axis(ax)
            else:
                ax.axhline(TEACHER, color="gray", ls="--", lw=0.8)
        p = next(iter(parameters(ds)["runs"].values()))
        fig.suptitle(f"Fig 6: teacher-student microcircuit {p['dims']}, {p['epochs']} epochs of "
                     f"{p['steps_per_pattern']} steps per pattern", fontsize=8)
    table = pd.concat([pd.DataFrame(rows), pd.DataFrame(finals, columns=["condition", "run", "quantity", "value"])],
                      axis=1)
    return fig, table


SCALING_CONDITIONS = ("sal", "fa", "bp", "out")  # drawn in this order
#: the control of the width and depth study: the BP circuit with frozen hidden layers (no method of METHODS)
CONTROL = MethodStyle("output only", GREY, (0, (5, 1.5, 1, 1.5)), "X")


def _look(cond) -> MethodStyle:
    return CONTROL if cond == "out" else method(cond)


def _one_neuron_layers(width) -> bool:
    """A circuit such as [1, 1, 1]: its angles are 0° or 180°, so it shows the sign agreement instead."""
    return all(n == 1 for n in parse_width(width))


def _runs_and_median(ax, epochs, values, look, rows, key):
    """Every run thin, the median over runs thick; the median, minimum and maximum go to ``rows``."""
    lo, med, hi = values.min(axis=0), np.median(values, axis=0), values.max(axis=0)
    ax.plot(epochs, values.T, color=look.color, ls=look.linestyle, lw=0.4, alpha=0.45)
    ax.plot(epochs, med, color=look.color, ls=look.linestyle, lw=1.3, marker=look.marker if epochs.size == 1 else None,
            ms=3)
    rows += [(*key, int(e), m, a, b) for e, m, a, b in zip(epochs, med, lo, hi)]


def fig_scaling(scaling):
    """Beyond the paper: does learning below the top layer, and SAL's alignment of every hidden layer's
    feedback, hold up as the microcircuit widens and deepens? One column per circuit: top, validation loss
    per epoch of SAL, FA, BP and the output-only control (BP circuit with frozen hidden layers: what
    learning below the top layer adds); below, per hidden layer l, angle(B_l, W_{l+1,l}ᵀ) at the end of each
    epoch (SAL, FA, BP), or for a circuit of one-neuron layers the fraction of runs whose B has W21's
    sign. Thin: single runs; thick: median. Table: the plotted medians (fractions), minima and maxima."""
    ds = scaling
    widths = sorted(ds["width"].values, key=lambda w: (len(parse_width(w)), sum(parse_width(w))))
    conds = [c for c in SCALING_CONDITIONS if c in ds["condition"].values]
    fed_back = [c for c in conds if c != "out"]  # the control's B is BP's
    epochs = ds["epoch"].values
    n_runs = ds.sizes["run"]
    top, bottom = [], []
    for k, width in enumerate(widths):
        layers = range(1, len(parse_width(width)) - 1)
        top += [f"loss{k}"] * len(layers)
        bottom += [f"fb{k}_{l}" for l in layers]
    rows = []
    with style():
        fig, axes = plt.subplot_mosaic([top, bottom], figsize=(1.75 * len(top) + 0.4, 4.3), layout="constrained")
        for k, width in enumerate(widths):
            dims = parse_width(width)
            ax = axes[f"loss{k}"]
            for cond in conds:
                loss = ds["validation_loss"].sel(width=width, condition=cond).values  # run, epoch
                require_finite(f"scaling loss {width} {cond}", loss)
                _runs_and_median(ax, epochs, loss, _look(cond), rows, (str(width), None, cond, "validation_loss"))
            log_axis(ax)
            ax.set_title(f"dims [{', '.join(map(str, dims))}]", loc="left")
            ax.set_xlabel("epoch")
            if k == 0:
                ax.set_ylabel("validation loss (free output)")
            for l in range(1, len(dims) - 1):
                ax = axes[f"fb{k}_{l}"]
                for cond in fed_back:
                    look = _look(cond)
                    at = ds.sel(width=width, condition=cond, hidden_layer=l)
                    if _one_neuron_layers(width):
                        agree = at["sign_agreement"].values  # run, epoch: 1 or 0
                        require_finite(f"scaling sign agreement {width} {cond}", agree)
                        share = agree.mean(axis=0)
                        ax.plot(epochs, share, color=look.color, ls=look.linestyle, lw=1.3,
                                marker=look.marker if epochs.size == 1 else None, ms=3)
                        rows += [(str(width), l, cond, "runs_with_sign_of_W", int(e), f, float(agree[:, i].min()),
                                  float(agree[:, i].max())) for i, (e, f) in enumerate(zip(epochs, share))]
                    else:
                        angle = at["alignment_angle"].values
                        require_finite(f"scaling angle {width} hidden layer {l} {cond}", angle)
                        _runs_and_median(ax, epochs, angle, look, rows, (str(width), l, cond, "angle_deg"))
                if _one_neuron_layers(width):
                    ax.set_ylim(-0.05, 1.05)
                    ax.set_ylabel(f"runs with sign(B) = sign(W21)\n(fraction of {n_runs})")
                else:
                    ax.axhline(90, color="gray", ls=":", lw=0.6)
                    ax.set_ylim(-5, 185)
                    ax.set_yticks([0, 45, 90, 135, 180])
                    if k == 1 or (k == 0 and not _one_neuron_layers(width)):
                        ax.set_ylabel(r"angle($B_l$, $W_{l+1,l}^T$) [deg]")
                ax.set_xlabel("epoch")
                ax.set_title(f"hidden layer {l} of {len(dims) - 2}" if len(dims) > 3 else
                             ("sign of B" if _one_neuron_layers(width) else "feedback angle"), loc="left", fontsize=7)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            axes[f"loss{k}"].xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        handles = [plt.Line2D([], [], color=_look(c).color, ls=_look(c).linestyle, lw=1.3, label=_look(c).label)
                   for c in conds]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(conds))
        fig.suptitle(f"Microcircuit width and depth study (beyond the paper): {n_runs} runs per line, {len(epochs)} "
                     "epochs (thick: median; thin: single runs)", fontsize=8)
    table = pd.DataFrame(rows, columns=["width", "hidden_layer", "condition", "quantity", "epoch", "median", "min",
                                        "max"])
    table["hidden_layer"] = table["hidden_layer"].astype("Int64")
    return fig, table


FIGURES = {"fig6_microcircuit": fig6, "figS3_microcircuit_scaling": fig_scaling}
