"""Figures of the SAL principle: 2c, 2d, 2e, 11, 12 and the analytic-vs-simulated STDD check.

Each function takes the datasets of its figure and returns (Figure, DataFrame): the figure and the
numbers it plots (written next to it as CSV).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors

from ..headline import counted
from ..principle.analysis import attractor_line
from ..store import parameters
from . import OKABE_ITO, require_finite, style

CAUSAL = "#88409c"  # purple: dt > 0, j after i
ANTICAUSAL = "#3787c0"  # blue: dt < 0
ANTICAUSAL_FILL = "#abd0e6"
NULLCLINE = OKABE_ITO["vermillion"]  # where SAL's drift of W_ji vanishes (as in fig 10)
MARK = OKABE_ITO["vermillion"]  # a marked point (fig 11: the weights of the row-2 STDDs)
CONDITION_LABELS = {"both_plastic": "both plastic", "w_ij_fixed": r"$W_{ij}$ fixed"}
RUN_STYLE = {  # fig 2d/2e: condition -> (colour of W_ji, colour of W_ij, marker)
    "both_plastic": ("darkred", "red", "o"),
    "w_ij_fixed": ("dimgray", "darkgray", "s"),
}


def _mathtext(text: str) -> str:
    """A stored label's "tau_ref" as the symbol the figures use."""
    return text.replace("tau_ref", r"$\tau_\mathrm{ref}$")


def _tau_ticks(ax, tau, labels=True):
    ax.set_xticks([-tau, 0, tau])
    ax.set_xticklabels([r"$-\tau_\mathrm{ref}$", "0", r"$\tau_\mathrm{ref}$"] if labels else [])


def fig2c(stdd_examples):
    """STDDs of an asymmetric pair (halves filled) vs the symmetric pair (dashed), and the SAL window."""
    ds = stdd_examples
    tau = parameters(ds)["tau_ref"]
    lags = ds["lag"].values
    right, left = lags > 0, lags < 0
    with style():
        fig, axes = plt.subplots(3, 1, figsize=(3.0, 4.2), height_ratios=[2, 2, 1.3], layout="constrained")
        for ax, name in zip(axes[:2], ds["example"].values):
            pa = ds["p_asym"].sel(example=name).values
            ps = ds["p_sym"].sel(example=name).values
            require_finite(f"fig2c {name}", pa[lags != 0], ps[lags != 0])
            ax.fill_between(lags[left], pa[left], color=ANTICAUSAL_FILL, lw=0)
            ax.plot(lags[left], pa[left], color=ANTICAUSAL)
            ax.fill_between(lags[right], pa[right], color=CAUSAL, alpha=0.5, lw=0)
            ax.plot(lags[right], pa[right], color=CAUSAL)
            ax.plot(lags[left], ps[left], "--k", lw=1)
            ax.plot(lags[right], ps[right], "--k", lw=1)
            w_ji, w_ij = float(ds["w_ji"].sel(example=name)), float(ds["w_ij"].sel(example=name))
            w_sym = float(ds["w_sym"].sel(example=name))
            ax.set_title(f"{name}: $W_{{ji}}/W_{{ij}}$ = {w_ji:g}/{w_ij:g} vs {w_sym:g}/{w_sym:g}\n"
                         rf"SAL: $\Delta W_{{ji}}={float(ds['dw_ji'].sel(example=name)):+.4f}$", loc="left")
            ax.text(0.45, 0.93, "anti-causal", transform=ax.transAxes, ha="right", va="top", color=ANTICAUSAL)
            ax.text(0.55, 0.93, "causal", transform=ax.transAxes, ha="left", va="top", color=CAUSAL)
            ax.set_ylim(0, 1.35 * np.nanmax(np.concatenate([pa, ps])))
            ax.set_ylabel(r"$p(\Delta t_{ji})$")
            _tau_ticks(ax, tau)
        handles = [plt.Line2D([], [], color="gray", label=r"$W_{ji}\neq W_{ij}$"),
                   plt.Line2D([], [], ls="--", color="k", lw=1, label=r"$W_{ji}=W_{ij}$")]
        fig.legend(handles=handles, loc="outside upper center", ncols=2)
        ax = axes[2]
        k = ds["sal_window"].values
        ax.plot(lags[left], k[left], color="gray")
        ax.plot(lags[right], k[right], color="gray")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_ylabel(r"$K(\Delta t)$ for $W_{ji}$")
        ax.set_xlabel(r"$\Delta t_{ji} = t_j - t_i$ [steps]")
        _tau_ticks(ax, tau)
    table = ds[["p_asym", "p_sym", "sal_window"]].to_dataframe().reset_index()
    return fig, table


