"""Figures of the spiking sampling networks: fig 4 (synaptic noise), fig 5 (plasticity noise), KP SI,
fig 10 (Dale's law) and the large sparse networks (beyond the paper).

Each function takes the summaries of its figure and returns (Figure, DataFrame of the plotted numbers).
An infinite D_KL (a target state never sampled) is never drawn: such points are left out and counted
in a note on the panel.
"""

from __future__ import annotations

import json
import weakref

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import colors
from matplotlib.ticker import MaxNLocator

from ..sampling.summaries import best_kp_rate, kp_rate
from ..store import parameters
from . import OKABE_ITO, log_axis, method, require_finite, style

BASELINE = ("baseline (noise 0, no SAL)", "0.3")
NOISE_LABEL = {"syn_noise": "synaptic noise (init. asymmetry σ)", "plast_noise": r"plasticity noise $\sigma_p$"}
NULLCLINE = OKABE_ITO["vermillion"]  # where SAL's drift of a weight vanishes (as in fig 2e)
LEVEL_MARKERS = ("o", "s", "^", "D", "v")
_LEFT_OUT = weakref.WeakKeyDictionary()  # axes -> number of infinite values left out on it


def _log(ax, axis="y"):
    log_axis(ax, axis)


def _shade(colour, k, n):
    """Colour ``k`` of ``n`` levels of one method: lighter for lower levels, the method's own for the last."""
    mix = 0.55 * (n - 1 - k) / max(n - 1, 1)
    return tuple((1 - mix) * c + mix for c in colors.to_rgb(colour))


def _finite(y, ax, what):
    """y with infinities masked; counts on ``ax`` how many values were left out (``_note_left_out``)."""
    y = np.asarray(y, dtype=np.float64)
    bad = ~np.isfinite(y)
    if bad.any():
        _LEFT_OUT[ax] = _LEFT_OUT.get(ax, 0) + int(bad.sum())
    return np.where(bad, np.nan, y)


def _note_left_out(fig):
    """One note per panel on how many plotted values were infinite (D_KL of target states never sampled)."""
    for ax in fig.axes:
        n = _LEFT_OUT.pop(ax, 0)
        if n:
            ax.text(0.02, 0.02, f"{n} value(s) = ∞ left out\n(target states never sampled)",
                    transform=ax.transAxes, fontsize=5.5, color="k", va="bottom")


def _look(ds, cond):
    """The method look of a condition; KP's label names its decay rate (official or best of fig S2)."""
    look = method(cond)
    if cond in ("kp", "kp_best"):
        rate = "official rate" if cond == "kp" else "best rate of fig S2"
        look = look._replace(label=f"KP, {rate} ({kp_rate(ds, cond):.1e})")
    return look


def _with_kp_best(ds, kp_best):
    """The noise sweep with the KP-at-best-rate sweep as one more condition (``kp_best`` None: as it is)."""
    if kp_best is None:
        return ds
    if not np.array_equal(ds["level"], kp_best["level"]) or not np.array_equal(ds["iteration"], kp_best["iteration"]):
        raise ValueError("the KP-at-best-rate sweep has other noise levels or cycles than the noise sweep")
    merged = xr.concat([ds, kp_best], dim="condition", data_vars="minimal", coords="minimal", compat="override")
    runs = {**parameters(ds)["runs"], **parameters(kp_best)["runs"]}
    merged.attrs = {**ds.attrs, "parameters": json.dumps({**parameters(ds), "runs": runs})}
    return merged


def _curves(ax, ds, var, highlight, rows):
    """Median and IQR over runs vs wake-sleep cycles: baseline and every condition at ``highlight``."""
    it = ds["iteration"].values
    series = [("none", ds["level"].values[0], {"color": BASELINE[1], "linestyle": "-", "label": BASELINE[0]})]
    series += [(c, highlight, _look(ds, c).line) for c in ds["condition"].values]
    for cond, level, line in series:
        q = ds[f"{var}_quartiles"].sel(condition=cond, level=level).values
        lo, med, hi = (_finite(x, ax, var) for x in q)
        ax.fill_between(it, lo, hi, color=line["color"], alpha=0.2, lw=0)
        ax.plot(it, med, **line)
        rows.update({f"{var}_{cond}_{level:g}_{k}": v for k, v in zip(("q25", "median", "q75"), (lo, med, hi))})


