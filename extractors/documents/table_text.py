"""Flattened tables: tables that pdf-to-text wrote one cell per line, re-assembled from the plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from extractors.documents.table_cells import (
    _FOOTNOTE_LINE,
    _ROMAN,
    CAPTION,
    CELL_LINE_CHARS,
    CELL_SEPARATOR,
    _clean,
    cell_kind,
    fold,
    header_properties,
)
from schemas.document import Table

# ---------------------------------------------------------------------------------------------
# Flattened tables in plain text


@dataclass
class _Line:
    start: int
    end: int
    text: str  # stripped

    @property
    def kind(self) -> str:
        return cell_kind(self.text)


def _lines(text: str) -> list[_Line]:
    """Every line of the text with the offsets of its stripped content."""
    out, at = [], 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        out.append(_Line(at + lead, at + lead + len(stripped), stripped))
        at += len(raw) + 1
    return out


def _cellish(line: _Line) -> bool:
    return 0 < len(line.text) <= CELL_LINE_CHARS and not _FOOTNOTE_LINE.match(line.text)


def _joinable(a: str, b: str) -> bool:
    """b continues a's cell: a wrapped word, a unit or bracket on its own line, a lower-case run-on
    ('monolayer black' / 'phosphorus'); not a one-letter header ('a', 'b' for lattice constants)."""
    return _wrapped(a, b) or re.match(r"[a-z]{3}", b) is not None and not a.endswith(")")


def _wrapped(a: str, b: str) -> bool:
    """b certainly continues a: a is cut at a hyphen, slash or comma or leaves a bracket open, or b
    is a bracket or a unit on its own. A missing-value mark ('–') ends its cell."""
    return (
        a.endswith(("-", "/", ",", "(", "–", "‐", "+"))
        and cell_kind(a) != "M"
        or a.count("(") > a.count(")")
        or a.count("[") > a.count("]")
        or b[:1] in "([)]"
        or b.startswith(("/", "–", "-", "+"))
        and cell_kind(b) != "N"
    )


def _join(a: str, b: str) -> str:
    """Two lines of one cell: a word broken at a hyphen or slash ('Spiro-' 'OMeTAD', 'W/' 'mK') closes up."""
    closes = a.endswith(("-", "–", "‐", "/")) and len(a) > 1 and a[-2].isalnum()
    return a + b if closes else f"{a} {b}"


def row_cells(text: str, n_columns: int) -> list[tuple[int, int]]:
    """[start, end) of each cell in a row's text: cells are ' | '-separated (a PDF table), or one
    per line with some wrapped over two lines (flattened text); [] when the row does not fit.

    For a flattened row with more lines than columns, the wrapped lines are chosen where a line
    visibly continues the one before (a hyphen, a bracket, a lower-case start), the label first.
    """
    if CELL_SEPARATOR in text or n_columns == 1 and "\n" not in text:
        cells, at = [], 0
        for part in text.split(CELL_SEPARATOR):
            lead = len(part) - len(part.lstrip())
            cells.append((at + lead, at + len(part.rstrip()) if part.strip() else at + lead))
            at += len(part) + len(CELL_SEPARATOR)
        return cells if len(cells) == n_columns else []
    lines = [ln for ln in _lines(text) if ln.text]
    if len(lines) < n_columns or n_columns < 1:
        return []
    groups = _group_lines([ln.text for ln in lines], n_columns)
    if groups is None:
        return []
    out, i = [], 0
    for size in groups:
        out.append((lines[i].start, lines[i + size - 1].end))
        i += size
    return out


def _pair_score(a: str, b: str, first: bool) -> float:
    """How well line b continues line a's cell (higher is likelier)."""
    score = 2.0 if _joinable(a, b) else 0.0
    ka, kb = cell_kind(a), cell_kind(b)
    if ka == "N" and kb == "N" and not a.endswith(","):
        score -= 3.0
    elif ka != kb:
        score -= 1.0
    if kb == "M":
        score -= 3.0
    return score + (0.5 if first else 0.0)