def fig2d(weight_evolution):
    """Weight trajectories under SAL: median over seeds with the full range shaded."""
    ds = weight_evolution
    t = ds["time"].values
    rows = {"t_s": t}
    with style():
        fig, ax = plt.subplots(figsize=(3.4, 2.2), layout="constrained")
        for cond in ds["condition"].values:
            c_ji, c_ij, _ = RUN_STYLE.get(str(cond), ("C0", "C1", "o"))
            plastic = ds["plastic"].sel(condition=cond).values
            for var, colour, ls in (("w_ji", c_ji, "-"), ("w_ij", c_ij, "--")):
                w = ds[var].sel(condition=cond).values  # (seed, epoch)
                require_finite(f"fig2d {cond} {var}", w)
                med = np.median(w, axis=0)
                is_plastic = var in str(plastic).split(",")
                label = (f"{CONDITION_LABELS.get(str(cond), cond)}: $W_{{{var[2:]}}}$"
                         + ("" if is_plastic else " (fixed)"))
                ax.fill_between(t, w.min(axis=0), w.max(axis=0), color=colour, alpha=0.2, lw=0)
                ax.plot(t, med, ls, color=colour, label=label)
                rows[f"{cond}_{var}_median"] = med
                rows[f"{cond}_{var}_min"] = w.min(axis=0)
                rows[f"{cond}_{var}_max"] = w.max(axis=0)
        ax.set_xlabel(f"$t$ [s]  ({_mathtext(ds['time'].attrs['long_name'])})")
        ax.set_ylabel("weight")
        ax.set_title(f"median and range over {counted(ds.sizes['seed'], 'seed')}", loc="left")
        fig.legend(loc="outside lower center", ncols=2)
    return fig, pd.DataFrame(rows)


def fig2e(phase_plane, weight_evolution):
    """SAL phase plane: drift magnitude, direction, the W_ji nullcline and the fig-2d trajectories."""
    ds = phase_plane
    w = ds["w_ij"].values
    dw_ji, dw_ij = ds["dw_ji"].values, ds["dw_ij"].values  # [W_ji, W_ij]
    require_finite("fig2e drift", dw_ji, dw_ij)
    norm = np.hypot(dw_ji, dw_ij)
    norm = norm / norm.max()
    with style():
        fig, ax = plt.subplots(figsize=(3.2, 2.6), layout="constrained")
        cs = ax.contourf(w, w, norm, levels=15, cmap="GnBu", alpha=0.9)
        cb = fig.colorbar(cs, ax=ax, ticks=[0, 0.5, 1])
        cb.set_label(r"$\sqrt{\Delta W_{ij}^2+\Delta W_{ji}^2}$ / max")
        s = slice(None, None, 2)
        ax.quiver(w[s], w[s], dw_ij[s, s], dw_ji[s, s], pivot="mid", color="k", width=0.006)
        ax.contour(w, w, dw_ji, levels=[0], colors=NULLCLINE, linewidths=1.2)
        ax.plot([], [], color=NULLCLINE, label=r"$\Delta W_{ji}=0$")
        t = weight_evolution
        for cond in t["condition"].values:
            c_ji, _, marker = RUN_STYLE.get(str(cond), ("C0", "C1", "o"))
            x = t["w_ij"].sel(condition=cond).isel(seed=0).values
            y = t["w_ji"].sel(condition=cond).isel(seed=0).values
            ax.plot(x, y, "--", color=c_ji, lw=1.2)
            ax.plot(x[0], y[0], marker, color=c_ji, ms=5, mfc="none", mew=1.5,
                    label=f"fig 2d, {CONDITION_LABELS.get(str(cond), cond)}")
        ax.set_xlabel(r"$W_{ij}$")
        ax.set_ylabel(r"$W_{ji}$")
        ax.set_aspect("equal")
        ax.set_xlim(w[0], w[-1])
        ax.set_ylim(w[0], w[-1])
        ax.legend(loc="lower right", fontsize=6, frameon=True)
        p = parameters(ds)
        ax.set_title(rf"$\tau_\mathrm{{ref}}$={p['tau_ref']}, $b_i$={p['b_i']:g}, $b_j$={p['b_j']:g}", loc="left")
    table = ds[["dw_ji", "dw_ij"]].to_dataframe().reset_index()
    return fig, table


KERNEL_TITLES = {
    "rect": "rect. PSP\n" r"$\tau_\mathrm{syn}=\tau_\mathrm{ref}$",
    "alpha_short": r"$\alpha$-PSP (short)" "\n" r"$\tau_\mathrm{syn}=\tau_\mathrm{ref}/3$",
    "alpha_long": r"$\alpha$-PSP (long)" "\n" r"$\tau_\mathrm{syn}=\tau_\mathrm{ref}/2$",
}


