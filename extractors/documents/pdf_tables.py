"""Tables on a PDF page: found under their 'Table N' captions, by ruling lines or by the layout of the words."""

from __future__ import annotations

import re

import pymupdf

from extractors.documents.pdf_geometry import _inside, _overlap_x, _script_kind, _union
from extractors.documents.tables import CAPTION as _TABLE_CAPTION
from extractors.documents.tables import Word, caption_number, cell_kind, header_from_words, layout_table, table_grid
from schemas.document import Table

_TEXT_FLAGS = (
    (pymupdf.TEXTFLAGS_DICT | pymupdf.TEXT_DEHYPHENATE)
    & ~pymupdf.TEXT_PRESERVE_LIGATURES
    & ~pymupdf.TEXT_PRESERVE_IMAGES
)
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})


def _first_line(block: dict) -> str:
    return "".join(s["text"] for s in block["lines"][0]["spans"]) if block.get("lines") else ""


def _caption_box(block: dict) -> tuple:
    """The box of a caption's own lines: a block may run on into the table's first lines, which have
    wide gaps between their cells."""
    lines = [block["lines"][0]]
    for line in block["lines"][1:]:
        spans = sorted((s for s in line["spans"] if s["text"].strip()), key=lambda s: s["bbox"][0])
        if any(b["bbox"][0] - a["bbox"][2] > max(8.0, a["size"]) for a, b in zip(spans, spans[1:], strict=False)):
            break
        lines.append(line)
    return _union([tuple(line["bbox"]) for line in lines])


def _outside_tables(block: dict, tables: list[Table]) -> dict:
    """The block without its lines that lie inside a table (a block may hold a table's last rows
    and the paragraph below it)."""
    if not tables:
        return block
    kept = [line for line in block["lines"] if not any(_inside(tuple(line["bbox"]), t.bbox) for t in tables)]
    if len(kept) == len(block["lines"]):
        return block
    bbox = _union([tuple(line["bbox"]) for line in kept]) if kept else block["bbox"]
    return {**block, "lines": kept, "bbox": bbox}


def _two_columns(data: dict, width: float) -> bool:
    """Whether the page is set in two columns: wide text blocks stand in each half."""
    mid = width / 2
    boxes = [b["bbox"] for b in data["blocks"] if b["type"] == 0 and b["bbox"][2] - b["bbox"][0] > 0.3 * width]
    left = any(b[2] <= mid + 0.04 * width for b in boxes)
    right = any(b[0] >= mid - 0.04 * width for b in boxes)
    return left and right


def _find_tables(page: pymupdf.Page, number: int, captions: list[tuple], two_columns: bool = False) -> list[Table]:
    """The tables of a page under its 'Table N' captions; none where no caption announces one.

    A table with ruling lines on all sides is found by PyMuPDF's table finder (its cell grid,
    with the cell texts read again so that sub- and superscripts survive). A caption that no ruled
    table follows is read from the alignment of the words below it (tables.layout_table): journal
    tables have horizontal rules only, or none. The finder is the slowest step of parsing, so it
    runs only where vector drawings lie below a caption.
    """
    if not captions:
        return []
    top = min(c[1] for c in captions)
    clip = pymupdf.Rect(0, top, page.rect.width, page.rect.height)
    drawings = [d for d in page.get_cdrawings() if pymupdf.Rect(d["rect"]).intersects(clip)]
    words = _words(page, clip)
    tables: list[Table] = []
    if any(_vertical(d) for d in drawings):
        try:
            found = page.find_tables(clip=clip)
        except Exception:  # a table finder failure must not lose the page's text
            found = None
        for t in found.tables if found else []:
            raw = [[_cell_text(cell, words) for cell in row.cells] for row in t.rows]
            raw = _ruled_header(t, raw, words)
            rows, title = table_grid(raw)
            if len(rows) >= 2 and len(rows[0]) >= 2:
                tables.append(
                    Table(
                        number=caption_number(title),
                        page=number,
                        bbox=tuple(t.bbox),
                        caption=title,
                        rows=rows,
                        char_start=0,
                        char_end=0,
                    )
                )
    rules = [d["rect"][1] for d in drawings if _horizontal(d)]
    for box in sorted(captions, key=lambda c: c[1]):
        if any(_covers(t.bbox, box) for t in tables):
            continue
        region = _table_region(page, box, captions, two_columns)
        inside = [w for w in words if _inside((w.x0, w.y0, w.x1, w.y1), region, 1)]
        found_layout = layout_table(inside, region, [y for y in rules if region[1] <= y <= region[3]])
        if found_layout is not None:
            rows, bbox = found_layout
            tables.append(Table(page=number, bbox=bbox, rows=rows, char_start=0, char_end=0))
    return tables


