"""The raster reader on all-grey plots (matplotlib's grayscale style): a light grey series beside black ones is a
series, not the anti-aliased edge of the black strokes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import plot_image  # tests/ is on sys.path (pytest's prepend import mode)

from extractors.figures.raster import read_raster

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed (Debian: apt-get install tesseract-ocr)"
)


@pytest.mark.parametrize("dpi", [150, 200], ids=["150dpi", "200dpi"])
def test_a_light_grey_dotted_series_beside_black_and_grey_ones_is_read(tmp_path: Path, dpi: int) -> None:
    x = np.linspace(0, 8, 60)
    rng = np.random.default_rng(4)
    xs = np.sort(rng.uniform(1, 7.7, 11))
    curves = {
        "TiO2": 2.2 + 0.18 * x,
        "GaN": 1.25 + 0.2 * np.cos(0.8 * x),
    }
    with plt.style.context("grayscale"):
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(x, curves["TiO2"], "-", lw=1.4, label="TiO2")
        ax.plot(xs, 3.4 + 0.13 * xs, "D", markersize=5, label="Al2O3")
        ax.plot(x, curves["GaN"], ":", lw=1.4, label="GaN")
        ax.legend(fontsize=8)
        ax.set_xlabel("Strain (%)")
        ax.set_ylabel("Hardness (GPa)")
        fig.tight_layout()
        lo, hi = ax.get_ylim()
        (plot,) = read_raster(plot_image(fig, tmp_path / "grey.png", dpi))
    assert plot.status == "read", plot.reason
    by_label = {s.label: s for s in plot.series}
    assert {"TiO2", "Al2O3", "GaN"} <= set(by_label)
    for name, y in curves.items():
        px, py = np.array(by_label[name].points).T
        assert px.min() < 0.8 and px.max() > 7.2, f"{name} covers too little of the x range"
        inside = (x >= px.min()) & (x <= px.max())
        error = np.median(np.abs(np.interp(x[inside], px, py) - y[inside])) / (hi - lo)
        assert error < 0.02, name