def fig11(psp_shapes):
    """PSP shapes: kernels, STDDs at W = 1/1, attractor lines and their deviation from the diagonal."""
    ds = psp_shapes
    p = parameters(ds)
    kernels = ds["kernel"].values
    b = ds["b_i"].values
    w = ds["w_ji"].values
    anti = [(bi, -bi) for bi in b if np.isclose(-bi, b).any()]
    diff_norm = colors.Normalize(-2 * abs(b).max(), 2 * abs(b).max())
    cmap_lines = plt.get_cmap("viridis")
    dev = ds["deviation"].values
    require_finite("fig11 deviation", dev)
    dev_norm = colors.Normalize(0, dev.max())
    line_rows = []
    with style():
        # a narrow last column holds the row-2 legend and the row-3/4 colour bars, next to their rows
        fig, grid = plt.subplots(4, len(kernels) + 1, figsize=(6.4, 6.4), height_ratios=[0.6, 0.8, 1.4, 1.4],
                                 width_ratios=[1] * len(kernels) + [0.06], layout="constrained", squeeze=False)
        axes, side = grid[:, :-1], grid[:, -1]
        side[0].axis("off")
        side[1].axis("off")
        tau1 = p["kernel_plot"]["tau_ref"]
        tau2 = p["stdd_row"]["tau_ref"]
        pair_colours = [cmap_lines(diff_norm(bj - bi)) for bi, bj in zip(ds["pair_b_i"].values, ds["pair_b_j"].values)]
        for c, kern in enumerate(kernels):
            ax = axes[0, c]
            ax.plot(ds["t"].values, ds["kappa"].sel(kernel=kern).values)
            ax.set_xticks([0, tau1])
            ax.set_xticklabels(["0", r"$\tau_\mathrm{ref}$"])
            ax.set_title(KERNEL_TITLES.get(str(kern), str(kern)))
            ax = axes[1, c]
            for k, colour in enumerate(pair_colours):
                prob = ds["p"].sel(kernel=kern).isel(bias_pair=k).values
                require_finite("fig11 STDD", prob)
                ax.plot(ds["lag"].values, prob, color=colour,
                        label=rf"$(b_i, b_j)$ = ({float(ds['pair_b_i'][k]):g}, {float(ds['pair_b_j'][k]):g})")
            _tau_ticks(ax, tau2)
            ax.set_yticks([])
            ax = axes[2, c]
            for bi, bj in anti:
                grid = ds["dw_ji"].sel(kernel=kern, b_i=bi, b_j=bj).values
                line = attractor_line(w, grid, upscale=p["attractor"]["upscale"])
                ax.plot(line[:, 0], line[:, 1], ".", ms=1.5, color=cmap_lines(diff_norm(bj - bi)))
                line_rows += [(str(kern), bi, bj, x, y) for x, y in line]
            ax.plot([w[0], w[-1]], [w[0], w[-1]], "k--", lw=1)
            w_row2 = p["stdd_row"]["w"]
            ax.plot(w_row2, w_row2, "o", mfc="none", ms=6, mew=1.2, color=MARK, zorder=3,
                    label=f"({w_row2:g}, {w_row2:g}): STDDs of row 2")
            ax.set_xlim(w[0], w[-1])
            ax.set_ylim(w[0], w[-1])
            ax.set_aspect("equal")
            ax.set_xlabel(r"$W_{ij}$")
            ax = axes[3, c]
            ax.contourf(b, b, dev[c].T, levels=10, cmap="YlOrRd", norm=dev_norm)  # x = b_i, y = b_j
            for bi, bj in anti:
                ax.plot(bi, bj, "s", mfc="none", ms=5, color=cmap_lines(diff_norm(bj - bi)), clip_on=False)
            ax.set_aspect("equal")
            ax.set_xlabel(r"$b_i$")
        axes[0, 0].set_ylabel(r"$\kappa(t)$")
        axes[1, 0].set_ylabel(r"$p(\Delta t_{ji})$")
        axes[2, 0].set_ylabel(r"$W_{ji}$ where $\Delta W_{ji}=0$")
        axes[3, 0].set_ylabel(r"$b_j$")
        fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="outside upper center", ncols=len(pair_colours),
                   title="row 2 (colours as the $b_j - b_i$ scale of row 3)", title_fontsize=6.5)
        axes[2, 0].legend(loc="upper left", fontsize=6, handletextpad=0.3, borderaxespad=0.2)
        fig.colorbar(plt.cm.ScalarMappable(diff_norm, cmap_lines), cax=side[2], label=r"$b_j - b_i$")
        fig.colorbar(plt.cm.ScalarMappable(dev_norm, "YlOrRd"), cax=side[3],
                     label="mean rel. deviation of\nattractor from diagonal")
    table = pd.DataFrame(line_rows, columns=["kernel", "b_i", "b_j", "w_ij", "w_ji_attractor"])
    dev_table = ds["deviation"].to_dataframe().reset_index()
    return fig, pd.concat([table, dev_table], ignore_index=True)