def _finals(ax, ds, var, rows):
    """Final value vs noise level, median with IQR bars, conditions offset in x; baseline band."""
    levels = ds["level"].values
    width = 0.12 * (levels[1] - levels[0] if levels.size > 1 else 1.0)
    conds = list(ds["condition"].values)
    final = ds[var].isel(iteration=-1)  # (condition, level, run)
    base = final.sel(condition="none", level=levels[0]).values
    b_lo, b_med, b_hi = np.quantile(base, [0.25, 0.5, 0.75])
    if np.isfinite(b_med):
        ax.axhline(b_med, color=BASELINE[1], lw=0.8, ls="--")
        if np.isfinite(b_hi):
            ax.axhspan(b_lo, b_hi, color=BASELINE[1], alpha=0.12, lw=0)
    for k, cond in enumerate(conds):
        look = _look(ds, cond)
        lo, med, hi = (_finite(x, ax, var) for x in np.quantile(final.sel(condition=cond).values, [0.25, 0.5, 0.75],
                                                                     axis=-1, method="inverted_cdf"))
        x = levels + (k - (len(conds) - 1) / 2) * width
        ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt=look.marker, ms=3, color=look.color, capsize=2, lw=1,
                    label=look.label)
        rows.update({f"final_{var}_{cond}_{k2}": v for k2, v in zip(("q25", "median", "q75"), (lo, med, hi))})


def _noise_figure(ds, title, kp_best=None):
    ds = _with_kp_best(ds, kp_best)
    scenario = str(ds["scenario"].values)
    protocol = next(iter(parameters(ds)["runs"].values()))["protocol"]
    highlight = float(ds["highlight_level"].values)
    curves, finals = {"iteration": ds["iteration"].values}, {"level": ds["level"].values}
    with style():
        fig, ax = plt.subplots(2, 2, figsize=(6.4, 4.6), layout="constrained")
        _curves(ax[0, 0], ds, "asymmetry", highlight, curves)
        _curves(ax[1, 0], ds, "dkl", highlight, curves)
        _finals(ax[0, 1], ds, "asymmetry", finals)
        _finals(ax[1, 1], ds, "dkl", finals)
        ax[0, 0].set_yscale("symlog", linthresh=1e-4)
        ax[0, 1].set_yscale("symlog", linthresh=1e-4)
        for a in ax[1]:
            _log(a)
        ax[0, 0].set_ylabel(r"asymmetry Var($W_{ij}-W_{ji}$)")
        ax[1, 0].set_ylabel(r"$D_\mathrm{KL}$(target ‖ sampled)")
        ax[1, 0].set_xlabel("wake-sleep cycles")
        ax[1, 1].set_xlabel(NOISE_LABEL.get(scenario, "noise level"))
        ax[0, 0].set_title(f"noise {highlight:g}: median, IQR over {ds.sizes['run']} runs", loc="left")
        ax[0, 1].set_title("final value vs noise (dashed: baseline)", loc="left")
        for a in ax[0]:
            a.xaxis.set_major_locator(MaxNLocator(nbins=5))
        _note_left_out(fig)
        handles, labels = ax[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))  # one legend, off the data
        fig.suptitle(f"{title} (protocol {protocol})", fontsize=8)
    return fig, pd.concat([pd.DataFrame(curves), pd.DataFrame(finals)], axis=1)


def fig4(syn_noise, kp_best_syn_noise=None):
    """Fig 4: synaptic noise (asymmetric initial weights), with and without SAL (and KP at the official
    rate and, where the study declares it, at the best rate of fig S2)."""
    return _noise_figure(syn_noise, "Fig 4: synaptic noise", kp_best_syn_noise)


def fig5(plast_noise, kp_best_plast_noise=None):
    """Fig 5: plasticity noise (mismatched STDP amplitudes), with and without SAL (and KP, as in fig 4)."""
    return _noise_figure(plast_noise, "Fig 5: plasticity noise", kp_best_plast_noise)


