"""The Snakemake report of a finished study, checked in a real headless browser: the landing page
describes the study, shows the headline table as a table and lists the figures by their labels."""

import csv
import html.parser
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ROOT / "archive" / "paper" / "results" / "tables" / "headline_numbers.csv"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Text(html.parser.HTMLParser):
    """The visible text of a page and the cells of its tables (script and style contents left out)."""

    def __init__(self):
        super().__init__()
        self.text, self.cells, self._skip, self._cell = [], [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if self._cell is not None:
                self._cell.append(data)


def _build_and_browse(tmp_path, *args):
    """Build the targets and the report of a study (``args``: snakemake options and targets) in ``tmp_path``
    and load the report in headless chromium: the visible text and the table cells of its landing page."""
    smk = [sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(tmp_path), *args]
    build = subprocess.run(smk, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    report = tmp_path / "report.html"  # .html: one self-contained file (.zip would unpack to a folder)
    made = subprocess.run([*smk[:-len(args)], "--report", str(report), *args], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]

    browser = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
         f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    if browser.returncode != 0 or "<html" not in browser.stdout:
        pytest.skip(f"chromium cannot run here: {browser.stderr[-500:]}")
    page = _Text()
    page.feed(browser.stdout)  # the DOM after the report's JavaScript rendered the landing page
    return " ".join(" ".join(page.text).split()), page.cells


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_report_shows_description_headline_table_and_figure_labels(tmp_path):
    text, cells = _build_and_browse(tmp_path, "--configfile", str(ROOT / "config" / "archive.yaml"))
    assert "Weight transport through spike timing for robust local gradients" in text
    assert "config/archive.yaml" in text and "at commit" in text
    assert "Archive mode: no simulation ran" in text and "reduced scale" not in text
    rows = list(csv.reader(HEADLINE.open(encoding="utf-8")))
    for row in (rows[0], rows[1], rows[2], rows[-1]):  # the header and some rows, cell by cell
        for value in row:
            assert " ".join(value.split()) in cells, value
    assert "-0.0288858" in cells
    assert "Fig 2c — spike-time-difference distributions (STDDs) of two sampling neurons" in text
    assert "results/figures/" not in text  # figures are listed by label, not by path


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_default_study_report_says_what_was_run(tmp_path):
    """The default study's landing page (one cheap figure of it, fig 12, two jobs: the wording does not depend
    on which figures were built; the headline tables' rendering is checked in archive mode above)."""
    text, _ = _build_and_browse(tmp_path, "--", "fig12")
    assert "with the config files config/config.yaml (the default study;" in text, text
    assert "The default study runs at a reduced scale" in text and "config/paper.yaml gives the paper's scale" in text
    assert "Archive mode" not in text and "overlay" not in text
    assert "Fig 12 — the quantities of the symmetrisation proof" in text
    assert "results/figures/" not in text


@pytest.mark.parametrize("configfiles, archive, says, not_says", [
    (["config/config.yaml"], "", "The default study runs at a reduced scale", "overlay"),
    (["config/config.yaml", "config/test.yaml"], "",
     "The default study, as the overlays change it, runs at a reduced scale", "Archive mode"),
    (["config/config.yaml", "config/paper.yaml"], "", "At the paper's scale: config/paper.yaml", "reduced scale"),
    (["config/config.yaml", "config/archive.yaml"], "archive/paper",
     "Archive mode: no simulation ran; the figures and tables are drawn from the archived summaries of a "
     "paper-scale study in archive/paper", "reduced scale"),
])
def test_landing_page_wording_of_each_mode(configfiles, archive, says, not_says):
    """The landing page's template (workflow/report/workflow.rst, rendered by jinja2 as Snakemake does) for
    the default study, an overlay, the paper's scale and archive mode, without building a study."""
    import jinja2

    template = jinja2.Template((ROOT / "workflow" / "report" / "workflow.rst").read_text())
    run = {"commit": "0123abc", "configfiles": configfiles, "archive": archive}
    page = template.render(snakemake=SimpleNamespace(config={"_report": run}), files=[], categories={})
    text = " ".join(page.replace("``", "").split())
    assert says in text and not_says not in text, text
    assert "with the config files " + ", ".join(configfiles) in text and "at commit 0123abc" in text
