"""Command line: ``sal run`` one experiment without Snakemake; ``sal provenance`` of a result file."""

from __future__ import annotations

import argparse
import json
import sys

from . import pipeline, store
from .registry import FAMILIES
from .config import ConfigError
from .config import load as load_config


def _run(args) -> None:
    config = load_config(args.config)
    experiment = next(f for f in FAMILIES if f.name == args.family).experiment(args.experiment)
    labels = dict(item.split("=", 1) for item in args.wildcard)
    if "seed" in experiment.wildcards and args.seed is not None and "seed" not in labels:
        labels["seed"] = str(args.seed)  # the seed names the run's file too
    params = experiment.parameters(config[args.family], **labels)
    pipeline.setup_logging()
    seed = int(labels["seed"]) if experiment.seeded and "seed" in labels else args.seed
    path = pipeline.run_experiment(experiment, params, args.output, seed=seed, labels=labels)
    print(path)


def _provenance(args) -> None:
    ds = store.read(args.file)
    print(f"file:        {args.file}")
    print(f"kind:        {ds.attrs['sal_kind']}")
    print(f"sal version: {ds.attrs['sal_version']}")
    print(f"code hash:   {ds.attrs.get('sal_code', 'not recorded')}")
    print(f"commit:      {ds.attrs.get('sal_commit') or 'not recorded (no git checkout)'}")
    versions = {k.removeprefix("version_"): v for k, v in ds.attrs.items() if k.startswith("version_")}
    if versions:
        print("versions:    " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if ds.attrs.get("sal_labels"):
        print(f"labels:      {ds.attrs['sal_labels']}")
    print(f"seed:        {ds.attrs['seed'] if ds.attrs['seed'] >= 0 else 'none (deterministic)'}")
    print("parameters:")
    print(json.dumps(store.parameters(ds), indent=2, sort_keys=True))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="sal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one experiment and write its result file")
    run.add_argument("family", choices=[f.name for f in FAMILIES])
    run.add_argument("experiment")
    run.add_argument("--config", nargs="+", default=["config/config.yaml"],
                     help="config file(s); later ones update earlier ones (default: config/config.yaml)")
    run.add_argument("-w", "--wildcard", action="append", default=[], metavar="NAME=VALUE",
                     help="which run of a sweep, as the workflow's wildcards name it (e.g. condition=sal)")
    run.add_argument("--seed", type=int, help="seed of a stochastic experiment")
    run.add_argument("-o", "--output", required=True, help="result file (.nc) to write")
    run.set_defaults(func=_run)
    prov = sub.add_parser("provenance", help="print the code version, seed and parameters of a result file")
    prov.add_argument("file")
    prov.set_defaults(func=_provenance)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, store.ResultFileError, ValueError) as err:
        print(f"sal: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
