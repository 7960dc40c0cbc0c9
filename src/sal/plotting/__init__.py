"""Figures: one function per figure (datasets in, Figure out), a package style, deterministic files.

One place for the look of every figure: the style file (``STYLE``), the colour-blind-safe palette
(Okabe–Ito) with a fixed colour, line style and marker per method (``METHODS``), and ``save``, which
writes the files inside the style, so that its dpi, bounding box and TrueType fonts apply.
``text_problems`` lists text that is clipped or overlaps other text (the render test uses it).
"""

from __future__ import annotations

from contextlib import contextmanager
from itertools import combinations
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, LogLocator  # noqa: E402

STYLE = Path(__file__).with_name("sal.mplstyle")

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
GREY = "#7F7F7F"  # references and baselines that are no method


class MethodStyle(NamedTuple):
    label: str
    color: str
    linestyle: object
    marker: str

    @property
    def line(self) -> dict:
        """Keyword arguments of ``Axes.plot`` for this method's line."""
        return {"color": self.color, "linestyle": self.linestyle, "label": self.label}


#: method key (as the datasets name it) -> its look in every figure. Colours differ between all methods
#: that share a figure, and so do line styles and markers (colour is never the only cue); "no SAL" and FA
#: (feedback that is not learned) share vermillion but never a figure, and differ in line style and marker.
METHODS = {
    "sal": MethodStyle("SAL", OKABE_ITO["blue"], "-", "o"),
    "bp": MethodStyle("BP", OKABE_ITO["black"], (0, (1, 1)), "D"),
    "fa": MethodStyle("FA", OKABE_ITO["vermillion"], (0, (4, 1.5)), "s"),
    "bp_fa": MethodStyle("BP+FA", GREY, (0, (5, 1.5, 1, 1.5)), "X"),
    "kp": MethodStyle("KP", OKABE_ITO["bluish green"], (0, (2.5, 1, 1, 1, 1, 1)), "^"),
    "kp_best": MethodStyle("KP, best rate", OKABE_ITO["orange"], (0, (6, 1.5)), "v"),  # KP at fig S2's best rate
    "scfa": MethodStyle("SC-FA", OKABE_ITO["reddish purple"], (0, (1.5, 1)), "v"),
    "rdd": MethodStyle("RDD", OKABE_ITO["orange"], (0, (7, 2)), "P"),
    "stdwi": MethodStyle("STDWI", OKABE_ITO["sky blue"], (0, (3, 1, 1, 1)), "*"),
    "none": MethodStyle("no SAL", OKABE_ITO["vermillion"], (0, (3, 1.5)), "s"),
}


def method(key) -> MethodStyle:
    """The look of method ``key``; an unknown method is drawn grey, solid, with its key as label."""
    return METHODS.get(str(key), MethodStyle(str(key), GREY, "-", "o"))


class _MinorLabels(LogFormatterSciNotation):
    """Minor tick labels of a log axis with at most one decade tick. Where matplotlib labels a subset (2, 3, 4
    and 6 × 10^k, whose 3 and 4 crowd), only 2 and 5 × 10^k are labelled, as long as that leaves two labels
    in view (with the decade ticks); otherwise matplotlib's choice stands."""

    def set_locs(self, locs=None):
        super().set_locs(locs)
        if not 1 < len(self._sublabels) < self._base or self.axis is None:
            return
        low, high = sorted(self.axis.get_view_interval())
        ticks = np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
        kept = (10.0 ** ticks[:, None] * np.array([1.0, 2.0, 5.0])).ravel()
        if np.count_nonzero((kept >= low) & (kept <= high)) >= 2:
            self._sublabels = {1, 2, 5, self._base}


def log_axis(ax, axis: str = "y") -> None:
    """A log axis labelled at its decades; one that spans less than a decade labels a few of the ticks
    between them instead (never all: they would overlap)."""
    getattr(ax, f"set_{axis}scale")("log")
    which = getattr(ax, f"{axis}axis")
    which.set_major_locator(LogLocator(base=10))
    which.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10)))
    which.set_major_formatter(LogFormatterSciNotation(base=10))
    which.set_minor_formatter(_MinorLabels(base=10, labelOnlyBase=False, minor_thresholds=(1, 0.05)))


@contextmanager
def style():
    """Apply the package style while building (and saving) a figure."""
    with plt.style.context(STYLE):
        yield


def require_finite(name: str, *arrays) -> None:
    """Refuse to plot NaN or infinite values: a figure never hides a broken number."""
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: {np.count_nonzero(~np.isfinite(a))} non-finite values would be plotted")


def save(fig, stem) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png inside the package style (its dpi, bounding box and TrueType
    fonts), with deterministic metadata (no timestamps)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    with style():
        fig.savefig(paths[0], metadata={"CreationDate": None, "ModDate": None, "Creator": "sal", "Producer": "sal"})
        fig.savefig(paths[1], metadata={"Software": None})
    plt.close(fig)
    return paths


def drawn_texts(fig) -> list[tuple[Text, object]]:
    """Every visible, non-empty Text artist that drawing ``fig`` renders (titles, labels, tick labels, legend
    entries, annotations, table cells), with its window extent in display pixels."""
    drawn = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, Text.get_window_extent(self, renderer)))

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return drawn


def _describe(text: Text) -> str:
    owner = text.axes.get_title(loc="left") or text.axes.get_title() if text.axes is not None else ""
    where = f" in axes {owner!r}" if owner else ""
    return f"{text.get_text()!r}{where}"


def text_problems(fig, tolerance: float = 0.5) -> list[str]:
    """Text of ``fig`` that lies (partly) outside the figure or overlaps other text, as messages (empty if
    none). Overlaps are counted where two extents intersect by more than ``tolerance`` pixels both ways."""
    drawn = drawn_texts(fig)
    frame = fig.bbox
    problems = []
    for text, box in drawn:
        if (box.x0 < frame.x0 - tolerance or box.y0 < frame.y0 - tolerance or box.x1 > frame.x1 + tolerance
                or box.y1 > frame.y1 + tolerance):
            problems.append(f"outside the figure: {_describe(text)}")
    for (a, box_a), (b, box_b) in combinations(drawn, 2):
        dx = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        dy = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if dx > tolerance and dy > tolerance:
            problems.append(f"overlap: {_describe(a)} and {_describe(b)}")
    return problems
