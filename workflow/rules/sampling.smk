# Spiking sampling networks (spec sampling): figs 4, 5 and the Kolen-Pollack SI figure.
# one run per (protocol, scenario, condition, noise level, run index) -> summary per scenario -> plot

from sal.sampling.experiments import kp_labels, sweep_labels
from sal.sampling.experiments import run_params as sampling_run_params
from sal.sampling.learning import check_params as check_sampling_params

SP = config["sampling"]["protocols"]
SAMPLING_CODE = code_version("sampling", *SHARED_CODE)
RUN_FILE = (
    "results/sampling/{protocol}/{scenario}/{condition}/noise~{level}/run~{run}.nc"
)
KP_FILE = "results/sampling/{protocol}/{scenario}/kp_sweep/noise~{level}/rate~{kp_rate}/run~{run}.nc"
SWEEP_SUMMARY = "results/sampling/{protocol}/{scenario}/summary.nc"
KP_SUMMARY = "results/sampling/{protocol}/{scenario}/kp_sweep/summary.nc"


# (labels, files) of every run of each noise sweep and KP sweep, in the same order
SWEEPS = {(_p, _s): sweep_labels(SP[_p], _s) for _p in SP for _s in SP[_p]["scenarios"]}
SWEEP_FILES = {
    key: [
        RUN_FILE.format(
            protocol=key[0], scenario=key[1], condition=c, level=f"{lvl:g}", run=r
        )
        for c, lvl, r in labels
    ]
    for key, labels in SWEEPS.items()
}
KP_SWEEPS = {
    (_p, _s): kp_labels(SP[_p], _s)
    for _p in SP
    if "kp_sweep" in SP[_p]
    for _s in SP[_p]["kp_sweep"]["rates"]
}
KP_FILES = {
    key: [
        KP_FILE.format(
            protocol=key[0],
            scenario=key[1],
            level=f"{lvl:g}",
            kp_rate=f"{rate:g}",
            run=r,
        )
        for lvl, rate, r in labels
    ]
    for key, labels in KP_SWEEPS.items()
}


for _protocol in SP:  # bad overrides fail here, before any job starts
    for _scenario in SP[_protocol]["scenarios"]:
        for _c, _lvl, _r in SWEEPS[(_protocol, _scenario)][
            :: len(SP[_protocol]["runs"])
        ]:
            check_sampling_params(
                sampling_run_params(
                    config["sampling"],
                    "noise_run",
                    protocol=_protocol,
                    scenario=_scenario,
                    condition=_c,
                    level=_lvl,
                    run=_r,
                )
            )


wildcard_constraints:
    protocol="A|B",
    scenario="syn_noise|plast_noise",
    condition="none|sal|kp",
    level=r"[0-9.]+",
    run=r"\d+",
    kp_rate=r"[0-9.e+-]+",


rule sampling_run:
    """One training run of the sampling network (seeds are part of its parameters)."""
    output:
        RUN_FILE,
    log:
        "logs/sampling/{protocol}/{scenario}/{condition}/noise~{level}/run~{run}.log",
    benchmark:
        "results/benchmarks/sampling/{protocol}/{scenario}/{condition}/noise~{level}/run~{run}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=240,
    params:
        family="sampling",
        experiment="noise_run",
        params=lambda wc: sampling_run_params(config["sampling"], "noise_run", **wc),
        code=SAMPLING_CODE,
    script:
        "../scripts/run_experiment.py"


rule sampling_kp_run:
    """One run of the Kolen-Pollack decay-rate sweep."""
    output:
        KP_FILE,
    log:
        "logs/sampling/{protocol}/{scenario}/kp_sweep/noise~{level}/rate~{kp_rate}/run~{run}.log",
    benchmark:
        "results/benchmarks/sampling/{protocol}/{scenario}/kp_sweep/noise~{level}/rate~{kp_rate}/run~{run}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=240,
    params:
        family="sampling",
        experiment="noise_run",
        params=lambda wc: sampling_run_params(
            config["sampling"], "noise_run", condition="kp", **wc
        ),
        code=SAMPLING_CODE,
    script:
        "../scripts/run_experiment.py"


rule sampling_sweep_summary:
    """All runs of a noise sweep, with quartiles over runs per validation point."""
    input:
        lambda wc: SWEEP_FILES[(wc.protocol, wc.scenario)],
    output:
        SWEEP_SUMMARY,
    log:
        "logs/sampling/{protocol}/{scenario}/summary.log",
    params:
        family="sampling",
        experiment="noise_sweep",
        labels=lambda wc: SWEEPS[(wc.protocol, wc.scenario)],
        options=lambda wc: {
            "scenario": wc.scenario,
            "highlight": SP[wc.protocol]["scenarios"][wc.scenario]["highlight"],
        },
        code=SAMPLING_CODE,
    script:
        "../scripts/summarize.py"


