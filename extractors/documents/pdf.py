"""PDF parsing with PyMuPDF: reading order, sections, sub/superscripts, tables and figures.

The document text is the blocks in reading order joined by blank lines, a paragraph per line.
Subscripts are written inline (TiO2, Ba0.5Sr0.5TiO3) and superscripts after a caret (cm^-1,
10^5): a span is a script when PyMuPDF flags it superscript, or when it is smaller than its
line's main font and its baseline sits above or below the line's. Every script run is also kept
as a ScriptSpan so a viewer can draw it properly.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from extractors.documents.headings import heading_kind
from extractors.documents.tables import CAPTION as _TABLE_CAPTION
from extractors.documents.tables import Word, caption_number, cell_kind, header_from_words, layout_table, table_grid
from schemas.document import Block, Figure, Page, ParsedDocument, ScriptSpan, Section, Table
from schemas.errors import InputError

pymupdf.no_recommend_layout()  # PyMuPDF otherwise prints an advert for pymupdf_layout to stdout
pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own stderr chatter; our errors say what went wrong

# "Fig. 2. SEM image", "FIGURE 3: ...", "Figure 1 (a) XRD" are captions; "Fig. 2 shows ..." is running text.
_CAPTION = re.compile(r"^\s*(?:Fig(?:ure)?\.?|FIG\.?|FIGURE)\s*(\d+)\s*(?:[.:|\u2013\u2014-]|\s+[A-Z(]|$)")
_TEXT_FLAGS = (
    (pymupdf.TEXTFLAGS_DICT | pymupdf.TEXT_DEHYPHENATE)
    & ~pymupdf.TEXT_PRESERVE_LIGATURES
    & ~pymupdf.TEXT_PRESERVE_IMAGES
)
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})


@dataclass
class _RawBlock:
    """A block of one page before reading order is settled."""

    text: str
    bbox: tuple[float, float, float, float]
    page: int
    kind: str = "text"
    size: float = 0.0
    bold: bool = False
    scripts: list[tuple[str, int, int]] = field(default_factory=list)
    table: Table | None = None


def parse_pdf(path: Path, paper_id: str, source: str, max_pages: int = 200) -> ParsedDocument:
    """Parse a PDF into a ParsedDocument.

    Raises:
        InputError: corrupt or truncated, encrypted, no pages, too many pages, or no text layer.
    """
    try:
        pdf = pymupdf.open(path)
    except Exception as err:  # PyMuPDF raises its own FileDataError, RuntimeError, ...
        raise InputError(f"{path}: not a readable PDF (corrupt or truncated): {str(err).splitlines()[0]}") from err
    with pdf:
        if pdf.needs_pass:
            raise InputError(
                f"{path}: the PDF is encrypted (needs a password); decrypt it first, e.g. `qpdf --decrypt`"
            )
        if pdf.page_count == 0:
            raise InputError(f"{path}: the PDF has no pages")
        if pdf.page_count > max_pages:
            raise InputError(
                f"{path}: {pdf.page_count} pages is over the limit of {max_pages}; raise it with --max-pages"
            )
        try:
            raw_pages = [_read_page(page, n + 1) for n, page in enumerate(pdf.pages())]
        except InputError:
            raise
        except Exception as err:
            raise InputError(f"{path}: the PDF is damaged and cannot be read: {str(err).splitlines()[0]}") from err
        sizes = [(p.rect.width, p.rect.height) for p in pdf.pages()]
        metadata_title = (pdf.metadata or {}).get("title") or None
        damaged = pdf.is_repaired or not _ends_with_eof(path)
    chars = sum(len(b.text.strip()) for page in raw_pages for b in page[0] if b.kind != "image")
    if chars < 25 * len(raw_pages) and damaged:
        raise InputError(f"{path}: the PDF is truncated or damaged and no text could be recovered from it")
    if chars < 25 * len(raw_pages):  # a few stray characters per page is no text layer either
        raise InputError(
            f"{path}: no usable text layer ({chars} characters on {len(raw_pages)} pages; scanned?); "
            "run OCR first, e.g. `ocrmypdf in.pdf out.pdf`"
        )
    doc = _assemble(raw_pages, sizes, paper_id, source, metadata_title)
    if damaged:
        doc.warnings.append("the PDF is truncated or damaged: MuPDF repaired it, some text may be missing")
    return doc


def _ends_with_eof(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2048))
        return b"%%EOF" in fh.read()


def _read_page(page: pymupdf.Page, number: int) -> tuple[list[_RawBlock], list[tuple[float, float, float, float]]]:
    """Text, table and image blocks of a page, and the bboxes of its vector drawings."""
    if page.rotation:  # a landscape page stored rotated: make its text horizontal (in memory only)
        page.remove_rotation()
    data = page.get_text("dict", flags=_TEXT_FLAGS)
    lines = [
        (line["bbox"], "".join(s["text"] for s in line["spans"]))
        for b in data["blocks"]
        if b["type"] == 0
        for line in b["lines"]
    ]
    # Vector drawings matter only where a figure is captioned (they make up its plot); reading them costs time.
    has_figure = any(_CAPTION.match(text) for _, text in lines)
    drawings = [tuple(d["rect"]) for d in page.get_cdrawings()] if has_figure else []
    captions = [_caption_box(b) for b in data["blocks"] if b["type"] == 0 and _TABLE_CAPTION.match(_first_line(b))]
    tables = _find_tables(page, number, captions, _two_columns(data, page.rect.width) if captions else False)
    plots = [
        c for c in _cluster([d for d in drawings if not any(_inside(d, t.bbox, 4) for t in tables)]) if _area(c) > 3000
    ]
    blocks: list[_RawBlock] = [
        _RawBlock(text="", bbox=tuple(info["bbox"]), page=number, kind="image") for info in page.get_image_info()
    ]
    for block in (b for b in data["blocks"] if b["type"] == 0 for b in _split_heading(_outside_tables(b, tables))):
        bbox = tuple(block["bbox"])
        if not block["lines"] or any(_inside(bbox, t.bbox) for t in tables):
            continue
        raw = _block_text(block, number)
        if not raw.text.strip():
            continue
        rotated = any(abs(line["dir"][1]) > 0.1 for line in block["lines"])
        if rotated or len(raw.text) < 60 and not _CAPTION.match(raw.text) and any(_near(bbox, c, 20) for c in plots):
            raw.kind = "figure_text"  # tick labels, axis titles, legends: kept out of the running text
        blocks.append(raw)
    for t in tables:
        blocks.append(_RawBlock(text="", bbox=t.bbox, page=number, kind="table", table=t))
    return blocks, drawings


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


def _near(a: tuple, b: tuple, margin: float) -> bool:
    """Boxes a and b overlap once b is grown by `margin` on every side."""
    return a[0] < b[2] + margin and b[0] - margin < a[2] and a[1] < b[3] + margin and b[1] - margin < a[3]


def _inside(inner: tuple, outer: tuple, slack: float = 2.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _split_heading(block: dict) -> list[dict]:
    """Split leading heading lines ("INTRODUCTION" in bold above its paragraph) into their own block."""
    lines = [line for line in block["lines"] if any(s["text"].strip() for s in line["spans"])]
    sizes = sorted(s["size"] for line in lines for s in line["spans"] if s["text"].strip())
    if len(lines) < 2 or not sizes:
        return [block]
    body = sizes[len(sizes) // 2]

    def heading_like(line: dict) -> bool:
        spans = [s for s in line["spans"] if s["text"].strip()]
        text = "".join(s["text"] for s in spans)
        bold = all(s["flags"] & 16 or "bold" in s["font"].lower() for s in spans)
        return len(text) < 80 and (bold or min(s["size"] for s in spans) >= 1.15 * body)

    n = 0
    while n < len(lines) - 1 and heading_like(lines[n]):
        n += 1
    if n == 0 or heading_like(lines[n]):
        return [block]
    return [
        {**block, "lines": part, "bbox": _union([tuple(line["bbox"]) for line in part])}
        for part in (lines[:n], lines[n:])
    ]


def _block_text(block: dict, number: int) -> _RawBlock:
    """One text block as a paragraph, with sub/superscript runs marked."""
    out = ""
    scripts: list[tuple[str, int, int]] = []
    sizes: Counter = Counter()
    bold_chars = 0
    for line in block["lines"]:
        spans = [s for s in line["spans"] if s["text"]]
        if not spans:
            continue
        main = max(spans, key=lambda s: len(s["text"].strip()) * s["size"])
        base_y, main_size = main["origin"][1], main["size"]
        if out and not out.endswith((" ", "-")):  # PyMuPDF dehyphenates; a kept hyphen is a real one
            out += " "
        for span in spans:
            text = span["text"].translate(_LIGATURES)
            sizes[round(span["size"], 1)] += len(text)
            if span["flags"] & 16 or "bold" in span["font"].lower():
                bold_chars += len(text)
            kind = _script_kind(span, base_y, main_size)
            if kind == "sup":
                text = text.strip()
                if not text:
                    continue
                start = len(out)
                out += "^" + text
                scripts.append(("sup", start + 1, len(out)))
            elif kind == "sub":
                text = text.strip()
                start = len(out.rstrip())
                out = out.rstrip() + text
                scripts.append(("sub", start, len(out)))
            else:
                out += text
    text = re.sub(r"[ \t]+", " ", out).strip()
    if text != out:  # keep script offsets valid after trimming: recompute by searching the runs
        scripts = _reanchor(out, text, scripts)
    size = sizes.most_common(1)[0][0] if sizes else 0.0
    return _RawBlock(
        text=text,
        bbox=tuple(block["bbox"]),
        page=number,
        size=size,
        bold=bold_chars > 0.6 * max(1, len(text)),
        scripts=scripts,
    )


def _script_kind(span: dict, base_y: float, main_size: float) -> str | None:
    size = span["size"]
    if size >= 0.9 * main_size and not span["flags"] & 1:
        return None
    y = span["origin"][1]
    if span["flags"] & 1 or y < base_y - 0.15 * main_size:
        return "sup"
    if y > base_y + 0.08 * main_size:
        return "sub"
    return None


def _reanchor(before: str, after: str, scripts: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    # Map offsets of `before` into `after` (whitespace runs collapsed, ends stripped).
    mapping, j = [], 0
    lead = len(before) - len(before.lstrip())
    i = 0
    while i < len(before):
        if i < lead:
            mapping.append(0)
            i += 1
            continue
        mapping.append(min(j, len(after)))
        if before[i] in " \t" and i + 1 < len(before) and before[i + 1] in " \t":
            i += 1
            continue
        j += 1
        i += 1
    mapping.append(len(after))
    return [(k, mapping[s], mapping[e]) for k, s, e in scripts if mapping[e] > mapping[s]]


def _reading_order(blocks: list[_RawBlock], width: float) -> list[_RawBlock]:
    """Two-column aware order: full-width blocks cut the page into bands; left column first in each."""
    mid = width / 2
    full, left, right = [], [], []
    for b in blocks:
        x0, _, x1, _ = b.bbox
        if x1 <= mid + 0.04 * width:
            left.append(b)
        elif x0 >= mid - 0.04 * width:
            right.append(b)
        else:
            full.append(b)
    if not right or not left:
        return sorted(blocks, key=lambda b: (round(b.bbox[1]), b.bbox[0]))
    ordered: list[_RawBlock] = []
    top = -1.0
    for cut in [*sorted(full, key=lambda b: b.bbox[1]), None]:
        bottom = cut.bbox[1] if cut else float("inf")
        ordered += _band(left, top, bottom) + _band(right, top, bottom)
        if cut:
            ordered.append(cut)
            top = cut.bbox[1]
    return ordered


def _band(column: list[_RawBlock], top: float, bottom: float) -> list[_RawBlock]:
    """The blocks of a column whose tops lie in [top, bottom), top to bottom."""
    return sorted((b for b in column if top <= b.bbox[1] < bottom), key=lambda b: b.bbox[1])


def _is_header_footer(b: _RawBlock, height: float, repeated: set[str]) -> bool:
    if b.bbox[1] > 0.06 * height and b.bbox[3] < 0.94 * height:
        return False
    t = b.text.strip()
    return len(t) < 120 and (re.fullmatch(r"[\d\s/|–-]+|Page \d+( of \d+)?", t) is not None or _norm(t) in repeated)


def _norm(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def _assemble(
    raw_pages: list, sizes: list[tuple[float, float]], paper_id: str, source: str, metadata_title: str | None
) -> ParsedDocument:
    heights = {page[0].page: h for (page, _), (_, h) in zip(raw_pages, sizes, strict=True) if page}
    edge_texts = Counter(
        _norm(b.text)
        for page, _ in raw_pages
        for b in page
        if b.kind == "text" and (b.bbox[1] < 0.06 * heights[b.page] or b.bbox[3] > 0.94 * heights[b.page])
    )
    repeated = {t for t, n in edge_texts.items() if n >= 2 and len(raw_pages) >= 2}
    body_size = Counter(round(b.size) for page, _ in raw_pages for b in page if b.kind == "text").most_common(1)
    body = body_size[0][0] if body_size else 10
    ordered: list[_RawBlock] = []
    for (page_blocks, _), (width, height) in zip(raw_pages, sizes, strict=True):
        ordered += [
            b
            for b in _reading_order([b for b in page_blocks if b.kind in ("text", "table")], width)
            if not (b.kind == "text" and _is_header_footer(b, height, repeated))
        ]
    text = ""
    blocks: list[Block] = []
    scripts: list[ScriptSpan] = []
    tables: list[Table] = []
    captions: list[tuple[int, Block]] = []
    sections: list[Section] = []
    section = "other"
    title = None
    for b in _merge_continuations(ordered):
        text += "\n\n" if text else ""
        start = len(text)
        if b.kind == "table":
            assert b.table is not None
            row_spans: list[tuple[int, int]] = []
            for row in b.table.rows:
                text += "\n" if row_spans else ""
                line = " | ".join(row)
                row_spans.append((len(text), len(text) + len(line)))
                text += line
            tables.append(
                b.table.model_copy(update={"row_spans": row_spans, "char_start": start, "char_end": len(text)})
            )
            blocks.append(
                Block(
                    kind="table",
                    text=text[start:],
                    page=b.page,
                    bbox=b.bbox,
                    char_start=start,
                    char_end=len(text),
                    section=section,  # type: ignore[arg-type]
                )
            )
            continue
        text += b.text
        kind = "text"
        heading = heading_kind(b.text) if len(b.text) < 80 else None
        looks_heading = len(b.text) < 80 and (b.bold or b.size > body * 1.15) and len(b.text.split()) <= 10
        if b.page == 1 and title is None and not sections and b.size >= body * 1.3 and len(b.text) > 10:
            title, kind, heading = b.text, "heading", "title"
        if _CAPTION.match(b.text) or _TABLE_CAPTION.match(b.text):
            kind = "caption"
        elif heading is not None or looks_heading:
            kind = "heading"
            if heading:
                section = heading
                sections.append(Section(title=b.text, kind=heading, char_start=start, char_end=start))  # type: ignore[arg-type]
        block = Block(
            kind=kind,  # type: ignore[arg-type]
            text=b.text,
            page=b.page,
            bbox=b.bbox,
            char_start=start,
            char_end=len(text),
            section=section,  # type: ignore[arg-type]
        )
        blocks.append(block)
        scripts += [ScriptSpan(kind=k, char_start=start + s, char_end=start + e) for k, s, e in b.scripts]  # type: ignore[arg-type]
        if kind == "caption":
            captions.append((b.page, block))
    for i, s in enumerate(sections):
        sections[i] = s.model_copy(
            update={"char_end": sections[i + 1].char_start if i + 1 < len(sections) else len(text)}
        )
    pages: list[Page] = []
    for n, (width, height) in enumerate(sizes, start=1):
        on_page = [b for b in blocks if b.page == n]
        at = on_page[0].char_start if on_page else (pages[-1].char_end if pages else 0)
        pages.append(
            Page(number=n, width=width, height=height, char_start=at, char_end=on_page[-1].char_end if on_page else at)
        )
    _attach_table_captions(tables, captions)
    images = [(b.page, b.bbox) for page, _ in raw_pages for b in page if b.kind == "image"]
    drawings = {page[0].page: d for page, d in raw_pages if page}
    labels = [(b.page, b.bbox) for page, _ in raw_pages for b in page if b.kind == "figure_text"]
    figures = _figures(captions, images, drawings, tables, labels)
    return ParsedDocument(
        paper_id=paper_id,
        source=source,
        kind="pdf",
        title=title or metadata_title,
        text=text,
        pages=pages,
        blocks=blocks,
        sections=sections,
        tables=tables,
        figures=figures,
        scripts=scripts,
    )


def _merge_continuations(blocks: list[_RawBlock]) -> list[_RawBlock]:
    """Join a paragraph that a column or page break cut in two (the second half starts in lower case)."""
    merged: list[_RawBlock] = []
    for b in blocks:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.kind == b.kind == "text"
            and b.text[:1].islower()
            and abs(prev.size - b.size) < 0.6
            and not prev.text.rstrip().endswith((".", "!", "?", ":"))
            and not _CAPTION.match(b.text)
        ):
            shift = len(prev.text) + 1
            prev.scripts += [(k, s + shift, e + shift) for k, s, e in b.scripts]
            prev.text += " " + b.text
            continue
        merged.append(
            _RawBlock(
                text=b.text,
                bbox=b.bbox,
                page=b.page,
                kind=b.kind,
                size=b.size,
                bold=b.bold,
                scripts=list(b.scripts),
                table=b.table,
            )
        )
    return merged


def _attach_table_captions(tables: list[Table], captions: list[tuple[int, Block]]) -> None:
    for i, t in enumerate(tables):
        near = [
            (abs(c.bbox[3] - t.bbox[1]), c) for page, c in captions if page == t.page and _TABLE_CAPTION.match(c.text)
        ]
        if near:
            caption = min(near, key=lambda x: x[0])[1]
            tables[i] = t.model_copy(update={"caption": caption.text, "number": caption_number(caption.text)})


def _figures(
    captions: list[tuple[int, Block]],
    images: list[tuple[int, tuple]],
    drawings: dict[int, list[tuple]],
    tables: list[Table],
    labels: list[tuple[int, tuple]],
) -> list[Figure]:
    """A figure per "Fig. N" caption: the raster image or the cluster of vector drawings beside it."""
    figures = []
    for page, cap in captions:
        m = _CAPTION.match(cap.text)
        if not m:
            continue
        cx0, cy0, cx1, cy1 = cap.bbox
        candidates = []
        for p, bbox in images:
            if p == page and _area(bbox) > 2000:
                candidates.append(("raster", bbox))
        table_boxes = [t.bbox for t in tables if t.page == page]
        vector = [
            d
            for d in drawings.get(page, [])
            if _area(d) < 0.5 * 595 * 842 and not any(_inside(d, tb, 4) for tb in table_boxes)
        ]
        for cluster in _cluster(vector):
            if _area(cluster) > 3000:  # grow the plot by its tick labels and axis titles
                near = [box for p, box in labels if p == page and _near(box, cluster, 20)]
                candidates.append(("vector", _union([cluster, *near])))
        above = [c for c in candidates if c[1][3] <= cy0 + 5 and _overlap_x(c[1], cap.bbox)]
        below = [c for c in candidates if c[1][1] >= cy1 - 5 and _overlap_x(c[1], cap.bbox)]
        pick = (
            min(above, key=lambda c: cy0 - c[1][3])
            if above
            else (min(below, key=lambda c: c[1][1] - cy1) if below else None)
        )
        if pick is None:
            continue
        kind, bbox = pick
        figures.append(
            Figure(
                number=int(m.group(1)),
                page=page,
                bbox=tuple(bbox),
                caption=cap.text,
                caption_char_start=cap.char_start,
                caption_char_end=cap.char_end,
                kind=kind,  # type: ignore[arg-type]
            )
        )
    return figures


def _area(b: tuple) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _union(boxes: list[tuple]) -> tuple:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap_x(a: tuple, b: tuple) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0


def _cluster(boxes: list[tuple], gap: float = 12.0) -> list[tuple]:
    """Union boxes that touch or lie within `gap` points of each other."""
    clusters: list[list[float]] = []
    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        box = list(b)
        merged = True
        while merged:
            merged = False
            for c in clusters:
                if box[0] <= c[2] + gap and c[0] <= box[2] + gap and box[1] <= c[3] + gap and c[1] <= box[3] + gap:
                    box = [min(box[0], c[0]), min(box[1], c[1]), max(box[2], c[2]), max(box[3], c[3])]
                    clusters.remove(c)
                    merged = True
                    break
        clusters.append(box)
    return [tuple(c) for c in clusters]
