"""The Snakemake report of a finished study, checked in a real headless browser: the landing page
describes the study, shows the headline table as a table and lists the figures by their labels."""

import csv
import html.parser
import os
import shutil
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_report_shows_description_headline_table_and_figure_labels(tmp_path):
    smk = [sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(ROOT / "config" / "archive.yaml")]
    build = subprocess.run(smk, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    report = tmp_path / "report.html"  # .html: one self-contained file (.zip would unpack to a folder)
    made = subprocess.run([*smk, "--report", str(report)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]

    browser = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
         f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    if browser.returncode != 0 or "<html" not in browser.stdout:
        pytest.skip(f"chromium cannot run here: {browser.stderr[-500:]}")
    page = _Text()
    page.feed(browser.stdout)  # the DOM after the report's JavaScript rendered the landing page
    text = " ".join(" ".join(page.text).split())

    assert "Weight transport through spike timing for robust local gradients" in text
    assert "config/archive.yaml" in text and "at commit" in text
    rows = list(csv.reader(HEADLINE.open(encoding="utf-8")))
    for row in (rows[0], rows[1], rows[2], rows[-1]):  # the header and some rows, cell by cell
        for value in row:
            assert " ".join(value.split()) in page.cells, value
    assert "-0.0288858" in page.cells
    assert "Fig 2c — spike-time-difference distributions (STDDs) of two sampling neurons" in text
    assert "results/figures/" not in text  # figures are listed by label, not by path
