"""PDF parsing with PyMuPDF: reading order, sections, sub/superscripts, tables and figures.

The document text is the blocks in reading order joined by blank lines, a paragraph per line.
Subscripts are written inline (TiO2, Ba0.5Sr0.5TiO3) and superscripts after a caret (cm^-1,
10^5): a span is a script when PyMuPDF flags it superscript, or when it is smaller than its
line's main font and its baseline sits above or below the line's. Every script run is also kept
as a ScriptSpan so a viewer can draw it properly.

Tables are found in `pdf_tables`, box arithmetic and script detection are in `pdf_geometry`.

Characters that a font without a Unicode map turns into control codes ("50±5 nm" extracted as
"50\x025 nm") are replaced by U+FFFD, one for one so that offsets stay, and the document says so in
a warning. A title comes from the first page (its largest line) unless that is missing; the
metadata title is a fallback only, and a junk one ("5", "untitled", "Microsoft Word - x.docx") is
never used.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from extractors import progress
from extractors.documents.headings import heading_kind
from extractors.documents.pdf_geometry import _area, _cluster, _inside, _near, _overlap_x, _script_kind, _union
from extractors.documents.pdf_tables import (
    _LIGATURES,
    _TEXT_FLAGS,
    OpenTable,
    _caption_box,
    _find_tables,
    _first_line,
    _outside_tables,
    _two_columns,
    continue_table,
    first_column,
)
from extractors.documents.tables import CAPTION as _TABLE_CAPTION
from extractors.documents.tables import caption_number
from schemas.document import Block, Figure, Page, ParsedDocument, ScriptSpan, Section, Table
from schemas.errors import InputError

pymupdf.no_recommend_layout()  # PyMuPDF otherwise prints an advert for pymupdf_layout to stdout
pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own stderr chatter; our errors say what went wrong

# C0/C1 control characters (but tab, line feed, carriage return) and U+FFFD: what a font without a Unicode map
# gives for a glyph ("±" as \x02). Each becomes U+FFFD in the text.
_UNDECODED = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
UNDECODED_MARK = "\ufffd"
# Metadata titles that name a file, a template or nothing: "5", "untitled", "Microsoft Word - paper.docx", "PII: ...".
_JUNK_TITLE = re.compile(
    r"^\W*$|^[\d\W_]+$|^.{0,3}$|^(?:untitled|no title|title|document|manuscript|article|paper|layout\s*\d*|"
    r"slide\s*\d*|template|draft|doi|pii)\b.{0,20}$|^(?:Microsoft\s+\w+|Word|PowerPoint)\s*-|"
    r"\.(?:docx?|pdf|tex|dvi|rtf|odt|indd|qxd|ps|eps|doc)\s*$|^[A-Za-z]:\\|^/|^\S+\.(?:pdf|docx?|tex)$",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*(?:Fig(?:ure)?\.?|FIG\.?|FIGURE)\s*(\d+)\s*(?:[.:|\u2013\u2014-]|\s+[A-Z(]|$)")


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
        progress.stage("parsing", pdf.page_count, "pages")
        try:
            raw_pages: list[tuple[list[_RawBlock], list]] = []
            open_table: OpenTable | None = None  # a table cut at the foot of the page before
            for n, page in enumerate(pdf.pages()):
                blocks, drawings, open_table = _read_page(
                    page, n + 1, open_table, raw_pages[-1][0] if raw_pages else []
                )
                raw_pages.append((blocks, drawings))
                progress.advance(1)
            if open_table is not None and open_table.partial is not None:
                raw_pages[-1][0].append(_table_block(open_table.partial))
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
    undecoded = _mark_undecoded(raw_pages)
    doc = _assemble(raw_pages, sizes, paper_id, source, None if junk_title(metadata_title) else metadata_title)
    if undecoded:
        pages = ", ".join(str(n) for n in sorted(undecoded)[:10]) + (", ..." if len(undecoded) > 10 else "")
        doc.warnings.append(
            f"{sum(undecoded.values())} character(s) could not be decoded (a font without a Unicode map) on "
            f"page(s) {pages}: they are shown as {UNDECODED_MARK}, and no number is read across them"
        )
    if damaged:
        doc.warnings.append("the PDF is truncated or damaged: MuPDF repaired it, some text may be missing")
    return doc


def junk_title(title: str | None) -> bool:
    """Whether a metadata title says nothing about the paper: empty, a number, a file or template name."""
    return title is None or _JUNK_TITLE.search(title.strip()) is not None


def _mark_undecoded(raw_pages: list) -> dict[int, int]:
    """Replace undecodable characters by U+FFFD in the blocks and table cells (in place); count them per page."""
    counts: dict[int, int] = {}

    def mark(text: str, page: int) -> str:
        found = len(_UNDECODED.findall(text))
        if not found:
            return text
        counts[page] = counts.get(page, 0) + found
        return _UNDECODED.sub(UNDECODED_MARK, text)

    for blocks, _ in raw_pages:
        for b in blocks:
            b.text = mark(b.text, b.page)
            if b.table is not None:
                b.table = b.table.model_copy(update={"rows": [[mark(c, b.page) for c in row] for row in b.table.rows]})
    return counts


def _ends_with_eof(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2048))
        return b"%%EOF" in fh.read()


def _table_block(table: Table) -> _RawBlock:
    return _RawBlock(text="", bbox=table.bbox, page=table.page, kind="table", table=table)


def _read_page(
    page: pymupdf.Page, number: int, cut: OpenTable | None = None, before: list[_RawBlock] | None = None
) -> tuple[list[_RawBlock], list[tuple[float, float, float, float]], OpenTable | None]:
    """Text, table and image blocks of a page, the bboxes of its vector drawings, and a table cut at
    the page's foot (for the next page to continue).

    Args:
        cut: a table cut at the foot of the page before; it is read on into the top of this page's
            first column, and added, whole, to `before` (the blocks of the page before).
    """
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
    found = _find_tables(page, number, captions, _two_columns(data, page.rect.width) if captions else False)
    tables, taken = found.tables, [t.bbox for t in found.tables] + found.boxes
    if cut is not None and before is not None:
        continued = continue_table(cut, page, first_column(page, data))
        if continued is not None:
            taken.append(continued[1])
        whole = continued[0] if continued is not None else cut.partial
        if whole is not None:
            before.append(_table_block(whole))
    plots = [
        c for c in _cluster([d for d in drawings if not any(_inside(d, t.bbox, 4) for t in tables)]) if _area(c) > 3000
    ]
    blocks: list[_RawBlock] = [
        _RawBlock(text="", bbox=tuple(info["bbox"]), page=number, kind="image") for info in page.get_image_info()
    ]
    for block in (b for b in data["blocks"] if b["type"] == 0 for b in _split_heading(_outside_tables(b, taken))):
        bbox = tuple(block["bbox"])
        if not block["lines"] or any(_inside(bbox, box) for box in taken):
            continue
        raw = _block_text(block, number)
        if not raw.text.strip():
            continue
        rotated = any(abs(line["dir"][1]) > 0.1 for line in block["lines"])
        if rotated or len(raw.text) < 60 and not _CAPTION.match(raw.text) and any(_near(bbox, c, 20) for c in plots):
            raw.kind = "figure_text"  # tick labels, axis titles, legends: kept out of the running text
        blocks.append(raw)
    blocks += [_table_block(t) for t in tables]
    return blocks, drawings, found.open


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
    # The body size is the size most characters have (a count of blocks would let a large title outvote one long body
    # block on a short paper).
    weighted: Counter = Counter()
    for page, _ in raw_pages:
        for b in page:
            if b.kind == "text":
                weighted[round(b.size)] += len(b.text)
    body = weighted.most_common(1)[0][0] if weighted else 10
    # The first page's largest line: the title when the metadata has none, and never dropped as a running header
    # (a journal repeats the title at the top of every page).
    first = _first_page_title(raw_pages[0][0] if raw_pages else [], body)
    ordered: list[_RawBlock] = []
    for (page_blocks, _), (width, height) in zip(raw_pages, sizes, strict=True):
        ordered += [
            b
            for b in _reading_order([b for b in page_blocks if b.kind in ("text", "table")], width)
            if not (b.kind == "text" and b is not first and _is_header_footer(b, height, repeated))
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
        # the title: the first large line, or (without a usable metadata title) the first page's largest one
        large = b.size >= body * 1.3 and len(b.text) > 10
        largest = metadata_title is None and first is not None and b.text == first.text
        if b.page == 1 and title is None and not sections and (large or largest):
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


def _first_page_title(blocks: list[_RawBlock], body: float) -> _RawBlock | None:
    """The first page's text block in the largest font, when that is larger than the body text and reads as a
    title (letters, a few words, not a whole paragraph); None otherwise."""
    texts = [b for b in blocks if b.kind == "text" and b.size > body + 0.5 and 10 <= len(b.text) <= 300]
    texts = [b for b in texts if len(re.findall(r"[^\W\d_]{2,}", b.text)) >= 2 and not _CAPTION.match(b.text)]
    if not texts:
        return None
    return max(texts, key=lambda b: (b.size, -b.bbox[1]))


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
    clusters: dict[int, list[tuple]] = {}  # a page's drawings are clustered once, whatever its number of captions
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
        if page not in clusters:
            clusters[page] = _cluster(
                [
                    d
                    for d in drawings.get(page, [])
                    if _area(d) < 0.5 * 595 * 842 and not any(_inside(d, tb, 4) for tb in table_boxes)
                ]
            )
        for cluster in clusters[page]:
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