def _group_lines(lines: list[str], n: int) -> list[int] | None:
    """Line counts of n cells covering the lines (cells of one or two lines), best continuations first."""
    extra = len(lines) - n
    if extra < 0 or extra > n:
        return None

    @cache
    def best(i: int, cells: int) -> tuple[float, tuple[int, ...]] | None:
        if cells == 0:
            return (0.0, ()) if i == len(lines) else None
        options = []
        one = best(i + 1, cells - 1)
        if one is not None:
            options.append((one[0], (1, *one[1])))
        if i + 1 < len(lines):
            two = best(i + 2, cells - 1)
            if two is not None:
                options.append((two[0] + _pair_score(lines[i], lines[i + 1], i == 0) - 1.5, (2, *two[1])))
        return max(options, key=lambda o: o[0]) if options else None

    found = best(0, n)
    return list(found[1]) if found else None


def _roman(number: str) -> int | None:
    if number.isdigit():
        return int(number)
    values = [_ROMAN[c] for c in number]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return total or None


def caption_number(caption: str) -> int | None:
    """The table number of a caption: 'Table 2.' -> 2, 'TABLE IV:' -> 4."""
    m = CAPTION.match(caption)
    return _roman(m.group(1)) if m else None


def flattened_tables(text: str) -> list[Table]:
    """Tables that a pdf-to-text tool flattened one cell per line beside their 'Table N' captions.

    Rows after a caption (or, where none follow it, right before it) are read as a grid; rows
    with ' | ' between cells are read as they stand. A table must explain at least two rows of at
    least two cells, one of them a value.
    """
    return [table for table, _ in flattened_tables_with_captions(text)]


def flattened_tables_with_captions(text: str) -> list[tuple[Table, tuple[int, int]]]:
    """As flattened_tables, each table with the [start, end) of its caption's lines in the text."""
    lines = _lines(text)
    found: list[tuple[Table, tuple[int, int]]] = []
    taken_until = -1
    for index, line in enumerate(lines):
        if index <= taken_until or not CAPTION.match(line.text):
            continue
        # Most tables follow their caption; some stand above it. Where both readings exist, the one
        # that explains more cells wins (equations after a caption also come one piece per line).
        candidates = [c for c in (_table_after(lines, index), _table_before(lines, index)) if c is not None]
        candidates = [c for c in candidates if c[1] > taken_until and c[0].char_start > _end_of(lines, taken_until)]
        if not candidates:
            continue
        table, last, caption_last = max(candidates, key=lambda c: sum(len(r) for r in c[0].rows[1:]))
        found.append((table, (lines[index].start, lines[caption_last].end)))
        taken_until = max(taken_until, last)
    return found


def _last_text_line(lines: list[_Line], index: int) -> int:
    while index > 0 and not lines[index].text:
        index -= 1
    return index


def _end_of(lines: list[_Line], index: int) -> int:
    return lines[index].end if 0 <= index < len(lines) else -1


def _caption_text(lines: list[_Line], first: int, last: int) -> str:
    parts: list[str] = []
    for line in lines[first : last + 1]:
        if line.text:
            parts.append(line.text)
    out = ""
    for part in parts:
        out = _join(out, part) if out and out.endswith("-") else f"{out} {part}".strip()
    return out


def _table_after(lines: list[_Line], cap: int) -> tuple[Table, int, int] | None:
    """The table whose cells start within a few lines after the caption line at `cap`."""
    start = cap + 1
    while start < len(lines) and lines[start].text and _caption_goes_on(lines[start - 1].text, lines[start].text):
        start += 1
    for first in range(start, min(len(lines), cap + 14)):
        run = _run(lines, first)
        if len(run) >= 4 or len(run) >= 2 and CELL_SEPARATOR in lines[first].text:
            caption = _caption_text(lines, cap, first - 1)
            grid = _read_run(lines, run, caption)
            if grid is not None:
                return grid, run[-1], max(cap, _last_text_line(lines, first - 1))
            return None
        if first > cap + 1 and not lines[first].text and not lines[first - 1].text:
            return None  # two blank lines: the caption stands alone
    return None


