"""The text around a panel's frame: tick labels and their exponents, axis titles, offsets, panel labels."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from extractors.figures.axes import parse_tick
from extractors.figures.raster.frame import Box, _Frame, _Tick, _union
from extractors.figures.raster.glyphs import _Glyphs, _Word, _words
from extractors.figures.raster.ocr import DIGITS, _Crop, _ocr_sheets, _title_pieces

_PANEL_LABEL = re.compile(r"^\(?([a-hA-H])\)?[.:]?$")


@dataclass
class _TickLabel:
    word: _Word
    pos: float  # the tick (or label centre) position the label belongs to
    base: _Crop
    exponent: _Crop | None = None
    exp_glyphs: int = 0  # the base's last glyphs are a raised exponent read with it (a slanted '10^2' as '102')

    def value(self, powers: bool = False) -> float | None:
        """The label's number; with `powers` (the axis' other labels are powers of ten) '103' is 10^3 whose exponent
        was not seen apart."""
        base = self.base.text.replace(" ", "").replace("\u2212", "-")
        if self.exponent is None and self.exp_glyphs:
            m = re.fullmatch(rf"(10)(-?\d{{{self.exp_glyphs}}})", base)
            return 10.0 ** int(m.group(2)) if m else parse_tick(base)
        if self.exponent is None:
            m = re.fullmatch(r"10(-?\d{1,2})", base) if powers else None
            return 10.0 ** int(m.group(1)) if m else parse_tick(base)
        exponent = self.exponent.text.replace(" ", "").replace("\u2212", "-")
        ex0, ey0, ex1, ey1 = self.exponent.box
        if len(self.exponent.ids or []) == 1 and ex1 - ex0 <= 0.55 * (ey1 - ey0) and exponent not in ("1", "7"):
            exponent = "1"  # a lone raised stroke: OCR reads nothing (or '42') from a small '1' on its own
        if not exponent:
            return None
        if base == "10":
            return parse_tick(f"10^{exponent}")
        if base.endswith("10") and parse_tick(base[:-2]) is not None:  # 2×10 read without the sign
            return parse_tick(f"{base[:-2]}×10^{exponent}")
        return None

    def text(self) -> str:
        return f"{self.base.text}^{self.exponent.text}" if self.exponent else self.base.text


@dataclass
class _Panel:
    frame: _Frame
    x_labels: list[_TickLabel] = field(default_factory=list)
    y_labels: list[_TickLabel] = field(default_factory=list)
    x_title: _Crop | None = None
    y_title: _Crop | None = None
    panel_crops: list[_Crop] = field(default_factory=list)
    inner_crops: list[_Crop] = field(default_factory=list)  # panel label candidates inside the plot area
    right_labels: list[_TickLabel] = field(default_factory=list)  # the tick labels of a second y axis, if any
    x_offset: _TickLabel | None = None  # a multiplier written at the axis' end ('1e5', '×10^4')
    y_offset: _TickLabel | None = None
    insets: list[_Frame] = field(default_factory=list)
    text_boxes: list[Box] = field(default_factory=list)
    label: str | None = None
    label_text: str | None = None  # the panel label as written ('(a)')


def _axis_text(
    p: _Panel, words: list[_Word], glyphs: _Glyphs, th: float, frames: list[_Frame], dark: np.ndarray
) -> None:
    """The tick labels, axis titles and panel label candidates of one panel."""
    f = p.frame
    small = [w for w in words if w.h < max(0.25 * f.height, 3 * th) and w.box[0] > -1000]
    _tick_labels(p, small, glyphs, th, frames)
    _x_title(p, words, glyphs, th)
    y_wall = _y_title(p, words, th)
    _corner_text(p, small, glyphs, th, y_wall)
    p.inner_crops = _inner_labels(f, dark, th)
    p.panel_crops += p.inner_crops


def _tick_labels(p: _Panel, small: list[_Word], glyphs: _Glyphs, th: float, frames: list[_Frame]) -> None:
    """The x and y tick labels, and those of a second y axis on the right."""
    f = p.frame
    tick_out = max([k.length for k in f.x_ticks], default=0)
    # x tick labels: the first row of words below the axis, centred within its span
    below = [
        w
        for w in small
        if w.box[1] > f.bottom + f.thick / 2
        and w.box[1] < f.bottom + tick_out + 2.5 * th + 8
        and f.left - 0.6 * th <= w.cx <= f.right + 0.6 * th
    ]
    slanted = _slanted_x_labels(p, glyphs, th, tick_out)
    if slanted:
        p.x_labels = slanted
    elif below:
        top = min(w.box[1] for w in below)
        first = [w for w in below if w.box[1] <= top + 0.6 * th]
        p.x_labels = [_tick_label(w, f.x_ticks, glyphs, th, horizontal=True) for w in sorted(first, key=lambda w: w.cx)]
        if len(first) >= 3 and all(len(w.ids) == 1 and w.w > 1.15 * w.h for w in first):
            for lab in p.x_labels:  # single digits lying on their side: x labels written bottom to top
                lab.base = _Crop(lab.word.box, ids=list(lab.word.ids), rotate=True, glyph_px=float(lab.word.w))
    # y tick labels: the words right-aligned next to the axis, centred within its span
    tick_out_y = max([k.length for k in f.y_ticks], default=0)
    left = [
        w
        for w in small
        if w.box[2] < f.left - f.thick / 2
        and w.box[2] > f.left - tick_out_y - 2.5 * th - 8
        and f.top - 0.6 * th <= w.cy <= f.bottom + 0.6 * th
        and w.h < 2 * th
    ]
    if left:
        right = max(w.box[2] for w in left)
        first = [_with_row_start(w, small, glyphs, th) for w in left if w.box[2] >= right - 0.6 * th]
        p.y_labels = [
            _tick_label(w, f.y_ticks, glyphs, th, horizontal=False) for w in sorted(first, key=lambda w: w.cy)
        ]
    # a second y axis: numbers left-aligned right of the frame (its series cannot be told from the left axis')
    beyond = [
        w
        for w in small
        if f.right + f.thick / 2 < w.box[0] < f.right + f.thick + 2.5 * th + 8
        and f.top - 0.6 * th <= w.cy <= f.bottom + 0.6 * th
        and 0.4 * th < w.h < 2 * th
        and not any(o.left > w.box[2] and o.left - w.box[2] < 3 * th and o.top < w.cy < o.bottom for o in frames)
    ]  # the y tick labels of the panel to the right
    if len(beyond) >= 3:
        first_left = min(w.box[0] for w in beyond)
        column = [w for w in beyond if w.box[0] <= first_left + 0.6 * th]
        if len(column) >= 3:
            p.right_labels = [
                _tick_label(w, [], glyphs, th, horizontal=False) for w in sorted(column, key=lambda w: w.cy)
            ]
    if slanted and p.y_labels:
        # a slanted label's box is no measure of its glyphs' size; the y labels' (the same font) is
        digit_h = float(np.median([float(lab.word.h) for lab in p.y_labels if lab.exponent is None] or [th]))
        for lab in p.x_labels:
            lab.base.glyph_px = min(lab.base.glyph_px or digit_h, digit_h)
    p.text_boxes += [lab.word.box for lab in p.x_labels + p.y_labels]


def _with_row_start(word: _Word, small: list[_Word], glyphs: _Glyphs, th: float) -> _Word:
    """A right-aligned y tick label with the words just left of it on its row: small labels fall apart at the
    decimal point ('1.' and '6' of 1.6) or before a multiplication sign ('6 ×' and '10^1' of 6×10^1)."""
    ids = list(word.ids)
    box = word.box
    h = min(word.h, th)
    grown = True
    while grown:
        grown = False
        for v in small:
            # a word of the row: no taller than the label's digits and centred on them (not the y title's column)
            if v.ids[0] in ids or v.h > 1.3 * h or abs(v.cy - word.cy) > 0.35 * h:
                continue
            if 0 <= box[0] - v.box[2] <= 0.8 * h:
                ids += v.ids
                box = glyphs.group_box(ids)
                grown = True
    return word if len(ids) == len(word.ids) else _Word(ids, box)


def _slanted_x_labels(p: _Panel, glyphs: _Glyphs, th: float, tick_out: int) -> list[_TickLabel]:
    """X tick labels rotated up to the right (matplotlib's rotation=30..60, ha='right'), each ending at its tick.

    Glyphs just below the axis are grouped by touching diagonally; when at least three groups climb
    to the right at a common angle, each is one label, read deskewed, at the tick under its right end.
    """
    f = p.frame
    b = glyphs.boxes.astype(float)
    if len(b) == 0:
        return []
    gh = b[:, 3] - b[:, 1]
    sel = np.flatnonzero(
        (b[:, 1] > f.bottom + f.thick / 2)
        & (b[:, 3] < f.bottom + tick_out + 7 * th)
        & (b[:, 0] > f.left - 7 * th)
        & (b[:, 2] < f.right + 2 * th)
        & (gh < 2.5 * th)  # a label of three digits at 45° whose glyphs ran together is one tall glyph
        & (b[:, 0] > -1000)
    )
    if len(sel) < 4:
        return []
    sb = b[sel]
    gap = 0.5 * th  # an exponent stands a little apart from its base
    hgap = np.maximum(sb[:, None, 0] - sb[None, :, 2], sb[None, :, 0] - sb[:, None, 2])
    vgap = np.maximum(sb[:, None, 1] - sb[None, :, 3], sb[None, :, 1] - sb[:, None, 3])
    parent = list(range(len(sel)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero((hgap <= gap) & (vgap <= gap)), strict=True):
        parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for k in range(len(sel)):
        groups.setdefault(find(k), []).append(k)
    labels = []
    angles = []
    for members in groups.values():
        gb = sb[members]
        x0, y0, x1, y1 = gb[:, 0].min(), gb[:, 1].min(), gb[:, 2].max(), gb[:, 3].max()
        if y0 > f.bottom + tick_out + 1.5 * th + 4:  # the labels start at the axis; a title lies further down
            continue
        if len(members) >= 2:
            cx, cy = (gb[:, 0] + gb[:, 2]) / 2, (gb[:, 1] + gb[:, 3]) / 2
            if np.ptp(cx) > 0:
                slope = float(np.polyfit(cx, cy, 1)[0])
                if -4.0 < slope < -0.3:
                    angles.append(math.degrees(math.atan(-slope)))
        elif (a := _joined_word_angle(glyphs, int(sel[members[0]]) + 1, th)) is not None:
            angles.append(a)
        labels.append(([int(sel[k]) + 1 for k in members], (int(x0), int(y0), int(x1), int(y1))))
    if len(angles) < 3:  # single digits ('0', '2', '4'): each glyph's own tilt
        angles += [a for ids, _ in labels if len(ids) == 1 and (a := _glyph_tilt(glyphs, ids[0], th)) is not None]
        if len(angles) < 3 or np.std(angles) > 12:
            return []
    if len(angles) < 0.5 * len(labels):
        return []
    angle = float(np.median(angles))
    # a tick at the axis' very end merges with the other axis: the frame's edges stand for it
    longest = max([k.length for k in f.x_ticks], default=1)
    ticks = f.x_ticks + [_Tick(e, longest) for e in (f.left, f.right) if all(abs(k.pos - e) > 3 for k in f.x_ticks)]
    out = []
    for ids, box in sorted(labels, key=lambda item: item[1][2]):
        word = _Word(ids, box)
        ids = sorted(ids, key=lambda i: glyphs.boxes[i - 1][0])
        heights = gh[np.asarray(ids) - 1]
        small = heights < 0.75 * heights.max()
        n_exp = len(small) - int(np.flatnonzero(~small).max()) - 1  # trailing small glyphs: an exponent ('10^2')
        base = _Crop(box, ids=ids, angle=angle, glyph_px=float(np.median(heights)))
        # the ink ends short of the turned text's box, which ends at the tick: the longest tick within reach
        label = _TickLabel(word, _tick_at(float(box[2]), ticks, th, reach=1.6), base)
        label.exp_glyphs = n_exp if len(ids) >= 3 and 0 < n_exp < len(ids) - 1 else 0
        out.append(label)
    return out


def _main_axis(glyphs: _Glyphs, gid: int, th: float) -> tuple[float, float] | None:
    """The direction of a glyph's pixels' main axis in degrees from the x axis (y down, so a stroke rising to the
    right is negative) and how elongated the glyph is (the ratio of its spreads); None if it is small."""
    x0, y0, x1, y1 = (int(v) for v in glyphs.boxes[gid - 1])
    if max(x1 - x0, y1 - y0) < 0.5 * th:
        return None
    ys, xs = np.nonzero(glyphs.labels[y0:y1, x0:x1] == gid)
    if len(xs) < 8:
        return None
    cov = np.cov(np.stack([xs, ys]).astype(float))
    evals = np.linalg.eigvalsh(cov)
    phi = 0.5 * math.degrees(math.atan2(2 * cov[0, 1], cov[0, 0] - cov[1, 1]))
    return phi, float(evals[1] / max(evals[0], 1e-9))


def _joined_word_angle(glyphs: _Glyphs, gid: int, th: float) -> float | None:
    """The slant of a rotated tick label whose glyphs ran together into one component (small labels at a low
    resolution): a component longer than a glyph is tall, stretched along a line rising to the right."""
    axis = _main_axis(glyphs, gid, th)
    if axis is None:
        return None
    phi, elongation = axis
    x0, y0, x1, y1 = (int(v) for v in glyphs.boxes[gid - 1])
    if elongation < 1.4 or math.hypot(x1 - x0, y1 - y0) < 1.2 * th or not -75 <= phi <= -15:
        return None
    return -phi


def _glyph_tilt(glyphs: _Glyphs, gid: int, th: float) -> float | None:
    """How far a glyph leans to the left at its top, in degrees (from its pixels' main axis); None if it is round
    or small. Upright digits are taller than wide, so their main axis shows how the text was turned."""
    axis = _main_axis(glyphs, gid, th)
    if axis is None or axis[1] < 1.5:  # small, or no clear main axis
        return None
    phi = axis[0]  # from the x axis, y down
    tilt = 90.0 - phi if phi > 0 else None
    return tilt if tilt is not None and 15 <= tilt <= 75 else None


def _x_title(p: _Panel, words: list[_Word], glyphs: _Glyphs, th: float) -> None:
    """The x axis title below the tick labels, and the offset text at the axis' right end."""
    f = p.frame
    tick_out = max([k.length for k in f.x_ticks], default=0)
    # x title: the next row of words below the tick labels
    x_floor = max((lab.word.box[3] for lab in p.x_labels), default=int(f.bottom + tick_out + th))
    titles = [
        w
        for w in words
        if w.box[1] > x_floor
        and w.box[1] < x_floor + 2.5 * th
        and w.box[0] > -1000
        and w.box[2] > f.left
        and w.box[0] < f.right
        and w.h < 3 * th
    ]
    if titles:
        top = min(w.box[1] for w in titles)
        row = [w for w in titles if w.box[1] <= top + 0.8 * th]
        # the x axis' offset text ('1e5', '×10^4') stands alone at the axis' right end
        last = max(row, key=lambda w: w.box[2])
        rest = [w for w in row if w is not last]
        if rest and abs(last.box[2] - f.right) < 1.5 * th and last.box[0] - max(w.box[2] for w in rest) > 2 * th:
            p.x_offset = _tick_label(last, [], glyphs, th, horizontal=True)
            row = rest
        box = _union([w.box for w in row])
        p.x_title = _Crop(box, ids=[i for w in row for i in w.ids], target_px=56)
        p.text_boxes.append(box)


def _y_title(p: _Panel, words: list[_Word], th: float) -> int:
    """The y axis title left of the tick labels; returns the left edge of the tick labels (or where they would be)."""
    f = p.frame
    tick_out_y = max([k.length for k in f.y_ticks], default=0)
    # y title: the column of (rotated) words left of the tick labels
    y_wall = min((lab.word.box[0] for lab in p.y_labels), default=int(f.left - tick_out_y - th))
    titles = [
        w
        for w in words
        if w.box[2] < y_wall
        and w.box[2] > y_wall - 2.5 * th
        and w.box[0] > -1000
        and w.box[3] > f.top
        and w.box[1] < f.bottom
        and w.w < 3 * th
    ]
    if titles:
        right = max(w.box[2] for w in titles)
        col = [w for w in titles if w.box[2] >= right - 0.8 * th]
        box = _union([w.box for w in col])
        p.y_title = _Crop(
            box, ids=[i for w in col for i in w.ids], rotate=box[3] - box[1] > box[2] - box[0], target_px=56
        )
        p.text_boxes.append(box)
    return y_wall


def _corner_text(p: _Panel, small: list[_Word], glyphs: _Glyphs, th: float, y_wall: int) -> None:
    """The y axis' offset text and the panel label candidates near the frame's top-left corner."""
    f = p.frame
    # the y axis' offset text: a short word just above the frame's top-left corner
    above = [
        w
        for w in small
        if f.top - 2 * th <= w.box[3] <= f.top + 0.2 * th
        and f.left - th <= w.box[0] <= f.left + 2 * th
        and w.w < 6 * th
        and w.h >= 0.4 * th  # not a speck of the axis' end
        and not any(set(w.ids) & set(lab.word.ids) for lab in p.y_labels)  # the top tick label is not an offset
    ]
    if above:
        offset_word = min(above, key=lambda w: abs(w.box[0] - f.left))
        for w in sorted(above, key=lambda w: w.box[0]):  # '×' and '10^5' can fall apart into two words
            if w is not offset_word and 0 <= w.box[0] - offset_word.box[2] <= 0.8 * th:
                ids = offset_word.ids + w.ids
                offset_word = _Word(ids, glyphs.group_box(ids))
        p.y_offset = _tick_label(offset_word, [], glyphs, th, horizontal=True)  # or a panel label: read as both
    # panel label candidates: short words just above the frame's top-left corner or left of it
    for w in small:
        near_top = (
            f.top - 3 * th < w.box[3] <= f.top + 0.5 * th and f.left - 0.3 * f.width < w.cx < f.left + 0.3 * f.width
        )
        near_left = f.top - 2 * th < w.cy < f.top + 0.15 * f.height and f.left - 0.25 * f.width < w.cx < y_wall - 2 * th
        if (near_top or near_left) and w.w < 3.5 * th and w.h < 2 * th:
            p.panel_crops.append(_Crop(w.box, ids=w.ids, target_px=48))


def _inner_labels(f: _Frame, dark: np.ndarray, th: float) -> list[_Crop]:
    """Short bracketed words such as '(a)' in the top corners inside the plot area (panel labels drawn inside)."""
    x0, y0, x1, y1 = f.interior()
    cw, ch = int(0.3 * (x1 - x0)), int(0.3 * (y1 - y0))
    crops = []
    for wx0, wx1 in ((x0, x0 + cw), (x1 - cw, x1)):
        window = dark[y0 : y0 + ch, wx0:wx1]
        lab, n = ndimage.label(window, structure=np.ones((3, 3), bool))
        if n == 0 or n > 300:
            continue
        boxes = np.array([(sl[1].start, sl[0].start, sl[1].stop, sl[0].stop) for sl in ndimage.find_objects(lab)])
        hs, ws = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
        small = (hs >= 0.3 * th) & (hs <= 1.8 * th) & (ws <= 1.5 * th)
        words = _words(_Glyphs(lab, np.where(small[:, None], boxes, -(10**6))))
        for w in words:
            if len(w.ids) < 3 or w.w > 3.5 * th or w.box[0] < -1000:
                continue
            ids_h = hs[np.asarray(w.ids) - 1]
            if ids_h.max() < 0.8 * th:  # brackets are as tall as the text
                continue
            box = (w.box[0] + wx0, w.box[1] + y0, w.box[2] + wx0, w.box[3] + y0)
            crops.append(_Crop(box, target_px=48))
    return crops


def _tick_label(word: _Word, ticks: list[_Tick], glyphs: _Glyphs, th: float, horizontal: bool) -> _TickLabel:
    """A tick label's crops (a raised exponent apart) and the tick it labels."""
    if word.h > 1.3 * word.w and len(word.ids) >= 2:  # written bottom to top (R's y labels, x labels at 90°)
        base = _Crop(word.box, ids=list(word.ids), rotate=True, glyph_px=float(word.w))
        label = _TickLabel(word, _tick_at(word.cx if horizontal else word.cy, ticks, th), base)
        # read upwards, the last glyphs (the topmost) are an exponent when they are narrower across the line
        boxes = glyphs.boxes[np.asarray(sorted(word.ids, key=lambda i: -glyphs.boxes[i - 1][3])) - 1]
        across = boxes[:, 2] - boxes[:, 0]
        small = across < 0.75 * across.max()
        n_exp = len(small) - int(np.flatnonzero(~small).max()) - 1
        if len(small) >= 3 and 0 < n_exp < len(small) - 1:  # the exponent read on its own, at its own size
            order = sorted(word.ids, key=lambda i: -glyphs.boxes[i - 1][3])
            base_ids, exp_ids = order[:-n_exp], order[-n_exp:]
            label.base = _Crop(glyphs.group_box(base_ids), ids=base_ids, rotate=True, glyph_px=float(word.w))
            label.exponent = _Crop(
                glyphs.group_box(exp_ids), ids=exp_ids, rotate=True, glyph_px=float(across[-n_exp:].max()), twice=True
            )
        return label
    boxes = glyphs.boxes[np.asarray(word.ids) - 1]
    heights = boxes[:, 3] - boxes[:, 1]
    tall = heights >= 0.8 * heights.max()
    base_top, base_bottom = int(boxes[tall, 1].min()), int(boxes[tall, 3].max())
    mid = (base_top + base_bottom) / 2
    raised = (
        ~tall & (boxes[:, 3] <= mid + 1) & ((boxes[:, 1] + boxes[:, 3]) / 2 < base_top + 0.3 * (base_bottom - base_top))
    )
    ids = np.asarray(word.ids)
    # an exponent follows the digits ('10' then a raised '3'); raised glyphs before them are not one
    if not raised.any() or raised.all() or boxes[raised, 0].min() < boxes[~raised, 0].max():
        raised[:] = False
    base_ids = ids[~raised].tolist()
    base = _Crop(glyphs.group_box(base_ids), ids=base_ids, glyph_px=float(base_bottom - base_top))
    exponent = None
    if raised.any():
        exp_ids = ids[raised].tolist()
        exponent = _Crop(glyphs.group_box(exp_ids), ids=exp_ids, glyph_px=float(heights[raised].max()), twice=True)
    if not horizontal:  # the digits' middle, not the exponent's
        return _TickLabel(word, _tick_at(mid, ticks, th), base, exponent)
    return _TickLabel(word, _tick_at(word.cx, ticks, th), base, exponent)  # '10' and its exponent are centred as one


def _tick_at(centre: float, ticks: list[_Tick], th: float, reach: float = 0.35) -> float:
    """The major tick nearest a label's centre (within `reach` text heights), or the centre itself where no
    tick is near."""
    near = [k for k in ticks if abs(k.pos - centre) <= max(3.0, reach * th)]
    if not near:
        return centre
    longest = max(k.length for k in near)
    return min((k for k in near if k.length >= 0.7 * longest), key=lambda k: abs(k.pos - centre)).pos


def _read_text(panels: list[_Panel], gray: np.ndarray, glyphs: _Glyphs) -> None:
    """OCR every panel's tick labels and titles' exponents (one sheet, digits only) and other text (one sheet)."""
    titles = [c for p in panels for c in (p.x_title, p.y_title) if c]
    for title in titles:
        title.pieces = _title_pieces(glyphs, title)
    digit_crops = [
        c for p in panels for lab in p.x_labels + p.y_labels + p.right_labels for c in (lab.base, lab.exponent) if c
    ]
    digit_crops += [piece for t in titles for piece in t.pieces if piece.sup]
    digit_crops += [lab.exponent for p in panels for lab in (p.x_offset, p.y_offset) if lab and lab.exponent]
    text_crops = [piece for t in titles for piece in t.pieces if not piece.sup]
    text_crops += [c for p in panels for c in p.panel_crops]
    text_crops += [lab.base for p in panels for lab in (p.x_offset, p.y_offset) if lab]
    _ocr_sheets(gray, glyphs, [(digit_crops, DIGITS), (text_crops, None)])  # two tesseract processes at once
    for title in titles:
        title.text = re.sub(r"(?<!\S)\|(?!\S)", "I", title.joined())  # a lone 'I' (current) reads as '|'
    for p in panels:
        for crop in p.panel_crops:
            m = _PANEL_LABEL.match(crop.text.strip())
            if m and p.label is None:
                p.label = m.group(1).lower()
                p.label_text = crop.text.strip()
                p.text_boxes.append(crop.box)
