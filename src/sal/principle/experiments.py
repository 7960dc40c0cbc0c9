"""The SAL-principle experiments as functions params -> xarray.Dataset (one per figure's data).

Each function takes the experiment's parameter block of the config (a dict) and, for stochastic
experiments, a seed; it returns a Dataset with provenance attributes, ready for ``sal.store.write``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..kernels import psp as psp_kernel
from ..kernels import stdp_window
from ..progress import Progress
from ..rng import generator
from ..store import provenance
from .analysis import attractor_line, deviation_from_diagonal, proof_curves, sal_grid
from .simulate import pair_lags, simulate_spikes, stdd_histogram, weight_evolution
from .stdd import sal_update, stdd

LAG = {"units": "steps", "long_name": "spike-time difference t_j - t_i"}
P_LONG = "probability of the spike-time difference"


def _chain(p, **override):
    kw = dict(psp=p.get("psp", "rect"), tau_ref=p["tau_ref"], tau_syn=p.get("tau_syn", p["tau_ref"]),
              window=p["window"], coincidence_restart=p.get("coincidence_restart", True))
    kw.update(override)
    return kw


def _sal(lags, prob, tau_ref):
    return sal_update(lags, prob, tau_plus=tau_ref, tau_minus=tau_ref)


def stdd_examples(p: dict) -> xr.Dataset:
    """Fig 2c: STDDs of an asymmetric and the symmetric weight pair, excitatory and inhibitory."""
    names = list(p["examples"])
    asym, sym, dw = [], [], []
    for name in names:
        ex = p["examples"][name]
        lags, pa = stdd(ex["w_ji"], ex["w_ij"], p["b_i"], p["b_j"], **_chain(p))
        _, ps = stdd(ex["w_sym"], ex["w_sym"], p["b_i"], p["b_j"], **_chain(p))
        asym.append(pa)
        sym.append(ps)
        dw.append(_sal(lags, pa, p["tau_ref"]))
    window = stdp_window(lags, a_plus=-1.0, a_minus=1.0, tau_plus=p["tau_ref"], tau_minus=p["tau_ref"])
    dw = np.array(dw)
    return xr.Dataset(
        {
            "p_asym": (("example", "lag"), np.array(asym), {"long_name": P_LONG + " (W_ji != W_ij)"}),
            "p_sym": (("example", "lag"), np.array(sym), {"long_name": P_LONG + " (W_ji = W_ij)"}),
            "dw_ji": ("example", dw[:, 0], {"long_name": "SAL drift of W_ji (asymmetric pair)"}),
            "dw_ij": ("example", dw[:, 1], {"long_name": "SAL drift of W_ij (asymmetric pair)"}),
            "w_ji": ("example", [p["examples"][n]["w_ji"] for n in names]),
            "w_ij": ("example", [p["examples"][n]["w_ij"] for n in names]),
            "w_sym": ("example", [p["examples"][n]["w_sym"] for n in names]),
            "sal_window": ("lag", window, {"long_name": "SAL window K(dt) for W_ji"}),
        },
        coords={"example": names, "lag": ("lag", lags, LAG)},
        attrs=provenance("principle.stdd_examples", p),
    )


def _weight_coords(p):
    w = np.arange(p["w_min"], p["w_max"] + 0.5 * p["w_step"], p["w_step"])
    return np.round(w, 12)


def phase_plane(p: dict) -> xr.Dataset:
    """Fig 2e: SAL drift (dW_ji, dW_ij) over a weight grid."""
    w = _weight_coords(p)
    g = sal_grid(w, p["b_i"], p["b_j"], **_chain(p))
    wa = {"long_name": "weight"}
    return xr.Dataset(
        {
            "dw_ji": (("w_ji", "w_ij"), g[:, :, 0], {"long_name": "SAL drift of W_ji"}),
            "dw_ij": (("w_ji", "w_ij"), g[:, :, 1], {"long_name": "SAL drift of W_ij"}),
        },
        coords={"w_ji": ("w_ji", w, wa), "w_ij": ("w_ij", w, wa)},
        attrs=provenance("principle.phase_plane", p),
    )


def psp_shapes(p: dict) -> xr.Dataset:
    """Fig 11: PSP kernels, their STDDs at symmetric weights, SAL grids and attractor deviations."""
    kernels = p["kernels"]
    names = [k["name"] for k in kernels]
    row1, row2, row3 = p["kernel_plot"], p["stdd_row"], p["attractor"]
    t_plot = np.linspace(row1["t_min"], row1["t_max"], 221)
    kappa, stdds, grids, dev = [], [], [], []
    biases = np.round(np.arange(row3["b_min"], row3["b_max"] + 0.5 * row3["b_step"], row3["b_step"]), 12)
    w = np.linspace(row3["w_min"], row3["w_max"], row3["w_num"])
    progress = Progress(len(kernels) * biases.size**2, "psp-shape SAL grids")
    for k in kernels:
        kappa.append(psp_kernel(k["psp"], t_plot, tau_ref=row1["tau_ref"],
                                tau_syn=k["tau_syn_factor"] * row1["tau_ref"]))
        pair_stdds = []
        for b_i, b_j in row2["bias_pairs"]:
            lags, prob = stdd(row2["w"], row2["w"], b_i, b_j, psp=k["psp"], tau_ref=row2["tau_ref"],
                              tau_syn=k["tau_syn_factor"] * row2["tau_ref"], window=row2["window"],
                              fill_middle="smooth")
            pair_stdds.append(prob)
        stdds.append(pair_stdds)
        kgrid = np.empty((biases.size, biases.size, w.size, w.size, 2))
        kdev = np.empty((biases.size, biases.size))
        for a, b_i in enumerate(biases):
            for b, b_j in enumerate(biases):
                kgrid[a, b] = sal_grid(w, b_i, b_j, psp=k["psp"], tau_ref=row3["tau_ref"],
                                       tau_syn=k["tau_syn_factor"] * row3["tau_ref"], window=row3["window"])
                line = attractor_line(w, kgrid[a, b, :, :, 0], upscale=row3["upscale"])
                kdev[a, b] = deviation_from_diagonal(line)
                progress.update()
        grids.append(kgrid)
        dev.append(kdev)
    grids = np.array(grids)
    wa = {"long_name": "weight"}
    return xr.Dataset(
        {
            "kappa": (("kernel", "t"), np.array(kappa), {"long_name": "PSP kernel"}),
            "p": (("kernel", "bias_pair", "lag"), np.array(stdds), {"long_name": P_LONG}),
            "pair_b_i": ("bias_pair", [b[0] for b in row2["bias_pairs"]]),
            "pair_b_j": ("bias_pair", [b[1] for b in row2["bias_pairs"]]),
            "dw_ji": (("kernel", "b_i", "b_j", "w_ji", "w_ij"), grids[..., 0], {"long_name": "SAL drift of W_ji"}),
            "deviation": (("kernel", "b_i", "b_j"), np.array(dev),
                          {"long_name": "mean relative deviation of the attractor line from the diagonal"}),
        },
        coords={
            "kernel": names,
            "t": ("t", t_plot, {"units": "steps", "long_name": "time since the presynaptic spike"}),
            "lag": ("lag", lags, LAG),
            "b_i": ("b_i", biases, {"long_name": "bias of neuron i"}),
            "b_j": ("b_j", biases, {"long_name": "bias of neuron j"}),
            "w_ji": ("w_ji", w, wa),
            "w_ij": ("w_ij", w, wa),
            "tau_syn_factor": ("kernel", [k["tau_syn_factor"] for k in kernels]),
        },
        attrs=provenance("principle.psp_shapes", p),
    )


def proof(p: dict) -> xr.Dataset:
    """Fig 12: delta(t) and Delta(t) of the symmetrisation proof for each configured example."""
    names = list(p["examples"])
    deltas, bigs = [], []
    for name in names:
        ex = p["examples"][name]
        base = (ex["w"], ex["w"])
        pert = (ex["w"] + ex["epsilon"], ex["w"] - ex["epsilon"])
        t, d, big = proof_curves(base, pert, p["b_i"], p["b_j"], tau_ref=p["tau_ref"], window=p["window"],
                                 psp=p.get("psp", "rect"), tau_syn=p.get("tau_syn"))
        deltas.append(d)
        bigs.append(big)
    return xr.Dataset(
        {
            "delta": (("example", "t"), np.array(deltas), {"long_name": "delta(t)"}),
            "Delta": (("example", "t"), np.array(bigs), {"long_name": "Delta(t) = integral of delta"}),
            "w": ("example", [p["examples"][n]["w"] for n in names]),
            "epsilon": ("example", [p["examples"][n]["epsilon"] for n in names]),
        },
        coords={"example": names, "t": ("t", t, {"units": "steps", "long_name": "|t_j - t_i|"})},
        attrs=provenance("principle.proof", p),
    )


def stdd_vs_simulation(p: dict, seed: int) -> xr.Dataset:
    """Analytic vs simulated STDDs (spec principle §5): per case the analytic p, the empirical p and
    its standard error, with the summary statistics the tests and the figure use."""
    rng = generator(seed)
    names = list(p["cases"])
    rows = {k: [] for k in ("p_ana", "p_sim", "p_err", "dw_ana", "dw_sim", "tv", "zmax", "n_pairs")}
    for name in names:
        c = p["cases"][name]
        kw = _chain(p, psp=c.get("psp", p.get("psp", "rect")), tau_syn=c.get("tau_syn", p["tau_ref"]))
        lags, pa = stdd(c["w_ji"], c["w_ij"], c["b_i"], c["b_j"], **{**kw, "fill_middle": "zero"})
        t_i, t_j = simulate_spikes(c["w_ji"], c["w_ij"], c["b_i"], c["b_j"], p["n_steps"], rng=rng,
                                   psp_shape=kw["psp"], tau_ref=p["tau_ref"], tau_syn=kw["tau_syn"])
        sim_lags = pair_lags(t_i, t_j, p["pairing"], p["window"])
        _, ps, err = stdd_histogram(sim_lags, p["window"])
        both = err > 0
        rows["p_ana"].append(pa)
        rows["p_sim"].append(ps)
        rows["p_err"].append(err)
        rows["dw_ana"].append(_sal(lags, pa, p["tau_ref"])[0])
        rows["dw_sim"].append(_sal(lags, ps, p["tau_ref"])[0])
        rows["tv"].append(0.5 * np.abs(ps - pa).sum())
        rows["zmax"].append(np.max(np.abs(ps - pa)[both] / err[both]))
        rows["n_pairs"].append(sim_lags.size)
    a = lambda key: np.array(rows[key])  # noqa: E731
    return xr.Dataset(
        {
            "p_ana": (("case", "lag"), a("p_ana"), {"long_name": "analytic " + P_LONG}),
            "p_sim": (("case", "lag"), a("p_sim"), {"long_name": "simulated " + P_LONG}),
            "p_err": (("case", "lag"), a("p_err"), {"long_name": "standard error of p_sim"}),
            "dw_ana": ("case", a("dw_ana"), {"long_name": "SAL drift of W_ji, analytic"}),
            "dw_sim": ("case", a("dw_sim"), {"long_name": "SAL drift of W_ji, simulated"}),
            "tv": ("case", a("tv"), {"long_name": "total-variation distance"}),
            "zmax": ("case", a("zmax"), {"long_name": "largest per-bin |z| score"}),
            "n_pairs": ("case", a("n_pairs"), {"long_name": "number of paired spikes"}),
        },
        coords={"case": names, "lag": ("lag", lags, LAG)},
        attrs=provenance("principle.stdd_vs_simulation", p, seed),
    )
