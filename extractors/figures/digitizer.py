"""The offline figure reader: vector plots from their own drawing paths, raster plots from pixels and OCR.

A vector plot (most journal figures) carries its data exactly: the axis frame, tick marks, curves
and markers are drawing paths and the tick labels, axis titles and legend are text. `read_vector`
finds each axis frame (one per panel), calibrates both axes from the tick labels next to their
tick marks (linear or log, `extractors.figures.axes`), matches legend entries to series by colour and
converts every curve vertex and marker centre into data coordinates. A figure without drawings
or without a frame among them goes to the pixel reader (`extractors.figures.raster`).

What is not a 2D plot is skipped with the reason: no axis frame (photo, micrograph, schematic),
numeric labels without an orthogonal frame (3D plot), a calibrated frame inside another (inset).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from extractors.figures.axes import Calibration, calibrate, parse_tick, split_axis_title
from extractors.figures.base import FigureImage, TextSpan, VectorPath
from schemas.figure import FigureData, FigureSkip, FigureStatus, Series

MIN_AXIS_PT = 30.0  # shorter lines are not an axis
CORNER_PT = 2.5  # how far an x axis and a y axis may miss each other at their corner
TICK_LABEL_GAP_PT = 28.0  # how far from its axis a tick label may stand
_PANEL = re.compile(r"^\(?([a-hA-H])\)?\.?$")
LIGHT_FRAME = 0.8  # the lightest grey (mean RGB) a frame's stroke may have: bmh's #bcbcbc, gnuplot's greys
FACE_MAX = 0.985  # an axes background lighter than this in every channel is the page's white, not a face
_OFFSET = re.compile(r"^[x×·*]?\s*(?:1e|10\^?)\s*\{?([-+\u2212]?\d{1,3})\}?$")


@dataclass
class _Frame:
    x0: float
    y0: float
    x1: float
    y1: float  # y1 is the x axis (PDF y grows downwards)
    paths: list[int] = field(default_factory=list)  # indices of the paths that draw it
    shares_x: _Frame | None = None  # the panel below whose x axis (ticks and title) this one shares

    def contains(self, x: float, y: float, pad: float = 0.0) -> bool:
        return self.x0 - pad <= x <= self.x1 + pad and self.y0 - pad <= y <= self.y1 + pad

    def inside(self, other: _Frame) -> bool:
        return (
            other.x0 - 1 <= self.x0 and self.x1 <= other.x1 + 1 and other.y0 - 1 <= self.y0 and self.y1 <= other.y1 + 1
        )

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.x0, self.y0, self.x1, self.y1


class Digitizer:
    """FigureReader: vector paths first, pixels (OCR) where a figure has none."""

    name = "digitizer"

    def read(self, figure: FigureImage) -> list[FigureData]:
        if figure.paths:
            plots = read_vector(figure)
            if plots is not None:
                return plots
        # numpy/scipy and OCR only when pixels must be read
        from extractors.figures.raster import read_raster

        return read_raster(figure)


def read_vector(figure: FigureImage) -> list[FigureData] | None:
    """The plots drawn as paths in `figure`; None where there is no axis frame among its drawings."""
    paths, spans = figure.paths, figure.spans
    frames = _frames(paths)
    if not frames:
        if sum(parse_tick(s.text) is not None for s in spans) >= 6 and _slanted_lines(paths) >= 3:
            raise FigureSkip("3d plot: numeric labels around slanted axes, no orthogonal frame")
        return None
    cals = [
        (
            frame,
            _with_offset(calibrate(_axis_pairs(frame, paths, spans, "x")), _offset(frame, spans, "x")),
            _with_offset(calibrate(_axis_pairs(frame, paths, spans, "y")), _offset(frame, spans, "y")),
        )
        for frame in frames
    ]
    plots: list[tuple[_Frame, Calibration | None, Calibration]] = []
    for frame, xcal, ycal in cals:
        if ycal is None:
            continue
        if xcal is None:  # stacked panels share the x axis labelled under the lowest one
            below = [
                (f, c)
                for f, c, _ in cals
                if c is not None and f.y0 >= frame.y1 - 2 and abs(f.x0 - frame.x0) < 2 and abs(f.x1 - frame.x1) < 2
            ]
            if below:
                frame.shares_x, xcal = below[0]
        if xcal is not None or _is_bar_chart(frame, paths, _categories(frame, spans), ycal):
            plots.append((frame, xcal, ycal))  # no x calibration: a bar chart with named categories
    if not plots:  # tick labels drawn as outlines or pixels, not text: the pixel reader's OCR may read them
        return None
    for frame, _, _ in plots:
        if any(frame is not other and frame.inside(other) for other, _, _ in plots):
            raise FigureSkip("inset: a plot drawn inside another plot")
    plots.sort(key=lambda p: (round(p[0].y0 / 40), p[0].x0))  # reading order: rows, then left to right
    out = []
    for i, (frame, xcal, ycal) in enumerate(plots):
        out.append(
            _read_frame(figure, frame, xcal, ycal, plots, default_panel=chr(ord("a") + i) if len(plots) > 1 else None)
        )
    return out


# --- frames -------------------------------------------------------------------------------------


def _segments(
    paths: list[VectorPath],
) -> tuple[list[tuple[float, float, float, int]], list[tuple[float, float, float, int]]]:
    """Dark axis-aligned straight lines: horizontal (y, x0, x1, path) and vertical (x, y0, y1, path)."""
    hs, vs = [], []
    for i, p in enumerate(paths):
        if not _frame_ink(p):
            continue
        for piece in p.pieces:
            if len(piece) > 5:
                continue
            for (ax, ay), (bx, by) in zip(piece, piece[1:], strict=False):
                if abs(ay - by) < 0.3 and abs(bx - ax) >= MIN_AXIS_PT:
                    hs.append((ay, min(ax, bx), max(ax, bx), i))
                elif abs(ax - bx) < 0.3 and abs(by - ay) >= MIN_AXIS_PT:
                    vs.append((ax, min(ay, by), max(ay, by), i))
    return hs, vs


def _frame_ink(p: VectorPath) -> bool:
    """Whether a path may draw an axis: a solid dark or grey stroke (gnuplot and bmh draw light grey
    frames), a dark filled bar, or the light filled background of the axes (ggplot, seaborn: no spines)."""
    if p.dashes not in (None, "[] 0"):
        return False
    if p.stroke is not None:
        return sum(p.stroke) / 3 <= LIGHT_FRAME
    if p.fill is None or p.width != 0:
        return False
    if sum(p.fill) / 3 <= 0.5:
        return True
    face = len(p.pieces) == 1 and len(p.pieces[0]) in (4, 5)
    return face and min(p.fill) >= 0.75 and max(p.fill) < FACE_MAX


def _frames(paths: list[VectorPath]) -> list[_Frame]:
    """Axis frames: an x axis and a y axis that meet at the bottom-left corner."""
    hs, vs = _segments(paths)
    frames: list[_Frame] = []
    for y, hx0, hx1, hi in sorted(hs, key=lambda h: h[1]):
        for x, vy0, vy1, vi in vs:
            if abs(hx0 - x) <= CORNER_PT and abs(vy1 - y) <= CORNER_PT:
                f = _Frame(x, vy0, hx1, y, [hi, vi])
                if not any(abs(f.x0 - g.x0) < 2 and abs(f.y1 - g.y1) < 2 for g in frames):
                    frames.append(f)
    # The top and right spines of a box are part of the frame, not an axis of their own.
    for f in frames:
        f.paths += [i for y, a, b, i in hs if abs(y - f.y0) < 1 and a <= f.x0 + 1 and b >= f.x1 - 1]
        f.paths += [i for x, a, b, i in vs if abs(x - f.x1) < 1 and a <= f.y0 + 1 and b >= f.y1 - 1]
    return frames


def _slanted_lines(paths: list[VectorPath]) -> int:
    count = 0
    for p in paths:
        for piece in p.pieces:
            for (ax, ay), (bx, by) in zip(piece, piece[1:], strict=False):
                dx, dy = abs(bx - ax), abs(by - ay)
                if dx > 0.2 * dy and dy > 0.2 * dx and (dx * dx + dy * dy) ** 0.5 > MIN_AXIS_PT:
                    count += 1
    return count


# --- calibration ------------------------------------------------------------------------------


def _ticks(frame: _Frame, paths: list[VectorPath], axis: str) -> list[float]:
    """Positions of the short marks that cross or touch an axis (the x axis: x positions)."""
    out = []
    for p in paths:
        for piece in p.pieces:
            if len(piece) != 2:
                continue
            (ax, ay), (bx, by) = piece
            length = abs(ax - bx) + abs(ay - by)
            if (
                axis == "x"
                and abs(ax - bx) < 0.2
                and length >= 0.95 * (frame.y1 - frame.y0)
                and p.dashes in (None, "[] 0")
            ):
                if frame.x0 - 1 <= ax <= frame.x1 + 1 and abs(max(ay, by) - frame.y1) <= 1.5:
                    out.append(ax)  # a grid line: it stands on a major tick (seaborn draws grid lines, no ticks)
                continue
            if (
                axis == "y"
                and abs(ay - by) < 0.2
                and length >= 0.95 * (frame.x1 - frame.x0)
                and p.dashes in (None, "[] 0")
            ):
                if frame.y0 - 1 <= ay <= frame.y1 + 1 and abs(min(ax, bx) - frame.x0) <= 1.5:
                    out.append(ay)
                continue
            if not 1.0 <= length <= 10.0:
                continue
            if (
                axis == "x"
                and abs(ax - bx) < 0.2
                and frame.x0 - 1 <= ax <= frame.x1 + 1
                and min(ay, by) - 0.5 <= frame.y1 <= max(ay, by) + 0.5
            ):
                out.append(ax)
            elif (
                axis == "y"
                and abs(ay - by) < 0.2
                and frame.y0 - 1 <= ay <= frame.y1 + 1
                and min(ax, bx) - 0.5 <= frame.x0 <= max(ax, bx) + 0.5
            ):
                out.append(ay)
    return sorted(set(round(t, 2) for t in out))


def _tick_labels(frame: _Frame, spans: list[TextSpan], axis: str) -> list[tuple[TextSpan, float]]:
    labels = []
    for s in spans:
        # the raised exponent of a slanted '10^3' comes out lowered ('10_3'): along a turned baseline the
        # span reader cannot tell up from down
        value = parse_tick(re.sub(r"^10_", "10^", s.text) if s.vertical else s.text)
        if value is None:
            continue
        x0, y0, x1, y1 = s.bbox
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        below = frame.x0 - 12 <= cx <= frame.x1 + 12 and frame.y1 - 2 <= y0 <= frame.y1 + TICK_LABEL_GAP_PT
        left = (
            frame.y0 - 8 <= cy <= frame.y1 + 8 and frame.x0 - TICK_LABEL_GAP_PT - (x1 - x0) <= x0 and x1 <= frame.x0 + 2
        )
        if below if axis == "x" else left:
            labels.append((s, value))
    return labels


def _axis_pairs(frame: _Frame, paths: list[VectorPath], spans: list[TextSpan], axis: str) -> list[tuple[float, float]]:
    """(position, value) per tick label: the position of the tick mark it names, or of its own centre."""
    ticks = _ticks(frame, paths, axis)
    labels = _tick_labels(frame, spans, axis)
    if axis == "x":  # labels of one axis stand in one row
        labels = _one_row([(s, v) for s, v in labels], key=lambda s: s.bbox[1])
    else:
        labels = _one_row([(s, v) for s, v in labels], key=lambda s: s.bbox[2])
    pairs = []
    for s, value in labels:
        x0, y0, x1, y1 = s.bbox
        centre = (x0 + x1) / 2 if axis == "x" else (y0 + y1) / 2
        half = (x1 - x0) / 2 if axis == "x" else (y1 - y0) / 2
        near = [t for t in ticks if abs(t - centre) <= max(half, 2.0)]
        pairs.append((min(near, key=lambda t: abs(t - centre)) if near else centre, value))
    if axis == "x" and ticks and labels:
        # slanted labels (rotated with ha='right') end at their tick: when more right ends than centres sit on a
        # tick, the right ends name the ticks
        def on_tick(pos: float) -> bool:
            return any(abs(t - pos) <= 1.0 for t in ticks)

        # the common shift from the labels' ends to their ticks (a turned exponent moves the end a little; minor
        # ticks lie close by): the one that puts the most ends on a tick, the smallest of those
        size = max(s.size for s, _ in labels)
        shifts = sorted({round(t - s.bbox[2], 2) for s, _ in labels for t in ticks if abs(t - s.bbox[2]) <= 0.5 * size})
        best = max(shifts, key=lambda d: (sum(on_tick(s.bbox[2] + d) for s, _ in labels), -abs(d)), default=0.0)
        ends = [s.bbox[2] + best for s, _ in labels]
        centres = [(s.bbox[0] + s.bbox[2]) / 2 for s, _ in labels]
        if sum(map(on_tick, ends)) > max(sum(map(on_tick, centres)), len(labels) // 2):
            pairs = [
                (min(ticks, key=lambda t: abs(t - e)) if on_tick(e) else e, v)
                for e, (_, v) in zip(ends, labels, strict=True)
            ]
    return pairs


def _offset(frame: _Frame, spans: list[TextSpan], axis: str) -> float | None:
    """The factor of an axis' offset text ('1e5', '×10^5'): above the y axis' top, at the x axis' right end."""
    for s in spans:
        t = s.text.strip().replace("$", "").replace("\\times", "×").replace("\\mathdefault", "").replace(" ", "")
        m = _OFFSET.match(t)
        if not m or s.vertical:
            continue
        x0, y0, x1, y1 = s.bbox
        if axis == "y":
            near = frame.y0 - 16 <= y1 <= frame.y0 + 3 and frame.x0 - 30 <= x0 <= frame.x0 + 25
        else:
            near = abs(x1 - frame.x1) <= 25 and frame.y1 < y0 <= frame.y1 + 2.2 * TICK_LABEL_GAP_PT
        if near:
            return 10.0 ** int(m.group(1).replace("\u2212", "-"))
    return None


