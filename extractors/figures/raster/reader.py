"""`read_raster`: a figure image to one FigureData per panel, its axes calibrated from the tick labels."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from extractors.figures.axes import Calibration, calibrate, split_axis_title
from extractors.figures.raster.frame import _union
from extractors.figures.raster.labels import _Panel, _TickLabel
from extractors.figures.raster.ocr import _require_tesseract
from extractors.figures.raster.page import _Page, flatten_face
from extractors.figures.raster.series import _series
from extractors.figures.raster.skips import _has_slanted_axes, _pixels, _skip_insets
from schemas.figure import FigureData, FigureSkip

if TYPE_CHECKING:
    from extractors.figures.base import FigureImage

READER_NAME = "digitizer"


class RasterReader:
    """`read_raster` as a FigureReader (for `extractors.figures.reading.read_figures`)."""

    name = READER_NAME

    def __init__(self, insets: Literal["skip", "ignore"] = "skip"):
        self.insets: Literal["skip", "ignore"] = insets

    def read(self, figure: FigureImage) -> list[FigureData]:
        return read_raster(figure, insets=self.insets)


def read_raster(figure: FigureImage, insets: Literal["skip", "ignore"] = "skip") -> list[FigureData]:
    """Digitize a raster figure: one FigureData per panel found.

    Args:
        figure: the rendered figure region; only `image`, `to_page` and the figure's metadata are used.
        insets: a plot with an inset (a smaller frame inside its frame) is skipped ("skip", as the
            vector digitizer does), or read without the inset's region ("ignore").

    Returns:
        One FigureData per plot area, in reading order, status "read" (with series) or "failed"
        (with the reason: "no tick labels: ...", "no series: ...").

    Raises:
        FigureSkip: the figure must not be digitized ("no axes", "3d plot", "unreadable image").
        ConfigError: the tesseract program is not installed.
    """
    rgb = _pixels(figure.image)
    page = _Page(rgb)
    frames = page.frames()
    if not frames:
        frames = page.light_frames()
        # a 3D plot's panes can pass for light frames: its slanted axes lie outside them, a plot's straight
        # data lines inside
        outside = page.dark.copy()
        for f in frames:
            x0, y0, x1, y1 = f.interior()
            outside[y0:y1, x0:x1] = False
        if _has_slanted_axes(outside):
            raise FigureSkip("3d plot: slanted axes and no rectangular plot frame")
    if not frames and (flat := flatten_face(rgb)) is not None:  # axes drawn as a tinted face, no spines
        page = _Page(flat)
        frames = page.frames()
    if not frames:
        raise FigureSkip("no axes: no frame of two perpendicular axis lines with tick marks")
    if insets == "skip":
        _skip_insets(frames)
    _require_tesseract()
    return [_panel_data(figure, page, panel) for panel in page.read_panels(frames)]


def _panel_data(figure: FigureImage, page: _Page, panel: _Panel) -> FigureData:
    f = panel.frame
    text = [lab.text() for lab in panel.x_labels + panel.y_labels if lab.text()]
    text += [c.text for c in (panel.x_title, panel.y_title) if c and c.text]
    text += [panel.label_text] if panel.label_text else []
    x_label = x_unit = y_label = y_unit = None
    if panel.x_title and panel.x_title.text:
        x_label, x_unit = split_axis_title(panel.x_title.text)
        x_unit = _fix_unit(x_unit, panel.x_title.accent)
    if panel.y_title and panel.y_title.text:
        y_label, y_unit = split_axis_title(panel.y_title.text)
        y_unit = _fix_unit(y_unit, panel.y_title.accent)
    x0, y0, x1, y1 = _union([f.box(), *panel.text_boxes])
    px0, py0 = figure.to_page(x0, y0)
    px1, py1 = figure.to_page(x1, y1)
    base: dict[str, object] = {
        "reader": READER_NAME,
        "panel": panel.label,
        "bbox": (px0, py0, px1, py1),
        "x_label": x_label,
        "x_unit": x_unit,
        "y_label": y_label,
        "y_unit": y_unit,
    }
    x_factor, y_factor = _multiplier(panel.x_offset), _multiplier(panel.y_offset)
    text += [lab.text() for lab, factor in ((panel.x_offset, x_factor), (panel.y_offset, y_factor)) if lab and factor]
    xcal, xwhy = _calibration(panel.x_labels, x_factor)
    ycal, ywhy = _calibration(panel.y_labels, y_factor)
    missing = [f"{axis} axis ({why})" for axis, cal, why in (("x", xcal, xwhy), ("y", ycal, ywhy)) if cal is None]
    if xcal is None or ycal is None:
        return _figure_data(figure, status="failed", reason=f"no tick labels: {'; '.join(missing)}", text=text, **base)
    base.update(
        x_scale=xcal.scale,
        y_scale=ycal.scale,
        x_range=(xcal.value(f.left), xcal.value(f.right)),
        y_range=(ycal.value(f.bottom), ycal.value(f.top)),
    )
    right_cal, _ = _calibration(panel.right_labels)
    if right_cal is not None and right_cal.ticks >= 3:
        text += [lab.text() for lab in panel.right_labels]
        return _figure_data(
            figure,
            status="failed",
            text=text,
            **base,
            reason="no series: a second y axis on the right; which series it scales is unknown",
        )
    series, legend_text = _series(page, panel, xcal, ycal)
    text += legend_text
    if not series:
        return _figure_data(
            figure,
            status="failed",
            reason="no series: no data strokes or markers inside the plot area",
            text=text,
            **base,
        )
    return _figure_data(figure, status="read", text=text, series=series, **base)


def _multiplier(offset: _TickLabel | None) -> float | None:
    """The factor an axis' offset text applies to its tick labels: '1e−5' -> 1e-5, '×10^4' -> 1e4; None if none."""
    if offset is None:
        return None
    base = re.sub(r"[\u2212\u2013\u2014~-]+", "-", offset.base.text.replace(" ", ""))
    base = re.sub(r"^[lI|]", "1", base)  # OCR's '1' in '1e5' without a digit whitelist
    if offset.exponent is not None:
        exp = offset.exponent.text.replace(" ", "").replace("\u2212", "-")
        if re.fullmatch(r"[x×X*]?10", base) and re.fullmatch(r"-?\d{1,3}", exp):
            return 10.0 ** int(exp)
        return None
    m = re.fullmatch(r"[x×X*]?(\d(?:\.\d+)?)?e(-?\d{1,3})", base)
    if m:
        return float(m.group(1) or 1) * 10.0 ** int(m.group(2))
    return None