def _caption_goes_on(previous: str, line: str) -> bool:
    """The caption's sentence runs on into this line: the line before was cut by the page width (long,
    no full stop), or this line starts with a lower-case word."""
    if previous.rstrip().endswith((".", ":")):
        return False
    return len(previous) >= 45 or re.match(r"[a-z]{2}", line) is not None


def _table_before(lines: list[_Line], cap: int) -> tuple[Table, int, int] | None:
    """A table printed above its caption (the caption follows its last row)."""
    end = cap - 1
    while end >= 0 and not lines[end].text:
        end -= 1
    start = end
    while start - 1 >= 0 and (_cellish(lines[start - 1]) or not lines[start - 1].text):
        start -= 1
    while start <= end and not lines[start].text:
        start += 1
    run = [i for i in range(start, end + 1) if lines[i].text]
    if len(run) < 4:
        return None
    caption_end = cap
    while (
        caption_end + 1 < min(len(lines), cap + 12)
        and lines[caption_end + 1].text
        and _caption_goes_on(lines[caption_end].text, lines[caption_end + 1].text)
    ):
        caption_end += 1
    grid = _read_run(lines, run, _caption_text(lines, cap, caption_end))
    return (grid, caption_end, caption_end) if grid is not None else None


def _run(lines: list[_Line], start: int) -> list[int]:
    """Indices of the consecutive cell-like lines from `start` (single blank lines skipped)."""
    run: list[int] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.text:
            if i + 1 < len(lines) and lines[i + 1].text and run:
                i += 1
                continue
            break
        piped = CELL_SEPARATOR in line.text
        if piped != (CELL_SEPARATOR in lines[run[0]].text if run else piped):
            break  # rows with ' | ' and cells one per line do not mix
        if not piped and (not _cellish(line) or CAPTION.match(line.text)):
            break
        run.append(i)
        i += 1
    return run


@dataclass
class _Parse:
    score: float
    n: int
    header_end: int  # index into the run where the body starts
    rows: list[tuple[int, int]]  # body rows as [start, end) indices into the run
    header: list[str]


def _read_run(lines: list[_Line], run: list[int], caption: str) -> Table | None:
    texts = [lines[i].text for i in run]
    if CELL_SEPARATOR in texts[0]:
        return _pipe_table(lines, run, caption)
    parse = _best_parse(texts, caption)
    if parse is None:
        return None
    header_lines = [lines[i] for i in run[: parse.header_end]]
    rows = [parse.header]
    spans = [(header_lines[0].start, header_lines[-1].end)] if header_lines else []
    if not spans:
        return None
    for a, b in parse.rows:
        first, last = lines[run[a]], lines[run[b - 1]]
        row_text_start, row_text_end = first.start, last.end
        cells = _cells_from_lines([lines[i] for i in run[a:b]], parse.n)
        if cells is None:
            break
        rows.append(cells)
        spans.append((row_text_start, row_text_end))
    if len(rows) < 3 and not (len(rows) == 2 and parse.n >= 3):
        return None
    return _text_table(caption, rows, spans)


def _cells_from_lines(lines: list[_Line], n: int) -> list[str] | None:
    groups = _group_lines([ln.text for ln in lines], n)
    if groups is None:
        return None
    cells, i = [], 0
    for size in groups:
        text = lines[i].text
        for line in lines[i + 1 : i + size]:
            text = _join(text, line.text)
        cells.append(_clean(text))
        i += size
    return cells


def _pipe_table(lines: list[_Line], run: list[int], caption: str) -> Table | None:
    rows = [[_clean(c) for c in lines[i].text.split(CELL_SEPARATOR)] for i in run]
    width = len(rows[0])
    keep = [i for i, r in zip(run, rows, strict=True) if len(r) == width]
    if len(keep) < 2 or width < 2:
        return None
    return _text_table(caption, [r for r in rows if len(r) == width], [(lines[i].start, lines[i].end) for i in keep])


