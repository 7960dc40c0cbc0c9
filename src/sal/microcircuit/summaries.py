"""Summaries of the microcircuit runs and the family's headline numbers."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..store import combine, parameters
from .analysis import final_pattern
from .params import backward_names, forward_names


def teacher_student_summary(runs: dict) -> xr.Dataset:
    """Runs stacked over (condition, run): validation loss per epoch, forward and feedback weights and
    alignment angles per pattern."""
    out = {}
    for labels, ds in runs.items():
        depth = ds.sizes["hidden_layer"] + 1
        out[labels] = ds[["validation_loss", *forward_names(depth), *backward_names(depth), "alignment_angle"]]
    return combine(out, ("condition", "run"), "microcircuit.teacher_student_summary")


def sign_agreement(ds: xr.Dataset) -> xr.DataArray:
    """Fraction of the entries of B_l with the sign of W_{l+1,l}ᵀ, per epoch (end of epoch) and hidden layer l:
    in a [1, 1, 1] circuit 1 or 0, whether B has W21's sign (its angle is 0° or 180°, so a median angle
    over runs is meaningless there, a fraction of runs is not)."""
    depth = ds.sizes["hidden_layer"] + 1
    end = np.r_[np.flatnonzero(np.diff(ds["pattern_epoch"].values)), ds.sizes["pattern"] - 1]
    w_names, b_names = forward_names(depth), backward_names(depth)
    agree = [np.mean(np.sign(ds[b_names[l]].values[end]) == np.sign(np.swapaxes(ds[w_names[l + 1]].values[end], 1, 2)),
                     axis=(1, 2)) for l in range(depth - 1)]
    return xr.DataArray(np.stack(agree, axis=1), dims=("epoch", "hidden_layer"),
                        coords={"hidden_layer": ds["hidden_layer"].values},
                        attrs={"units": "1", "long_name": "fraction of B_l entries with the sign of W_{l+1,l}ᵀ, "
                               "end of epoch"})


def scaling_summary(runs: dict) -> xr.Dataset:
    """Width and depth study runs stacked over (width, condition, run): validation loss, the angle between
    B_l and W_{l+1,l}ᵀ and the sign agreement (``sign_agreement``) of every hidden layer l at the end of
    every epoch (the matrices differ in size across widths and are left out). hidden_layer runs over the
    deepest circuit's layers; angle and sign agreement are NaN for layers a circuit does not have."""
    n_hidden = max(ds.sizes["hidden_layer"] for ds in runs.values())
    layers = np.arange(1, n_hidden + 1)
    per_epoch = {}
    for labels, ds in runs.items():
        angle = ds["alignment_angle_per_epoch"].reindex(hidden_layer=layers)
        angle.attrs = {"units": "degree", "long_name": "angle(B_l, W_{l+1,l}ᵀ) of hidden layer l, end of epoch"}
        agree = sign_agreement(ds)
        agree = agree.reindex(hidden_layer=layers).assign_attrs(agree.attrs)
        per_epoch[labels] = xr.Dataset({"validation_loss": ds["validation_loss"], "alignment_angle": angle,
                                        "sign_agreement": agree}, attrs=ds.attrs)
    return combine(per_epoch, ("width", "condition", "run"), "microcircuit.scaling_summary")


