"""The raster reader on small tick labels at a low resolution: labels rotated until their glyphs run together,
decimals that fall apart, minor log labels (6×10^1), log labels whose exponents OCR loses, an offset text
beside the axis' end."""

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


def close(a: tuple[float, float] | None, b: tuple[float, float], tol: float = 0.02) -> bool:
    assert a is not None
    span = abs(b[1] - b[0])
    return abs(a[0] - b[0]) <= tol * span and abs(a[1] - b[1]) <= tol * span


def test_small_labels_rotated_45_degrees_run_together_and_are_still_read(tmp_path: Path) -> None:
    x = np.linspace(300, 800, 40)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(x, 10 + 0.04 * x, color="tab:blue")
    ax.tick_params(labelsize=6)
    for t in ax.get_xticklabels():
        t.set_rotation(45)
        t.set_horizontalalignment("right")
    ax.set_xlabel("Temperature (K)")
    ax.set_ylabel("Stress (MPa)")
    fig.tight_layout()
    xlim = ax.get_xlim()
    (plot,) = read_raster(plot_image(fig, tmp_path / "rot45.png", dpi=100, upscale=2.0))
    assert plot.status == "read", plot.reason
    assert close(plot.x_range, xlim)


def test_small_decimal_labels_that_fall_apart_at_the_point_are_whole_again(tmp_path: Path) -> None:
    x = np.linspace(0, 8, 9)
    y = 1.1 + 0.1 * x
    with plt.style.context("ggplot"):
        fig, ax = plt.subplots(figsize=(5.4, 3.2))
        ax.plot(x, y, "^", color="tab:red")
        ax.tick_params(labelsize=7, colors="0.45")  # grey labels: the point fades into the background
        ax.set_xlabel("Strain / %")
        ax.set_ylabel("Intensity / a.u.")
        fig.tight_layout()
        ylim = ax.get_ylim()
        (plot,) = read_raster(plot_image(fig, tmp_path / "decimals.png", dpi=100, upscale=2.0))
    assert plot.status == "read", plot.reason
    assert close(plot.y_range, ylim)


def test_minor_log_labels_with_a_mantissa_are_read(tmp_path: Path) -> None:
    x = np.linspace(400, 800, 50)
    y = 3.0 * 10 ** (1.4 * (x - 400) / 400)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.semilogy(x, y, color="k")
    ax.set_xlabel("Wavelength / nm")
    ax.set_ylabel("Band gap / eV")
    fig.tight_layout()
    ylim = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) if t.get_text()]
    assert any("times" in t for t in labels), "the plot must show minor labels such as 6×10^1"
    (plot,) = read_raster(plot_image(fig, tmp_path / "minor.png", dpi=150, upscale=1.5))
    assert plot.status == "read", plot.reason
    assert plot.y_scale == "log"
    lo, hi = plot.y_range or (0.0, 0.0)
    assert abs(np.log10(lo / ylim[0])) < 0.02 and abs(np.log10(hi / ylim[1])) < 0.02


def test_slanted_log_labels_whose_exponents_are_misread_get_the_evenly_spaced_decades(tmp_path: Path) -> None:
    x = np.logspace(0, 4, 30)
    with plt.style.context("classic"):
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.semilogx(x, 1e6 * (1.2 + 0.1 * np.log10(x)), color="b")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(top=False, right=False)
        for t in ax.get_xticklabels():
            t.set_rotation(30)
            t.set_horizontalalignment("right")
        ax.set_xlabel("Wavelength [nm]")
        ax.set_ylabel("Hardness [GPa]")
        fig.tight_layout()
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        (plot,) = read_raster(plot_image(fig, tmp_path / "slanted_log.png", dpi=110, upscale=2.0))
    assert plot.status == "read", plot.reason
    assert plot.x_scale == "log"
    lo, hi = plot.x_range or (0.0, 0.0)
    assert abs(np.log10(lo / xlim[0])) < 0.02 and abs(np.log10(hi / xlim[1])) < 0.02
    assert close(plot.y_range, ylim)


def test_small_single_digit_exponents_of_a_log_axis_are_read(tmp_path: Path) -> None:
    x = np.linspace(400, 800, 60)
    y = 10 ** (0.1 + 2.5 * (x - 400) / 400)
    with plt.style.context("ggplot"), plt.rc_context({"font.family": "serif", "mathtext.fontset": "dejavuserif"}):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.semilogy(x, y)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("Wavelength [nm]")
        ax.set_ylabel("Stress [MPa]")
        fig.tight_layout()
        ylim = ax.get_ylim()
        (plot,) = read_raster(plot_image(fig, tmp_path / "exponents.png", dpi=100, upscale=2.0))
    assert plot.status == "read", plot.reason
    assert plot.y_scale == "log"
    lo, hi = plot.y_range or (0.0, 0.0)
    decades = np.log10(ylim[1] / ylim[0])
    assert abs(np.log10(lo / ylim[0])) < 0.02 * decades and abs(np.log10(hi / ylim[1])) < 0.02 * decades
