"""Tesseract calls: crops of the figure laid out as the lines of one sheet per kind of text, read in one call."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from extractors.figures.raster.frame import Box
from extractors.figures.raster.glyphs import _Glyphs
from schemas.errors import ConfigError
from schemas.figure import FigureSkip

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

OCR_TIMEOUT_S = 60
DIGITS = "0123456789.-\u2212"
# one thread per tesseract call: a sheet of a few lines gains nothing from OpenMP, and on a busy machine its
# threads wait for each other (0.20 s against 0.13 s per sheet on 2 shared cores)
_TESSERACT_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _require_tesseract() -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError(
            "tesseract not found: install it (Debian: apt-get install tesseract-ocr) to read raster plots"
        )
    return exe


@dataclass
class _Crop:
    """One line of an OCR sheet: pixels of the figure (only the given glyphs, if any) scaled up."""

    box: Box
    ids: list[int] | None = None
    rotate: bool = False  # text written bottom to top (a y axis title)
    angle: float = 0.0  # text slanted up to the right by this many degrees (rotated tick labels)
    target_px: int = 44  # height of the crop's glyphs on the sheet
    glyph_px: float | None = None  # height of its glyphs in the figure (defaults to the crop height)
    text: str = ""
    sup: bool = False  # a raised run of glyphs (an exponent in a unit) of its parent crop
    accent: bool = False  # a capital carries a mark above it (the ring of Å)
    gap_after: bool = False  # a space follows this piece
    pieces: list[_Crop] = field(default_factory=list)  # a title split at its superscripts, in reading order
    twice: bool = False  # drawn twice side by side: tesseract reads a line of one small glyph as nothing

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
    """Read every crop with one tesseract call: each crop on its own line of a white sheet; fills crop.text."""
    _ocr_sheets(gray, glyphs, [(crops, whitelist)])


def _ocr_sheets(gray: np.ndarray, glyphs: _Glyphs | None, sheets: list[tuple[list[_Crop], str | None]]) -> None:
    """Read several sheets of crops (each with its own character whitelist) with tesseract calls that run at
    the same time; fills crop.text.

    Crops read with low confidence are read again on a sheet of their own: tesseract's reading of
    a line depends on the lines around it (a lone '0' on top of a column of labels came out '6').
    """
    sheets = [(crops, whitelist) for crops, whitelist in sheets if crops]
    if not sheets:
        return
    lines = [[_crop_image(gray, glyphs, crop) for crop in crops] for crops, _ in sheets]
    results = _read_sheets([(ls, whitelist) for ls, (_, whitelist) in zip(lines, sheets, strict=True)])
    again_jobs = []
    for (crops, whitelist), ls, found in zip(sheets, lines, results, strict=True):
        found[:] = [(_once(crop, text), conf) for crop, (text, conf) in zip(crops, found, strict=True)]
        for crop, (text, _) in zip(crops, found, strict=True):
            crop.text = text
        doubtful = [k for k, (text, conf) in enumerate(found) if conf < 50]
        if doubtful and len(doubtful) < len(crops):
            again_jobs.append((crops, found, doubtful, [ls[k] for k in doubtful], whitelist))
    # each doubtful line again, as it was and with bolder strokes, on one sheet per whitelist (the sheets at
    # once); the surest reading wins
    again = _read_sheets([(ls + [_bolder(im) for im in ls], whitelist) for _, _, _, ls, whitelist in again_jobs])
    for (crops, found, doubtful, _, _), reread in zip(again_jobs, again, strict=True):
        half = len(doubtful)
        for k, first, second in zip(doubtful, reread[:half], reread[half:], strict=True):
            best = found[k]
            for text, conf in ((_once(crops[k], first[0]), first[1]), (_once(crops[k], second[0]), second[1])):
                if text and conf > best[1]:
                    best = (text, conf)
                    crops[k].text = text


def _once(crop: _Crop, text: str) -> str:
    """The text of a crop drawn twice, read once ('22' -> '2'; the first copy where the two differ, '28');
    other text as read."""
    t = text.replace(" ", "")
    if crop.twice and len(t) >= 2 and len(t) % 2 == 0:
        return t[: len(t) // 2]
    return text


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
    lo = float(patch.min()) if patch.size else 0.0
    if 40 < lo < 200:  # small or light glyphs are anti-aliased to grey: stretch them back to black first
        patch = (patch - lo) * (255.0 / (255.0 - lo))
    img = Image.fromarray(np.clip(patch, 0, 255).astype(np.uint8))
    if crop.rotate:
        img = img.rotate(-90, expand=True)
    factor = min(6.0, max(1.0, crop.target_px / max(crop.glyph_px or img.height, 1)))
    img = img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.LANCZOS)
    if crop.angle:  # turned upright after scaling up: a small label turned at its own size loses its strokes
        img = img.rotate(-crop.angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    img = img.point([0] * 150 + [255] * 106)
    if crop.twice:
        gap = max(4, img.height // 3)
        double = Image.new("L", (2 * img.width + gap, img.height), 255)
        double.paste(img, (0, 0))
        double.paste(img, (img.width + gap, 0))
        img = double
    return img


def _bolder(line: Image.Image) -> Image.Image:
    """A line's glyphs with their strokes widened: a small label scaled up has strokes too thin and ragged for
    tesseract, which drops or misreads them; the second reading of a doubtful line sees them bolder."""
    from PIL import ImageFilter

    return line.filter(ImageFilter.MinFilter(3))


def _read_sheets(jobs: list[tuple[list[Image.Image], str | None]]) -> list[list[tuple[str, float]]]:
    """Each job's lines read as one sheet (text and lowest word confidence per line), the sheets' tesseract
    processes running at the same time (each starts by loading its model: most of a call's time)."""
    if not jobs:
        return []
    sheets = [_sheet(lines) for lines, _ in jobs]
    words = _tesseract_all([(sheet, 6, whitelist) for (sheet, _), (_, whitelist) in zip(sheets, jobs, strict=True)])
    out = []
    for (sheet, spans), found in zip(sheets, words, strict=True):
        log.debug("OCR sheet %s: %s", sheet.size, found)
        per_line: list[list[tuple[int, str, float]]] = [[] for _ in spans]
        for left, top, height, conf, text in found:
            cy = top + height / 2
            for k, (a, b) in enumerate(spans):
                if a <= cy < b:
                    per_line[k].append((left, text, conf))
                    break
        out.append([(" ".join(t for _, t, _ in sorted(f)), min((c for _, _, c in f), default=0.0)) for f in per_line])
    return out


def _sheet(lines: list[Image.Image]) -> tuple[Image.Image, list[tuple[float, float]]]:
    """The lines pasted one under another on a white sheet, and the rows each line owns."""
    from PIL import Image

    pad = 24
    sheet = Image.new("L", (max(im.width for im in lines) + 2 * pad, sum(im.height + pad for im in lines) + pad), 255)
    spans = []
    y = pad
    for im in lines:
        sheet.paste(im, (pad, y))
        spans.append((y - pad / 2, y + im.height + pad / 2))
        y += im.height + pad
    return sheet, spans


def _tesseract_all(
    jobs: list[tuple[Image.Image, int, str | None]],
) -> list[list[tuple[int, int, int, float, str]]]:
    """Words (left, top, height, confidence 0-100, text) that tesseract reads in each image; the images' processes
    are started together and waited for in turn."""
    exe = _require_tesseract()
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        try:
            for k, (image, psm, whitelist) in enumerate(jobs):
                path = Path(tmp) / f"sheet{k}.png"
                image.save(path, dpi=(300, 300))
                cmd = [exe, str(path), "stdout", "--psm", str(psm)]
                if whitelist:
                    cmd += ["-c", f"tessedit_char_whitelist={whitelist}"]
                cmd.append("tsv")
                procs.append(
                    subprocess.Popen(
                        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_TESSERACT_ENV
                    )
                )
            outputs = []
            for proc in procs:
                try:
                    stdout, _ = proc.communicate(timeout=OCR_TIMEOUT_S)
                except subprocess.TimeoutExpired as exc:
                    raise FigureSkip(f"unreadable image: OCR timed out after {OCR_TIMEOUT_S} s") from exc
                outputs.append(stdout)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return [_tsv_words(out) for out in outputs]


def _tsv_words(stdout: str) -> list[tuple[int, int, int, float, str]]:
    words = []
    for row in stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip() and float(cols[10]) >= 0:
            words.append((int(cols[6]), int(cols[7]), int(cols[9]), float(cols[10]), cols[11].strip()))
    return words


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