def _text_table(caption: str, rows: list[list[str]], spans: list[tuple[int, int]]) -> Table:
    """A table found in plain text: no page geometry; it spans its first row's start to its last row's end."""
    return Table(
        number=caption_number(caption),
        page=1,
        bbox=(0.0, 0.0, 0.0, 0.0),
        caption=caption,
        rows=rows,
        row_spans=spans,
        char_start=spans[0][0],
        char_end=spans[-1][1],
    )


def _best_parse(texts: list[str], caption: str) -> _Parse | None:
    """The column count and header length that explain the most lines of the run."""
    kinds = [cell_kind(t) for t in texts]
    first_value = next((i for i, k in enumerate(kinds) if k == "N"), None)
    if first_value is None:
        return None
    best: _Parse | None = None
    for n in range(2, min(16, len(texts)) + 1):
        # The body starts with the label of the first row that holds a value: a few lines before it.
        for header_end in range(max(1, first_value - 2 * n - 2), first_value + 1):
            found = _header_cells(texts[:header_end], n, caption)
            if found is None:
                continue
            header, join_cost = found
            head_penalty = sum(1.0 for k in kinds[:header_end] if k == "N") + join_cost
            for types in _first_row_types(texts, header_end, n):
                rows, body_score = _body(texts, kinds, header_end, n, types)
                if len(rows) < 2 and not (len(rows) == 1 and n >= 3):
                    continue
                if not any(kinds[i] == "N" for a, b in rows for i in range(a + 1, b)):
                    continue
                # A numeric label column is rare (specimen numbers), and a header that ends inside a
                # wrapped cell ('hexagonal boron' / 'nitride (h-BN)') is a misplaced row start.
                head_penalty += 1.0 if types[0] == "N" else 0.0
                head_penalty += 1.0 if _wrapped(texts[header_end - 1], texts[header_end]) else 0.0
                score = header_end + body_score - head_penalty - 0.02 * n
                if best is None or score > best.score + 1e-9:
                    best = _Parse(score, n, header_end, rows, header)
    return best


def _header_cells(lines: list[str], n: int, caption: str) -> tuple[list[str], float] | None:
    """The header lines as n cells: wrapped cells joined, an empty corner cell added, a merged
    group header ('Band gap (eV)' over 'PBE', 'HSE06', printed after the first header line) spread."""
    if not lines:
        return None
    cells = [lines[0]]
    cost = 0.0
    for line in lines[1:]:
        prev = cells[-1]
        symbol = len(line) <= 2 and not any(
            ch.isalnum() for ch in line
        )  # '⊥', '∥': a sub/superscript on a line of its own
        if (
            symbol
            or _joinable(prev, line)
            or fold(f"{prev} {line}") in fold(caption)
            and len(prev) < 12
            and len(line) < 12
        ):
            # a lower-case run-on is weak evidence in a header: the line may be the first row's label
            cost += 0.5 if re.match(r"[a-z]", line) and not _joinable(prev, line[:1].upper() + line[1:]) else 0.0
            cells[-1] = _join(prev, line)
        else:
            cells.append(line)
    if len(cells) == n:
        if header_properties(cells[0]):  # a label column is not headed by a property: an empty corner and a group
            spread = _spread_flat_group(cells, n)
            if spread:
                return spread, cost + 0.5
        return [_clean(c) for c in cells], cost
    if len(cells) == n - 1:
        return ["", *(_clean(c) for c in cells)], cost
    if len(cells) > n:
        spread = _spread_flat_group(cells, n)
        return (spread, cost + 0.5) if spread else None
    return None


# Sub-headers that name a method or source ('PBE', 'HSE06', 'Exp.'): the usual columns under a merged group header.
_METHOD_CELL = re.compile(
    r"(?:exp(?:t|erimental|eriment)?|calc(?:ulated)?|theo(?:ry|retical)?|this work|dft|lda|gga(?:\+u)?|pbe(?:0|sol)?|"
    r"hse0?6?|b3lyp|scan|(?:tb-)?mbj|g0?w0?|gw0?)\.?(?:\s*\[\d+\])?",
    re.IGNORECASE,
)