rule sampling_kp_summary:
    """All runs of a KP decay-rate sweep (final values)."""
    input:
        lambda wc: KP_FILES[(wc.protocol, wc.scenario)],
    output:
        KP_SUMMARY,
    log:
        "logs/sampling/{protocol}/{scenario}/kp_sweep/summary.log",
    params:
        family="sampling",
        experiment="kp_sweep",
        labels=lambda wc: KP_SWEEPS[(wc.protocol, wc.scenario)],
        options={},
        code=SAMPLING_CODE,
    script:
        "../scripts/summarize.py"


rule sampling_dales_law:
    """Fig 10: the E-I system's SAL phase plane or its effective-weight check (seeded)."""
    output:
        "results/sampling/dales_law/{panel}/seed~{seed}.nc",
    log:
        "logs/sampling/dales_law/{panel}/seed~{seed}.log",
    benchmark:
        "results/benchmarks/sampling/dales_law/{panel}/seed~{seed}.tsv"
    wildcard_constraints:
        panel="ei_phase_plane|ei_rates",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        family="sampling",
        experiment=lambda wc: wc.panel,
        params=lambda wc: sampling_run_params(config["sampling"], wc.panel),
        seed=lambda wc: int(wc.seed),
        code=SAMPLING_CODE,
    script:
        "../scripts/run_experiment.py"


DL_SEED = config["sampling"]["dales_law"]["seed"]
SAMPLING_FIGURES = {
    "fig10_dales_law": (
        "fig10_dales_law",
        {
            p: f"results/sampling/dales_law/{p}/seed~{DL_SEED}.nc"
            for p in ("ei_phase_plane", "ei_rates")
        },
    )
}
for _protocol, _block in SP.items():
    _suffix = "" if _protocol == "B" else f"_protocol{_protocol}"
    _sc = _block["scenarios"]
    if "syn_noise" in _sc:
        SAMPLING_FIGURES[f"fig4_synaptic_noise{_suffix}"] = (
            "fig4_synaptic_noise",
            {
                "syn_noise": SWEEP_SUMMARY.format(
                    protocol=_protocol, scenario="syn_noise"
                )
            },
        )
    if "plast_noise" in _sc:
        SAMPLING_FIGURES[f"fig5_plasticity_noise{_suffix}"] = (
            "fig5_plasticity_noise",
            {
                "plast_noise": SWEEP_SUMMARY.format(
                    protocol=_protocol, scenario="plast_noise"
                )
            },
        )
    if "kp_sweep" in _block and {"syn_noise", "plast_noise"} <= set(_sc) <= set(
        _block["kp_sweep"]["rates"]
    ):
        SAMPLING_FIGURES[f"figS2_kolen_pollack{_suffix}"] = (
            "figS2_kolen_pollack",
            {
                **{
                    f"kp_{s}": KP_SUMMARY.format(protocol=_protocol, scenario=s)
                    for s in ("syn_noise", "plast_noise")
                },
                **{
                    s: SWEEP_SUMMARY.format(protocol=_protocol, scenario=s)
                    for s in ("syn_noise", "plast_noise")
                },
            },
        )

for _stem, (_figure, _inputs) in SAMPLING_FIGURES.items():

    rule:
        name:
            f"plot_{_stem}"
        input:
            **_inputs,
        output:
            pdf=report(
                f"results/figures/{_stem}.pdf",
                caption=f"../report/{_figure}.rst",
                category="Spiking sampling networks",
            ),
            png=f"results/figures/{_stem}.png",
            csv=f"results/tables/{_stem}.csv",
        log:
            f"logs/figures/{_stem}.log",
        params:
            family="sampling",
            figure=_figure,
            code=PLOT_CODE,
        script:
            "../scripts/plot_figure.py"


ALL_FIGURES += [f for stem in SAMPLING_FIGURES for f in figure_files(stem)]
FIGURE_TARGETS.update(
    {
        "fig4": [s for s in SAMPLING_FIGURES if s.startswith("fig4")],
        "fig5": [s for s in SAMPLING_FIGURES if s.startswith("fig5")],
        "figS2": [s for s in SAMPLING_FIGURES if s.startswith("figS2")],
        "fig10": ["fig10_dales_law"],
        "sampling": list(SAMPLING_FIGURES),
    }
)
