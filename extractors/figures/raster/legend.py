"""Legends: colour samples followed by text, inside the plot or right of it, that name the series."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
from scipy import ndimage

from extractors.figures.raster.colours import _Colour, _colour_masks
from extractors.figures.raster.frame import Box, _union
from extractors.figures.raster.labels import _Panel
from extractors.figures.raster.morph import dilate
from extractors.figures.raster.ocr import _Crop, _ocr_sheet
from extractors.figures.raster.page import _Page
from extractors.figures.raster.shapes import SeriesStyle
from extractors.quantities.formulas import repair_ocr_formula

log = logging.getLogger(__name__)


def _legend(page: _Page, colours: list[_Colour], area: Box) -> tuple[list[Box], list[str]]:
    """Legend entries in `area` (page pixels; `colours`' masks cover it): a short sample of a colour, then text.

    A sample is a short horizontal stroke (a line's, solid, dashed or dotted) or one marker (a
    scatter's), with text starting to its right further than a space between words (matplotlib's
    handletextpad); the entries of one legend have their text left-aligned, in one or more columns.
    Records each colour's entries (a single one is its label) and returns the boxes to leave out of
    the series (in page pixels) and the legend's words.
    """
    x0, y0, x1, y1 = area
    th = page.text_height
    text_mask = page.dark[y0:y1, x0:x1]
    entries = []  # (colour index, sample box, text box) in plot-area pixels
    for k, c in enumerate(colours):
        dark_colour = float(c.rgb.mean()) < 110 and float(c.rgb.max() - c.rgb.min()) < 80
        words = text_mask if dark_colour else text_mask & ~c.mask  # a dark-looking edge of a blue line is not text
        grown = dilate(c.mask, 1, np.ones((1, max(3, int(0.5 * th))), bool))
        lab, _ = ndimage.label(grown, structure=np.ones((3, 3), bool))
        for i, sl in enumerate(ndimage.find_objects(lab), start=1):
            own = c.mask[sl] & (lab[sl] == i)
            ys, xs = np.nonzero(own)
            if len(xs) == 0:
                continue
            sx0, sx1 = sl[1].start + int(xs.min()), sl[1].start + int(xs.max()) + 1
            sy0, sy1 = sl[0].start + int(ys.min()), sl[0].start + int(ys.max()) + 1
            w, h = sx1 - sx0, sy1 - sy0
            if w < 0.4 * th or w > 4.5 * th or h > 1.6 * th:
                continue
            cover = own.sum(axis=1).max()
            line_like = w >= 1.2 * th and (cover >= 0.55 * w or h <= 0.4 * th and cover >= 0.3 * w)  # a dotted line too
            marker_like = (
                w <= 1.6 * th and h >= 0.4 * th and max(w, h) <= 1.6 * min(w, h) + 2 and len(xs) >= 0.3 * w * h
            )
            if not (line_like or marker_like):
                continue
            text = _text_right_of(words, sx1, (sy0 + sy1) / 2, th)
            if text is not None:
                kind: SeriesStyle = "line" if line_like else "scatter"
                solidity = float(c.mask[sy0:sy1, sx0:sx1].any(axis=0).mean())  # 1 solid, ~0.7 dashed, ~0.4 dotted
                entries.append((k, (sx0, sy0, sx1, sy1), text, kind, solidity))
    if not entries:
        return [], []
    groups = [[e for e in entries if abs(e[2][0] - x[2][0]) <= 0.6 * th] for x in entries]
    best = max(groups, key=len)
    span = _union([_union([e[1], e[2]]) for e in best])
    for g in groups:  # the other columns of a legend with several
        gspan = _union([_union([e[1], e[2]]) for e in g])
        if (
            len(g) >= 2
            and gspan[1] < span[3]
            and gspan[3] > span[1]
            and min(abs(gspan[0] - span[2]), abs(span[0] - gspan[2])) < 15 * th
        ):
            best = best + g
    best = sorted({id(e): e for e in best}.values(), key=lambda e: (e[2][0], e[2][1]))
    log.debug("legend entries: %s", best)
    crops = [_Crop((t[0] + x0, t[1] + y0, t[2] + x0, t[3] + y0), target_px=48) for _, _, t, _, _ in best]
    _ocr_sheet(page.gray, None, crops, None)
    for (k, _, _, kind, solidity), crop in zip(best, crops, strict=True):
        colours[k].entries.append((kind, solidity, _formulas_repaired(crop.text)))
    for c in colours:
        if len(c.entries) == 1 and c.entries[0][2]:
            c.label = c.entries[0][2]  # entries that share a colour are matched to its series by dash and marker
    # what to leave out of the series: each entry's sample and text, and the band where a legend's frame runs
    # (the data behind a framed legend is hidden anyway; an unframed one shows it between its entries)
    grow = max(2, int(0.3 * th))
    boxes = [(b[0] + x0 - grow, b[1] + y0 - grow, b[2] + x0 + grow, b[3] + y0 + grow) for e in best for b in e[1:3]]
    box = _union([_union([e[1], e[2]]) for e in best])
    inner, outer = int(0.15 * th), int(1.4 * th)
    bx0, by0, bx1, by1 = box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0
    boxes += [
        (bx0 - outer, by0 - outer, bx1 + outer, by0 - inner),
        (bx0 - outer, by1 + inner, bx1 + outer, by1 + outer),
        (bx0 - outer, by0 - outer, bx0 - inner, by1 + outer),
        (bx1 + inner, by0 - outer, bx1 + outer, by1 + outer),
    ]
    return boxes, [c.text for c in crops if c.text]


def _formulas_repaired(text: str) -> str:
    """A legend label with the formulas OCR misread put right (Al203 -> Al2O3): a legend names materials."""
    return re.sub(r"[A-Za-z0-9.]+", lambda m: repair_ocr_formula(m.group()), text)


def _text_right_of(text_mask: np.ndarray, x: int, cy: float, th: float) -> Box | None:
    """The box of a line of dark text that starts right of column x, centred on row cy.

    The gap must be wider than a space between words: at least 0.6 of the text's own height
    (a legend's font is often smaller than the tick labels'), at most 2.5 tick label heights.
    """
    r0, r1 = max(0, int(cy - 0.9 * th)), min(text_mask.shape[0], int(cy + 0.9 * th) + 1)
    cols = np.asarray(text_mask[r0:r1].any(axis=0))
    start = x + max(3, int(0.25 * th))  # dark specks at the sample's end (JPEG) are not text
    found = np.flatnonzero(cols[start : x + int(2.5 * th)])
    if len(found) == 0 or found[0] < 2:
        return None
    tx0 = start + int(found[0])
    tx1, gap = tx0, 0
    for xx in range(tx0, cols.shape[0]):
        if cols[xx]:
            tx1, gap = xx + 1, 0
        else:
            gap += 1
            if gap > 1.2 * th:
                break
    if tx1 - tx0 < 0.3 * th:
        return None
    rows = np.flatnonzero(text_mask[r0:r1, tx0:tx1].any(axis=1))
    ty0, ty1 = r0 + int(rows[0]), r0 + int(rows[-1]) + 1
    if ty1 - ty0 > 1.8 * th or abs((ty0 + ty1) / 2 - cy) > 0.4 * (ty1 - ty0):  # legend text is centred on its sample
        return None
    if tx0 - x < 0.6 * (ty1 - ty0):
        return None
    return tx0, ty0, tx1, ty1


def _legend_beside(page: _Page, panel: _Panel, colours: list[_Colour]) -> list[str]:
    """A legend right of the plot's frame (matplotlib's bbox_to_anchor=(1.02, 1)): labels the colours, returns its words."""
    f = panel.frame
    rx0 = int(math.ceil(f.right)) + f.thick + 2
    rx1 = min(page.w, rx0 + int(0.6 * f.width))
    for other in page.frames_found:  # not into the next panel's tick labels
        if other.left > f.right and other.top < f.bottom and other.bottom > f.top:
            rx1 = min(rx1, int(other.left - 4 * page.text_height))
    ry0, ry1 = max(0, int(f.top - page.text_height)), f.interior()[3]
    if rx1 - rx0 <= 2 * page.text_height:
        return []
    out_rgb = page.rgb[ry0:ry1, rx0:rx1].astype(np.float32)
    out_ink = page.ink_dist[ry0:ry1, rx0:rx1] > 50
    masks = _colour_masks(out_rgb, out_ink, [c.rgb for c in colours], page.bg)
    outside = [_Colour(c.rgb, m) for c, m in zip(colours, masks, strict=True)]
    _, words = _legend(page, outside, (rx0, ry0, rx1, ry1))
    for c, o in zip(colours, outside, strict=True):
        c.label, c.entries = o.label, o.entries
    return words


def _labels_by_dash(
    colour: _Colour, shapes: list[tuple[SeriesStyle, list[tuple[float, float]], float]]
) -> list[str | None]:
    """Legend labels for several series of one colour: markers to scatters, lines by their dashes (solid, dashed, dotted).

    Within a kind, entries and series pair in order of solidity (the share of their span that is
    drawn), and only when they are as many and their solidities clearly differ.
    """
    labels: list[str | None] = [None] * len(shapes)
    for kind in ("line", "scatter"):
        entries = sorted((e for e in colour.entries if (e[0] == "scatter") == (kind == "scatter")), key=lambda e: e[1])
        found = sorted(
            (k for k, sh in enumerate(shapes) if (sh[0] == "scatter") == (kind == "scatter")),
            key=lambda k: shapes[k][2],
        )
        if not entries or len(entries) != len(found):
            continue
        distinct = all(b[1] - a[1] >= 0.12 for a, b in zip(entries, entries[1:], strict=False))
        distinct &= all(shapes[b][2] - shapes[a][2] >= 0.12 for a, b in zip(found, found[1:], strict=False))
        if distinct:
            for entry, k in zip(entries, found, strict=True):
                labels[k] = entry[2] or None
    return labels
