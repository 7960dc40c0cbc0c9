"""The paper-scale archive: the summaries of paper-scale studies, kept in the repository.

``archive/paper/`` holds, under the same relative paths as a study's ``results/``, the files the plot and
headline rules read (summaries and single-run files; never raw rasters of sweeps), the headline tables
the study produced, and ``manifest.yaml``: per file its sha256, the number of runs it stacks, the config
that made it, the hash of the code that made it and the commit. With ``archive: archive/paper`` in the
config (``config/archive.yaml``) the workflow draws every figure whose inputs are archived from there,
without running a simulation.

    python -m sal.archive collect STUDY_DIR --config "config/paper.yaml" [--dest archive/paper]
    python -m sal.archive check [archive/paper]
    sal compare archive/paper/results/tables/headline_numbers.csv results/tables/headline_numbers.csv
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

from . import store

MANIFEST = "manifest.yaml"
HEADLINE_GLOB = "results/tables/headline_numbers*.csv"


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _runs(ds) -> int:
    """How many runs a result file stacks (1 for a single run or an exact computation)."""
    runs = store.parameters(ds).get("runs")
    return len(runs) if isinstance(runs, dict) else 1


def entry(path: Path, config: str) -> dict:
    """The manifest entry of one archived file."""
    out = {"sha256": sha256(path), "bytes": path.stat().st_size, "config": config}
    if path.suffix == ".nc":
        ds = store.read(path)
        out.update(kind=ds.attrs["sal_kind"], runs=_runs(ds), code=ds.attrs.get("sal_code", ""),
                   commit=ds.attrs.get("sal_commit", ""))
    return out


def products(config: dict) -> list[str]:
    """Every file (relative to a study's folder) that the figures and headline tables of ``config`` read."""
    from .registry import FAMILIES

    files = set()
    for family in FAMILIES:
        for job in family.figure_jobs(config[family.name]):
            files.update(job.inputs.values())
        for table in {h.table for h in family.headline}:
            files.update(family.headline_inputs(config[family.name], table).values())
    return sorted(files)


def collect(study: Path, config_files, dest: Path, families=None) -> list[str]:
    """Copy the product files a study (run with ``config_files``) has made into ``dest``, with its headline
    tables, and update the manifest. ``families`` limits it to those families' files. Returns the paths."""
    from .config import load

    config = load(config_files)
    label = " + ".join(str(f) for f in config_files)
    wanted = [f for f in products(config) if families is None or f.split("/")[1] in families]
    wanted += sorted(str(p.relative_to(study)) for p in study.glob(HEADLINE_GLOB))
    manifest = read_manifest(dest) if (dest / MANIFEST).is_file() else {}
    copied = []
    for rel in wanted:
        source = study / rel
        if not source.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        manifest[rel] = entry(target, label)
        copied.append(rel)
    write_manifest(dest, manifest)
    return copied


def read_manifest(root) -> dict:
    return yaml.safe_load((Path(root) / MANIFEST).read_text())["files"]


def write_manifest(root, files: dict) -> None:
    text = ("# The paper-scale archive (see sal/archive.py): every file, its sha256, the runs it stacks, the\n"
            "# config, code hash and commit that made it. Checked by tests/test_archive.py.\n")
    text += yaml.safe_dump({"files": dict(sorted(files.items()))}, sort_keys=False, allow_unicode=True)
    (Path(root) / MANIFEST).write_text(text)


def check(root) -> list[str]:
    """Problems of an archive: files missing from the manifest or the disk, hashes or run counts that differ."""
    root = Path(root)
    files = read_manifest(root)
    problems = []
    on_disk = {str(p.relative_to(root)) for p in (root / "results").rglob("*") if p.is_file()}
    for rel in sorted(on_disk - set(files)):
        problems.append(f"{rel}: not in the manifest")
    for rel, expected in files.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: in the manifest, not on disk")
            continue
        actual = entry(path, expected["config"])
        for key in ("sha256", "runs", "code", "commit"):
            if key in expected and actual.get(key) != expected[key]:
                problems.append(f"{rel}: {key} is {actual.get(key)!r}, the manifest says {expected[key]!r}")
    return problems


def compare(archived, yours) -> pd.DataFrame:
    """Headline numbers side by side: the archive's value and yours, per (figure, quantity)."""
    a = pd.read_csv(archived, keep_default_na=False)
    b = pd.read_csv(yours, keep_default_na=False)
    keys = ["figure", "quantity"]
    merged = a.merge(b[keys + ["ours", "measured at"]], on=keys, how="outer", suffixes=(" (archive)", " (yours)"))
    cols = keys + ["ours (archive)", "ours (yours)", "paper", "measured at (archive)", "measured at (yours)"]
    return merged[cols].fillna("—")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sal.archive", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="copy a study's summaries and headline tables into the archive")
    c.add_argument("study", type=Path, help="the study's working directory (holding results/)")
    c.add_argument("--config", nargs="+", required=True, help="the config files the study ran with")
    c.add_argument("--dest", type=Path, default=Path("archive/paper"))
    c.add_argument("--family", action="append", help="only these families (default: all)")
    k = sub.add_parser("check", help="check the archive's files against its manifest")
    k.add_argument("root", type=Path, nargs="?", default=Path("archive/paper"))
    args = parser.parse_args(argv)
    if args.command == "collect":
        for rel in collect(args.study, args.config, args.dest, args.family):
            print(rel)
        return 0
    problems = check(args.root)
    print("\n".join(problems) if problems else f"{args.root}: every file matches the manifest")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

