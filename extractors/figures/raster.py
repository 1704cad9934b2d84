"""The offline raster plot reader: the pixels of a plot image to axes, units and data series.

`read_raster` finds the axes frames of a figure image (long dark perpendicular lines meeting at a
corner, with tick marks; several side by side or stacked are panels), the tick marks on their
bottom and left axes, and the text around them (tick labels with their exponents, axis titles
with the exponents of their units, offset multipliers such as '×10^4', panel labels), which it
reads with the tesseract CLI: every crop goes on its own line of one "sheet" per kind of text (one
call for the digits, one for words, one for a legend). Tick labels paired with their ticks
become an axis calibration (`extractors.figures.axes.calibrate`). The plot area's ink, without grid lines,
legend and panel labels, is split by colour; each colour becomes lines (a point per pixel column
along the smoothest path: a black solid, dashed and dotted line are told apart as three curves),
markers (their centres) or bars (their tops). A legend (a colour sample followed by text, inside
the plot or right of it) names them; samples of one colour are matched by their dashes.

A figure without a frame of two perpendicular axes with tick marks (a photo, a micrograph, a
schematic) raises `FigureSkip`, as do a 3D plot (long thin slanted axes, no frame), a plot with an
inset (unless asked to read around it) and an image too small, blurred or blank to read. An axis
whose tick labels cannot be read, or a second y axis on the right, gives a panel with status
"failed": an axis is never guessed.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import ndimage

from extractors.figures.axes import Calibration, calibrate, parse_tick, split_axis_title
from schemas.errors import ConfigError
from schemas.figure import FigureData, FigureSkip, Series

if TYPE_CHECKING:
    from PIL import Image

    from extractors.figures.base import FigureImage

log = logging.getLogger(__name__)

READER_NAME = "digitizer"
MAX_POINTS = 150  # points kept per line series: enough for a smooth curve, few enough to read
OCR_TIMEOUT_S = 60
DIGITS = "0123456789.-\u2212"
_PANEL_LABEL = re.compile(r"^\(?([a-hA-H])\)?[.:]?$")

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1 and y1 exclusive
SeriesStyle = Literal["line", "scatter", "bar"]


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
        if _has_slanted_axes(page.dark):
            raise FigureSkip("3d plot: slanted axes and no rectangular plot frame")
        raise FigureSkip("no axes: no frame of two perpendicular axis lines with tick marks")
    if insets == "skip":
        for outer in frames:
            inner = next((f for f in frames if f is not outer and outer.contains(f)), None)
            if inner is not None:
                raise FigureSkip(
                    f"inset: a plot drawn inside another plot ({inner.width:.0f}x{inner.height:.0f} px "
                    f"inside {outer.width:.0f}x{outer.height:.0f} px)"
                )
    _require_tesseract()
    return [_panel_data(figure, page, panel) for panel in page.read_panels(frames)]


def _pixels(image: Image.Image) -> np.ndarray:
    try:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except Exception as exc:  # a truncated or corrupt image
        raise FigureSkip(f"unreadable image: {type(exc).__name__}: {exc}".splitlines()[0]) from exc
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 60:
        raise FigureSkip(f"unreadable image: {rgb.shape[1]}x{rgb.shape[0]} pixels is too small for a plot")
    contrast = int(rgb.max()) - int(rgb.min())
    if contrast < 40:
        raise FigureSkip("unreadable image: blank (a single colour)")
    gray = rgb.astype(np.int16).sum(axis=2) // 3
    dx, dy = np.abs(np.diff(gray, axis=1)), np.abs(np.diff(gray, axis=0))
    plot_like = (np.abs(gray - np.median(gray)) < 20).mean() > 0.5  # mostly background, as a plot is
    if plot_like and max(int(dx.max()), int(dy.max())) < 0.25 * contrast:
        raise FigureSkip("unreadable image: blurred (no sharp edge anywhere; an enlarged thumbnail?)")
    # an enlarged small image: its pixels are blocks, the colour changes only at a few columns and rows
    cols = int((dx > 12).any(axis=0).sum()) + 1
    rows = int((dy > 12).any(axis=1).sum()) + 1
    if cols < 0.3 * rgb.shape[1] and rows < 0.3 * rgb.shape[0] and (cols < 200 or rows < 150):
        raise FigureSkip(f"unreadable image: an enlarged image of about {cols}x{rows} pixels is too small for a plot")
    return rgb


def _require_tesseract() -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError(
            "tesseract not found: install it (Debian: apt-get install tesseract-ocr) to read raster plots"
        )
    return exe


# ---------------------------------------------------------------------------------------------
# Lines, frames and ticks


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


def _has_slanted_axes(dark: np.ndarray) -> bool:
    """Two or more long straight slanted dark strokes in different directions (a 3D plot's axes)."""
    h, w = dark.shape
    step = max(1, max(h, w) // 400)  # a coarse Hough transform is enough for long lines
    small = dark[::step, ::step]
    ys, xs = np.nonzero(small)
    if len(xs) < 50 or len(xs) > 0.15 * small.size:  # a plot is mostly background; a photo is not
        return False
    sh, sw = small.shape
    diag = int(math.hypot(sh, sw)) + 1
    min_votes = 0.22 * min(sh, sw)
    found: list[float] = []
    for deg in range(0, 180, 2):
        if deg % 90 <= 8 or deg % 90 >= 82:  # horizontal and vertical lines are frames, not 3D axes
            continue
        t = math.radians(deg)
        rho = np.round(xs * math.cos(t) + ys * math.sin(t)).astype(int) + diag
        votes = np.bincount(rho, minlength=2 * diag + 1)
        if votes.max() >= min_votes and _solid(float(votes.argmax() - diag), t, small):
            found.append(deg)
    return len(found) >= 2 and max(found) - min(found) >= 20


def _solid(rho: float, theta: float, mask: np.ndarray) -> bool:
    """Whether the Hough line (rho, theta) is drawn as one stroke (not scattered votes of noise)."""
    h, w = mask.shape
    c, s = math.cos(theta), math.sin(theta)
    n = 2 * max(h, w)
    ts = np.linspace(-n, n, 4 * n)
    x0, y0 = rho * c, rho * s
    xs = np.round(x0 - ts * s).astype(int)
    ys = np.round(y0 + ts * c).astype(int)
    inside = (xs >= 1) & (xs < w - 1) & (ys >= 1) & (ys < h - 1)
    xs, ys = xs[inside], ys[inside]
    if len(xs) == 0:
        return False
    hit = mask[ys, xs] | mask[ys - 1, xs] | mask[ys + 1, xs] | mask[ys, xs - 1] | mask[ys, xs + 1]
    # the longest run of hits along the line, in pixels of the line
    best = run = end = 0
    for k, v in enumerate(hit.tolist()):
        run = run + 1 if v else 0
        if run > best:
            best, end = run, k + 1
    if best * (2 * n / (4 * n)) < 0.2 * min(h, w):
        return False
    # an axis is a thin stroke: a few pixels either side of it are mostly clear (a tree trunk's edge is not)
    sx, sy = xs[end - best : end], ys[end - best : end]
    ox, oy = int(round(4 * c)), int(round(4 * s))
    side = np.zeros(len(sx), bool)
    for dx, dy in ((ox, oy), (-ox, -oy)):
        px, py = np.clip(sx + dx, 0, w - 1), np.clip(sy + dy, 0, h - 1)
        side |= mask[py, px]
    return side.mean() < 0.3


# ---------------------------------------------------------------------------------------------
# Glyphs: connected components outside the plot areas, grouped into words


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


# ---------------------------------------------------------------------------------------------
# OCR


@dataclass
class _Crop:
    """One line of an OCR sheet: pixels of the figure (only the given glyphs, if any) scaled up."""

    box: Box
    ids: list[int] | None = None
    rotate: bool = False  # text written bottom to top (a y axis title)
    target_px: int = 44  # height of the crop's glyphs on the sheet
    glyph_px: float | None = None  # height of its glyphs in the figure (defaults to the crop height)
    text: str = ""
    sup: bool = False  # a raised run of glyphs (an exponent in a unit) of its parent crop
    accent: bool = False  # a capital carries a mark above it (the ring of Å)
    gap_after: bool = False  # a space follows this piece
    pieces: list[_Crop] = field(default_factory=list)  # a title split at its superscripts, in reading order

    def joined(self) -> str:
        """The crop's text, its pieces joined: 'S cm' + '-1' -> 'S cm^-1'."""
        if not self.pieces:
            return self.text
        out = ""
        for k, piece in enumerate(self.pieces):
            t = piece.text.strip()
            if not t:
                continue
            if piece.sup:
                nxt = self.pieces[k + 1].text.strip() if k + 1 < len(self.pieces) else ""
                if t in ("o", "O", "0", "°") and nxt[:1] in ("C", "F"):  # a degree sign
                    out += "°"
                else:
                    out += "^" + t.replace("\u2212", "-").replace("~", "-")
            else:
                out += t
            if piece.gap_after:
                out += " "
        return out.strip()


def _ocr_sheet(gray: np.ndarray, glyphs: _Glyphs | None, crops: list[_Crop], whitelist: str | None) -> None:
    """Read every crop with one tesseract call: each crop on its own line of a white sheet; fills crop.text.

    Crops read with low confidence are read again on a sheet of their own: tesseract's reading of
    a line depends on the lines around it (a lone '0' on top of a column of labels came out '6').
    """
    if not crops:
        return
    lines = [_crop_image(gray, glyphs, crop) for crop in crops]
    results = _read_lines(lines, whitelist)
    for crop, (text, _) in zip(crops, results, strict=True):
        crop.text = text
    doubtful = [k for k, (text, conf) in enumerate(results) if conf < 50]
    if doubtful and len(doubtful) < len(crops):
        again = _read_lines([lines[k] for k in doubtful], whitelist)
        for k, (text, conf) in zip(doubtful, again, strict=True):
            if text and conf > results[k][1]:
                crops[k].text = text


def _crop_image(gray: np.ndarray, glyphs: _Glyphs | None, crop: _Crop) -> Image.Image:
    """The crop's pixels (only its glyphs, when it names them), upright, scaled to `target_px` and binarized."""
    from PIL import Image

    x0, y0, x1, y1 = crop.box
    x0, y0 = max(0, x0 - 2), max(0, y0 - 2)
    x1, y1 = min(gray.shape[1], x1 + 2), min(gray.shape[0], y1 + 2)
    patch = gray[y0:y1, x0:x1].copy()
    if crop.ids is not None and glyphs is not None:
        keep = np.isin(glyphs.labels[y0:y1, x0:x1], crop.ids)
        patch[~keep] = 255
    img = Image.fromarray(np.clip(patch, 0, 255).astype(np.uint8))
    if crop.rotate:
        img = img.rotate(-90, expand=True)
    factor = min(6.0, max(1.0, crop.target_px / max(crop.glyph_px or img.height, 1)))
    img = img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.LANCZOS)
    return img.point([0] * 150 + [255] * 106)


def _read_lines(lines: list[Image.Image], whitelist: str | None) -> list[tuple[str, float]]:
    """Each image's text and lowest word confidence, from one tesseract call on a sheet of them, one per line."""
    from PIL import Image

    pad = 24
    sheet = Image.new("L", (max(im.width for im in lines) + 2 * pad, sum(im.height + pad for im in lines) + pad), 255)
    spans = []
    y = pad
    for im in lines:
        sheet.paste(im, (pad, y))
        spans.append((y - pad / 2, y + im.height + pad / 2))
        y += im.height + pad
    words = _tesseract(sheet, psm=6, whitelist=whitelist)
    log.debug("OCR sheet %s: %s", sheet.size, words)
    per_line: list[list[tuple[int, str, float]]] = [[] for _ in lines]
    for left, top, height, conf, text in words:
        cy = top + height / 2
        for k, (a, b) in enumerate(spans):
            if a <= cy < b:
                per_line[k].append((left, text, conf))
                break
    return [
        (" ".join(t for _, t, _ in sorted(found)), min((c for _, _, c in found), default=0.0)) for found in per_line
    ]


def _tesseract(image: Image.Image, psm: int, whitelist: str | None) -> list[tuple[int, int, int, float, str]]:
    """Words (left, top, height, confidence 0-100, text) that tesseract reads in `image`."""
    exe = _require_tesseract()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet.png"
        image.save(path, dpi=(300, 300))
        cmd = [exe, str(path), "stdout", "--psm", str(psm)]
        if whitelist:
            cmd += ["-c", f"tessedit_char_whitelist={whitelist}"]
        cmd.append("tsv")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=OCR_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise FigureSkip(f"unreadable image: OCR timed out after {OCR_TIMEOUT_S} s") from exc
    words = []
    for row in done.stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip() and float(cols[10]) >= 0:
            words.append((int(cols[6]), int(cols[7]), int(cols[9]), float(cols[10]), cols[11].strip()))
    return words


# ---------------------------------------------------------------------------------------------
# Panels: frame, ticks, tick labels, titles


@dataclass
class _TickLabel:
    word: _Word
    pos: float  # the tick (or label centre) position the label belongs to
    base: _Crop
    exponent: _Crop | None = None

    def value(self, powers: bool = False) -> float | None:
        """The label's number; with `powers` (the axis' other labels are powers of ten) '103' is 10^3 whose exponent
        was not seen apart."""
        base = self.base.text.replace(" ", "").replace("\u2212", "-")
        if self.exponent is None:
            m = re.fullmatch(r"10(-?\d{1,2})", base) if powers else None
            return 10.0 ** int(m.group(1)) if m else parse_tick(base)
        exponent = self.exponent.text.replace(" ", "").replace("\u2212", "-")
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


class _Page:
    """The figure image and what was found in it."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.h, self.w = rgb.shape[:2]
        f = rgb.astype(np.float32)
        self.gray = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
        self.bg = _background(rgb)
        self.ink_dist = np.sqrt(((f - self.bg) ** 2).sum(axis=2))
        self.sat = f.max(axis=2) - f.min(axis=2)
        self.dark = (self.gray < 110) & (self.sat < 80)
        self.stroke = (self.gray < 170) & (self.sat < 80)  # thin ticks are anti-aliased to grey
        self.lines_h: list[_Line] = []
        self.lines_v: list[_Line] = []

    # -- frames --------------------------------------------------------------------------------

    def frames(self) -> list[_Frame]:
        """Plot frames (axes with tick marks on the bottom and left axes), insets included."""
        self.frames_found = self._frames()
        return self.frames_found

    def _frames(self) -> list[_Frame]:
        min_h = max(30, int(0.08 * self.w))
        min_v = max(30, int(0.08 * self.h))
        max_thick = max(6, int(0.012 * max(self.h, self.w)))
        # an axis drawn one pixel thin can break where a tick or an anti-aliased step lightens a pixel or two
        self.lines_h = _long_lines(ndimage.binary_closing(self.dark, np.ones((1, 4), bool)), min_h, max_thick)
        self.lines_v = _long_lines(ndimage.binary_closing(self.dark.T, np.ones((1, 4), bool)), min_v, max_thick)
        frames: list[_Frame] = []
        for hl in self.lines_h:
            for vl in self.lines_v:
                tol = 3 + max(hl.thickness, vl.thickness)
                # the axes meet at the corner; a tick mark in line with an axis may stick out past it
                overhang = max(tol, int(0.04 * min(self.w, self.h)))
                if not (vl.lo - overhang <= hl.start <= vl.lo + tol and hl.hi - tol <= vl.end - 1 <= hl.hi + overhang):
                    continue
                thick = max(hl.thickness, vl.thickness)
                left, bottom = vl.centre, hl.centre
                top = vl.start + (vl.thickness - 1) / 2
                right = hl.end - 1 - (hl.thickness - 1) / 2
                for other in self.lines_h:  # a top edge: its centre is the plot area's top
                    if other is not hl and abs(other.start - hl.start) <= tol and abs(other.lo - vl.start) <= tol:
                        top = other.centre
                for other in self.lines_v:
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
                if self._is_plot(frame):
                    frames.append(frame)
        return frames

    def _is_plot(self, frame: _Frame) -> bool:
        """A plot frame has tick marks on both axes and a mostly empty (background) inside."""
        x0, y0, x1, y1 = frame.interior()
        if x1 - x0 < 10 or y1 - y0 < 10:
            return False
        empty = self.ink_dist[y0:y1, x0:x1] < 40
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
        out_x = _tick_marks(self.stroke[ib + t + 1 : ib + t + 1 + depth, out_cols], max_width)
        in_x = _tick_marks(self.stroke[max(0, ib - t - depth) : ib - t, cols][::-1], max_width)
        out_y = _tick_marks(self.stroke[out_rows, max(0, il - t - depth) : il - t][:, ::-1].T, max_width)
        in_y = _tick_marks(self.stroke[rows, il + t + 1 : il + t + 1 + depth].T, max_width)
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

    # -- panels --------------------------------------------------------------------------------

    def read_panels(self, frames: list[_Frame]) -> list[_Panel]:
        """The main frames as panels in reading order, with their text read."""
        mains = [f for f in frames if not any(o is not f and o.contains(f) for o in frames)]
        panels = [_Panel(f, insets=[o for o in frames if o is not f and f.contains(o)]) for f in mains]
        panels.sort(key=lambda p: (p.frame.top, p.frame.left))
        rows: list[list[_Panel]] = []
        for p in panels:  # reading order: rows of panels (overlapping vertically), left to right
            if rows and p.frame.top < rows[-1][0].frame.bottom - 0.3 * rows[-1][0].frame.height:
                rows[-1].append(p)
            else:
                rows.append([p])
        panels = [p for row in rows for p in sorted(row, key=lambda q: q.frame.left)]
        self.glyphs = self._glyphs(frames)
        words = _words(self.glyphs)
        self.text_height = _text_height(words)
        for p in panels:
            self._axis_text(p, words)
        self._read_text(panels)
        letters = [p.label for p in panels]
        if len(panels) > 1 and (None in letters or len(set(letters)) < len(letters)):
            for k, p in enumerate(panels):
                p.label = "abcdefghijklmnopqrstuvwxyz"[k] if k < 26 else str(k + 1)
        return panels

    def _glyphs(self, frames: list[_Frame]) -> _Glyphs:
        """Components of ink outside the plot areas, without the axis lines and tick marks."""
        ink = self.ink_dist > 90
        for ln in self.lines_h:
            ink[max(0, ln.lo - 1) : ln.hi + 2, ln.start : ln.end] = False
        for ln in self.lines_v:
            ink[ln.start : ln.end, max(0, ln.lo - 1) : ln.hi + 2] = False
        for f in frames:
            x0, y0, x1, y1 = f.interior()
            ink[y0:y1, x0:x1] = False
            t = f.thick // 2 + 2
            # the strips along the axes where the ticks are (minor ticks are often too faint to be found)
            ib, il = int(round(f.bottom)), int(round(f.left))
            ink[ib : ib + t + f.outer_tick_x + 2, il : int(f.right) + t] = False
            ink[int(f.top) : ib + t, max(0, il - t - f.outer_tick_y - 1) : il + 1] = False
            for k in f.x_ticks:
                c = int(round(k.pos))
                ink[
                    max(0, int(f.bottom) - t - k.length) : int(f.bottom) + t + k.length + 2, max(0, c - t) : c + t + 1
                ] = False
            for k in f.y_ticks:
                r = int(round(k.pos))
                ink[
                    max(0, r - t) : r + t + 1, max(0, int(f.left) - t - k.length - 1) : int(f.left) + t + k.length + 1
                ] = False
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

    def _axis_text(self, p: _Panel, words: list[_Word]) -> None:
        """The tick labels, axis titles and panel label candidates of one panel."""
        f = p.frame
        th = self.text_height
        tick_out = max([k.length for k in f.x_ticks], default=0)
        small = [w for w in words if w.h < max(0.25 * f.height, 3 * th) and w.box[0] > -1000]
        # x tick labels: the first row of words below the axis, centred within its span
        below = [
            w
            for w in small
            if w.box[1] > f.bottom + f.thick / 2
            and w.box[1] < f.bottom + tick_out + 2.5 * th + 8
            and f.left - 0.6 * th <= w.cx <= f.right + 0.6 * th
        ]
        if below:
            top = min(w.box[1] for w in below)
            first = [w for w in below if w.box[1] <= top + 0.6 * th]
            p.x_labels = [self._tick_label(w, f.x_ticks, horizontal=True) for w in sorted(first, key=lambda w: w.cx)]
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
            first = [w for w in left if w.box[2] >= right - 0.6 * th]
            p.y_labels = [self._tick_label(w, f.y_ticks, horizontal=False) for w in sorted(first, key=lambda w: w.cy)]
        # a second y axis: numbers left-aligned right of the frame (its series cannot be told from the left axis')
        beyond = [
            w
            for w in small
            if f.right + f.thick / 2 < w.box[0] < f.right + f.thick + 2.5 * th + 8
            and f.top - 0.6 * th <= w.cy <= f.bottom + 0.6 * th
            and 0.4 * th < w.h < 2 * th
            and not any(
                o.left > w.box[2] and o.left - w.box[2] < 3 * th and o.top < w.cy < o.bottom for o in self.frames_found
            )
        ]  # the y tick labels of the panel to the right
        if len(beyond) >= 3:
            first_left = min(w.box[0] for w in beyond)
            column = [w for w in beyond if w.box[0] <= first_left + 0.6 * th]
            if len(column) >= 3:
                p.right_labels = [self._tick_label(w, [], horizontal=False) for w in sorted(column, key=lambda w: w.cy)]
        p.text_boxes += [lab.word.box for lab in p.x_labels + p.y_labels]
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
                p.x_offset = self._tick_label(last, [], horizontal=True)
                row = rest
            box = _union([w.box for w in row])
            p.x_title = _Crop(box, ids=[i for w in row for i in w.ids], target_px=56)
            p.text_boxes.append(box)
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
        # the y axis' offset text: a short word just above the frame's top-left corner
        above = [
            w
            for w in small
            if f.top - 2 * th <= w.box[3] <= f.top + 0.2 * th
            and f.left - th <= w.box[0] <= f.left + 2 * th
            and w.w < 6 * th
        ]
        if above:
            offset_word = min(above, key=lambda w: abs(w.box[0] - f.left))
            p.y_offset = self._tick_label(offset_word, [], horizontal=True)  # or a panel label: read as both
        # panel label candidates: short words just above the frame's top-left corner or left of it
        for w in small:
            near_top = (
                f.top - 3 * th < w.box[3] <= f.top + 0.5 * th and f.left - 0.3 * f.width < w.cx < f.left + 0.3 * f.width
            )
            near_left = (
                f.top - 2 * th < w.cy < f.top + 0.15 * f.height and f.left - 0.25 * f.width < w.cx < y_wall - 2 * th
            )
            if (near_top or near_left) and w.w < 3.5 * th and w.h < 2 * th:
                p.panel_crops.append(_Crop(w.box, ids=w.ids, target_px=48))
        p.inner_crops = self._inner_labels(f)
        p.panel_crops += p.inner_crops

    def _inner_labels(self, f: _Frame) -> list[_Crop]:
        """Short bracketed words such as '(a)' in the top corners inside the plot area (panel labels drawn inside)."""
        th = self.text_height
        x0, y0, x1, y1 = f.interior()
        cw, ch = int(0.3 * (x1 - x0)), int(0.3 * (y1 - y0))
        crops = []
        for wx0, wx1 in ((x0, x0 + cw), (x1 - cw, x1)):
            window = self.dark[y0 : y0 + ch, wx0:wx1]
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

    def _tick_label(self, word: _Word, ticks: list[_Tick], horizontal: bool) -> _TickLabel:
        """A tick label's crops (a raised exponent apart) and the tick it labels."""
        if not horizontal and word.h > 1.3 * word.w and len(word.ids) >= 2:  # written bottom to top (R's style)
            base = _Crop(word.box, ids=list(word.ids), rotate=True, glyph_px=float(word.w))
            return _TickLabel(word, self._tick_at(word.cy, ticks), base)
        boxes = self.glyphs.boxes[np.asarray(word.ids) - 1]
        heights = boxes[:, 3] - boxes[:, 1]
        tall = heights >= 0.8 * heights.max()
        base_top, base_bottom = int(boxes[tall, 1].min()), int(boxes[tall, 3].max())
        mid = (base_top + base_bottom) / 2
        raised = (
            ~tall
            & (boxes[:, 3] <= mid + 1)
            & ((boxes[:, 1] + boxes[:, 3]) / 2 < base_top + 0.3 * (base_bottom - base_top))
        )
        ids = np.asarray(word.ids)
        # an exponent follows the digits ('10' then a raised '3'); raised glyphs before them are not one
        if not raised.any() or raised.all() or boxes[raised, 0].min() < boxes[~raised, 0].max():
            raised[:] = False
        base_ids = ids[~raised].tolist()
        base = _Crop(self.glyphs.group_box(base_ids), ids=base_ids, glyph_px=float(base_bottom - base_top))
        exponent = None
        if raised.any():
            exp_ids = ids[raised].tolist()
            exponent = _Crop(self.glyphs.group_box(exp_ids), ids=exp_ids, glyph_px=float(heights[raised].max()))
        if not horizontal:  # the digits' middle, not the exponent's
            return _TickLabel(word, self._tick_at(mid, ticks), base, exponent)
        return _TickLabel(
            word, self._tick_at(word.cx, ticks), base, exponent
        )  # '10' and its exponent are centred as one

    def _tick_at(self, centre: float, ticks: list[_Tick]) -> float:
        """The major tick nearest a label's centre, or the centre itself where no tick is near."""
        near = [k for k in ticks if abs(k.pos - centre) <= max(3.0, 0.35 * self.text_height)]
        if not near:
            return centre
        longest = max(k.length for k in near)
        return min((k for k in near if k.length >= 0.7 * longest), key=lambda k: abs(k.pos - centre)).pos

    def _read_text(self, panels: list[_Panel]) -> None:
        """OCR every panel's tick labels and titles' exponents (one sheet, digits only) and other text (one sheet)."""
        titles = [c for p in panels for c in (p.x_title, p.y_title) if c]
        for title in titles:
            title.pieces = _title_pieces(self.glyphs, title)
        digit_crops = [
            c for p in panels for lab in p.x_labels + p.y_labels + p.right_labels for c in (lab.base, lab.exponent) if c
        ]
        digit_crops += [piece for t in titles for piece in t.pieces if piece.sup]
        _ocr_sheet(self.gray, self.glyphs, digit_crops, DIGITS)
        text_crops = [piece for t in titles for piece in t.pieces if not piece.sup]
        text_crops += [c for p in panels for c in p.panel_crops]
        text_crops += [
            c for p in panels for lab in (p.x_offset, p.y_offset) if lab for c in (lab.base, lab.exponent) if c
        ]
        _ocr_sheet(self.gray, self.glyphs, text_crops, None)
        for title in titles:
            title.text = re.sub(r"(?<!\S)\|(?!\S)", "I", title.joined())  # a lone 'I' (current) reads as '|'
        for p in panels:
            for crop in p.panel_crops:
                m = _PANEL_LABEL.match(crop.text.strip())
                if m and p.label is None:
                    p.label = m.group(1).lower()
                    p.label_text = crop.text.strip()
                    p.text_boxes.append(crop.box)


def _title_pieces(glyphs: _Glyphs, crop: _Crop) -> list[_Crop]:
    """An axis title split into runs of ordinary and raised glyphs (the exponents of its unit), in reading order.

    A glyph is raised when its bottom sits clearly above the baseline and no glyph lies below it
    (the dot of an i lies above its stem).
    """
    ids = crop.ids or []
    if len(ids) < 2:
        return [crop]
    b = glyphs.boxes[np.asarray(ids) - 1].astype(float)
    if crop.rotate:  # upright coordinates: reading direction u, downward v
        u0, u1, v0, v1 = -b[:, 3], -b[:, 1], b[:, 0], b[:, 2]
    else:
        u0, u1, v0, v1 = b[:, 0], b[:, 2], b[:, 1], b[:, 3]
    heights = v1 - v0
    cap = float(np.percentile(heights, 75))
    tall = heights >= 0.5 * cap
    if not tall.any():
        return [crop]
    baseline = float(np.median(v1[tall]))
    raised = (v1 < baseline - 0.3 * cap) & (heights < 0.8 * cap)
    for i in np.flatnonzero(raised):
        touching = (u0 < u1[i]) & (u1 > u0[i]) & (v0 < v1[i]) & (v1 > v0[i]) & ~raised
        touching[i] = False
        if touching.any():  # a piece of a larger glyph: the upper circle of %
            raised[i] = False
            continue
        below = (u0 < u1[i]) & (u1 > u0[i]) & (v0 > v1[i] - 1) & ~raised
        if below.any():
            raised[i] = False
            crop.accent |= bool((heights[below] >= 0.9 * cap).any() and v1[i] < v0[below].min() + 0.15 * cap)
    order = np.argsort(u0, kind="stable")
    if len(order) >= 3:  # 'A' with its ring joined on, before the closing bracket: Å
        g = order[-2]
        crop.accent |= bool(v0[g] < baseline - 1.15 * cap and v1[g] >= baseline - 0.1 * cap and heights[g] < 1.6 * cap)
    if not raised.any():
        return [crop]
    pieces: list[tuple[bool, list[int]]] = []
    for i in order.tolist():
        if pieces and pieces[-1][0] == bool(raised[i]):
            pieces[-1][1].append(i)
        else:
            pieces.append((bool(raised[i]), [i]))
    out = []
    for k, (sup, members) in enumerate(pieces):
        piece_ids = [ids[i] for i in members]
        end = max(u1[i] for i in members)
        gap = min(u0[i] for i in pieces[k + 1][1]) - end if k + 1 < len(pieces) else 0.0
        height = float(max(heights[i] for i in members)) if sup else cap
        out.append(
            _Crop(
                glyphs.group_box(piece_ids),
                ids=piece_ids,
                rotate=crop.rotate,
                glyph_px=height,
                target_px=40 if sup else 44,
                sup=sup,
                gap_after=gap > 0.3 * cap,
            )
        )
    return out


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


def _background(rgb: np.ndarray) -> np.ndarray:
    """The most common colour of the image (white on nearly every plot)."""
    q = (rgb[::2, ::2] // 8).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]
    top = np.bincount(codes).argmax()
    sel = rgb[::2, ::2].reshape(-1, 3)[codes == top]
    return sel.mean(axis=0).astype(np.float32)


def _text_height(words: list[_Word]) -> float:
    """The typical height of a line of text in the figure (the tick labels' digits, mostly)."""
    hs = [w.h for w in words if 6 <= w.h <= 80 and w.w >= 3 and w.h <= 2.5 * w.w]  # not rotated words
    return float(np.median(hs)) if hs else 16.0


def _union(boxes: list[Box]) -> Box:
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


# ---------------------------------------------------------------------------------------------
# Calibration and series


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
    powers = any(lab.exponent is not None and lab.base.text.strip() == "10" for lab in labels)
    pairs = [(lab.pos, v * (factor or 1.0)) for lab in labels if (v := lab.value(powers)) is not None]
    read = ", ".join(lab.text() or "?" for lab in labels)
    if not labels:
        return None, "none found"
    cal = calibrate(pairs)
    # two labels always fit a line: with three or more found, at least three must agree
    if cal is None or cal.ticks < max(min(3, len(labels)), math.ceil(0.5 * len(labels))):
        return None, f"read [{read}]"
    return cal, read


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


def _figure_data(figure: FigureImage, **fields: object) -> FigureData:
    return FigureData(
        source=figure.source,
        paper_id=figure.paper_id,
        page=figure.figure.page,
        number=figure.figure.number,
        caption=figure.figure.caption,
        kind=figure.figure.kind,
        **fields,
    )  # type: ignore[arg-type]


@dataclass
class _Colour:
    rgb: np.ndarray
    mask: np.ndarray  # pixels of the plot area drawn in this colour
    label: str | None = None
    entries: list[tuple[SeriesStyle, float, str]] = field(default_factory=list)  # legend: kind, solidity, text


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
        c.mask |= ndimage.binary_closing(c.mask, structure=np.ones((k, k), bool)) & drawn
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
        if len(lines):
            sel = np.zeros(frac.shape, bool)
            sel[lines] = True
            sel = ndimage.binary_dilation(sel, iterations=1)
            if axis == 0:
                ink[:, sel] &= ~light[:, sel]
            else:
                ink[sel, :] &= ~light[sel, :]
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


def _colours(rgb: np.ndarray, ink: np.ndarray, bg: np.ndarray) -> list[_Colour]:
    """The plot area's ink split by colour: the most common colours, each with its anti-aliased blend into the background."""
    pix = rgb[ink]
    if len(pix) == 0:
        return []
    min_pixels = max(25, int(0.0004 * ink.size))
    q = (pix // 16).astype(np.int32)
    codes = q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2]
    remaining = np.ones(len(pix), bool)
    modes: list[np.ndarray] = []
    for _ in range(10):
        if remaining.sum() < min_pixels:
            break
        counts = np.bincount(codes[remaining], minlength=4096)
        top = int(counts.argmax())
        mode = pix[remaining & (codes == top)].mean(axis=0)
        explained = (np.sqrt(((pix - mode) ** 2).sum(axis=1)) < 40) | _blend_of(pix, mode, bg)
        if counts[top] < min_pixels * 0.5 or (explained & remaining).sum() < min_pixels:
            # a thin stroke spreads over many shades, none of them common: the shade that explains most
            # of what is left, then its strongest pixels for the colour itself
            best = 0
            for cand_code in np.argsort(counts)[::-1][:8]:
                cand = pix[remaining & (codes == cand_code)].mean(axis=0) if counts[cand_code] else bg
                exp = (np.sqrt(((pix - cand) ** 2).sum(axis=1)) < 40) | _blend_of(pix, cand, bg)
                if int((exp & remaining).sum()) > best:
                    best, mode, explained = int((exp & remaining).sum()), cand, exp
            if best < min_pixels:
                break
            strength = np.sqrt(((pix[explained & remaining] - bg) ** 2).sum(axis=1))
            mode = pix[explained & remaining][strength >= np.quantile(strength, 0.9)].mean(axis=0)
            explained = explained | (np.sqrt(((pix - mode) ** 2).sum(axis=1)) < 40) | _blend_of(pix, mode, bg)
        remaining &= ~explained
        if float(np.sqrt(((mode - bg) ** 2).sum())) < 90:  # a pale tint: a fill or a legend box, not a stroke
            continue
        if any(_blend_of(mode[None, :], m, bg, lowest=0.1)[0] for m in modes):  # the fringe of a stronger colour
            continue
        modes.append(mode)
    if not modes:
        return []
    out = [_Colour(mode, mask) for mode, mask in zip(modes, _colour_masks(rgb, ink, modes, bg), strict=True)]
    # a colour found only along the edges of others is their mix where two strokes overlap, or the halo
    # of one (JPEG), not a series
    near = [ndimage.binary_dilation(c.mask, iterations=3) for c in out]
    # for the mix, without a colour's one-pixel fringe: the grey edge of black markers is not a grey line
    core = [ndimage.binary_dilation(ndimage.binary_opening(c.mask, np.ones((2, 2), bool)), iterations=3) for c in out]
    keep = []
    for k, c in enumerate(out):
        n_pix = int(c.mask.sum())
        if n_pix == 0:
            continue
        bigger = [j for j in range(len(out)) if j != k and out[j].mask.sum() > n_pix]
        others = np.zeros(ink.shape, bool)
        for j in bigger:
            others |= core[j]
        if others[c.mask].mean() >= 0.85:
            continue
        if any(
            _blend_of(c.rgb[None, :], out[j].rgb, bg, 0.1, 35, highest=0.85)[0] and near[j][c.mask].mean() >= 0.5
            for j in range(len(out))
            if j != k
        ):  # a paler shade along another colour: its fringe
            continue
        keep.append(c)
    return keep


def _colour_masks(rgb: np.ndarray, ink: np.ndarray, modes: list[np.ndarray], bg: np.ndarray) -> list[np.ndarray]:
    """Every ink pixel to its nearest colour (a blend with the background counts by how far off the blend line it lies)."""
    pix = rgb[ink]
    costs = []
    for mode in modes:
        d_direct = np.sqrt(((pix - mode) ** 2).sum(axis=1))
        d_blend = np.where(_blend_of(pix, mode, bg), 20.0, np.inf)
        costs.append(np.minimum(d_direct, d_blend))
    costs_a = np.stack(costs) if costs else np.zeros((0, len(pix)))
    best = costs_a.argmin(axis=0) if len(pix) else np.zeros(0, int)
    ok = costs_a.min(axis=0) < 45 if len(pix) else np.zeros(0, bool)
    idx = np.argwhere(ink)
    masks = []
    for k in range(len(modes)):
        sel = ok & (best == k)
        mask = np.zeros(ink.shape, bool)
        mask[idx[sel, 0], idx[sel, 1]] = True
        masks.append(mask)
    return masks


def _blend_of(
    pix: np.ndarray,
    colour: np.ndarray,
    bg: np.ndarray,
    lowest: float = 0.45,
    tolerance: float = 22,
    highest: float = 1.15,
) -> np.ndarray:
    """Pixels that are `colour` blended with the background, at least `lowest` of it (anti-aliased edges)."""
    e = colour - bg
    ee = float((e * e).sum())
    if ee < 1:
        return np.zeros(len(pix), bool)
    d = pix - bg
    alpha = (d @ e) / ee
    resid = np.sqrt(((d - alpha[:, None] * e[None, :]) ** 2).sum(axis=1))
    return (alpha >= lowest) & (alpha <= highest) & (resid < tolerance)


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
        grown = ndimage.binary_dilation(c.mask, structure=np.ones((1, max(3, int(0.5 * th))), bool))
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
        colours[k].entries.append((kind, solidity, crop.text))
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


def _shapes(mask: np.ndarray, th: float) -> list[tuple[SeriesStyle, list[tuple[float, float]], float]]:
    """One colour's pixels as curves ('line', a point per column), marker sets ('scatter', centres) or bars.

    Each comes with its solidity: the share of the columns of its span that a line covers (1 for a
    solid line, less for dashes and dots; 1 for markers and bars).
    """
    if mask.sum() < 10:
        return []
    bars = _bars(mask, th)
    if bars:
        return [("bar", bars, 1.0)]
    r = max(1, int(round(0.1 * th)))
    disk = _disk(r)
    cores = ndimage.binary_opening(ndimage.binary_fill_holes(mask), structure=disk)  # hollow markers too
    lab, n = ndimage.label(cores, structure=np.ones((3, 3), bool))
    blobs = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        sy, sx = sl
        h, w = sy.stop - sy.start, sx.stop - sx.start
        area = int((lab[sl] == i).sum())
        if max(h, w) <= 3 * th and max(h, w) <= 2.5 * min(h, w) + 2 and area >= 0.3 * h * w:
            blobs.append((i, sl, area))
    blob_area = sum(a for _, _, a in blobs)
    rest = mask & ~ndimage.binary_dilation(cores, structure=disk, iterations=2)
    if len(blobs) >= 3 and blob_area > 0.3 * mask.sum():
        # markers with, perhaps, error bars: a line joins them only if the rest spans long stretches
        marker_w = float(np.median([sl[1].stop - sl[1].start for _, sl, _ in blobs]))
        rl, rn = ndimage.label(rest, structure=np.ones((3, 3), bool))
        long_cols = np.zeros(mask.shape[1], bool)
        for sl in ndimage.find_objects(rl):
            if sl[1].stop - sl[1].start >= 2 * marker_w:
                long_cols[sl[1]] = True
        span = np.flatnonzero(mask.any(axis=0))
        width = span[-1] - span[0] + 1
        # a thin line broken up by the opening leaves pieces of all sizes in every column; markers are alike
        areas = np.array([a for _, _, a in blobs], dtype=float)
        alike = np.mean(np.abs(areas / np.median(areas) - 1) < 0.35) >= 0.7
        if long_cols.sum() < 0.3 * width and (alike or len(span) < 0.95 * width):
            return [("scatter", _centres(lab, blobs), 1.0)]
    out: list[tuple[SeriesStyle, list[tuple[float, float]], float]] = []
    remaining = mask.copy()
    first_len = None
    min_cols = max(5, int(0.06 * mask.shape[1]))  # shorter strokes are glyphs or specks, not a curve
    for _ in range(3):
        path = _trace(remaining, th)
        if len(path) < min_cols:
            break
        if first_len is None:
            first_len = len(path)
        elif len(path) < 0.25 * first_len:
            break
        out.append(("line", _subsample(path), len(path) / (max(path) - min(path) + 1)))
        for cx, ya, yb in path.values():
            remaining[ya:yb, cx] = False
        remaining = ndimage.binary_opening(remaining, structure=np.ones((2, 2), bool)) if remaining.any() else remaining
    return out


def _bars(mask: np.ndarray, th: float) -> list[tuple[float, float]]:
    """Bar tops (bottoms for bars hanging below the baseline) where the colour is solid rectangles on one baseline."""
    lab, n = ndimage.label(mask)
    if n == 0 or n > 200:
        return []
    rects = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        area = int((lab[sl] == i).sum())
        if area >= 0.85 * h * w and w >= max(4, 0.4 * th) and h >= 2:
            rects.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop, area))
    if not rects or sum(r[4] for r in rects) < 0.8 * mask.sum():
        return []
    heights = [r[3] - r[1] for r in rects]
    if len(rects) >= 3 and max(heights) - min(heights) <= 0.2 * max(heights) + 2:
        return []  # rectangles all of one size are square markers, not bars
    edges = [r[3] for r in rects] + [r[1] for r in rects]
    base = max(edges, key=lambda e: sum(abs(e - f) <= 2 for f in edges))
    on_base = [r for r in rects if abs(r[3] - base) <= 2 or abs(r[1] - base) <= 2]
    if len(on_base) < max(2, 0.6 * len(rects)) and not (len(rects) == 1 and heights[0] >= 0.5 * th):
        return []
    out = []
    for x0, y0, x1, y1, _ in rects:
        y = y1 - 1 if abs(y0 - base) <= 2 and abs(y1 - base) > 2 else y0
        out.append(((x0 + x1 - 1) / 2, float(y)))
    return sorted(out)


