"""Figures not to digitize: unreadable images (small, blank, blurred, enlarged), 3D plots and insets."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from schemas.figure import FigureSkip

if TYPE_CHECKING:
    from PIL import Image

    from extractors.figures.raster.frame import _Frame


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


def _skip_insets(frames: list[_Frame]) -> None:
    """A plot with an inset (a smaller frame inside its frame) raises FigureSkip."""
    for outer in frames:
        inner = next((f for f in frames if f is not outer and outer.contains(f)), None)
        if inner is not None:
            raise FigureSkip(
                f"inset: a plot drawn inside another plot ({inner.width:.0f}x{inner.height:.0f} px "
                f"inside {outer.width:.0f}x{outer.height:.0f} px)"
            )
