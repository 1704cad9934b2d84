"""Rendering figure regions: a region drawn huge is rendered under a pixel cap, or skipped with a reason."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from extractors.documents.papers import open_paper, parse_document
from extractors.figures.base import MAX_RENDER_PIXELS, MIN_RENDER_DPI, RENDER_DPI, figure_images, render_scale


def image_pdf(path: Path, side_pt: float) -> Path:
    """A one-page PDF of a few KB: a 64 x 64 pixel image drawn side_pt wide, under a "Fig. 1" caption."""
    pdf = pymupdf.open()
    page = pdf.new_page(width=side_pt + 100, height=side_pt + 200)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.clear_with(230)
    for x in range(64):
        pix.set_pixel(x, x, (0, 0, 0))
    page.insert_image(pymupdf.Rect(50, 50, 50 + side_pt, 50 + side_pt), pixmap=pix)
    page.insert_text((50, side_pt + 90), "Fig. 1. The band gap of ZnO against temperature.", fontsize=11)
    page.insert_text((50, side_pt + 120), "The band gap of ZnO is 3.3 eV at 300 K, measured by UV-vis.", fontsize=11)
    pdf.save(path)
    return path


def rendered(path: Path) -> list:
    doc = parse_document(open_paper(path))
    assert [f.kind for f in doc.figures] == ["raster"]
    return list(figure_images(path, doc))


def test_a_figure_of_ordinary_size_keeps_the_full_resolution(tmp_path: Path) -> None:
    [figure] = rendered(image_pdf(tmp_path / "small.pdf", 300))
    assert figure.skip_reason is None
    assert figure.scale == pytest.approx(RENDER_DPI / 72, rel=0.01)
    assert figure.image.width == pytest.approx((300 + 8) * RENDER_DPI / 72, abs=2)  # the region has a 4 pt margin


def test_an_image_drawn_3000_pt_wide_is_rendered_under_the_pixel_cap(tmp_path: Path) -> None:
    """At RENDER_DPI it would be 8,356 pixels square (70 megapixels, 210 MB before any copy)."""
    path = image_pdf(tmp_path / "huge.pdf", 3000)
    assert path.stat().st_size < 50_000
    [figure] = rendered(path)
    width, height = figure.image.size
    assert figure.skip_reason is None
    assert width * height <= MAX_RENDER_PIXELS and width * height > 0.9 * MAX_RENDER_PIXELS
    assert MIN_RENDER_DPI / 72 < figure.scale < RENDER_DPI / 72
    # the page-to-pixel mapping the readers use still lands the region's far corner on the image's
    x1, y1 = figure.to_pixels(figure.region[2], figure.region[3])
    assert (x1, y1) == (pytest.approx(width, abs=2), pytest.approx(height, abs=2))


def test_an_image_drawn_10000_pt_wide_is_skipped_with_a_reason(tmp_path: Path) -> None:
    [figure] = rendered(image_pdf(tmp_path / "huger.pdf", 10000))
    assert figure.skip_reason is not None and figure.skip_reason.startswith("too large to render: 10008 x 10008 pt")
    assert figure.image.size == (1, 1)
    assert figure.blank(figure.skip_reason).status == "skipped"


def test_read_figures_reports_the_too_large_figure_as_skipped(tmp_path: Path) -> None:
    from extractors.figures.reading import make_figure_reader, read_figures

    path = image_pdf(tmp_path / "huger.pdf", 10000)
    reader = make_figure_reader("digitizer")
    assert reader is not None
    [plot] = read_figures(path, parse_document(open_paper(path)), reader)
    assert plot.status == "skipped" and plot.reason is not None and plot.reason.startswith("too large to render")


@pytest.mark.parametrize(
    ("width", "height", "max_pixels", "dpi", "skipped"),
    [
        (500, 400, MAX_RENDER_PIXELS, 200.0, False),
        (3000, 3000, MAX_RENDER_PIXELS, 96.0, False),
        (14400, 20, MAX_RENDER_PIXELS, 200.0, False),
        (0, 0, MAX_RENDER_PIXELS, 200.0, False),
        (6000, 6000, MAX_RENDER_PIXELS, 48.0, True),
        (500, 400, 1_000_000, 161.0, False),
    ],
    ids=["ordinary", "huge_square", "long_thin_strip", "empty_region", "past_the_cap", "smaller_cap"],
)
def test_render_scale(width: float, height: float, max_pixels: int, dpi: float, skipped: bool) -> None:
    clip = pymupdf.Rect(0, 0, width, height)
    scale, reason = render_scale(clip, RENDER_DPI, max_pixels)
    assert scale * 72 == pytest.approx(dpi, rel=0.01)
    assert (reason is not None) == skipped
    if not skipped:
        box = (clip * pymupdf.Matrix(scale, scale)).irect
        assert box.width * box.height <= max_pixels