def fig_kp(kp_syn_noise, syn_noise, kp_plast_noise=None, plast_noise=None):
    """KP supplementary figure: final asymmetry and D_KL vs the KP decay rate, SAL as reference; a column
    per noise scenario whose KP sweep the study has (synaptic noise always)."""
    rows = []
    columns = [(kp, sweep, scenario) for kp, sweep, scenario in ((kp_syn_noise, syn_noise, "syn_noise"),
                                                                 (kp_plast_noise, plast_noise, "plast_noise"))
               if kp is not None and sweep is not None]
    with style():
        fig, ax = plt.subplots(2, len(columns), figsize=(0.5 + 2.75 * len(columns), 4.2), layout="constrained",
                               sharex="col", squeeze=False)
        for c, (kp, sweep, scenario) in enumerate(columns):
            rates = kp["kp_rate"].values
            levels = kp["level"].values
            for k, level in enumerate(levels):
                colour, sal_colour = _shade(method("kp").color, k, levels.size), _shade(method("sal").color, k, levels.size)
                for r, var in enumerate(("asymmetry", "dkl")):
                    lo, med, hi = (_finite(x, ax[r, c], var) for x in np.quantile(
                        kp[var].sel(level=level).values, [0.25, 0.5, 0.75], axis=-1, method="inverted_cdf"))
                    ax[r, c].errorbar(rates, med, yerr=[med - lo, hi - med], fmt=LEVEL_MARKERS[k % 5], ms=3, capsize=2,
                                      color=colour, ls=method("kp").linestyle, label=f"KP, noise {level:g}")
                    rows += [(scenario, level, lam, var, a, m, b) for lam, a, m, b in zip(rates, lo, med, hi)]
                if level in sweep["level"].values and "sal" in sweep["condition"].values:
                    sal = sweep["dkl"].isel(iteration=-1).sel(condition="sal", level=level).values
                    s_lo, s_hi = np.quantile(sal, [0.25, 0.75])
                    if np.isfinite(s_hi):
                        ax[1, c].axhspan(s_lo, s_hi, color=sal_colour, alpha=0.25, lw=0,
                                         label=f"SAL, noise {level:g} (IQR)")
            highlight = float(sweep["highlight_level"])
            finite = highlight in levels and np.isfinite(kp["dkl"].sel(level=highlight).median("run")).any()
            if finite:  # the rate figs 4-5 can add as "KP, best rate" (kp_best_rate)
                best = best_kp_rate(kp, highlight)
                ax[1, c].axvline(best, color=method("kp_best").color, lw=0.8, ls=":")
                ax[1, c].text(best, 0.98, f" lowest median\n at noise {highlight:g}:\n {best:.1e}", fontsize=5.5,
                              va="top", transform=ax[1, c].get_xaxis_transform(), color=method("kp_best").color)
            ax[0, c].set_title(NOISE_LABEL.get(scenario, scenario), loc="left")
            ax[1, c].set_xlabel("KP decay rate λ per cycle\n(config value, × rate_scale)")
            for r in range(2):
                if not np.all(np.isfinite(ax[r, c].dataLim.intervaly)):  # nothing finite to draw (see the note)
                    ax[r, c].set_ylim(1e-4, 1)
                _log(ax[r, c], "x")
                _log(ax[r, c])
        ax[0, 0].set_ylabel("final asymmetry")
        ax[1, 0].set_ylabel(r"final $D_\mathrm{KL}$")
        _note_left_out(fig)
        handles, labels = ax[1, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
    table = pd.DataFrame(rows, columns=["scenario", "level", "kp_rate", "variable", "q25", "median", "q75"])
    return fig, table


def fig10(ei_phase_plane, ei_rates):
    """Fig 10: (a) SAL phase plane of the E-I system in effective weights (raw weights on the secondary
    axes); (b) e2's rate with e1's direct + inhibitory pathways vs a direct synapse of weight W_eff."""
    ds, rt = ei_phase_plane, ei_rates
    off_21, off_12 = float(ds["offset_e2e1"]), float(ds["offset_e1e2"])
    w21, w12 = ds["w_e2e1"].values, ds["w_e1e2"].values
    d21, d12 = ds["dw_e2e1"].values, ds["dw_e1e2"].values  # [w_e2e1, w_e1e2]
    require_finite("fig10 drift", d21, d12)
    require_finite("fig10 rates", rt["rate_e2"].values)
    x, y = w12 + off_12, w21 + off_21  # effective e2 -> e1 (x) and e1 -> e2 (y)
    norm = np.hypot(d21, d12)
    with style():
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.6, 3.0), layout="constrained")
        cs = ax.contourf(x, y, norm / norm.max(), levels=15, cmap="GnBu", alpha=0.9)
        fig.colorbar(cs, ax=ax, ticks=[0, 0.5, 1], label=r"$|\Delta W|$ / max", shrink=0.8)
        s = slice(None, None, 2)
        ax.quiver(x[s], y[s], d12[s, s], d21[s, s], pivot="mid", width=0.006)
        ax.contour(x, y, d21, levels=[0], colors=NULLCLINE, linewidths=1.2)
        lo, hi = min(x[0], y[0]), max(x[-1], y[-1])
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="effective symmetry")
        ax.plot([lo, hi], [lo + off_21 - off_12, hi + off_21 - off_12], "k:", lw=1, label="raw symmetry")
        ax.plot([], [], color=NULLCLINE, label="SAL stops")
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(y[0], y[-1])
        ax.set_aspect("equal")
        ax.set_xlabel(r"$W^\mathrm{eff}_{e1 \leftarrow e2}$")
        ax.set_ylabel(r"$W^\mathrm{eff}_{e2 \leftarrow e1}$")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncols=3, fontsize=6, borderaxespad=0,
                  handlelength=1.8, columnspacing=1.0)  # below the panel: inside it covered the drift
        ax.set_title("(a) SAL on excitatory spikes", loc="left")
        top = ax.secondary_xaxis("top", functions=(lambda v: v - off_12, lambda v: v + off_12))
        top.set_xlabel(r"raw $W_{e1 \leftarrow e2}$")
        right = ax.secondary_yaxis("right", functions=(lambda v: v - off_21, lambda v: v + off_21))
        right.set_ylabel(r"raw $W_{e2 \leftarrow e1}$")
        w = rt["w"].values
        for system, marker, label in (("e_i_system", "o", "E-I: direct + via i1"),
                                      ("direct", "s", r"direct, weight $W^\mathrm{eff}(w)$")):
            bx.plot(w, rt["rate_e2"].sel(system=system).values, marker, mfc="none", label=label)
        bx.set_xlabel(r"raw weight $w$ of e1 → e2")
        bx.set_ylabel(r"rate of e2 [$1/\tau_\mathrm{ref}$]")
        off = float(rt["w_effective"].values[0] - w[0])
        bx.secondary_xaxis("top", functions=(lambda v: v + off, lambda v: v - off)).set_xlabel(
            r"effective weight $W^\mathrm{eff}$")
        bx.legend()
        bx.set_title("(b) effective-weight check", loc="left")
    table = pd.concat([ds[["dw_e2e1", "dw_e1e2"]].to_dataframe().reset_index(),
                       rt["rate_e2"].to_dataframe().reset_index()], ignore_index=True)
    return fig, table