def _with_offset(cal: Calibration | None, factor: float | None) -> Calibration | None:
    """A linear calibration times its axis' offset factor."""
    if cal is None or factor is None or cal.scale != "linear":
        return cal
    return dataclasses.replace(cal, a=cal.a * factor, b=cal.b * factor)


def _one_row(labels: list[tuple[TextSpan, float]], key) -> list[tuple[TextSpan, float]]:
    """The labels on the row (or column) that holds most of them: stray numbers elsewhere are not ticks."""
    if len(labels) <= 2:
        return labels
    best: list[tuple[TextSpan, float]] = []
    for s, _ in labels:
        row = [(t, v) for t, v in labels if abs(key(t) - key(s)) <= 3.0]
        if len(row) > len(best):
            best = row
    return best


def _categories(frame: _Frame, spans: list[TextSpan]) -> list[TextSpan]:
    """Names under the x axis of a bar chart (one row, or written upwards), left to right."""
    names = [
        s
        for s in spans
        if parse_tick(s.text) is None
        and not _PANEL.match(s.text.strip())
        and frame.x0 <= (s.bbox[0] + s.bbox[2]) / 2 <= frame.x1
        and frame.y1 - 1 <= s.bbox[1] <= frame.y1 + 12
    ]
    return sorted(names, key=lambda s: s.bbox[0])