def _ruled_header(t, raw: list[list[str | None]], words: list[Word]) -> list[list[str | None]]:
    """The header rows of a ruled table read again from the words above its first row of values,
    over the columns of its first complete row: the finder loses merged header cells."""
    full = next((row for row in t.rows if all(row.cells)), None)
    first_data = next((i for i, r in enumerate(raw) if any(cell_kind(c or "") == "N" for c in r[1:])), None)
    if full is None or not first_data:
        return raw
    top, bottom = t.bbox[1], t.rows[first_data].bbox[1]
    if (
        raw
        and sum(1 for c in raw[0] if c and c.strip()) == 1
        and _TABLE_CAPTION.match(next(c for c in raw[0] if c and c.strip()))
    ):
        top = t.rows[1].bbox[1]  # a title row ('Table 3') stays out of the header
        raw_title = [raw[0]]
    else:
        raw_title = []
    band = [w for w in words if t.bbox[0] <= w.x0 and w.x1 <= t.bbox[2] + 1 and top <= (w.y0 + w.y1) / 2 <= bottom]
    columns = [(c[0] + 1, c[2] - 1) for c in full.cells]
    header = header_from_words(band, columns)
    return [*raw_title, list(header), *raw[first_data:]]


def _vertical(d: dict) -> bool:
    x0, y0, x1, y1 = d["rect"]
    return (
        y1 - y0 > 6
        and x1 - x0 < 2
        or any(
            item[0] == "re" and item[1][3] - item[1][1] > 6 and item[1][2] - item[1][0] > 6
            for item in d.get("items", [])
        )
    )


def _horizontal(d: dict) -> bool:
    x0, y0, x1, y1 = d["rect"]
    return x1 - x0 > 30 and y1 - y0 < 2.5


def _covers(table_bbox: tuple, caption: tuple) -> bool:
    """A ruled table that belongs to this caption: it starts right below it (or holds it)."""
    return _overlap_x(table_bbox, caption) and -5 <= table_bbox[1] - caption[1] <= caption[3] - caption[1] + 60


def _table_region(
    page: pymupdf.Page, caption: tuple, captions: list[tuple], two_columns: bool
) -> tuple[float, float, float, float]:
    """Where a captioned table may stand: below the caption down to the next caption, and in the
    caption's column when the caption sits in one half of a two-column page (a table across both
    columns of such a page has a caption across both, or is cut to the caption's column)."""
    width, height = page.rect.width, page.rect.height
    mid = width / 2
    x0, x1 = 0.0, width
    if not two_columns:
        pass
    elif caption[2] <= mid + 0.04 * width:
        x1 = mid + 0.02 * width
    elif caption[0] >= mid - 0.04 * width:
        x0 = mid - 0.02 * width
    below = [c[1] for c in captions if c[1] > caption[3] and _overlap_x(c, (x0, 0, x1, 0))]
    return (x0, caption[3] - 1, x1, min(below, default=height))


def _words(page: pymupdf.Page, clip: pymupdf.Rect) -> list[Word]:
    """The words in a region, from their characters, with sub- and superscripts written as the
    parser writes them in running text (TiO2, cm^-1, 3.37^a)."""
    words: list[Word] = []
    data = page.get_text("rawdict", clip=clip, flags=_TEXT_FLAGS)
    for block in data["blocks"]:
        if block["type"] != 0:
            continue
        for line in block["lines"]:
            spans = [s for s in line["spans"] if s["chars"]]
            if not spans:
                continue
            main = max(spans, key=lambda s: len(s["chars"]) * s["size"])
            base_y, main_size = main["origin"][1], main["size"]
            current: list = []  # [x0, y0, x1, y1, text, size]
            in_sup = False
            for span in spans:
                kind = _script_kind(span, base_y, main_size)
                for ch in span["chars"]:
                    c = ch["c"].translate(_LIGATURES)
                    x0, y0, x1, y1 = ch["bbox"]
                    if not c.strip():
                        if current:
                            words.append(Word(*current))
                        current, in_sup = [], False
                        continue
                    glued = current and x0 - current[2] < max(1.0, 0.25 * span["size"])
                    if kind == "sup" and not (in_sup and glued):
                        c = "^" + c  # a superscript run starts: cm^-1, 3.37^a
                    in_sup = kind == "sup"
                    if current and glued:
                        current[2], current[4] = max(current[2], x1), current[4] + c
                        current[1], current[3] = min(current[1], y0), max(current[3], y1)
                    else:
                        if current:
                            words.append(Word(*current))
                        current = [x0, y0, x1, y1, c, main_size if kind else span["size"]]
            if current:
                words.append(Word(*current))
    return words


def _cell_text(cell: tuple | None, words: list[Word]) -> str | None:
    """The text of a table finder's cell from the words whose centres lie in it; None for a merged cell."""
    if cell is None:
        return None
    x0, y0, x1, y1 = cell
    inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and y0 <= (w.y0 + w.y1) / 2 <= y1]
    lines: list[list[Word]] = []
    for w in sorted(inside, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        if lines and abs((lines[-1][0].y0 + lines[-1][0].y1) / 2 - (w.y0 + w.y1) / 2) < 0.5 * (w.y1 - w.y0):
            lines[-1].append(w)
        else:
            lines.append([w])
    text = ""
    for line in lines:
        part = " ".join(w.text for w in sorted(line, key=lambda w: w.x0))
        text = text + part if text.endswith("-") else f"{text} {part}".strip()
    return _clean_cell(text)


def _clean_cell(cell: str | None) -> str:
    return re.sub(r"\s+", " ", (cell or "").translate(_LIGATURES)).strip().replace("|", "/")