def _spread_flat_group(cells: list[str], n: int) -> list[str] | None:
    """Header cells in print order: first header line, then the sub-headers under one group.

    The count of cells does not say how many sub-headers there are (the group cell is replaced by
    them): two, or every trailing cell that names a method ('PBE', 'HSE06', 'Exp.')."""
    methods = 0
    while methods < len(cells) - 1 and _METHOD_CELL.fullmatch(cells[-1 - methods].strip()):
        methods += 1
    for corner in (False, True):
        target = n - 1 if corner else n
        extra = len(cells) - target  # the group cell is replaced by its k sub-headers
        k = max(extra + 1, methods) if extra == 1 else extra + 1
        if k < 2 or k >= len(cells):
            continue
        subs = cells[-k:]
        top = cells[:-k]
        for g in range(len(top)):  # the first property cell: tables lead with their main quantity
            if header_properties(top[g]) and not any(header_properties(s) for s in subs):
                spread = top[:g] + [f"{top[g]} {s}" for s in subs] + top[g + 1 :]
                out = ([""] if corner else []) + spread
                if len(out) == n:
                    return [_clean(c) for c in out]
    return None


def _first_row_types(texts: list[str], start: int, n: int) -> list[tuple[str, ...]]:
    """Column kinds read off the first body row, for each way its lines can form n cells."""
    out: list[tuple[str, ...]] = []
    for size in range(n, min(2 * n, len(texts) - start) + 1):
        groups = _group_lines(texts[start : start + size], n)
        if groups is None:
            continue
        kinds, i = [], start
        for g in groups:
            kinds.append(cell_kind(texts[i]))
            i += g
        types = tuple(kinds)
        if any(k in "NM" for k in types[1:]) and types not in out:  # a missing value ('–') fits any column
            out.append(types)
        if len(out) >= 3:
            break
    return out


def _body(
    texts: list[str], kinds: list[str], start: int, n: int, types: tuple[str, ...]
) -> tuple[list[tuple[int, int]], float]:
    """Rows from `start` that fit the column kinds, as many lines as they can explain (a DP over rows)."""
    allowed = max(1, (n - 1) // 3)

    @cache
    def row_ends(i: int) -> tuple[tuple[int, float], ...]:
        ends: list[tuple[int, float]] = []

        def cell(pos: int, col: int, cost: float, misses: int) -> None:
            if len(ends) > 12:
                return
            if col == n:
                ends.append((pos, cost))
                return
            for size in (1, 2):
                if pos + size > len(texts):
                    break
                if size == 2 and not (
                    _joinable(texts[pos], texts[pos + 1]) or col == 0 and kinds[pos + 1] == "T" and types[1] != "T"
                ):
                    continue
                kind = kinds[pos]
                want = types[col]
                miss = 0 if kind == "M" or want == "M" or kind == want else 1
                if col == 0 and kind == "M":
                    miss = 1
                if misses + miss > allowed:
                    continue
                wrap = 0.0 if size == 1 else 0.1 if _joinable(texts[pos], texts[pos + 1]) else 0.7
                weight = 1.0 if col == 0 else 0.5  # a row that starts with a value is likely misaligned
                cell(pos + size, col + 1, cost + weight * miss + wrap, misses + miss)

        cell(i, 0, 0.0, 0)
        return tuple(ends)

    @cache
    def best(i: int) -> tuple[float, tuple[tuple[int, int], ...]]:
        options: list[tuple[float, tuple[tuple[int, int], ...]]] = [(0.0, ())]
        for end, cost in row_ends(i):
            if end < len(texts) and _wrapped(texts[end - 1], texts[end]):
                cost += 0.5  # the next row would start inside a wrapped cell
            rest = best(end)
            options.append(((end - i) - cost + rest[0], ((i, end), *rest[1])))
        return max(options, key=lambda o: o[0])

    score, rows = best(start)
    return list(rows), score