def headline_rows(teacher_student):
    """(key, figure, quantity, ours, measured at) of the family's headline numbers."""
    ds = teacher_student
    loss = ds["validation_loss"].isel(epoch=-1)
    for cond in ds["condition"].values:
        ok = int((loss.sel(condition=cond) < 0.01).sum())
        yield (f"converged_{cond}", "fig 6", f"{cond.upper()}: runs with final validation loss < 0.01",
               f"{ok}/{ds.sizes['run']}", f"{ds.sizes['run']} runs")
    if "fa" in ds["condition"].values:  # FA should fail exactly where its fixed B opposes the teacher's W21
        fa = ds.sel(condition="fa")
        params = parameters(ds)["runs"]
        teacher = np.array([np.ravel(params[f"fa/{r}"]["teacher_forward"][-1])[0] for r in ds["run"].values])
        wrong = np.sign(fa["B1"].isel(pattern=0).values.reshape(ds.sizes["run"], -1)[:, 0]) != np.sign(teacher)
        failed = loss.sel(condition="fa").values >= 0.01
        yield ("fa_failures", "fig 6", "FA: failing runs (loss ≥ 0.01) / runs whose B opposes the teacher's W21 / both",
               f"{int(failed.sum())} / {int(wrong.sum())} / {int((failed & wrong).sum())}", f"{ds.sizes['run']} runs")
    if "sal" in ds["condition"].values:
        sal = ds.sel(condition="sal")
        for key, where, pattern in (("sal_sign_readout", "at fig 6c's read-out (first pattern of the last epoch)",
                                     final_pattern(ds)), ("sal_sign_end", "at the end of the run", -1)):
            at = sal.isel(pattern=pattern)
            b = at["B1"].values.reshape(ds.sizes["run"], -1)[:, 0]
            w = at["W21"].values.reshape(ds.sizes["run"], -1)[:, 0]
            yield (key, "fig 6", f"SAL: runs whose B has the sign of W21 {where}",
                   f"{int(np.sum(np.sign(b) == np.sign(w)))}/{ds.sizes['run']}", f"{ds.sizes['run']} runs")


#: the paper's values or claims of the headline quantities
PAPER = {"converged_sal": "all", "converged_bp": "all", "converged_fa": "those whose random B has the sign of W21",
         "fa_failures": "the same runs", "sal_sign_readout": "all", "sal_sign_end": "all"}




def _median(a) -> str:
    return f"{np.nanmedian(a):.3g}"


def scaling_headline_rows(scaling):
    """(key, figure, quantity, ours, measured at) of the width and depth study (fig S3): per circuit the final
    validation loss of every condition, the paired BP / output-only loss ratio, the final angles and, for
    one-neuron layers, the fraction of runs whose B has W's sign."""
    ds = scaling
    conds = [c for c in ("sal", "fa", "bp", "out") if c in ds["condition"].values]
    at = f"{ds.sizes['run']} runs, {ds.sizes['epoch']} epochs"
    loss = ds["validation_loss"].isel(epoch=-1)
    for width in ds["width"].values:
        w = loss.sel(width=width)
        yield ("scaling_loss", "fig S3", f"{width}: final validation loss (median) " + " / ".join(c.upper() for c in conds),
               " / ".join(_median(w.sel(condition=c).values) for c in conds), at)
        if {"bp", "out"} <= set(conds):
            ratio = w.sel(condition="bp").values / w.sel(condition="out").values
            yield ("scaling_control", "fig S3", f"{width}: BP / output-only final loss (median of paired runs)",
                   _median(ratio), at)
        layers = [int(l) for l in ds["hidden_layer"].values
                  if np.all(np.isfinite(ds["alignment_angle"].sel(width=width, hidden_layer=l).values))]
        one = all(n == 1 for n in (int(d) for d in str(width).split("x")))
        for c in (c for c in conds if c in ("sal", "fa")):
            final = ds.isel(epoch=-1).sel(width=width, condition=c)
            if one:
                agree = final["sign_agreement"].sel(hidden_layer=1).values
                yield ("scaling_sign", "fig S3", f"{width}: {c.upper()} runs whose B has the sign of W21",
                       f"{int(np.sum(agree == 1))}/{agree.size}", at)
            else:
                yield ("scaling_angle", "fig S3", f"{width}: {c.upper()} final angle(B_l, W_l+1,lᵀ) (median), "
                       + ", ".join(f"l = {l}" for l in layers),
                       ", ".join(f"{np.median(final['alignment_angle'].sel(hidden_layer=l).values):.0f}°"
                                 for l in layers), at)


#: the width and depth study is beyond the paper; the paper only says FA "scales poorly with network size and depth"
PAPER_SCALING = {"scaling_loss": "not tested", "scaling_control": "not tested", "scaling_angle": "not tested",
                 "scaling_sign": "not tested"}
