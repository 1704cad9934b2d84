"""PDF tables without ruling lines: rows, columns and header read from the positions of the words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.documents.table_cells import _FOOTNOTE_LINE, _data_row, cell_kind, table_grid
from extractors.documents.table_text import _join

# ---------------------------------------------------------------------------------------------
# Tables laid out without ruling lines (PDF)


@dataclass(frozen=True)
class Word:
    """A word on a page: its box in PDF points, its text (sub/superscripts written inline as the
    parser writes them), and its font size."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float = 9.0


@dataclass
class _Row:
    """One printed line of the table region: its words and their runs (segments) split at wide gaps."""

    y0: float
    y1: float
    words: list[Word]
    segments: list[list[Word]]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _segments(words: list[Word]) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.x0):
        if out and w.x0 - out[-1][-1].x1 < max(3.5, 0.55 * w.size):
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _text_lines(words: list[Word]) -> list[_Row]:
    """Words grouped into printed lines by vertical overlap (sub/superscripts join their line)."""
    rows: list[_Row] = []
    for w in sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        mid = (w.y0 + w.y1) / 2
        if (
            rows
            and rows[-1].y0 - 1 <= mid <= rows[-1].y1 + 1
            and mid - rows[-1].y0 > 0.25 * (rows[-1].y1 - rows[-1].y0)
        ):
            row = rows[-1]
            row.words.append(w)
            row.y0, row.y1 = min(row.y0, w.y0), max(row.y1, w.y1)
        else:
            rows.append(_Row(w.y0, w.y1, [w], []))
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
        row.segments = _segments(row.words)
    return rows


def _segment_text(segment: list[Word]) -> str:
    return " ".join(w.text for w in segment)


def _prose_like(row: _Row, table_width: float) -> bool:
    """A line of running text: five or more words, mostly lower-case, spaced evenly (justified text
    stretches every space of a line alike; a table row has wide gaps between narrow ones), and
    about as wide as the table so far (a wrapped cell inside the table is narrower)."""
    words = row.words
    if len(words) < 5:
        return False
    lower = sum(1 for w in words if re.fullmatch(r"[a-z][a-z\-]*[,.;:]?", w.text))
    gaps = sorted(max(0.5, b.x0 - a.x1) for a, b in zip(words, words[1:], strict=False))
    extent = words[-1].x1 - words[0].x0
    return lower >= len(words) / 2 and gaps[-1] <= 2.5 * gaps[0] and extent >= 0.7 * table_width


def layout_table(
    words: list[Word], region: tuple[float, float, float, float], rules: list[float] | None = None
) -> tuple[list[list[str]], tuple[float, float, float, float]] | None:
    """A table from the words below its caption (region: x0, caption bottom, x1, region bottom).

    Args:
        words: the words inside the region.
        region: where the table may be; it ends earlier at running text, a caption, a footnote
            line or a wide vertical gap.
        rules: heights of horizontal rules across the region (journal tables rule the header
            off from the body); they end the header where the text alone cannot tell.

    Returns:
        (rows with rows[0] the header, bbox), or None when the words do not form a table of at
        least two columns and a row of values.
    """
    _, top, _, bottom = region
    lines = [r for r in _text_lines([w for w in words if w.y0 >= top - 1 and w.y1 <= bottom + 1]) if r.words]
    table: list[_Row] = []
    pitch = None
    body_started = False
    for row in lines:
        text = row.text
        if body_started and any(table[-1].y1 - 1 <= y <= row.y0 + 1 for y in rules or []):
            break  # the rule under the body (a journal table's bottom rule); notes and text follow
        body_started = body_started or _value_line(row)
        if table:
            gap = row.y0 - table[-1].y1
            pitch = min(pitch, row.y0 - table[-1].y0) if pitch else row.y0 - table[-1].y0
            if gap > max(14.0, 1.8 * (table[-1].y1 - table[-1].y0)) and len(table) >= 3:
                break
        if re.match(r"^\s*(?:Fig(?:ure)?\.?|FIG\.?|Table|TABLE)\s*\d", text) and table:
            break
        table_width = max((r.words[-1].x1 - r.words[0].x0 for r in table), default=0.0)
        if _prose_like(row, table_width) or (_FOOTNOTE_LINE.match(text) and len(row.segments) == 1 and table):
            break
        table.append(row)
    if len(table) < 2:
        return None
    first_body = next((i for i, r in enumerate(table) if _value_line(r)), None)
    if first_body is None:
        return None
    if rules:  # the last rule above the first row of values ends the header
        above = [y for y in rules if y <= table[first_body].y0 + 1]
        if above:
            cut = max(above)
            first_body = min(first_body, next((i for i, r in enumerate(table) if r.y0 >= cut - 1), first_body))
    columns = _columns([r for r in table[first_body:] if len(r.segments) >= 2] or table[first_body:])
    if len(columns) < 2:
        return None
    header = _layout_header(table[:first_body], columns)
    body = _layout_body(table[first_body:], columns)
    if not body:
        return None
    used = table[: first_body + sum(1 for _ in table[first_body:])]
    bbox = (
        min(w.x0 for r in used for w in r.words),
        min(r.y0 for r in used),
        max(w.x1 for r in used for w in r.words),
        max(r.y1 for r in used),
    )
    grid: list[list[str | None]] = [header, *body]
    rows, _ = table_grid(grid)
    if len(rows) < 2 or not any(_data_row(r) for r in rows[1:]):
        return None
    return rows, bbox


