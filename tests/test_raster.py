"""The raster plot reader on matplotlib PNGs of known data, figures it must skip, and a plot inside a PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import plot_image  # tests/ is on sys.path (pytest's prepend import mode)

from extractors.figures.raster import RasterReader, _fix_unit, read_raster
from schemas.errors import ConfigError
from schemas.figure import FigureData, FigureSkip, Series

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed (Debian: apt-get install tesseract-ocr)"
)
X = np.linspace(0, 10, 41)


def y_error(plot: FigureData, series: Series, x: np.ndarray, y: np.ndarray) -> float:
    """Median |y error| of a series at the truth's x, as a fraction of the y axis (log10 on a log axis)."""
    px, py = np.array(series.points).T
    f = np.log10 if plot.y_scale == "log" else (lambda v: v)
    assert plot.y_range is not None
    lo, hi = plot.y_range
    inside = (x >= px.min()) & (x <= px.max())
    assert inside.mean() > 0.8, "the series covers too little of the truth"
    if series.style == "scatter":
        errors = [abs(f(py[np.argmin(abs(px - a))]) - f(b)) for a, b in zip(x, y, strict=True)]
    else:
        errors = np.abs(np.interp(x[inside], px, f(py)) - f(y[inside]))
    return float(np.median(errors) / abs(f(hi) - f(lo)))


@needs_tesseract
def test_lines_with_legend_grid_and_units(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, 3.2 - 0.05 * X, label="TiO2")
    ax.plot(X, 2.9 + 0.1 * np.sin(X), "--", label="ZnO")
    ax.set_xlabel("Temperature (K)")
    ax.set_ylabel("Band gap (eV)")
    ax.grid(True)
    ax.legend(loc="lower left")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "lines.png"))
    assert plot.status == "read" and plot.reader == "digitizer" and plot.kind == "raster"
    assert (plot.number, plot.page, plot.panel) == (3, 2, None)
    assert (plot.x_label, plot.x_unit, plot.y_label, plot.y_unit) == ("Temperature", "K", "Band gap", "eV")
    assert (plot.x_scale, plot.y_scale) == ("linear", "linear")
    assert plot.x_range == pytest.approx((-0.5, 10.5), abs=0.05)
    by_label = {s.label: s for s in plot.series}
    assert set(by_label) == {"TiO2", "ZnO"}
    assert by_label["TiO2"].style == "line" and by_label["TiO2"].color == "#1f77b4"
    assert y_error(plot, by_label["TiO2"], X, 3.2 - 0.05 * X) < 0.01
    assert y_error(plot, by_label["ZnO"], X, 2.9 + 0.1 * np.sin(X)) < 0.01
    assert {"TiO2", "ZnO", "Temperature (K)"} <= set(plot.text)
    x0, y0, x1, y1 = plot.bbox  # the panel on the page, inside the figure's region
    assert 50 <= x0 < x1 <= 50 + 4 * 72 and 100 <= y0 < y1 <= 100 + 3 * 72