def _disk(r: int) -> np.ndarray:
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return (xx * xx + yy * yy) <= r * r + r


def _centres(lab: np.ndarray, blobs: list[tuple[int, tuple[slice, slice], int]]) -> list[tuple[float, float]]:
    """Marker centres; a blob of k overlapping markers gives k points along its long axis."""
    areas = sorted(a for _, _, a in blobs)
    typical = areas[len(areas) // 2]
    out = []
    for i, sl, area in blobs:
        if area < 0.4 * typical:
            continue
        ys, xs = np.nonzero(lab[sl] == i)
        ys = ys + sl[0].start
        xs = xs + sl[1].start
        k = max(1, int(round(area / typical)))
        if k == 1:  # the box's centre: a triangle's centroid is not its data point
            out.append(((xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2))
            continue
        pts = np.stack([xs, ys], axis=1).astype(float)
        mean = pts.mean(axis=0)
        _, _, vt = np.linalg.svd(pts - mean, full_matrices=False)
        proj = (pts - mean) @ vt[0]
        for q in np.linspace(0, 1, 2 * k + 1)[1::2]:
            t = float(np.quantile(proj, q))
            out.append((float(mean[0] + t * vt[0][0]), float(mean[1] + t * vt[0][1])))
    return out


def _trace(mask: np.ndarray, th: float) -> dict[int, tuple[int, int, int]]:
    """The longest smooth path through the mask's vertical runs, left to right: column -> (column, top, bottom).

    Each column's runs are nodes; a path gains one per column it covers and pays for jumps between
    runs that do not touch and for columns it skips (the gaps of a dashed line), so that it follows
    one curve past crossings, stray glyphs and other curves of the same colour.
    """
    cols_runs: list[tuple[int, list[tuple[int, int]]]] = []
    mt = mask.T
    rows, starts, ends = _row_runs(mt)
    if len(rows) == 0:
        return {}
    split = np.flatnonzero(np.diff(rows)) + 1
    for r_idx, s_arr, e_arr in zip(np.split(rows, split), np.split(starts, split), np.split(ends, split), strict=True):
        runs: list[tuple[int, int]] = []
        for s, e in zip(s_arr.tolist(), e_arr.tolist(), strict=True):  # join runs split by a pixel or two
            if runs and s - runs[-1][1] <= 2:
                runs[-1] = (runs[-1][0], e)
            else:
                runs.append((s, e))
        cols_runs.append((int(r_idx[0]), runs))
    max_gap = int(2.5 * th) + 2
    node_col = np.array([c for c, runs in cols_runs for _ in runs], dtype=np.int64)
    node_s = np.array([r[0] for _, runs in cols_runs for r in runs], dtype=np.int64)
    node_e = np.array([r[1] for _, runs in cols_runs for r in runs], dtype=np.int64)
    score = np.ones(len(node_col))
    prev = np.full(len(node_col), -1, dtype=np.int64)
    first_node = np.searchsorted(node_col, [c for c, _ in cols_runs])
    for ci, (c, runs) in enumerate(cols_runs):
        a0 = int(first_node[ci])
        a1 = a0 + len(runs)
        lo = int(np.searchsorted(node_col, c - max_gap))
        if lo >= a0:
            continue
        mc, ms, me, sc = node_col[lo:a0], node_s[lo:a0], node_e[lo:a0], score[lo:a0]
        s_, e_ = node_s[a0:a1, None], node_e[a0:a1, None]
        gap = (c - mc - 1)[None, :]
        jump = np.maximum(0, np.maximum(ms[None, :] - e_, s_ - me[None, :]))
        cost = (
            0.4 * gap + 0.15 * np.maximum(0.0, jump - (1 + 1.5 * gap)) + np.where(jump > 4 * th + 2 * gap, 1000.0, 0.0)
        )
        val = sc[None, :] + 1.0 - cost
        arg = val.argmax(axis=1)
        best = val[np.arange(a1 - a0), arg]
        better = best > 1.0
        score[a0:a1] = np.where(better, best, 1.0)
        prev[a0:a1] = np.where(better, arg + lo, -1)
    nodes = list(zip(node_col.tolist(), node_s.tolist(), node_e.tolist(), strict=True))
    end = int(np.argmax(score))
    path: dict[int, tuple[int, int, int]] = {}
    while end >= 0:
        c, s, e = nodes[end]
        path[c] = (c, s, e)
        end = prev[end]
    return path


def _subsample(path: dict[int, tuple[int, int, int]]) -> list[tuple[float, float]]:
    cols = sorted(path)
    if len(cols) > MAX_POINTS:
        idx = np.unique(np.round(np.linspace(0, len(cols) - 1, MAX_POINTS)).astype(int))
        cols = [cols[i] for i in idx]
    return [(float(c), (path[c][1] + path[c][2] - 1) / 2) for c in cols]