LARGE_ROWS = (("asymmetry", "asymmetry\n" r"Var($W_{ij}-W_{ji}$)", None),
              ("mean_error", "RMS error of means", "mean_error_noise"),
              ("coact_error", "RMS error of coact.,\nconnected pairs", "coact_error_noise"),
              ("probe_error", "RMS error of coact.,\nunconnected pairs", "probe_error_noise"))


def fig_large(large_network):
    """Large sparse networks (beyond the paper): asymmetry and the RMS errors of the sampled means and
    coactivations (connected pairs: learnt; unconnected probe pairs: not learnt directly) vs wake-sleep
    cycles, one column per network size; median and IQR over runs of the noise-free baseline and of
    every condition with noise; dotted: the errors' sampling noise (median RMS standard error of the
    estimates, noisy runs without SAL)."""
    ds = large_network
    sizes, it = ds["size"].values, ds["iteration"].values
    rows = {"iteration": it}
    with style():
        fig, ax = plt.subplots(len(LARGE_ROWS), sizes.size, figsize=(2.6 + 2.0 * sizes.size, 5.8), layout="constrained",
                               sharex=True, squeeze=False)
        for c, size in enumerate(sizes):
            for r, (var, label, noise) in enumerate(LARGE_ROWS):
                a = ax[r, c]
                for cond in ds["condition"].values:
                    line = ({"color": BASELINE[1], "linestyle": "-", "label": BASELINE[0]} if cond == "baseline"
                            else method(cond).line)
                    lo, med, hi = ds[f"{var}_quartiles"].sel(size=size, condition=cond).values
                    require_finite(f"large network {var}", lo, med, hi)
                    a.fill_between(it, lo, hi, color=line["color"], alpha=0.2, lw=0)
                    a.plot(it, med, **line)
                    rows.update({f"{var}_n{size}_{cond}_{k}": v
                                 for k, v in zip(("q25", "median", "q75"), (lo, med, hi))})
                if noise is not None:
                    ref = "none" if "none" in ds["condition"].values else ds["condition"].values[0]
                    floor = ds[noise].sel(size=size, condition=ref).median("run").values
                    a.plot(it, floor, color="k", ls=":", lw=0.8, label="sampling noise of the estimate")
                    rows[f"{noise}_n{size}"] = floor
                if var == "asymmetry":
                    a.set_yscale("symlog", linthresh=1e-4)
                    a.set_title(f"{size} neurons", loc="left")
                else:
                    _log(a)
                if c == 0:
                    a.set_ylabel(label)
            ax[-1, c].set_xlabel("wake-sleep cycles")
            ax[-1, c].xaxis.set_major_locator(MaxNLocator(nbins=4))
        handles, labels = ax[-1, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2)
        fig.suptitle(f"Large sparse sampling networks: median, IQR over {ds.sizes['run']} run(s)", fontsize=8)
    return fig, pd.DataFrame(rows)


FIGURES = {
    "fig4_synaptic_noise": fig4,
    "fig5_plasticity_noise": fig5,
    "figS2_kolen_pollack": fig_kp,
    "fig10_dales_law": fig10,
    "figS5_large_network": fig_large,
}
