"""The command line runs experiments like the workflow does and prints provenance."""

from pathlib import Path

import numpy as np

from sal import store
from sal.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [str(ROOT / "config" / "config.yaml"), str(ROOT / "config" / "test.yaml")]


def test_run_and_provenance(tmp_path, capsys):
    out = tmp_path / "we.nc"
    assert main(["run", "principle", "weight_evolution", "--config", *CONFIGS, "-w", "condition=w_ij_fixed",
                 "--seed", "4", "-o", str(out)]) == 0
    ds = store.read(out, kind="principle.weight_evolution")
    assert ds.attrs["seed"] == 4 and store.parameters(ds)["plastic"] == ["w_ji"]
    assert np.all(ds["w_ij"].values == store.parameters(ds)["w_ij"])
    capsys.readouterr()
    assert main(["provenance", str(out)]) == 0
    text = capsys.readouterr().out
    assert "principle.weight_evolution" in text and "seed:        4" in text and '"epochs": 40' in text
    for field in ("code hash:", "commit:", "versions:    python", "numpy", "numba", "xarray", "h5py"):
        assert field in text, field
    assert ds.attrs["sal_labels"] == '{"condition": "w_ij_fixed", "seed": "4"}'
    from sal.principle.registry import FAMILY
    from sal.pipeline import experiment_code
    assert ds.attrs["sal_code"] == experiment_code(FAMILY.experiment("weight_evolution"))  # = the rule's code


def test_errors_are_reported_not_raised(tmp_path, capsys):
    assert main(["provenance", str(tmp_path / "missing.nc")]) == 2
    assert "missing.nc: result file does not exist" in capsys.readouterr().err
    assert main(["run", "principle", "weight_evolution", "--config", *CONFIGS, "--seed", "1",
                 "-o", str(tmp_path / "x.nc")]) == 2
    assert "missing ['condition']" in capsys.readouterr().err
    bad = tmp_path / "config" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("principle: {}\n")
    assert main(["run", "principle", "proof", "--config", str(bad), "-o", str(tmp_path / "y.nc")]) == 2
    assert "config schema" in capsys.readouterr().err


def test_user_errors_are_one_line_and_the_pipe_may_close(tmp_path, capsys):
    import subprocess
    import sys

    assert main(["run", "principle", "nope", "--config", *CONFIGS, "-o", str(tmp_path / "x.nc")]) == 2
    assert "unknown principle experiment 'nope'" in capsys.readouterr().err
    assert main(["run", "principle", "proof", "--config", *CONFIGS, "-w", "key", "-o", str(tmp_path / "x.nc")]) == 2
    assert "-w takes NAME=VALUE, got 'key'" in capsys.readouterr().err
    assert main(["run", "principle", "proof", "--config", str(tmp_path / "none.yaml"), "-o", "x.nc"]) == 2
    assert "cannot read config file" in capsys.readouterr().err
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for output, message in ((blocker / "x.nc", "a_file is not a writable folder"), (tmp_path, "is a folder")):
        assert main(["run", "principle", "proof", "--config", *CONFIGS, "-o", str(output)]) == 2
        assert f"-o {output}: " in (err := capsys.readouterr().err) and message in err, err
    out = tmp_path / "p.nc"
    assert main(["run", "principle", "proof", "--config", *CONFIGS, "-o", str(out)]) == 0
    piped = subprocess.run(f"{sys.executable} -m sal provenance {out} | head -1", shell=True, capture_output=True,
                           text=True)
    assert piped.stdout.startswith("file:") and "Traceback" not in piped.stderr, piped.stderr
    version = subprocess.run([sys.executable, "-m", "sal", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("sal ")
    helptext = subprocess.run([sys.executable, "-m", "sal", "run", "--help"], capture_output=True, text=True).stdout
    assert "sampling noise_run: -w protocol=..." in helptext and "principle weight_evolution: -w condition=..." in helptext