def _calibration(labels: list[_TickLabel], factor: float | None = None) -> tuple[Calibration | None, str]:
    """The axis' calibration from its labels (times the axis' offset factor), or None and why."""
    powers = any(lab.exponent is not None and lab.base.text.strip() == "10" for lab in labels) or any(
        lab.exp_glyphs and lab.base.text.strip().startswith("10") for lab in labels
    )
    pairs = [(lab.pos, v * (factor or 1.0)) for lab in labels if (v := lab.value(powers)) is not None]
    if powers and any((lab.exponent is None and not lab.exp_glyphs) or lab.value(True) is None for lab in labels):
        pairs = _decades(labels, pairs)
    read = ", ".join(lab.text() or "?" for lab in labels)
    if not labels:
        return None, "none found"
    cal = calibrate(pairs)
    if cal is not None and cal.scale == "log" and factor:  # no offset on a log axis: the factor was a misread
        cal = calibrate([(lab.pos, v) for lab in labels if (v := lab.value(powers)) is not None])
    # two labels always fit a line: with three or more found, at least three must agree
    if cal is None or cal.ticks < max(min(3, len(labels)), math.ceil(0.5 * len(labels))):
        return None, f"read [{read}]"
    return cal, read


def _decades(labels: list[_TickLabel], pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A log axis' powers of ten whose exponents were not all read: evenly spaced labels, and two read
    exponents that fix the step, give the others (10^0, 10^?, 10^2 -> 10^1)."""
    positions = sorted(lab.pos for lab in labels)
    gaps = np.diff(positions)
    if len(positions) < 3 or gaps.min() <= 0 or gaps.std() > 0.05 * gaps.mean():
        return pairs
    known = {  # only labels read with a raised exponent: a bare '10' may be '10^2' whose exponent touched it
        round((lab.pos - positions[0]) / gaps.mean()): math.log10(v)
        for lab in labels
        if (lab.exponent is not None or lab.exp_glyphs)
        and (v := lab.value(True)) is not None
        and v > 0
        and abs(math.log10(v) - round(math.log10(v))) < 1e-9
    }
    if len(known) < 2:
        return pairs
    (i0, e0), (i1, e1) = sorted(known.items())[:2]
    step = (e1 - e0) / (i1 - i0)
    if step == 0 or step != round(step) or any(abs(e0 + step * (i - i0) - e) > 1e-9 for i, e in known.items()):
        return pairs
    return [(pos, 10.0 ** (e0 + step * (k - i0))) for k, pos in enumerate(positions)]


_MICRO = re.compile(r"(?<![A-Za-z])u(?=(?:m|V|A|W|s|g|F|S|J|C|T|L|l|mol|Pa|H|Ω)(?![a-z]))")
_OHM = re.compile(r"(?<![A-Za-z])([kMmG]?)Q(?=cm(?![a-z])|m(?![a-z])|[^A-Za-z]|$)")


def _fix_unit(unit: str | None, accent: bool) -> str | None:
    """Undo OCR's usual misreadings of unit symbols: 'uV' -> 'μV', 'Q cm' -> 'Ω cm', 'A' under a ring -> 'Å'."""
    if not unit:
        return unit
    unit = _OHM.sub(r"\1Ω", _MICRO.sub("μ", unit))
    if accent:
        unit = re.sub(r"(?<![A-Za-z])A(?![A-Za-z])", "Å", unit)
    return unit


def _figure_data(figure: FigureImage, **fields: Any) -> FigureData:
    return FigureData(
        source=figure.source,
        paper_id=figure.paper_id,
        page=figure.figure.page,
        number=figure.figure.number,
        caption=figure.figure.caption,
        kind=figure.figure.kind,
        **fields,
    )