def fig12(proof):
    """The proof quantities delta(t) and Delta(t) for an excitatory and an inhibitory perturbation."""
    ds = proof
    tau = parameters(ds)["tau_ref"]
    t = ds["t"].values
    with style():
        fig, axes = plt.subplots(2, ds.sizes["example"], figsize=(5.6, 3.4), layout="constrained",
                                 squeeze=False, sharex=True)
        for c, name in enumerate(ds["example"].values):
            w, eps = float(ds["w"].sel(example=name)), float(ds["epsilon"].sel(example=name))
            d = ds["delta"].sel(example=name).values
            big = ds["Delta"].sel(example=name).values
            require_finite("fig12", d, big)
            ax = axes[0, c]
            ax.plot(t, d, ".-", ms=2)
            ax.set_title(f"{name}: $W_{{ji}}/W_{{ij}}$ = {w:g}/{w:g}\n"
                         f"→ {w + eps:g}/{w - eps:g}", loc="left")
            ax.set_ylabel(r"$\delta(t)$")
            axes[1, c].plot(t, big)
            axes[1, c].set_ylabel(r"$\Delta(t)$")
            axes[1, c].set_xlabel(r"$t = |t_j - t_i|$ [steps]")
            axes[1, c].set_title(rf"min$_{{t>0}}\,\Delta(t)$ = {big[1:].min():.1e}", loc="left")
            for ax in axes[:, c]:
                ax.axhline(0, color="k", lw=0.8)
                ax.axvline(tau, color="gray", lw=0.8)
                ax.set_xticks([0, tau])
                ax.set_xticklabels(["0", r"$\tau_\mathrm{ref}$"])
    table = ds[["delta", "Delta"]].to_dataframe().reset_index()
    return fig, table


def fig_stdd_simulation(stdd_vs_simulation):
    """Analytic STDDs (lines) against simulated histograms (steps, ±2 s.e.) for each case."""
    ds = stdd_vs_simulation
    lags = ds["lag"].values
    cases = ds["case"].values
    with style():
        fig, axes = plt.subplots(1, len(cases), figsize=(2.2 * len(cases), 2.0), layout="constrained",
                                 squeeze=False, sharey=True)
        for ax, case in zip(axes[0], cases):
            sim = ds["p_sim"].sel(case=case).values
            err = ds["p_err"].sel(case=case).values
            ana = ds["p_ana"].sel(case=case).values
            require_finite("stdd vs simulation", sim, ana)
            ok = lags != 0
            ax.fill_between(lags[ok], (sim - 2 * err)[ok], (sim + 2 * err)[ok], step="mid", color="C0", alpha=0.3, lw=0)
            ax.step(lags[ok], sim[ok], where="mid", color="C0", lw=0.8, label="simulated ±2 s.e.")
            ax.plot(lags[ok], ana[ok], ".", color="k", ms=2.5, label="analytic")
            rel = abs(float(ds["dw_sim"].sel(case=case)) / float(ds["dw_ana"].sel(case=case)) - 1)
            ax.set_title(f"{case}\nTV={float(ds['tv'].sel(case=case)):.4f}, "
                         rf"max|z|={float(ds['zmax'].sel(case=case)):.1f}, $\Delta W$ err {100 * rel:.1f}%",
                         fontsize=6.5)
            ax.set_xlabel(r"$\Delta t_{ji}$ [steps]")
        axes[0, 0].set_ylabel(r"$p(\Delta t_{ji})$")
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    table = ds[["p_ana", "p_sim", "p_err"]].to_dataframe().reset_index()
    return fig, table


#: figure name -> function; the plot rule passes the figure's datasets by keyword
FIGURES = {
    "fig2c_stdd": fig2c,
    "fig2d_weight_evolution": fig2d,
    "fig2e_phase_plane": fig2e,
    "fig11_psp_shapes": fig11,
    "fig12_proof": fig12,
    "figS1_stdd_vs_simulation": fig_stdd_simulation,
}
