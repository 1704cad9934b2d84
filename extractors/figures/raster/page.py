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


def _background(rgb: np.ndarray) -> np.ndarray:
    """The most common colour of the image (white on nearly every plot)."""
    q = (rgb[::2, ::2] // 8).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]
    top = np.bincount(codes).argmax()
    sel = rgb[::2, ::2].reshape(-1, 3)[codes == top]
    return sel.mean(axis=0).astype(np.float32)
