"""Command line: ``sal run`` one experiment without Snakemake; ``sal provenance`` of a result file;
``sal compare`` of two headline tables (the paper-scale archive and your own run)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import pipeline, store
from .config import ConfigError
from .config import load as load_config
from .registry import FAMILIES


def _check_output(path: str) -> None:
    """Refuse an output file that cannot be written before the computation, not after it."""
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"-o {path}: is a folder; give the result file's name (.nc)")
    folder = next(p for p in (out.parent, *out.parent.parents) if p.exists())  # the run creates the rest
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"-o {path}: cannot write there ({folder} is not a writable folder)")


def _run(args) -> None:
    _check_output(args.output)
    config = load_config(args.config)
    experiment = next(f for f in FAMILIES if f.name == args.family).experiment(args.experiment)
    bad = [item for item in args.wildcard if "=" not in item]
    if bad:
        raise ValueError(f"-w takes NAME=VALUE, got {bad[0]!r}")
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


def _compare(args) -> None:
    import pandas as pd

    from .archive import compare

    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(compare(args.archived, args.yours).to_string(index=False))


def _export(args) -> None:
    from . import export

    if args.format == "nwb":
        out = export.to_nwb(args.file, args.output)
        errors = export.inspect_nwb(out) if args.inspect else []
        for message in errors:
            print(f"nwbinspector {message.importance.name}: {message.message}", file=sys.stderr)
        if errors:
            raise ValueError(f"{out}: nwbinspector reports {len(errors)} error(s)")
    else:
        out = export.write_neo(args.file, args.output)
    print(out)


def _experiments_help() -> str:
    lines = ["experiments (family experiment: the -w wildcards naming one run; seed from --seed):"]
    for family in FAMILIES:
        for e in family.experiments:
            names = [w for w in e.wildcards if not (w == "seed" and e.seeded)]
            lines.append(f"  {family.name} {e.name}: " + (" ".join(f"-w {w}=..." for w in names) or "-")
                         + (" --seed N" if e.seeded else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sal", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one experiment and write its result file", epilog=_experiments_help(),
                         formatter_class=argparse.RawDescriptionHelpFormatter)
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
    comp = sub.add_parser("compare", help="print headline numbers of the archive next to yours")
    comp.add_argument("archived", help="e.g. archive/paper/results/tables/headline_numbers.csv")
    comp.add_argument("yours", help="e.g. results/tables/headline_numbers.csv of your paper-scale run")
    comp.set_defaults(func=_compare)
    exp = sub.add_parser("export", help="export the spikes of a result file to NWB or Neo (needs sal[nwb])")
    exp.add_argument("format", choices=["nwb", "neo"])
    exp.add_argument("file", help="result file (.nc) with spikes")
    exp.add_argument("-o", "--output", required=True,
                     help="file to write (nwb: .nwb; neo: .nix with NixIO, any other suffix with PickleIO)")
    exp.add_argument("--inspect", action="store_true", help="nwb: fail if nwbinspector reports errors")
    exp.set_defaults(func=_export)
    args = parser.parse_args(argv)
    try:
        args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `sal provenance FILE | head`: the reader has gone, not an error
        sys.stdout = None
        return 0
    except (ConfigError, store.ResultFileError, ValueError, OSError, ImportError) as err:
        print(f"sal: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
