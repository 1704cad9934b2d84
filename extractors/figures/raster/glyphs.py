"""Glyphs: connected components of ink outside the plot areas, grouped into words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from extractors.figures.raster.frame import Box, _Frame, _Line


@dataclass
class _Glyphs:
    labels: np.ndarray  # component id per pixel (0: none)
    boxes: np.ndarray  # (n, 4) x0, y0, x1, y1 per component id - 1

    def group_box(self, ids: list[int]) -> Box:
        b = self.boxes[np.asarray(ids) - 1]
        return int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())


@dataclass
class _Word:
    """A group of glyph components close together: a tick label, a title, a legend entry."""

    ids: list[int]
    box: Box

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def w(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def h(self) -> int:
        return self.box[3] - self.box[1]


def _words(glyphs: _Glyphs) -> list[_Word]:
    """Glyphs merged into words: side by side with a gap under 0.35 of their height, or stacked (rotated text)."""
    b = glyphs.boxes.astype(float)
    n = len(b)
    if n == 0:
        return []
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    pairs = []
    for c0 in range(0, n, 400):  # in blocks: a figure with a photo in it has thousands of components
        r = slice(c0, min(n, c0 + 400))
        hgap = np.maximum(b[r, None, 0] - b[None, :, 2], b[None, :, 0] - b[r, None, 2])
        vgap = np.maximum(b[r, None, 1] - b[None, :, 3], b[None, :, 1] - b[r, None, 3])
        size = np.maximum(h[r, None], h[None, :])
        side = (hgap <= 0.35 * size) & (vgap <= 0.1 * size) & (vgap < 0)
        side |= (hgap <= 0.35 * size) & (vgap <= 0) & (np.minimum(h[r, None], h[None, :]) < 0.35 * size)  # a minus sign
        widths = np.maximum(w[r, None], w[None, :])
        small = (np.maximum(w, h)[r, None] < 60) & (np.maximum(w, h)[None, :] < 60)
        stacked = (vgap <= 0.35 * widths) & (hgap < 0) & small
        ii, jj = np.nonzero(side | stacked)
        pairs.append((ii + c0, jj))
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for ii, jj in pairs:
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            if i < j:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i + 1)
    return [_Word(ids, glyphs.group_box(ids)) for ids in groups.values()]


def _glyphs(ink_dist: np.ndarray, lines_h: list[_Line], lines_v: list[_Line], frames: list[_Frame]) -> _Glyphs:
    """Components of ink outside the plot areas, without the axis lines and tick marks."""
    ink = ink_dist > 90
    for ln in lines_h:
        ink[max(0, ln.lo - 1) : ln.hi + 2, ln.start : ln.end] = False
    for ln in lines_v:
        ink[ln.start : ln.end, max(0, ln.lo - 1) : ln.hi + 2] = False
    for f in frames:
        x0, y0, x1, y1 = f.interior()
        ink[y0:y1, x0:x1] = False
        t = f.thick // 2 + 2
        # the strips along the axes where the ticks are (minor ticks are often too faint to be found)
        ib, il = int(round(f.bottom)), int(round(f.left))
        ink[ib : ib + t + f.outer_tick_x + 2, il : int(f.right) + t] = False
        ink[int(f.top) : ib + t, max(0, il - t - f.outer_tick_y - 1) : il + 1] = False
        # a tick reaches outwards no further than the axis' longest outward tick: an inward tick's length
        # cut out below the axis would cut the middle out of the label under it
        for k in f.x_ticks:
            c, out = int(round(k.pos)), min(k.length, f.outer_tick_x)
            ink[max(0, int(f.bottom) - t - k.length) : int(f.bottom) + t + out + 2, max(0, c - t) : c + t + 1] = False
        for k in f.y_ticks:
            r, out = int(round(k.pos)), min(k.length, f.outer_tick_y)
            ink[max(0, r - t) : r + t + 1, max(0, int(f.left) - t - out - 1) : int(f.left) + t + k.length + 1] = False
    labels, n = ndimage.label(ink, structure=np.ones((3, 3), bool))
    boxes = np.zeros((n, 4), dtype=int)
    for i, sl in enumerate(ndimage.find_objects(labels)):
        boxes[i] = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
    # specks (anti-aliasing dust, a tick's stray pixel) are not glyphs
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    tiny = np.flatnonzero(area < 3) + 1
    if len(tiny):
        labels[np.isin(labels, tiny)] = 0
    keep = np.ones(n, bool)
    keep[tiny - 1] = False
    boxes[~keep] = (-(10**6), -(10**6), -(10**6) + 1, -(10**6) + 1)  # far away: never grouped
    return _Glyphs(labels, boxes)


def _text_height(words: list[_Word]) -> float:
    """The typical height of a line of text in the figure (the tick labels' digits, mostly)."""
    hs = [w.h for w in words if 6 <= w.h <= 80 and w.w >= 3 and w.h <= 2.5 * w.w]  # not rotated words
    return float(np.median(hs)) if hs else 16.0