# --- one plot ---------------------------------------------------------------------------------


def _read_frame(
    figure: FigureImage,
    frame: _Frame,
    xcal: Calibration | None,
    ycal: Calibration,
    plots: list[tuple[_Frame, Calibration | None, Calibration]],
    default_panel: str | None,
) -> FigureData:
    paths, spans = figure.paths, figure.spans
    others = [f for f, _, _ in plots if f is not frame]
    used: set[int] = set(frame.paths)
    categories = _categories(frame, spans) if xcal is None else []
    used |= {id(s) for s, _ in _tick_labels(frame, spans, "x") + _tick_labels(frame, spans, "y")} | {
        id(s) for s in categories
    }
    x_title = _x_title(frame.shares_x or frame, spans, used)
    y_title = _y_title(frame, spans, used, others)
    x_label, x_unit = split_axis_title(x_title.text) if x_title else (None, None)
    y_label, y_unit = split_axis_title(y_title.text) if y_title else (None, None)
    panel = _panel(frame, spans) or default_panel

    legend, legend_paths = _legend(frame, paths, spans)
    if xcal is None:
        series = _bars(frame, paths, legend_paths, categories, ycal)
    else:
        series = _series(frame, paths, legend_paths, xcal, ycal)
    for s in series:
        s.label = legend.get(s.color or "")
    text = [s.text for s in spans if frame.contains((s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2, pad=45)]
    status: FigureStatus = "read" if series else "skipped"
    reason = None if series else "no series: no curve or marker inside the axes"
    return FigureData(
        source=figure.source,
        paper_id=figure.paper_id,
        page=figure.figure.page,
        bbox=frame.bbox,
        number=figure.figure.number,
        panel=panel,
        caption=figure.figure.caption,
        kind="vector",
        reader="digitizer",
        status=status,
        reason=reason,
        x_label=x_label,
        x_unit=x_unit,
        x_scale=xcal.scale if xcal else "linear",
        y_label=y_label,
        y_unit=y_unit,
        y_scale=ycal.scale,
        x_range=(xcal.value(frame.x0), xcal.value(frame.x1)) if xcal else None,
        y_range=(ycal.value(frame.y1), ycal.value(frame.y0)),
        series=series,
        x_categories=[c.text.strip() for c in categories],
        text=text,
    )


def _x_title(frame: _Frame, spans: list[TextSpan], used: set[int]) -> TextSpan | None:
    below = [
        s
        for s in spans
        if id(s) not in used
        and not s.vertical
        and parse_tick(s.text) is None
        and frame.y1 < s.bbox[1] <= frame.y1 + 2.2 * TICK_LABEL_GAP_PT
        and frame.x0 <= (s.bbox[0] + s.bbox[2]) / 2 <= frame.x1
        and not _PANEL.match(s.text.strip())
    ]
    return min(below, key=lambda s: s.bbox[1]) if below else None


def _y_title(frame: _Frame, spans: list[TextSpan], used: set[int], others: list[_Frame]) -> TextSpan | None:
    left = [
        s
        for s in spans
        if id(s) not in used
        and s.vertical
        and parse_tick(s.text) is None
        and frame.x0 - 3 * TICK_LABEL_GAP_PT <= s.bbox[0]
        and s.bbox[2] <= frame.x0
        and frame.y0 - 5 <= (s.bbox[1] + s.bbox[3]) / 2 <= frame.y1 + 5
        and not any(o.contains((s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2) for o in others)
    ]
    return max(left, key=lambda s: s.bbox[2]) if left else None


def _panel(frame: _Frame, spans: list[TextSpan]) -> str | None:
    """The panel letter: '(a)' inside the axes, or at their top-left corner just outside."""
    found = []
    for s in spans:
        m = _PANEL.match(s.text.strip())
        cx, cy = (s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2
        if m and (
            frame.contains(cx, cy)
            or frame.x0 - 45 <= s.bbox[0] <= frame.x0 + 0.3 * (frame.x1 - frame.x0)
            and frame.y0 - 30 <= s.bbox[1] <= frame.y0
        ):
            found.append((abs(cx - frame.x0) + abs(cy - frame.y0), m.group(1).lower()))
    return min(found)[1] if found else None


def _color(rgb: tuple[float, float, float] | None) -> str | None:
    if rgb is None:
        return None
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def _is_light(rgb: tuple[float, float, float] | None) -> bool:
    return rgb is None or min(rgb) > 0.93


def _ink(p: VectorPath) -> str | None:
    """The colour a marker or legend sample shows: its fill, else its stroke; None where both are light."""
    for rgb in (p.fill, p.stroke):
        if not _is_light(rgb):
            return _color(rgb)
    return None


def _legend(frame: _Frame, paths: list[VectorPath], spans: list[TextSpan]) -> tuple[dict[str, str], set[int]]:
    """Legend entries inside the axes: a short line or a marker, then its text to the right. colour -> label."""
    labels: dict[str, str] = {}
    used: set[int] = set()
    entries = [
        s
        for s in spans
        if not s.vertical
        and parse_tick(s.text) is None
        and not _PANEL.match(s.text.strip())
        and frame.contains((s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2)
    ]
    for s in entries:
        x0, y0, x1, y1 = s.bbox
        cy = (y0 + y1) / 2
        samples = [
            i
            for i, p in enumerate(paths)
            if x0 - 3.5 * s.size <= p.rect[2] <= x0
            and abs((p.rect[1] + p.rect[3]) / 2 - cy) <= 0.6 * s.size
            and p.rect[2] - p.rect[0] <= 4 * s.size
            and p.rect[3] - p.rect[1] <= 1.2 * s.size
        ]
        for i in samples:
            color = _ink(paths[i])
            if color:
                labels.setdefault(color, s.text.strip())
                used.add(i)
    # The legend's box: a light-filled, rounded rectangle around the entries.
    if used:
        region = [
            min(paths[i].rect[0] for i in used) - 2,
            min(paths[i].rect[1] for i in used) - 12,
            max(s.bbox[2] for s in entries) + 2,
            max(paths[i].rect[3] for i in used) + 12,
        ]
        for i, p in enumerate(paths):
            if (
                p.rect[0] >= region[0] - 12
                and p.rect[2] <= region[2] + 12
                and p.rect[1] >= region[1] - 6
                and p.rect[3] <= region[3] + 6
                and (p.fill is None or _is_light(p.fill) or i in used)
                and len(p.pieces) > 4
            ):
                used.add(i)
    return labels, used


def _series(
    frame: _Frame, paths: list[VectorPath], skip: set[int], xcal: Calibration, ycal: Calibration
) -> list[Series]:
    """Curves (stroked polylines) and markers (small closed shapes) inside the axes, grouped by colour."""
    width, height = frame.x1 - frame.x0, frame.y1 - frame.y0
    lines: dict[str, list[tuple[float, float]]] = {}
    markers: dict[str, list[tuple[float, float]]] = {}
    for i, p in enumerate(paths):
        if i in skip or i in frame.paths:
            continue
        x0, y0, x1, y1 = p.rect
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not frame.contains(cx, cy, pad=1.0):
            continue
        if x1 - x0 >= 0.98 * width and y1 - y0 >= 0.98 * height and p.fill:  # the axes' background
            continue
        segment = len(p.pieces) == 1 and len(p.pieces[0]) == 2  # a tick mark drawn filled, not a marker
        small = (
            x1 - x0 <= 12 and y1 - y0 <= 12 and (p.fill is not None or p.closed or len(p.pieces) > 1) and not segment
        )
        if small and not (x1 - x0 < 0.5 and y1 - y0 < 0.5):
            color = _ink(p)
            if color:
                markers.setdefault(color, []).append((cx, cy))
            continue
        if p.stroke is None or _is_light(p.stroke) or _is_grid(p, frame):
            continue
        if _is_tick(p, frame):
            continue
        points = [pt for piece in p.pieces for pt in (piece if piece is p.pieces[0] else piece[1:])]
        lines.setdefault(_color(p.stroke) or "", []).extend(points)
    series = []
    for color, pts in markers.items():
        data = _to_data(pts, frame, xcal, ycal)
        if data:
            series.append(Series(points=sorted(data), style="scatter", color=color))
    for color, pts in lines.items():
        data = _to_data(pts, frame, xcal, ycal)
        if len(data) < 2:
            continue
        if color in markers:  # a line through markers: the markers are the data
            continue
        series.append(Series(points=sorted(_dedupe(data)), style="line", color=color))
    return series


def _is_bar_chart(frame: _Frame, paths: list[VectorPath], categories: list[TextSpan], ycal: Calibration) -> bool:
    """At least two category names under the axis, each with a bar above it."""
    return len({x for series in _bars(frame, paths, set(), categories, ycal) for x, _ in series.points}) >= 2


def _bars(
    frame: _Frame, paths: list[VectorPath], skip: set[int], categories: list[TextSpan], ycal: Calibration
) -> list[Series]:
    """Filled rectangles standing on a common baseline, each under its category name: [category index, height]."""
    boxes: dict[str, list[tuple[float, float]]] = {}
    width, height = frame.x1 - frame.x0, frame.y1 - frame.y0
    for i, p in enumerate(paths):
        x0, y0, x1, y1 = p.rect
        if i in skip or p.fill is None or _is_light(p.fill) or not frame.contains((x0 + x1) / 2, (y0 + y1) / 2):
            continue
        if not (1.5 <= x1 - x0 <= 0.5 * width and 0.5 <= y1 - y0 <= 1.01 * height) or len(p.pieces) != 1:
            continue
        centre = (x0 + x1) / 2
        near = [(abs((c.bbox[0] + c.bbox[2]) / 2 - centre), k) for k, c in enumerate(categories)]
        distance, k = min(near) if near else (1e9, -1)
        if distance > max(x1 - x0, 6.0):
            continue
        baseline = ycal.position(0.0) if ycal.scale == "linear" else frame.y1
        top = y0 if abs(y1 - baseline) <= abs(y0 - baseline) else y1  # a negative bar hangs below the baseline
        boxes.setdefault(_color(p.fill) or "", []).append((float(k), _round(ycal.value(top))))
    return [Series(points=sorted(points), style="bar", color=color) for color, points in boxes.items()]


def _is_grid(p: VectorPath, frame: _Frame) -> bool:
    x0, y0, x1, y1 = p.rect
    straight = all(len(piece) == 2 for piece in p.pieces)
    across = (x1 - x0 >= 0.95 * (frame.x1 - frame.x0) and y1 - y0 < 0.5) or (
        y1 - y0 >= 0.95 * (frame.y1 - frame.y0) and x1 - x0 < 0.5
    )
    return straight and across


def _is_tick(p: VectorPath, frame: _Frame) -> bool:
    if len(p.pieces) != 1 or len(p.pieces[0]) != 2:
        return False
    (ax, ay), (bx, by) = p.pieces[0]
    length = abs(ax - bx) + abs(ay - by)
    near_edge = (
        min(
            abs(ay - frame.y1),
            abs(by - frame.y1),
            abs(ax - frame.x0),
            abs(bx - frame.x0),
            abs(ay - frame.y0),
            abs(by - frame.y0),
            abs(ax - frame.x1),
            abs(bx - frame.x1),
        )
        < 0.6
    )
    return length <= 10 and near_edge and (abs(ax - bx) < 0.2 or abs(ay - by) < 0.2)


def _to_data(
    points: list[tuple[float, float]], frame: _Frame, xcal: Calibration, ycal: Calibration
) -> list[tuple[float, float]]:
    out = []
    for x, y in points:
        if frame.contains(x, y, pad=0.5):
            out.append((_round(xcal.value(x)), _round(ycal.value(y))))
    return out


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    seen, out = set(), []
    for p in points:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
