"""Figures of a PDF for figure readers: the rendered region, its text spans and its vector paths.

`figure_images` turns each figure the parser found (a "Fig. N" caption with the raster image or the
cluster of vector drawings beside it) into a `FigureImage`: the region rendered to pixels (what a
vision-language model or the pixel digitizer sees), and, for vector figures, the page's own text
spans and drawing paths inside the region (exact coordinates: the digitizer reads these first).
The readers (extractors.figures.reading) take these types; they sit here, below every reader.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pymupdf

from schemas.document import BBox, Figure, ParsedDocument
from schemas.figure import FigureData, FigureStatus

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

RENDER_DPI = 200  # pixels per inch of the rendered region: tick labels at 6 pt are ~17 px high
# A region drawn huge (a 16 KB PDF can draw an image 10,000 pt wide) is rendered at a lower resolution so
# that it has at most this many pixels: 48 MB as RGB, about 0.8 GB at the digitizer's peak. A letter page
# at RENDER_DPI has 9.4 million; a 3000 pt image comes out at 95 dpi.
MAX_RENDER_PIXELS = 16_000_000
MAX_NATIVE_DPI = 300  # a raster figure is rendered at its own resolution, up to this (more costs time, not print)
MIN_RENDER_DPI = 50  # below this, even large print is a few pixels high: the figure is skipped, not read
MARGIN_PT = 4.0  # the region is grown by this much so that strokes on its edge are kept
Y_TITLE_REACH_PT = 30.0  # vertical text this far left of the region is read too (the y-axis title)


@dataclass
class TextSpan:
    """A run of text on the page (PDF points, y down): a tick label, an axis title, a legend entry."""

    text: str
    bbox: BBox
    size: float  # font size in points
    vertical: bool = False  # written bottom-to-top or top-to-bottom (a y-axis title)
    origin: tuple[float, float] = (0.0, 0.0)  # the baseline start of the span


@dataclass
class VectorPath:
    """One drawing command list of the page: its pieces as polylines (PDF points, y down)."""

    pieces: list[list[tuple[float, float]]]  # each line, curve or rectangle as a list of points
    stroke: tuple[float, float, float] | None  # RGB 0..1, None: not stroked
    fill: tuple[float, float, float] | None
    width: float  # stroke width in points
    rect: BBox  # the bounding box of all its pieces
    closed: bool = False
    dashes: str | None = None


@dataclass
class FigureImage:
    """What a reader gets for one figure."""

    figure: Figure
    source: str
    image: Image.Image  # RGB rendering of the figure region
    region: BBox  # the rendered region on the page (the figure bbox grown by MARGIN_PT)
    scale: float  # pixels per PDF point of `image`
    spans: list[TextSpan] = field(default_factory=list)
    paths: list[VectorPath] = field(default_factory=list)
    paper_id: str | None = None
    skip_reason: str | None = None  # set when the region was not rendered (`image` is then a 1x1 placeholder)

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.region[0]) * self.scale, (y - self.region[1]) * self.scale

    def to_page(self, px: float, py: float) -> tuple[float, float]:
        return self.region[0] + px / self.scale, self.region[1] + py / self.scale

    def blank(self, reason: str | None, status: FigureStatus = "skipped", **update: Any) -> FigureData:
        """A FigureData for this figure that says why it was not read; `update` sets more of its fields."""
        return FigureData(
            source=self.source,
            paper_id=self.paper_id,
            page=self.figure.page,
            bbox=self.figure.bbox,
            number=self.figure.number,
            caption=self.figure.caption,
            kind=self.figure.kind,
            status=status,
            reason=reason,
            **update,
        )


class FigureReader(Protocol):
    """Reads one figure into plots (one per panel); raises FigureSkip for what is not a plot."""

    name: str

    def read(self, figure: FigureImage) -> list[FigureData]: ...


def figure_images(
    path: Path, doc: ParsedDocument, dpi: int = RENDER_DPI, max_pixels: int = MAX_RENDER_PIXELS
) -> Iterator[FigureImage]:
    """Each figure the parser found in the PDF at `path`, rendered, with its text spans and paths.

    A region is rendered at `dpi`, or lower so that it has at most `max_pixels` pixels; one that would
    need less than MIN_RENDER_DPI comes with a `skip_reason` and a placeholder image instead.
    """
    from PIL import Image

    drawings: dict[int, list[dict]] = {}  # a page's drawings, read once however many figures it has
    with pymupdf.open(path) as pdf:
        for figure in doc.figures:
            page = pdf[figure.page - 1]
            if page.rotation:
                page.remove_rotation()
            x0, y0, x1, y1 = figure.bbox
            region = (
                max(0.0, x0 - MARGIN_PT),
                max(0.0, y0 - MARGIN_PT),
                min(page.rect.width, x1 + MARGIN_PT),
                min(page.rect.height, y1 + MARGIN_PT),
            )
            clip = pymupdf.Rect(region)
            render_dpi = dpi if figure.kind == "vector" else max(dpi, min(MAX_NATIVE_DPI, _native_dpi(page, clip)))
            scale, skip_reason = render_scale(clip, render_dpi, max_pixels)
            if skip_reason is not None:
                log.info("figure %s on page %s: %s", figure.number, figure.page, skip_reason)
                yield FigureImage(
                    figure=figure,
                    source=doc.source,
                    image=Image.new("RGB", (1, 1), "white"),
                    region=region,
                    scale=scale,
                    paper_id=doc.paper_id,
                    skip_reason=skip_reason,
                )
                continue
            pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), clip=clip, alpha=False)
            image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
            del pix  # the pixmap's buffer and the image's are the same size: keep one
            spans, paths = [], []
            if figure.kind == "vector":
                spans = _text_spans(page, clip)
                if figure.page not in drawings:
                    drawings[figure.page] = page.get_drawings()
                paths = _vector_paths(drawings[figure.page], clip)
            yield FigureImage(
                figure=figure,
                source=doc.source,
                image=image,
                region=region,
                scale=image.width / clip.width if clip.width else scale,
                spans=spans,
                paths=paths,
                paper_id=doc.paper_id,
            )


def _native_dpi(page: pymupdf.Page, clip: pymupdf.Rect) -> int:
    """The resolution of the finest image drawn over `clip` (a scan at 300 dpi: 300); 0 where none is.

    A raster figure rendered below its own resolution loses the small print of its tick labels."""
    best = 0.0
    for info in page.get_image_info():
        box = pymupdf.Rect(info["bbox"])
        if box.intersects(clip) and box.width > 1 and box.height > 1:
            best = max(best, 72 * min(info["width"] / box.width, info["height"] / box.height))
    return int(best)


def render_scale(clip: pymupdf.Rect, dpi: int, max_pixels: int) -> tuple[float, str | None]:
    """Pixels per point to render `clip` at: `dpi`, or less so that the pixmap has at most `max_pixels`.

    Returns:
        The scale, and a one-line reason when even MIN_RENDER_DPI would need more than `max_pixels`
        (the figure is then skipped rather than read from a blur).
    """
    scale = dpi / 72
    if _pixels_at(clip, scale) <= max_pixels:
        return scale, None
    area = max(clip.width * clip.height, 1e-9)
    scale = min(scale, math.sqrt(max_pixels / area))
    while scale > 0 and _pixels_at(clip, scale) > max_pixels:  # the pixmap's edges are rounded outwards
        scale *= 0.999
    if scale * 72 < MIN_RENDER_DPI:
        needed = _pixels_at(clip, MIN_RENDER_DPI / 72) / 1e6
        return scale, (
            f"too large to render: {clip.width:.0f} x {clip.height:.0f} pt would need {needed:.0f} megapixels "
            f"at {MIN_RENDER_DPI} dpi, over the limit of {max_pixels / 1e6:g}"
        )
    return scale, None


def _pixels_at(clip: pymupdf.Rect, scale: float) -> int:
    box = (clip * pymupdf.Matrix(scale, scale)).irect  # the pixmap's size, as get_pixmap rounds it
    return max(box.width, 0) * max(box.height, 0)


def _text_spans(page: pymupdf.Page, clip: pymupdf.Rect) -> list[TextSpan]:
    """The text lines in the region; a smaller raised or lowered run is written ^x or _x ('10^3', 'cm^-1', 'E_g')."""
    lines = []
    wide = pymupdf.Rect(
        clip.x0 - Y_TITLE_REACH_PT, clip.y0, clip.x1, clip.y1
    )  # a y-axis title may stand outside the bbox
    for block in page.get_text("dict", clip=wide)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            vertical = abs(line["dir"][1]) > 0.5
            if not spans or not (vertical and wide.intersects(line["bbox"]) or clip.intersects(line["bbox"])):
                continue
            main = max(spans, key=lambda s: (s["size"], len(s["text"])))
            axis = 0 if vertical else 1  # the baseline coordinate across the writing direction
            text = ""
            for s in spans:
                shift = (main["origin"][axis] - s["origin"][axis]) * (-1 if vertical and line["dir"][1] > 0 else 1)
                small = s["size"] < 0.85 * main["size"]
                if small and shift > 0.15 * main["size"]:
                    text += "^" + s["text"].strip()
                elif small and shift < -0.1 * main["size"]:
                    text += "_" + s["text"].strip()
                else:
                    text += s["text"]
            lines.append(
                TextSpan(
                    text=text.strip(),
                    bbox=tuple(line["bbox"]),
                    size=main["size"],
                    vertical=vertical,
                    origin=tuple(main["origin"]),
                )
            )
    return lines


def _vector_paths(drawings: list[dict], clip: pymupdf.Rect) -> list[VectorPath]:
    paths = []
    for d in drawings:
        rect = pymupdf.Rect(d["rect"])
        if not rect.intersects(clip) and not (rect.is_empty and clip.contains(rect.tl)):
            continue
        pieces: list[list[tuple[float, float]]] = []
        for item in d["items"]:
            op = item[0]
            if op == "l":
                pieces.append([(item[1].x, item[1].y), (item[2].x, item[2].y)])
            elif op == "c":  # a Bezier curve: its end points and a few points on it
                p0, c1, c2, p3 = item[1:5]
                pieces.append([_bezier(p0, c1, c2, p3, t / 4) for t in range(5)])
            elif op == "re":
                r = item[1]
                pieces.append([(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1), (r.x0, r.y0)])
            elif op == "qu":
                q = item[1]
                pieces.append(
                    [(q.ul.x, q.ul.y), (q.ur.x, q.ur.y), (q.lr.x, q.lr.y), (q.ll.x, q.ll.y), (q.ul.x, q.ul.y)]
                )
        if pieces:
            paths.append(
                VectorPath(
                    pieces=pieces,
                    stroke=_rgb(d.get("color")),
                    fill=_rgb(d.get("fill")),
                    width=float(d.get("width") or 0.0),
                    rect=(rect.x0, rect.y0, rect.x1, rect.y1),
                    closed=bool(d.get("closePath")),
                    dashes=d.get("dashes"),
                )
            )
    return paths


def _bezier(
    p0: pymupdf.Point, c1: pymupdf.Point, c2: pymupdf.Point, p3: pymupdf.Point, t: float
) -> tuple[float, float]:
    u = 1 - t
    x = u**3 * p0.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t**3 * p3.x
    y = u**3 * p0.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t**3 * p3.y
    return x, y


def _rgb(color: Sequence[float] | None) -> tuple[float, float, float] | None:
    """A drawing's colour as RGB: PyMuPDF gives grey as one component, RGB as three."""
    if not color:
        return None
    values = [float(c) for c in color]
    if len(values) == 1:  # grey
        return values[0], values[0], values[0]
    return values[0], values[1], values[2]
