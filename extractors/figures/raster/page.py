"""The figure image's pixel maps, its frames, and its panels in reading order with their text read."""

from __future__ import annotations

import numpy as np

from extractors.figures.raster.frame import _find_frames, _Frame, _Line
from extractors.figures.raster.glyphs import _glyphs, _text_height, _words
from extractors.figures.raster.labels import _axis_text, _Panel, _read_text


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

    def frames(self) -> list[_Frame]:
        """Plot frames (axes with tick marks on the bottom and left axes), insets included."""
        self.lines_h, self.lines_v, self.frames_found = _find_frames(self.dark, self.stroke, self.ink_dist)
        return self.frames_found

    def light_frames(self) -> list[_Frame]:
        """Frames drawn in light grey, ticks too (gnuplot, bmh): the same search on lighter strokes."""
        grey = self.sat < 40
        self.lines_h, self.lines_v, self.frames_found = _find_frames(
            (self.gray < 205) & grey, (self.gray < 225) & grey, self.ink_dist
        )
        return self.frames_found

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
        self.glyphs = _glyphs(self.ink_dist, self.lines_h, self.lines_v, frames)
        words = _words(self.glyphs)
        self.text_height = _text_height(words)
        for p in panels:
            _axis_text(p, words, self.glyphs, self.text_height, self.frames_found, self.dark)
        _read_text(panels, self.gray, self.glyphs)
        letters = [p.label for p in panels]
        if len(panels) > 1 and (None in letters or len(set(letters)) < len(letters)):
            for k, p in enumerate(panels):
                p.label = "abcdefghijklmnopqrstuvwxyz"[k] if k < 26 else str(k + 1)
        return panels


def flatten_face(rgb: np.ndarray) -> np.ndarray | None:
    """The image redrawn in the usual style where the axes are a tinted rectangle without spines (ggplot, seaborn).

    The face's tint becomes white (every pixel of the face scaled so that the tint maps to white:
    strokes keep their colour, anti-aliased edges their blend), a dark frame is drawn on the face's
    edges and outward tick marks where its white grid lines meet them. None where there is no such face.
    """
    h, w = rgb.shape[:2]
    q = (rgb[::2, ::2] // 4).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 4096 + q[:, 1] * 64 + q[:, 2]
    counts = np.bincount(codes)
    for code in np.argsort(counts)[::-1][:3]:
        tint = np.array([code // 4096, (code // 64) % 64, code % 64], dtype=np.float32) * 4 + 2
        if tint.min() >= 190 and tint.max() <= 247 and tint.max() - tint.min() < 30:
            break
    else:
        return None
    face = (np.abs(rgb.astype(np.float32) - tint) <= 6).all(axis=2)
    rows, cols = np.flatnonzero(face.mean(axis=1) > 0.3), np.flatnonzero(face.mean(axis=0) > 0.3)
    if len(rows) < 40 or len(cols) < 40:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if face[y0:y1, x0:x1].mean() < 0.5 or (y1 - y0) * (x1 - x0) < 0.1 * h * w:
        return None
    out = rgb.astype(np.float32)
    box = out[y0:y1, x0:x1]
    white_grid = (box > 248).all(axis=2)
    out[y0:y1, x0:x1] = np.clip(box * (255.0 / tint), 0, 255)
    t = max(1, round(min(h, w) / 400))
    out[y1 - t : y1 + t, x0 - t : x1 + t] = 0
    out[y0 - t : y1 + t, x0 - t : x0 + t] = 0
    tick = max(4, round(0.012 * min(h, w)))
    gx = np.flatnonzero(white_grid.mean(axis=0) > 0.6) + x0
    gy = np.flatnonzero(white_grid.mean(axis=1) > 0.6) + y0
    for x in gx:
        out[y1 + t : y1 + t + tick, x : x + 1] = 0
    for y in gy:
        out[y : y + 1, max(0, x0 - t - tick) : x0 - t] = 0
    return out.astype(np.uint8)


def _background(rgb: np.ndarray) -> np.ndarray:
    """The most common colour of the image (white on nearly every plot)."""
    q = (rgb[::2, ::2] // 8).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]
    top = np.bincount(codes).argmax()
    sel = rgb[::2, ::2].reshape(-1, 3)[codes == top]
    return sel.mean(axis=0).astype(np.float32)