def _value_line(row: _Row) -> bool:
    """A printed line of the body: beside its first run of words, a third of the runs state values
    (a header such as '11.4-km swim' has one number among words)."""
    rest = [cell_kind(_segment_text(s)) for s in row.segments[1:]]
    values = sum(1 for k in rest if k == "N")
    return values >= 1 and values + sum(1 for k in rest if k == "M") >= max(1, len(rest) / 3)


def _columns(rows: list[_Row]) -> list[tuple[float, float]]:
    """Column extents: the union of the body's runs of words, split wherever no run crosses."""
    spans = sorted((s[0].x0, s[-1].x1) for r in rows for s in r.segments)
    columns: list[list[float]] = []
    for a, b in spans:
        if columns and a <= columns[-1][1] + 1.0:
            columns[-1][1] = max(columns[-1][1], b)
        else:
            columns.append([a, b])
    return [(a, b) for a, b in columns]


def _column_of(segment: list[Word], columns: list[tuple[float, float]]) -> list[int]:
    a, b = segment[0].x0, segment[-1].x1
    hits = [j for j, (c0, c1) in enumerate(columns) if min(b, c1) - max(a, c0) > 0.3 * min(b - a, c1 - c0)]
    if hits:
        return hits
    centre = (a + b) / 2
    return [min(range(len(columns)), key=lambda j: min(abs(centre - columns[j][0]), abs(centre - columns[j][1])))]


def _layout_header(rows: list[_Row], columns: list[tuple[float, float]]) -> list[str | None]:
    """Header lines joined per column; a run over several columns (a group header) prefixes each."""
    header = [""] * len(columns)
    for k, row in enumerate(rows):
        own = {j for s in row.segments for j in _column_of(s, columns)[:1]}
        below = {j for r in rows[k + 1 :] for s in r.segments for j in _column_of(s, columns)}
        for segment in row.segments:
            text = _segment_text(segment)
            hits = _column_of(segment, columns)
            if len(hits) >= 2:
                # a group header centred over its columns: it reaches the neighbours that have a
                # sub-header below and nothing of their own on this line
                lo, hi = min(hits), max(hits)
                while lo - 1 > 0 and lo - 1 in below and lo - 1 not in own:
                    lo -= 1
                while hi + 1 < len(columns) and hi + 1 in below and hi + 1 not in own:
                    hi += 1
                hits = list(range(lo, hi + 1))
            if len(hits) == len(columns) and len(columns) > 2 and row is rows[0] and len(row.segments) == 1:
                continue  # a title over the whole table
            for j in hits:
                header[j] = _join(header[j], text) if header[j] else text
    return list(header)


def header_from_words(words: list[Word], columns: list[tuple[float, float]]) -> list[str]:
    """The header cells over known columns, from the words of the header band (a ruled table whose
    merged header cells the table finder lost)."""
    return [h or "" for h in _layout_header(_text_lines(words), columns)]


def _dangling(cell: str) -> bool:
    """A cell that visibly goes on: a range or an uncertainty cut at the line's end ("5.63–", "4.59 ±")."""
    return bool(re.search(r"[–\-−±~,]\s*$", cell))


def _continues(current: list[str], cells: dict[int, str]) -> bool:
    """Whether a line's cells finish the row above: its label goes on in lower case and each of its value
    cells ends a cell of that row that was cut short."""
    label = cells.get(0, "")
    values = {j: t for j, t in cells.items() if j != 0}
    if label and not label[:1].islower():
        return False
    if values:
        return all(current[j] and _dangling(current[j]) for j in values)
    return bool(label)


def _layout_body(rows: list[_Row], columns: list[tuple[float, float]]) -> list[list[str | None]]:
    """Printed lines into table rows: a line with a label starts a row, unless it only continues a
    wrapped label; a line without one continues the row's cells (or starts a row of its own when it
    repeats values the row already has)."""
    out: list[list[str]] = []
    last_y = None
    for line in rows:
        cells: dict[int, str] = {}
        for segment in line.segments:
            for j in _column_of(segment, columns)[:1]:
                text = _segment_text(segment)
                cells[j] = f"{cells[j]} {text}" if j in cells else text
        current = out[-1] if out else None
        starts = 0 in cells and (len(cells) > 1 or current is None)
        if 0 in cells and len(cells) == 1 and current is not None and last_y is not None:
            # a lone label line: a wrapped label, unless the row it would join is complete and far above
            starts = line.y0 - last_y > 1.6 * (line.y1 - line.y0) and all(current[1:])
        if current is not None and not starts and 0 not in cells:
            starts = any(
                current[j] and cell_kind(current[j]) == "N" and cell_kind(t) == "N" and not _dangling(current[j])
                for j, t in cells.items()
            )
        if starts and current is not None and _continues(current, cells):
            starts = False  # "monolayer black | 5.63–" then "phosphorus | 7.03": one row wrapped over two lines
        if starts or current is None:
            out.append([""] * len(columns))
            current = out[-1]
        for j, text in cells.items():
            current[j] = _join(current[j], text) if current[j] else text
        last_y = line.y1
    return [list[str | None](row) for row in out]
