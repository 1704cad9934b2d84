"""A panel's data series: the plot area's ink without grid, ticks, labels and legend, by colour, calibrated."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from extractors.figures.axes import Calibration
from extractors.figures.raster.colours import _colours
from extractors.figures.raster.labels import _PANEL_LABEL, _Panel
from extractors.figures.raster.legend import _labels_by_dash, _legend, _legend_beside
from extractors.figures.raster.morph import close_square
from extractors.figures.raster.page import _Page
from extractors.figures.raster.shapes import _shapes
from schemas.figure import Series


def _series(page: _Page, panel: _Panel, xcal: Calibration, ycal: Calibration) -> tuple[list[Series], list[str]]:
    """The data series inside the panel's plot area, and the legend's words."""
    x0, y0, x1, y1 = panel.frame.interior()
    ink, drawn = _plot_ink(page, panel)
    colours = _colours(page.rgb[y0:y1, x0:x1].astype(np.float32), ink, page.bg)
    legend_boxes, legend_text = _legend(page, colours, (x0, y0, x1, y1))
    if not legend_boxes and colours:
        legend_text = _legend_beside(page, panel, colours)
    for box in legend_boxes:
        drawn[max(0, box[1] - y0) : max(0, box[3] - y0), max(0, box[0] - x0) : max(0, box[2] - x0)] = False
        for c in colours:
            c.mask[max(0, box[1] - y0) : max(0, box[3] - y0), max(0, box[0] - x0) : max(0, box[2] - x0)] = False
    # a grid line or another series drawn over a marker or line cuts it: close such cuts, over drawn pixels only
    k = max(3, int(0.3 * page.text_height)) | 1
    for c in colours:
        c.mask |= close_square(c.mask, k) & drawn
    series = []
    for c in colours:
        hexcol = "#{:02x}{:02x}{:02x}".format(*(int(round(v)) for v in c.rgb))
        shapes = _shapes(c.mask, page.text_height)
        labels = _labels_by_dash(c, shapes) if len(c.entries) > 1 else [c.label] * len(shapes)
        for (style, pts, _), label in zip(shapes, labels, strict=True):
            points = [(xcal.value(px + x0), ycal.value(py + y0)) for px, py in pts]
            points = [(float(a), float(b)) for a, b in points if math.isfinite(a) and math.isfinite(b)]
            if len(points) >= 2:
                series.append(Series(label=label, points=sorted(points), style=style, color=hexcol))
    return series, legend_text


def _plot_ink(page: _Page, panel: _Panel) -> tuple[np.ndarray, np.ndarray]:
    """The plot area's pixels that may be data (no grid, ticks, haze, panel label or inset), and all drawn ones."""
    f = panel.frame
    x0, y0, x1, y1 = f.interior()
    gray, sat = page.gray[y0:y1, x0:x1], page.sat[y0:y1, x0:x1]
    ink = page.ink_dist[y0:y1, x0:x1] > 50
    drawn = ink.copy()
    # inward tick marks and the frame's anti-aliased edge are not data
    m = f.inner_tick + 1
    edge = np.zeros_like(ink)
    edge[:m], edge[-m:], edge[:, :m], edge[:, -m:] = True, True, True, True
    ink &= ~(edge & (sat < 60))
    # grid lines: rows or columns that are mostly light grey
    light = (sat < 40) & (gray > 110)
    for axis in (0, 1):
        frac = (light & ink).mean(axis=axis)
        lines = np.flatnonzero(frac > 0.3)
        ticks = f.x_ticks if axis == 0 else f.y_ticks
        if len(ticks) >= 3:  # grid lines stand on the major ticks; a flat light grey curve between them is data
            origin = x0 if axis == 0 else y0
            lines = np.array([k for k in lines if min(abs(k + origin - t.pos) for t in ticks) <= 3], dtype=int)
        if len(lines):
            sel = np.zeros(frac.shape, bool)
            sel[lines] = True
            sel = ndimage.binary_dilation(sel, iterations=1)
            if axis == 0:
                ink[:, sel] &= ~light[:, sel]
            else:
                ink[sel, :] &= ~light[sel, :]
    # dark grid lines (grayscale and classic styles): grey rows or columns drawn across most of the plot area;
    # a data curve is never that straight for that long
    grey = ink & (sat < 40)
    for axis in (0, 1):
        across = np.flatnonzero(grey.mean(axis=axis) > 0.75)
        if len(across):
            sel = np.zeros(grey.shape[1 - axis], bool)
            sel[across] = True
            sel = ndimage.binary_dilation(sel, iterations=1)
            if axis == 0:
                ink[:, sel] &= ~grey[:, sel]
            else:
                ink[sel, :] &= ~grey[sel, :]
    ink &= ~((gray > 215) & (sat < 40))  # anti-aliasing haze (and what shows faintly through a legend's fill)
    for crop in panel.inner_crops:  # a panel label inside the plot area is not data
        if _PANEL_LABEL.match(crop.text.strip()):
            bx0, by0, bx1, by1 = crop.box
            ink[max(0, by0 - 2 - y0) : max(0, by1 + 2 - y0), max(0, bx0 - 2 - x0) : max(0, bx1 + 2 - x0)] = False
    for inset in panel.insets:  # an inset's box and its tick labels (left of and below it)
        ib = inset.box()
        pad_l = int(0.35 * inset.width + 3 * page.text_height)
        pad_b = int(0.25 * inset.height + 3 * page.text_height)
        ink[
            max(0, ib[1] - 4 - y0) : max(0, ib[3] + pad_b - y0), max(0, ib[0] - pad_l - x0) : max(0, ib[2] + 4 - x0)
        ] = False
    return ink, drawn
