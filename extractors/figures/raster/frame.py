"""Axis frames: long dark strokes meeting at a corner, with the tick marks along their axes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1 and y1 exclusive


@dataclass
class _Line:
    """A long thin dark stroke: rows lo..hi (horizontal) or columns lo..hi (vertical), along start..end-1."""

    lo: int
    hi: int
    start: int
    end: int

    @property
    def centre(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def thickness(self) -> int:
        return self.hi - self.lo + 1


@dataclass
class _Tick:
    pos: float  # pixel column (x axis) or row (y axis) of the tick's centre
    length: int


@dataclass
class _Frame:
    """An axes frame: the centres of its left, top, right and bottom edges in pixels."""

    left: float
    top: float
    right: float
    bottom: float
    thick: int
    x_ticks: list[_Tick] = field(default_factory=list)
    y_ticks: list[_Tick] = field(default_factory=list)
    inner_tick: int = 0  # the longest inward tick: pixels next to the frame that are ticks, not data
    outer_tick_x: int = 0  # the longest outward ticks of the x and y axes
    outer_tick_y: int = 0

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def box(self) -> Box:
        return int(self.left), int(self.top), int(math.ceil(self.right)) + 1, int(math.ceil(self.bottom)) + 1

    def interior(self) -> Box:
        m = self.thick // 2 + 1
        return (
            int(self.left) + m + 1,
            int(self.top) + m + 1,
            int(math.ceil(self.right)) - m,
            int(math.ceil(self.bottom)) - m,
        )

    def contains(self, other: _Frame) -> bool:
        return (
            self.left - 2 <= other.left
            and other.right <= self.right + 2
            and self.top - 2 <= other.top
            and other.bottom <= self.bottom + 2
            and other.width * other.height < 0.8 * self.width * self.height
        )


def _find_frames(
    dark: np.ndarray, stroke: np.ndarray, ink_dist: np.ndarray
) -> tuple[list[_Line], list[_Line], list[_Frame]]:
    """Plot frames (axes with tick marks on the bottom and left axes), insets included, and the long
    horizontal and vertical strokes they were made of."""
    h, w = dark.shape
    min_h = max(30, int(0.08 * w))
    min_v = max(30, int(0.08 * h))
    max_thick = max(6, int(0.012 * max(h, w)))
    # an axis drawn one pixel thin can break where a tick or an anti-aliased step lightens a pixel or two
    lines_h = _long_lines(ndimage.binary_closing(dark, np.ones((1, 4), bool)), min_h, max_thick)
    lines_v = _long_lines(ndimage.binary_closing(dark.T, np.ones((1, 4), bool)), min_v, max_thick)
    frames: list[_Frame] = []
    for hl in lines_h:
        for vl in lines_v:
            tol = 3 + max(hl.thickness, vl.thickness)
            # the axes meet at the corner; a tick mark in line with an axis may stick out past it
            overhang = max(tol, int(0.04 * min(w, h)))
            if not (vl.lo - overhang <= hl.start <= vl.lo + tol and hl.hi - tol <= vl.end - 1 <= hl.hi + overhang):
                continue
            thick = max(hl.thickness, vl.thickness)
            left, bottom = vl.centre, hl.centre
            top = vl.start + (vl.thickness - 1) / 2
            right = hl.end - 1 - (hl.thickness - 1) / 2
            for other in lines_h:  # a top edge: its centre is the plot area's top
                if other is not hl and abs(other.start - hl.start) <= tol and abs(other.lo - vl.start) <= tol:
                    top = other.centre
            for other in lines_v:
                if (
                    other is not vl
                    and abs(other.lo - (hl.end - other.thickness)) <= tol
                    and abs(other.end - 1 - hl.hi) <= tol
                ):
                    right = other.centre
            frame = _Frame(left, top, right, bottom, thick)
            if frame.width < 40 or frame.height < 40 or not 0.1 < frame.width / frame.height < 10:
                continue
            if any(abs(f.left - left) < 4 and abs(f.bottom - bottom) < 4 for f in frames):
                continue
            if _is_plot(frame, ink_dist, stroke):
                frames.append(frame)
    return lines_h, lines_v, _outermost(frames)


def _outermost(frames: list[_Frame]) -> list[_Frame]:
    """Without the frames that are another's but for one edge: a grid line or a flat series running into the
    axis near its end makes a second corner just inside the true one."""
    out = []
    for f in frames:
        shadowed = any(
            g is not f
            and sum(
                abs(a - b) < 4 for a, b in ((f.left, g.left), (f.top, g.top), (f.right, g.right), (f.bottom, g.bottom))
            )
            == 3
            and g.left <= f.left + 1
            and g.bottom >= f.bottom - 1
            and g.right >= f.right - 1
            and g.top <= f.top + 1
            for g in frames
        )
        if not shadowed:
            out.append(f)
    return out


def _is_plot(frame: _Frame, ink_dist: np.ndarray, stroke: np.ndarray) -> bool:
    """A plot frame has tick marks on both axes and a mostly empty (background) inside."""
    x0, y0, x1, y1 = frame.interior()
    if x1 - x0 < 10 or y1 - y0 < 10:
        return False
    empty = ink_dist[y0:y1, x0:x1] < 40
    top = empty[: max(2, empty.shape[0] // 12)]
    if empty.mean() < 0.5 and top.mean() < 0.8:  # a photo or a map in a frame (bars leave the top empty)
        return False
    depth = max(6, int(0.05 * min(frame.width, frame.height)))
    max_width = 2 * frame.thick + 3
    t = frame.thick // 2 + 1
    ib, il = int(round(frame.bottom)), int(round(frame.left))
    cols = slice(il + t + 1, int(frame.right) - t)
    rows = slice(int(frame.top) + t + 1, ib - t)
    # outward ticks are looked for up to the axes' ends (a tick at the very end is common), inward ones
    # short of the frame's other edges
    out_cols = slice(max(0, il - t), int(frame.right) + t + 1)
    out_rows = slice(max(0, int(frame.top) - t), ib + t + 1)
    out_x = _tick_marks(stroke[ib + t + 1 : ib + t + 1 + depth, out_cols], max_width)
    in_x = _tick_marks(stroke[max(0, ib - t - depth) : ib - t, cols][::-1], max_width)
    out_y = _tick_marks(stroke[out_rows, max(0, il - t - depth) : il - t][:, ::-1].T, max_width)
    in_y = _tick_marks(stroke[rows, il + t + 1 : il + t + 1 + depth].T, max_width)
    out_x = [_Tick(k.pos + out_cols.start, k.length) for k in out_x]
    out_y = [_Tick(k.pos + out_rows.start, k.length) for k in out_y]
    in_x = [_Tick(k.pos + cols.start, k.length) for k in in_x]
    in_y = [_Tick(k.pos + rows.start, k.length) for k in in_y]
    frame.x_ticks = _merge_ticks(out_x + _consistent(in_x))
    frame.y_ticks = _merge_ticks(out_y + _consistent(in_y))
    frame.inner_tick = max([k.length for k in _consistent(in_x) + _consistent(in_y)], default=0)
    frame.outer_tick_x = max([k.length for k in out_x], default=0)
    frame.outer_tick_y = max([k.length for k in out_y], default=0)
    if len(frame.x_ticks) >= 2 and len(frame.y_ticks) >= 2:
        return True
    # faint ticks on one axis (thin, anti-aliased away): the other's must be many and evenly spaced
    return any(_regular([k.pos for k in ticks]) for ticks in (frame.x_ticks, frame.y_ticks))


def _row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every run of True in every row: (row, start, end exclusive), in row-major order."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    rows, starts = np.nonzero(d == 1)
    _, ends = np.nonzero(d == -1)
    return rows, starts, ends


def _long_lines(mask: np.ndarray, min_length: int, max_thickness: int) -> list[_Line]:
    """Horizontal strokes of `mask` at least `min_length` long and at most `max_thickness` thick."""
    rows, starts, ends = _row_runs(mask)
    keep = ends - starts >= min_length
    lines: list[_Line] = []
    open_lines: list[_Line] = []
    for r, s, e in zip(rows[keep].tolist(), starts[keep].tolist(), ends[keep].tolist(), strict=True):
        for line in open_lines:
            if line.hi >= r - 1 and abs(line.start - s) <= 3 and abs(line.end - e) <= 3:
                line.hi, line.start, line.end = r, min(line.start, s), max(line.end, e)
                break
        else:
            line = _Line(r, r, s, e)
            lines.append(line)
            open_lines.append(line)
        open_lines = [ln for ln in open_lines if ln.hi >= r - 1]
    return [ln for ln in lines if ln.thickness <= max_thickness]


def _tick_marks(strip: np.ndarray, max_width: int) -> list[_Tick]:
    """Ticks in a strip whose first row touches an axis line: columns with a dark run from that row."""
    if strip.size == 0:
        return []
    depth = strip.shape[0]
    first_gap = np.where(strip.all(axis=0), depth, np.argmin(strip, axis=0))
    ticks = []
    cols = np.flatnonzero(first_gap >= 2)
    if cols.size == 0:
        return []
    groups = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    for g in groups:
        length = int(first_gap[g].max())
        if len(g) <= max_width and length < depth:
            ticks.append(_Tick(float(g.mean()), length))
    return ticks


def _regular(positions: list[float]) -> bool:
    """At least three ticks, evenly spaced (a run of a linear axis' major ticks)."""
    if len(positions) < 3:
        return False
    gaps = np.diff(sorted(positions))
    return bool(gaps.min() > 3 and gaps.std() < 0.1 * gaps.mean())


def _consistent(ticks: list[_Tick]) -> list[_Tick]:
    """Inward ticks of a common length (data strokes touching the axis are not ticks)."""
    if len(ticks) < 2:
        return []
    lengths = sorted(k.length for k in ticks)
    top = lengths[-1]
    common = [k for k in ticks if any(abs(k.length - L) <= 1 for L in (top, int(np.median(lengths))))]
    return common if len(common) >= 2 else []


def _merge_ticks(ticks: list[_Tick]) -> list[_Tick]:
    out: list[_Tick] = []
    for k in sorted(ticks, key=lambda k: k.pos):
        if out and abs(out[-1].pos - k.pos) <= 2:
            out[-1] = _Tick((out[-1].pos + k.pos) / 2, max(out[-1].length, k.length))
        else:
            out.append(k)
    return out


def _union(boxes: list[Box]) -> Box:
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)