@needs_tesseract
def test_log_axis_scatter_and_exponent_labels(tmp_path: Path) -> None:
    x = np.linspace(1.2, 2.4, 11)
    y = 2e4 * np.exp(-11.0 * x)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.semilogy(x, y, "s", color="tab:orange")
    ax.set_xlabel("1000/T (K$^{-1}$)")
    ax.set_ylabel("Conductivity (S cm$^{-1}$)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "log.png"))
    assert (plot.x_scale, plot.y_scale) == ("linear", "log")
    assert (plot.x_unit, plot.y_unit) == ("K^-1", "S cm^-1")
    (series,) = plot.series
    assert series.style == "scatter" and len(series.points) == 11
    assert y_error(plot, series, x, y) < 0.005
    assert any(t.startswith("10^-") for t in plot.text)


@needs_tesseract
def test_panels_are_split_and_labelled(tmp_path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
    for ax, letter, k in zip(axes, "ab", (1.0, -2.0), strict=True):
        ax.plot(X, k * X, "o-", color="k", markersize=3)
        ax.set_xlabel("Pressure (GPa)")
        ax.set_ylabel("Strain (%)")
        ax.text(-0.2, 1.03, f"({letter})", transform=ax.transAxes, fontweight="bold")
    fig.tight_layout()
    plots = read_raster(plot_image(fig, tmp_path / "panels.png"))
    assert [p.panel for p in plots] == ["a", "b"]
    assert plots[0].bbox[2] < plots[1].bbox[0]
    for plot, k in zip(plots, (1.0, -2.0), strict=True):
        (series,) = plot.series
        assert series.style == "line" and series.color in ("#000000", "#010101", "#020202")
        assert y_error(plot, series, X, k * X) < 0.01
        assert plot.y_unit == "%"


@needs_tesseract
def test_black_series_are_told_apart_by_dashes(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    for style, k in (("-", 1), ("--", 2), (":", 3)):
        ax.plot(X, k * X + 2, "k" + style, label=f"k={k}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left")
    ax.set_xlabel("Strain (%)")
    ax.set_ylabel("Stress (MPa)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "black.png"))
    by_label = {s.label: s for s in plot.series}
    assert set(by_label) == {"k=1", "k=2", "k=3"}
    for k in (1, 2, 3):
        assert y_error(plot, by_label[f"k={k}"], X, k * X + 2) < 0.01


@needs_tesseract
def test_second_y_axis_fails_the_panel(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, X)
    ax.twinx().plot(X, 100 - 10 * X, color="tab:orange")
    ax.set_xlabel("T (K)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "twin.png"))
    assert plot.status == "failed" and "second y axis" in (plot.reason or "") and plot.series == []


@needs_tesseract
def test_offset_text_scales_the_tick_labels(tmp_path: Path) -> None:
    from matplotlib.ticker import ScalarFormatter

    y = 3e4 + 1e3 * X
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, y, color="tab:red")
    formatter = ScalarFormatter(useMathText=True)
    formatter.set_powerlimits((0, 0))
    ax.yaxis.set_major_formatter(formatter)  # labels 3.0 ... 4.0 with '×10^4' above the axis
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Heat (J)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "offset.png"))
    assert plot.y_range is not None and plot.y_range[0] == pytest.approx(2.95e4, rel=0.01)
    assert y_error(plot, plot.series[0], X, y) < 0.01


@needs_tesseract
def test_bars(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([1, 2, 3, 4], [5.0, 7.0, 3.0, 8.0])
    ax.set_xlabel("Sample")
    ax.set_ylabel("Hardness (GPa)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "bars.png"))
    (series,) = plot.series
    assert series.style == "bar"
    assert np.array(series.points) == pytest.approx(np.array([[1, 5], [2, 7], [3, 3], [4, 8]]), abs=0.05)


@needs_tesseract
def test_unreadable_tick_labels_fail_the_panel(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, X**2)
    ax.set_yticklabels([])
    ax.set_xlabel("Time (s)")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "no_labels.png"))
    assert plot.status == "failed" and (plot.reason or "").startswith("no tick labels: y axis")
    assert plot.series == [] and plot.x_unit == "s"


def _photo(fig) -> None:
    from scipy import ndimage

    rng = np.random.default_rng(1)
    image = ndimage.gaussian_filter(rng.random((300, 400)), 3)
    fig.add_axes((0, 0, 1, 1)).imshow(image, cmap="gray")
    fig.axes[0].set_axis_off()


def _schematic(fig) -> None:
    from matplotlib.patches import FancyArrowPatch, Rectangle

    ax = fig.add_axes((0, 0, 1, 1))
    for i, step in enumerate(("Precursor", "Coating", "Annealing")):
        ax.add_patch(Rectangle((0.05 + 0.33 * i, 0.35), 0.22, 0.3, fill=False, edgecolor="k", linewidth=1.5))
        ax.text(0.16 + 0.33 * i, 0.5, step, ha="center", va="center")
        if i:
            ax.add_patch(
                FancyArrowPatch((0.33 * i - 0.05, 0.5), (0.33 * i + 0.04, 0.5), arrowstyle="-|>", mutation_scale=12)
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()


def _surface(fig) -> None:
    ax = fig.add_subplot(projection="3d")
    x, t = np.meshgrid(np.linspace(0, 1, 12), np.linspace(0, 600, 12))
    ax.plot_surface(x, t, 3.4 + 2.6 * x - 0.0005 * t, cmap="viridis")
    ax.set_xlabel("x")
    ax.set_ylabel("T (K)")


def _inset(fig) -> None:
    ax = fig.add_subplot()
    ax.plot(X, X**2)
    inset = ax.inset_axes((0.15, 0.45, 0.35, 0.45))
    inset.plot(X[:10], X[:10] ** 2, color="tab:red")
    fig.tight_layout()


@pytest.mark.parametrize(
    ("draw", "dpi", "reason"),
    [
        pytest.param(_photo, 100, "no axes", id="micrograph"),
        pytest.param(_schematic, 150, "no axes", id="schematic_boxes"),
        pytest.param(_surface, 150, "3d plot", id="surface_3d"),
        pytest.param(_inset, 150, "inset", id="plot_with_inset"),
        pytest.param(_inset, 12, "unreadable image", id="thumbnail"),
    ],
)
def test_what_is_not_a_2d_plot_is_skipped(tmp_path: Path, draw, dpi: int, reason: str) -> None:
    fig = plt.figure(figsize=(4, 3))
    draw(fig)
    with pytest.raises(FigureSkip) as skip:
        read_raster(plot_image(fig, tmp_path / "bad.png", dpi=dpi))
    assert skip.value.reason.startswith(reason)


def test_enlarged_thumbnail_is_unreadable(tmp_path: Path) -> None:
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, np.sin(X), "o-")
    small = plot_image(fig, tmp_path / "thumb.png", dpi=14)
    small.image = small.image.resize((small.image.width * 16, small.image.height * 16), Image.Resampling.NEAREST)
    with pytest.raises(FigureSkip, match="^unreadable image"):
        read_raster(small)


@needs_tesseract
def test_inset_can_be_read_around(tmp_path: Path) -> None:
    fig = plt.figure(figsize=(4, 3))
    _inset(fig)
    (plot,) = read_raster(plot_image(fig, tmp_path / "inset.png"), insets="ignore")
    colours = {s.color for s in plot.series}
    assert "#1f77b4" in colours and "#d62728" not in colours  # the inset's red curve is not the plot's


def test_missing_tesseract_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, X)
    image = plot_image(fig, tmp_path / "plot.png")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="^tesseract not found"):
        read_raster(image)


