"""Headline numbers of every built figure next to what the paper (via our specs) reports.

One row per quantity: figure, quantity, our value, the paper's value or claim, and the scale it was
measured at. The report shows this table; reviewers compare the two columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import store
from .deepnet.experiments import final_accuracy
from .microcircuit.analysis import final_pattern


def _principle(stdd_examples, weight_evolution, proof):
    rows = []
    ds = store.read(stdd_examples, kind="principle.stdd_examples")
    for name, paper in (("excitatory", -0.028886), ("inhibitory", 0.025385)):
        rows.append(("fig 2c", f"ΔW_ji, {name} pair", float(ds["dw_ji"].sel(example=name)), paper, "exact"))
    lags, tau = ds["lag"].values, store.parameters(ds)["tau_ref"]
    plateau = ds["p_sym"].sel(example="excitatory").values[(lags >= 1) & (lags <= tau - 1)]
    rows.append(("fig 2c", "symmetric plateau p (W = 0.6/0.6)", float(np.median(plateau)), 0.0076381, "exact"))
    we = store.read(weight_evolution, kind="principle.weight_evolution_summary")
    final = we.isel(epoch=-1).sel(condition="both_plastic")
    rows.append(("fig 2d", "final W_ji, W_ij (both plastic; median over seeds)",
                 f"{float(final['w_ji'].median()):.3f} / {float(final['w_ij'].median()):.3f}",
                 "meet near 1.0 / 1.0", f"{we.sizes['seed']} seeds"))
    pr = store.read(proof, kind="principle.proof")
    rows.append(("fig 12", "min over t of Δ(t) (exc., inh.)",
                 " / ".join(f"{v:.1e}" for v in pr["Delta"].min("t").values), "≥ 0", "exact"))
    return rows


def _sampling(syn_noise, plast_noise):
    rows = []
    for label, path in (("fig 4", syn_noise), ("fig 5", plast_noise)):
        ds = store.read(path, kind="sampling.noise_sweep_summary")
        final = ds.isel(iteration=-1)
        hl = float(ds["highlight_level"])
        med = lambda var, cond, lvl: float(final[var].sel(condition=cond, level=lvl).median("run"))  # noqa: E731
        base = med("dkl", "none", ds["level"].values[0])
        scale = f"{ds.sizes['run']} runs, {ds['iteration'].values[-1] + 1} cycles"
        rows.append((label, "final D_KL, noise-free baseline (median)", base, "≈ 5–6e-3 (paper scale)", scale))
        rows.append((label, f"final D_KL at noise {hl:g}: no SAL / SAL",
                     f"{med('dkl', 'none', hl):.4f} / {med('dkl', 'sal', hl):.4f}",
                     "no SAL above baseline; SAL back at baseline", scale))
        rows.append((label, f"final asymmetry at noise {hl:g}: no SAL / SAL",
                     med("asymmetry", "none", hl) / med("asymmetry", "sal", hl), "2–3 orders of magnitude", scale))
    return rows


def _microcircuit(teacher_student):
    ds = store.read(teacher_student, kind="microcircuit.teacher_student_summary")
    rows = []
    loss = ds["validation_loss"].isel(epoch=-1)
    for cond in ds["condition"].values:
        ok = int((loss.sel(condition=cond) < 0.01).sum())
        rows.append(("fig 6", f"{cond.upper()}: runs with final validation loss < 0.01", f"{ok}/{ds.sizes['run']}",
                     {"sal": "all", "bp": "all", "fa": "those whose random B has the sign of W21"}.get(cond, ""),
                     f"{ds.sizes['run']} runs"))
    if "fa" in ds["condition"].values:  # FA should fail exactly where its fixed B opposes the teacher's W21
        fa = ds.sel(condition="fa")
        params = store.parameters(ds)["runs"]
        teacher = np.array([np.ravel(params[f"fa/{r}"]["teacher_forward"][-1])[0] for r in ds["run"].values])
        wrong = np.sign(fa["B1"].isel(pattern=0).values.reshape(ds.sizes["run"], -1)[:, 0]) != np.sign(teacher)
        failed = loss.sel(condition="fa").values >= 0.01
        rows.append(("fig 6", "FA: failing runs (loss ≥ 0.01) / runs whose B opposes the teacher's W21 / both",
                     f"{int(failed.sum())} / {int(wrong.sum())} / {int((failed & wrong).sum())}",
                     "the same runs", f"{ds.sizes['run']} runs"))
    if "sal" in ds["condition"].values:
        sal = ds.sel(condition="sal")
        for where, pattern in (("at fig 6c's read-out (first pattern of the last epoch)", final_pattern(ds)),
                               ("at the end of the run", -1)):
            at = sal.isel(pattern=pattern)
            b = at["B1"].values.reshape(ds.sizes["run"], -1)[:, 0]
            w = at["W21"].values.reshape(ds.sizes["run"], -1)[:, 0]
            rows.append(("fig 6", f"SAL: runs whose B has the sign of W21 {where}",
                         f"{int(np.sum(np.sign(b) == np.sign(w)))}/{ds.sizes['run']}", "all", f"{ds.sizes['run']} runs"))
    return rows


def _deepnet(weight_scatter, training):
    rows = []
    ds = store.read(weight_scatter, kind="deepnet.weight_scatter")
    final = ds["angle"].isel(time=-1)
    rows.append(("fig 7", "final angle(W, B) [deg]: " + " / ".join(a.upper() for a in ds["algorithm"].values),
                 " / ".join(f"{v:.1f}" for v in final.values), "official code: SAL ≈ 14, RDD (fixed) ≈ 26, STDWI ≈ 54",
                 f"{float(ds['time'][-1]):g} s"))
    tr = store.read(training, kind="deepnet.training_summary")
    acc = final_accuracy(tr).mean("seed")
    scale = f"{tr.sizes['seed']} seeds, {tr.sizes['epoch']} epochs"
    methods = [m for m in ("bp", "bp_fa", "sal", "fa") if m in tr["method"].values]
    claim = "SAL close to BP+FA" if {"sal", "bp_fa"} <= set(methods) else "SAL close to BP"
    official = " (official reduced run, 6 epochs: BP 89.8, SAL 88.4, FA 87.3)"
    for d in tr["dataset"].values:
        if methods:
            names = " / ".join(m.upper() for m in methods)
            rows.append(("fig 8", f"{d}: final test accuracy [%] (mean over seeds) {names}",
                         " / ".join(f"{float(acc.sel({'dataset': d, 'method': m})):.1f}" for m in methods),
                         claim + (official if d == "fashion_mnist" else ""), scale))
        for m in ("sal", "fa"):
            if m in tr["method"].values:
                angle = tr["angle"].sel({"dataset": d, "method": m}).isel(epoch=-1).mean("seed")
                rows.append(("fig 8", f"{d}: {m.upper()} final angle(W, B) per FC layer [deg] (mean over seeds)",
                             " / ".join(f"{v:.0f}" for v in angle.values),
                             {"sal": "falls toward 0 in every FC layer", "fa": "stays near 90"}[m], scale))
    return rows


def headline_table(**summaries) -> pd.DataFrame:
    """The table from whichever summaries are given (file paths, keyed as the workflow names them)."""
    rows = []
    if {"stdd_examples", "weight_evolution", "proof"} <= set(summaries):
        rows += _principle(summaries["stdd_examples"], summaries["weight_evolution"], summaries["proof"])
    if {"syn_noise", "plast_noise"} <= set(summaries):
        rows += _sampling(summaries["syn_noise"], summaries["plast_noise"])
    if "teacher_student" in summaries:
        rows += _microcircuit(summaries["teacher_student"])
    if {"weight_scatter", "training"} <= set(summaries):
        rows += _deepnet(summaries["weight_scatter"], summaries["training"])
    rows = [(f, q, f"{o:.6g}" if isinstance(o, float) else o, p, m) for f, q, o, p, m in rows]
    return pd.DataFrame(rows, columns=["figure", "quantity", "ours", "paper", "measured at"])
