"""`read_raster`: a figure image to one FigureData per panel, its axes calibrated from the tick labels."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from extractors.figures.axes import Calibration, calibrate, split_axis_title
from extractors.figures.raster.frame import _union
from extractors.figures.raster.labels import _Panel, _TickLabel
from extractors.figures.raster.ocr import DIGITS, _Crop, _ocr_sheet, _require_tesseract
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
    panels = page.read_panels(frames)
    _reread_offsets(page, panels)
    return [_panel_data(figure, page, panel) for panel in panels]


def _looks_like_offset(lab: _TickLabel) -> bool:
    """Text at an axis' end that is an offset even if unreadable: '1e6' ('leo'), '×10^-5' ('x1075')."""
    return bool(re.match(r"\s*(?:[x×X*«]\s*[1lI]|[\dlI|][\s.\d]*e)", lab.base.text))


def _reread_offsets(page: _Page, panels: list[_Panel]) -> None:
    """Offset texts read as no multiplier ('1e6' as 'leo', or '1e0', which no plot writes) read again with only
    the characters an offset has; one more tesseract call, only for figures with such an offset."""
    doubtful = [
        lab
        for p in panels
        for lab in (p.x_offset, p.y_offset)
        if lab is not None and lab.exponent is None and _multiplier(lab) in (None, 1.0) and _looks_like_offset(lab)
    ]
    if not doubtful:
        return
    crops = [_Crop(lab.base.box, ids=lab.base.ids, glyph_px=lab.base.glyph_px) for lab in doubtful]
    _ocr_sheet(page.gray, page.glyphs, crops, DIGITS + "e×x")  # the offset's characters only
    for lab, crop in zip(doubtful, crops, strict=True):
        before = lab.base.text
        lab.base.text = crop.text
        if _multiplier(lab) in (None, 1.0):
            lab.base.text = before


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
    unread = [
        f"{axis} axis (offset '{lab.text()}' unreadable)"
        for axis, lab, factor in (("x", panel.x_offset, x_factor), ("y", panel.y_offset, y_factor))
        if lab is not None and factor is None and _looks_like_offset(lab)
    ]
    if unread:  # its labels without the multiplier would be read wrong by a power of ten
        return _figure_data(figure, status="failed", reason=f"no tick labels: {'; '.join(unread)}", text=text, **base)
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
    m = re.fullmatch(r"[x×X*«]10(-\d{1,2}|\d)", base)  # '×10^-5' read in one piece: its exponent not raised apart
    if m:
        return 10.0 ** int(m.group(1))
    m = re.fullmatch(r"[x×X*]?(\d(?:\.\d+)?)?e(-?[\dOolIS]{1,3})", base)
    if m:  # OCR without a digit whitelist reads the exponent's 0 as 'o' and 1 as 'l' ('1e6' as 'leo')
        return float(m.group(1) or 1) * 10.0 ** int(m.group(2).translate(_DIGIT_LOOKALIKES))
    return None


_DIGIT_LOOKALIKES = str.maketrans("OolIS", "00115")


def _calibration(labels: list[_TickLabel], factor: float | None = None) -> tuple[Calibration | None, str]:
    """The axis' calibration from its labels (times the axis' offset factor), or None and why."""
    powers = any(lab.exponent is not None and lab.base.text.strip() == "10" for lab in labels) or any(
        lab.exp_glyphs and lab.base.text.strip().startswith("10") for lab in labels
    )
    valued = [(lab, v * (factor or 1.0)) for lab in labels if (v := lab.value(powers)) is not None]
    if powers:  # a log axis' labels are all powers of ten (or m×10^e): '19' beside '10^2' is a misread 10^1
        valued = [
            (lab, v)
            for lab, v in valued
            if lab.exponent is not None
            or lab.exp_glyphs
            or (v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9)
        ]
    pairs = [(lab.pos, v) for lab, v in valued]
    if not powers and (points := _lost_points(labels)):  # '2.5', '20', '15': the points OCR dropped from 2.0, 1.5
        mended = [
            (lab.pos, v * (factor or 1.0)) for lab in labels if (v := points.get(id(lab), lab.value())) is not None
        ]
        cal_m, cal_p = calibrate(mended), calibrate(pairs)
        if cal_m is not None and (cal_p is None or cal_m.ticks > cal_p.ticks):
            pairs = mended
    if powers and any((lab.exponent is None and not lab.exp_glyphs) or lab.value(True) is None for lab in labels):
        pairs = _decades(labels, pairs)
    read = ", ".join(lab.text() or "?" for lab in labels)
    if not labels:
        return None, "none found"
    cal = calibrate(pairs)
    if cal is not None and cal.scale == "log" and factor:  # no offset on a log axis: the factor was a misread
        cal = calibrate([(lab.pos, v) for lab in labels if (v := lab.value(powers)) is not None])
    # two labels always fit a line: with three or more found, at least three must agree
    enough = max(min(3, len(labels)), math.ceil(0.5 * len(labels)))
    if (cal is None or cal.ticks < len(labels)) and (voted := _decade_votes(labels)):
        # the decades the exponents vote for, where they explain more labels than the fit of what was read
        cal_v = calibrate(voted)
        if cal_v is not None and cal_v.scale == "log" and (cal is None or cal_v.ticks > cal.ticks):
            cal = cal_v
    if cal is None or cal.ticks < enough:
        return None, f"read [{read}]"
    if cal.scale == "linear":
        on_grid = _on_grid(pairs)
        cal = calibrate(on_grid) if len(on_grid) >= 2 else None
        if cal is None or cal.ticks < enough:
            return None, f"read [{read}] (no common step)"
    return cal, read


