"""Tables on a PDF page: found under their 'Table N' captions, by ruling lines or by the layout of the words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def _outside_tables(block: dict, boxes: list[tuple]) -> dict:
    """The block without its lines that lie inside a table's box (a block may hold a table's last
    rows and the paragraph below it)."""
    if not boxes:
        return block
    kept = [line for line in block["lines"] if not any(_inside(tuple(line["bbox"]), box) for box in boxes)]
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


@dataclass
class OpenTable:
    """A captioned table that runs to the foot of its column or page: its rows may go on at the top
    of the next column or page (two-column layouts and long tables break there, and the part after
    the break has no caption, often not even the header)."""

    page: int
    caption: tuple
    words: list[Word]  # below the caption, down to the foot of its column (caption page coordinates)
    rules: list[float]
    left: float  # the left edge of the caption's column
    partial: Table | None  # what the caption page alone gives, if anything
    box: tuple = field(default=(0.0, 0.0, 0.0, 0.0))  # where its words stand (kept out of the running text)


@dataclass
class PageTables:
    """What a page's captions announce: its tables, the one still open at the foot of the page, and
    the boxes table text takes besides the tables' own (a table's part in the next column, an open
    table's words)."""

    tables: list[Table]
    open: OpenTable | None = None
    boxes: list[tuple] = field(default_factory=list)


def _find_tables(page: pymupdf.Page, number: int, captions: list[tuple], two_columns: bool = False) -> PageTables:
    """The tables of a page under its 'Table N' captions; none where no caption announces one.

    A table with ruling lines on all sides is found by PyMuPDF's table finder (its cell grid,
    with the cell texts read again so that sub- and superscripts survive). A caption that no ruled
    table follows is read from the alignment of the words below it (tables.layout_table): journal
    tables have horizontal rules only, or none. The finder is the slowest step of parsing, so it
    runs only where vector drawings lie below a caption.

    A table that runs to the foot of its column goes on at the top of the next column: on the same
    page it is read there at once; at the foot of the page it is returned as an OpenTable, which the
    next page continues (`continue_table`).
    """
    if not captions:
        return PageTables([])
    top = min(c[1] for c in captions)
    clip = pymupdf.Rect(0, top, page.rect.width, page.rect.height)
    drawings = [d for d in page.get_cdrawings() if _meets(d["rect"], clip)]
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
    found_tables = PageTables(tables)
    for box in sorted(captions, key=lambda c: c[1]):
        region = _table_region(page, box, captions, two_columns)
        inside = [w for w in words if _inside((w.x0, w.y0, w.x1, w.y1), region, 1)]
        region_rules = [y for y in rules if region[1] <= y <= region[3]]
        table = next((t for t in tables if _covers(t.bbox, box)), None)  # a ruled table
        if table is not None:
            tables.remove(table)
        else:
            found_layout = layout_table(inside, region, region_rules)
            if found_layout is not None:
                rows, bbox = found_layout
                table = Table(page=number, bbox=bbox, rows=rows, char_start=0, char_end=0)
        at_foot = _open_at_foot(page, region, inside, table)
        if at_foot is None:
            if table is not None:
                tables.append(table)
            continue
        where = _union([_box(w) for w in at_foot]) if at_foot else (box[0], box[3], box[2], box[3])
        pending = OpenTable(number, box, at_foot, region_rules, box[0], table, where)
        if two_columns and region[2] < page.rect.width * 0.6:  # the left column's foot: on in the right column
            column = (page.rect.width * 0.48, 0.0, page.rect.width, page.rect.height)
            continued = continue_table(pending, page, column)
            if continued is not None:
                tables.append(continued[0])
                found_tables.boxes += [pending.box, continued[1]]
            elif table is not None:
                tables.append(table)
            continue
        found_tables.open = pending
        found_tables.boxes.append(pending.box)
    return found_tables


def _box(w: Word) -> tuple[float, float, float, float]:
    return (w.x0, w.y0, w.x1, w.y1)


def _open_at_foot(page: pymupdf.Page, region: tuple, inside: list[Word], table: Table | None) -> list[Word] | None:
    """The words of a captioned table that reaches the foot of its column (nothing but a page number
    below it, and no caption below it in the column), or None for a table that ends in its column.
    A table cut right after its header (no row of values above the break), or right after its
    caption, counts as reaching it."""
    height = page.rect.height
    if region[3] < height - 1:
        return None
    body = [w for w in inside if w.y1 < 0.94 * height]  # a page number or running foot below is no text
    if not body:  # the caption is the last line of its column: the whole table follows the break
        return []
    lowest = max(w.y1 for w in body)
    if table is not None:
        return inside if table.bbox[3] >= lowest - 1 else None
    lines = sorted({round((w.y0 + w.y1) / 2) for w in body})
    return inside if len(lines) <= 4 else None