@pytest.mark.parametrize(
    ("ocr", "accent", "unit"),
    [
        pytest.param("uV K^-1", False, "μV K^-1", id="micro"),
        pytest.param("Q cm", False, "Ω cm", id="ohm_cm"),
        pytest.param("kQ", False, "kΩ", id="kilo_ohm"),
        pytest.param("A", True, "Å", id="angstrom"),
        pytest.param("A", False, "A", id="ampere"),
        pytest.param("a.u.", False, "a.u.", id="arbitrary"),
    ],
)
def test_unit_misreadings(ocr: str, accent: bool, unit: str) -> None:
    assert _fix_unit(ocr, accent) == unit


@needs_tesseract
def test_raster_figure_in_a_pdf(tmp_path: Path) -> None:
    """The whole path: a PNG plot placed on a PDF page above its caption, parsed, rendered and read."""
    import pymupdf

    from extractors.documents.pdf import parse_pdf
    from extractors.figures.reading import read_figures

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, 60 * np.tanh(X - 5), color="tab:green")
    ax.set_xlabel("Field (T)")
    ax.set_ylabel("M (emu/g)")
    fig.tight_layout()
    png = tmp_path / "plot.png"
    fig.savefig(png, dpi=150)
    plt.close(fig)
    pdf = tmp_path / "paper.pdf"
    with pymupdf.open() as doc:
        page = doc.new_page()
        page.insert_image(pymupdf.Rect(150, 80, 150 + 288, 80 + 216), filename=str(png))
        page.insert_text((150, 320), "Fig. 1. Magnetization of the film at 300 K.", fontsize=9)
        page.insert_text((72, 400), "Body text of the paper, long enough to count as a text layer. " * 2, fontsize=9)
        doc.save(pdf)
    (plot,) = read_figures(pdf, parse_pdf(pdf, "id", str(pdf)), RasterReader())
    assert plot.status == "read" and plot.number == 1 and plot.kind == "raster"
    assert (plot.x_label, plot.x_unit, plot.y_unit) == ("Field", "T", "emu/g")
    assert y_error(plot, plot.series[0], X, 60 * np.tanh(X - 5)) < 0.01


@needs_tesseract
def test_legend_formulas_keep_their_letter_o(tmp_path: Path) -> None:
    """OCR reads the O of a formula as a zero (YBa2Cu307, Al203); a legend names materials, so it is put right."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(X, 3.2 - 0.05 * X, label="YBa2Cu3O7")
    ax.plot(X, 2.9 + 0.1 * np.sin(X), "--", label="Al2O3")
    ax.set_xlabel("Temperature (K)")
    ax.set_ylabel("Band gap (eV)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    (plot,) = read_raster(plot_image(fig, tmp_path / "formulas.png", dpi=150))
    assert plot.status == "read" and {s.label for s in plot.series} == {"YBa2Cu3O7", "Al2O3"}


@pytest.mark.parametrize(
    ("ocr", "formula"),
    [
        pytest.param("Al203", "Al2O3", id="zero-inside-a-count"),
        pytest.param("Ti02", "TiO2", id="count-starting-with-zero"),
        pytest.param("YBa2Cu307", "YBa2Cu3O7", id="cuprate"),
        pytest.param("Mn0", "MnO", id="count-of-zero"),
        pytest.param("C60", "C60", id="fullerene-stays"),
        pytest.param("Fe80B20", "Fe80B20", id="at-percent-composition-stays"),
        pytest.param("Zr0.5Ti0.5", "Zr0.5Ti0.5", id="fractions-stay"),
    ],
)
def test_repair_ocr_formula(ocr: str, formula: str) -> None:
    from extractors.quantities.formulas import repair_ocr_formula

    assert repair_ocr_formula(ocr) == formula
