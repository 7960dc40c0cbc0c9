"""Fig 6: spiking cortical microcircuits learning a teacher with BP, FA or SAL feedback."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..microcircuit.analysis import final_pattern
from ..microcircuit.params import parse_width
from ..store import parameters
from . import OKABE_ITO, log_axis, method, require_finite, style

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


def fig_scaling(scaling):
    """Beyond the paper: does SAL keep every hidden layer's feedback aligned as the circuit widens and
    deepens? One panel per (circuit, hidden layer l): angle between B_l and W_{l+1,l}ᵀ at the end of
    every epoch (median, and every run thin) per condition; last panel: final validation loss per circuit.
    Table: the plotted medians, minima and maxima."""
    ds = scaling
    widths = sorted(ds["width"].values, key=lambda w: (len(parse_width(w)), sum(parse_width(w))))
    conds = [c for c in CONDITIONS if c in ds["condition"].values]
    epochs = ds["epoch"].values
    panels = [(w, l) for w in widths for l in range(1, len(parse_width(w)) - 1)]
    rows = []
    n_rows = -(-(len(panels) + 1) // 4)
    n_cols = -(-(len(panels) + 1) // n_rows)
    with style():
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.1 * n_cols, 2.3 * n_rows), layout="constrained",
                                 squeeze=False)
        axes = axes.ravel()
        for ax in axes[len(panels) + 1:]:
            ax.set_axis_off()
        for k, (width, layer) in enumerate(panels):
            ax = axes[k]
            dims = parse_width(width)
            for cond in conds:
                look = method(cond)
                colour = look.color
                angle = ds["alignment_angle"].sel(width=width, condition=cond, hidden_layer=layer).values  # run, epoch
                require_finite(f"scaling angle {width} hidden layer {layer} {cond}", angle)
                lo, med, hi = angle.min(axis=0), np.median(angle, axis=0), angle.max(axis=0)
                ax.plot(epochs, angle.T, color=colour, ls=look.linestyle, lw=0.5, alpha=0.5)  # a 1-1-1 angle: 0 or 180
                ax.plot(epochs, med, color=colour, ls=look.linestyle, label=look.label,
                        marker=look.marker if epochs.size == 1 else None, ms=3)
                rows += [(str(width), layer, cond, int(e), "angle_deg", m, a, b)
                         for e, m, a, b in zip(epochs, med, lo, hi)]
            ax.axhline(90, color="gray", ls=":", lw=0.6)
            ax.set_ylim(-5, 185)
            ax.set_yticks([0, 45, 90, 135, 180])
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            if k % n_cols == 0:
                ax.set_ylabel(r"angle($B_l$, $W_{l+1,l}^T$) [deg]")
            depth_note = f"\nhidden layer {layer} of {len(dims) - 2}" if len(dims) > 3 else ""
            ax.set_title(f"dims [{', '.join(map(str, dims))}]{depth_note}", loc="left")
        ax = axes[len(panels)]
        x = np.arange(len(widths))
        for j, cond in enumerate(conds):
            look = method(cond)
            final = np.array([ds["validation_loss"].sel(width=w, condition=cond).values[:, -1] for w in widths])
            require_finite(f"scaling loss {cond}", final)
            # circuits are categories: points (offset per condition), no line between them
            ax.plot(x + 0.15 * (j - (len(conds) - 1) / 2), np.median(final, axis=1), look.marker, color=look.color, ms=3.5,
                    label=look.label)
            rows += [(str(w), None, cond, int(epochs[-1]), "final_validation_loss", float(np.median(f)),
                      float(f.min()), float(f.max())) for w, f in zip(widths, final)]
        ax.set_xticks(x)
        ax.set_xticklabels([str(w) for w in widths], fontsize=6, rotation=30, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.5, len(widths) - 0.5)
        log_axis(ax)
        ax.set_xlabel("circuit n0xn1x...xnL")
        ax.set_title("final validation loss (median)", loc="left")
        handles = [plt.Line2D([], [], color=method(c).color, ls=method(c).linestyle, marker=method(c).marker, ms=3.5,
                              label=method(c).label) for c in conds]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(conds), title="feedback")
        fig.suptitle(f"Microcircuit width and depth study (beyond the paper): {ds.sizes['run']} runs per point, "
                     f"{len(epochs)} epochs\nangle($B_l$, $W_{{l+1,l}}^T$) of every hidden layer $l$ at the end of "
                     "each epoch (thick: median; thin: single runs)", fontsize=8)
    table = pd.DataFrame(rows, columns=["width", "hidden_layer", "condition", "epoch", "quantity", "median", "min",
                                        "max"])
    table["hidden_layer"] = table["hidden_layer"].astype("Int64")
    return fig, table


FIGURES = {"fig6_microcircuit": fig6, "figS3_microcircuit_scaling": fig_scaling}
