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


def scaling_summary(runs: dict) -> xr.Dataset:
    """Width and depth study runs stacked over (width, condition, run): validation loss and the angle
    between B_l and W_{l+1,l}ᵀ of every hidden layer l at the end of every epoch (the matrices differ in
    size across widths and are left out). hidden_layer runs over the deepest circuit's layers; the angle
    is NaN for layers a circuit does not have."""
    n_hidden = max(ds.sizes["hidden_layer"] for ds in runs.values())
    layers = np.arange(1, n_hidden + 1)
    per_epoch = {}
    for labels, ds in runs.items():
        angle = ds["alignment_angle_per_epoch"].reindex(hidden_layer=layers)
        angle.attrs = {"units": "degree", "long_name": "angle(B_l, W_{l+1,l}ᵀ) of hidden layer l, end of epoch"}
        per_epoch[labels] = xr.Dataset({"validation_loss": ds["validation_loss"], "alignment_angle": angle},
                                       attrs=ds.attrs)
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


