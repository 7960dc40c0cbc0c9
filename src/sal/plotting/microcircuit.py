"""Fig 6: spiking cortical microcircuits learning a teacher with BP, FA or SAL feedback."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..store import parameters
from . import require_finite, style

COND = {"sal": ("SAL", "C0"), "bp": ("BP", "k"), "fa": ("FA", "C3")}
TEACHER = 2.0


def fig6(teacher_student):
    """6b top: validation loss per epoch (median, IQR); 6b bottom: one SAL run's weights over the first
    50 epochs; 6c: final loss and weights of every run per condition (points and box)."""
    ds = teacher_student
    conds = [c for c in COND if c in ds["condition"].values]
    epochs = ds["epoch"].values
    rows = {"epoch": epochs}
    finals = []
    with style():
        fig = plt.figure(figsize=(7.0, 4.6), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
        ax_loss, ax_w = top.subplots(1, 2)
        ax_final = bottom.subplots(1, 4)
        for cond in conds:
            label, colour = COND[cond]
            loss = ds["validation_loss"].sel(condition=cond).values  # (run, epoch)
            require_finite(f"fig6 loss {cond}", loss)
            lo, med, hi = np.quantile(loss, [0.25, 0.5, 0.75], axis=0)
            ax_loss.fill_between(epochs, lo, hi, color=colour, alpha=0.2, lw=0)
            ax_loss.plot(epochs, med, color=colour, label=f"{label} ({loss.shape[0]} runs)")
            rows.update({f"loss_{cond}_q25": lo, f"loss_{cond}_median": med, f"loss_{cond}_q75": hi})
            last = ds.sel(condition=cond).isel(pattern=-1)
            for k, name in enumerate(("validation_loss", "W10", "W21", "B")):
                values = (loss[:, -1] if name == "validation_loss" else last[name].values.reshape(len(loss), -1)[:, 0])
                x = conds.index(cond) + np.linspace(-0.15, 0.15, values.size)
                ax_final[k].boxplot(values, positions=[conds.index(cond)], widths=0.5, showfliers=False,
                                    medianprops={"color": colour})
                ax_final[k].plot(x, values, "o", ms=2.5, color=colour, alpha=0.7)
                finals += [(cond, int(r), name, v) for r, v in zip(ds["run"].values, values)]
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("validation loss")
        ax_loss.set_title("6b: validation loss (median, IQR over runs)", loc="left")
        ax_loss.legend()
        # one SAL run's weights over the first 50 epochs
        if "sal" in conds:
            run0 = ds["run"].values[0]
            one = ds.sel(condition="sal", run=run0)
            shown = one["pattern_epoch"].values < 50
            per_epoch = np.bincount(one["pattern_epoch"].values)[0]
            t = one["pattern"].values[shown] / per_epoch
            for name, colour in (("W10", "C1"), ("W21", "C2"), ("B", "C0")):
                w = one[name].values.reshape(one.sizes["pattern"], -1)[shown, 0]
                ax_w.plot(t, w, color=colour, label=name)
                rows_w = pd.DataFrame({"epoch": t, name: w})
                finals += [("sal_trace", int(run0), f"{name}@{e:.3f}", v) for e, v in zip(rows_w["epoch"], w)]
            ax_w.axhline(TEACHER, color="gray", ls="--", lw=0.8)
            ax_w.set_xlabel("epoch")
            ax_w.set_ylabel("weight")
            ax_w.set_title(f"6b: SAL run {run0}, first 50 epochs (dashed: teacher)", loc="left")
            ax_w.legend(ncols=3)
        for k, (name, title) in enumerate((("validation_loss", "final loss"), ("W10", "W10"), ("W21", "W21"),
                                           ("B", "B"))):
            ax = ax_final[k]
            ax.set_xticks(range(len(conds)))
            ax.set_xticklabels([COND[c][0] for c in conds])
            ax.set_title(f"6c: {title}", loc="left")
            if name == "validation_loss":
                ax.set_yscale("log")
            else:
                ax.axhline(TEACHER, color="gray", ls="--", lw=0.8)
        p = next(iter(parameters(ds)["runs"].values()))
        fig.suptitle(f"Fig 6: teacher-student microcircuit {p['dims']}, {p['epochs']} epochs of "
                     f"{p['steps_per_pattern']} steps per pattern", fontsize=8)
    table = pd.concat([pd.DataFrame(rows), pd.DataFrame(finals, columns=["condition", "run", "quantity", "value"])],
                      axis=1)
    return fig, table


def fig_scaling(scaling):
    """Beyond the paper: does SAL keep feedback aligned as the circuit widens? Angle between B and W21ᵀ
    per epoch for each width (median and range over runs), and the final validation loss per width."""
    ds = scaling
    widths = sorted(ds["width"].values, key=lambda w: sum(int(n) for n in str(w).split("x")))
    conds = [c for c in COND if c in ds["condition"].values]
    epochs = ds["epoch"].values
    rows = []
    with style():
        fig, axes = plt.subplots(1, len(widths) + 1, figsize=(2.0 * (len(widths) + 1), 2.4), layout="constrained",
                                 squeeze=False)
        for k, width in enumerate(widths):
            ax = axes[0, k]
            for cond in conds:
                label, colour = COND[cond]
                angle = ds["alignment_angle"].sel(width=width, condition=cond).values  # (run, epoch)
                require_finite(f"scaling angle {width} {cond}", angle)
                med = np.median(angle, axis=0)
                ax.fill_between(epochs, angle.min(axis=0), angle.max(axis=0), color=colour, alpha=0.2, lw=0)
                ax.plot(epochs, med, color=colour, label=label)
                rows += [(str(width), cond, int(e), m) for e, m in zip(epochs, med)]
            ax.set_ylim(-5, 185)
            ax.set_yticks([0, 45, 90, 135, 180])
            ax.set_xlabel("epoch")
            ax.set_title(f"dims [{', '.join(str(width).split('x'))}]", loc="left")
        axes[0, 0].set_ylabel(r"angle($B$, $W_{21}^T$) [deg]")
        axes[0, 0].legend()
        ax = axes[0, -1]
        x = np.arange(len(widths))
        for j, cond in enumerate(conds):
            label, colour = COND[cond]
            final = np.array([ds["validation_loss"].sel(width=w, condition=cond).values[:, -1] for w in widths])
            require_finite(f"scaling loss {cond}", final)
            ax.plot(x + 0.1 * (j - 1), np.median(final, axis=1), "o-", color=colour, ms=3, label=label)
            rows += [(str(w), cond, -1, float(np.median(f))) for w, f in zip(widths, final)]
        ax.set_xticks(x)
        ax.set_xticklabels([str(w) for w in widths], fontsize=6)
        ax.set_yscale("log")
        ax.set_title("final validation loss", loc="left")
        fig.suptitle(f"Microcircuit width study (beyond the paper): {ds.sizes['run']} runs per point", fontsize=8)
    return fig, pd.DataFrame(rows, columns=["width", "condition", "epoch", "median (angle deg or final loss)"])


FIGURES = {"fig6_microcircuit": fig6, "figS3_microcircuit_scaling": fig_scaling}