def _continue_ruled(
    pending: OpenTable, page: pymupdf.Page, clip: pymupdf.Rect, words: list[Word], left: float
) -> tuple[Table, tuple[float, float, float, float]] | None:
    """A ruled table going on at the top of a column: its cells from the table finder, its header
    from the caption page's part read over the same columns (the layout reading would merge such
    tightly padded cells, and a wrong row is worse than a missing one)."""
    top = min(w.y0 for w in words)  # the continuation's first line
    try:
        found = page.find_tables(clip=clip)
    except Exception:  # a table finder failure must not lose the page's text
        return None
    ruled = next((t for t in found.tables if t.bbox[1] < top + 20), None)
    full = next((row for row in ruled.rows if all(row.cells)), None) if ruled is not None else None
    if ruled is None or full is None:
        return None
    raw = [[_cell_text(cell, words) for cell in row.cells] for row in ruled.rows]
    if pending.partial is not None:  # the part above the break has the header: the rows go on under it
        header = pending.partial.rows[0]
        body = [[_clean_cell(c) for c in row] for row in raw if [_clean_cell(c) for c in row] != header]
        if len(header) != len(full.cells):
            return None
        rows = [*pending.partial.rows, *body]
    else:  # only the header stood above the break: read it over this part's columns
        dx = pending.left - left
        columns = [(c[0] + dx + 1, c[2] + dx - 1) for c in full.cells]
        head = header_from_words(pending.words, columns) if pending.words else [""] * len(columns)
        rows, _ = table_grid([list(head), *raw])
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    own = pending.partial.bbox if pending.partial is not None else pending.box
    return Table(page=pending.page, bbox=own, rows=rows, char_start=0, char_end=0), tuple(ruled.bbox)


def first_column(page: pymupdf.Page, data: dict) -> tuple:
    """Where a table cut at the foot of the previous page goes on: the left half of a two-column
    page, else the whole page (`data`: the page's text as the parser read it, get_text("dict"))."""
    width, height = page.rect.width, page.rect.height
    return (0.0, 0.0, width * 0.52, height) if _two_columns(data, width) else (0.0, 0.0, width, height)


def continue_table(
    pending: OpenTable, page: pymupdf.Page, column: tuple
) -> tuple[Table, tuple[float, float, float, float]] | None:
    """The table of `pending` read on into the top of a column (x0, y0, x1, y1) of a page.

    The column's words are moved under the caption page's part, column edge on column edge, and the
    table is laid out again from both (a ruled continuation is read by the table finder instead).
    Returns the whole table (on the caption's page) and the box the continuation takes where it
    stands (to keep it out of the running text), or None when nothing there goes on with the table
    (the column starts with running text, or its rows do not fit).
    """
    clip = pymupdf.Rect(*column)
    words = [w for w in _words(page, clip) if w.y1 < 0.94 * page.rect.height]
    if not words:
        return None
    left, top = min(w.x0 for w in words), min(w.y0 for w in words)
    drawings = [d for d in page.get_cdrawings() if _meets(d["rect"], clip)]
    if any(_vertical(d) and d["rect"][1] < top + 20 for d in drawings):
        return _continue_ruled(pending, page, clip, words, left)
    rules = [d["rect"][1] for d in drawings if _horizontal(d)]
    base = max(w.y1 for w in pending.words) if pending.words else pending.caption[3]
    dx, dy = pending.left - left, base + 2.0 - top
    moved = [Word(w.x0 + dx, w.y0 + dy, w.x1 + dx, w.y1 + dy, w.text, w.size) for w in words]
    moved_rules = [y + dy for y in rules if y > top + 1]  # a rule above the first line would end the table at once
    region = (0.0, pending.caption[3] - 1, 1e6, max(w.y1 for w in moved))
    found = layout_table(pending.words + moved, region, pending.rules + moved_rules)
    if found is None:
        return None
    rows, bbox = found
    before = len(pending.partial.rows) if pending.partial is not None else 1
    if bbox[3] <= base + 1 or len(rows) <= before:
        return None
    if pending.partial is not None and len(rows[0]) != len(pending.partial.rows[0]):
        return None
    taken = [w for w, m in zip(words, moved, strict=True) if m.y1 <= bbox[3] + 0.5]
    own = pending.partial.bbox if pending.partial is not None else pending.box
    return Table(page=pending.page, bbox=own, rows=rows, char_start=0, char_end=0), _union([_box(w) for w in taken])


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


def _meets(rect: tuple, clip: pymupdf.Rect) -> bool:
    """Whether a drawing's box reaches into the clip; a stroked rule has a box of zero width or height,
    which pymupdf.Rect.intersects counts as empty."""
    x0, y0, x1, y1 = rect
    return x0 <= clip.x1 and x1 >= clip.x0 and y0 <= clip.y1 and y1 >= clip.y0


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