def _on_grid(pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The labels whose values lie on one grid of the axis' most common step, as a linear axis' labels do
    (0, 10, 20 or 0, 20, 30 with one missed): misread labels can line up by chance within a fit's tolerance
    (28, 36, 43 of 10, 20, 30; 128 among 100, 150, 175), never on the grid."""
    if len(pairs) < 3:
        return pairs
    values = [v for _, v in sorted(pairs)]
    size = max(abs(v) for v in values) or 1.0
    diffs = [d for a, b in zip(values, values[1:], strict=False) if (d := round(abs(b - a) / size, 6)) > 0]
    if not diffs:
        return pairs
    unit = Counter(diffs).most_common(1)[0][0] * size

    def phase(v: float) -> float:
        return round((v / unit) % 1.0, 3) % 1.0

    anchor = Counter(phase(v) for v in values).most_common(1)[0][0]
    return [(p, v) for p, v in pairs if min(abs(phase(v) - anchor), 1 - abs(phase(v) - anchor)) < 0.01]


def _decade_votes(labels: list[_TickLabel]) -> list[tuple[float, float]]:
    """A log axis' powers of ten from the exponents OCR read, even a few wrong: the labels stand evenly
    spaced, one step of decades apart, so each read exponent votes for the first label's exponent and the
    step; the vote two or more labels agree on, and no other as many, gives every label its power.

    ('10', '102', '10', '103', '104' of slanted 10^0..10^4: the exponents ran into their bases, two were lost,
    one misread; 10^0 + k agrees with three of them.) Empty unless most labels start with '10'.
    """
    # the labels that can be powers of ten ('1' read first), at whole steps of their spacing (a speck or a
    # label not found leaves a gap or an extra word)
    ordered = sorted((lab for lab in labels if lab.base.text.strip().startswith("1")), key=lambda lab: lab.pos)
    if len(ordered) < 3 or len(ordered) < 0.6 * len(labels):
        return []
    pos = np.array([lab.pos for lab in ordered])
    gaps = np.diff(pos)
    if gaps.min() <= 0:
        return []
    gap = float(np.median(gaps))
    index = np.round((pos - pos[0]) / gap)
    if np.abs(pos - pos[0] - index * gap).max() > 0.12 * gap or len(set(index.tolist())) < len(index):
        return []
    votes: Counter[tuple[int, int]] = Counter()
    for k, lab in zip(index.astype(int).tolist(), ordered, strict=True):
        base = lab.base.text.replace(" ", "").replace("\u2212", "-")
        if lab.exponent is not None:
            digits = lab.exponent.text.replace(" ", "").replace("\u2212", "-").replace("~", "-")
        elif base.startswith("10") and len(base) > 2:
            digits = base[2:]
        elif lab.exp_glyphs and len(base) > 2:
            digits = base[-lab.exp_glyphs :]  # '190': a slanted 10^0 whose base was misread, its exponent not
        else:
            continue
        m = re.fullmatch(r"-?(\d{1,2})", digits.lstrip("-") if base.startswith("10-") else digits)
        if not m:
            continue
        magnitude = int(m.group(1))
        ambiguous = "-" in digits or base.startswith("10-")  # a stray stroke can pass for a minus sign
        for e in {magnitude, -magnitude} if ambiguous else {int(digits)}:
            for step in (1, -1, 2, -2):  # wider steps let two misread exponents agree by chance
                votes[(e - step * k, step)] += 1
    positions = [(float(p), int(k)) for p, k in zip(pos, index, strict=True)]
    if not votes:
        return []
    ranked = votes.most_common()
    (e0, step), best = ranked[0]
    if best < 2 or (len(ranked) > 1 and ranked[1][1] == best and abs(ranked[1][0][1]) <= abs(step)):
        return []
    return [(p, 10.0 ** (e0 + step * k)) for p, k in positions]


def _lost_points(labels: list[_TickLabel]) -> dict[int, float]:
    """Values for the labels of an axis read without the decimal point the others have ('20' among '2.5', '3.0'):
    a linear axis' labels share one number of decimals, so the point goes back in at that place. Keyed by id."""
    texts = {id(lab): lab.base.text.replace(" ", "").replace("\u2212", "-") for lab in labels if lab.exponent is None}
    decimals = [len(m.group(1)) for t in texts.values() if (m := re.fullmatch(r"-?\d+\.(\d+)", t))]
    if not decimals or len(set(decimals)) > 1:
        return {}
    d = decimals[0]
    return {
        k: float(f"{t[:-d]}.{t[-d:]}") for k, t in texts.items() if re.fullmatch(r"-?\d+", t) and len(t.lstrip("-")) > d
    }


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
    if abs(step) > 2 and len(known) < 3:  # two misread exponents (10^4 for 10^1) make a wide step; real ones are rare
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
