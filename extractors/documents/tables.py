"""Tables as first-class input: re-assembled from flattened text, laid out from word positions, and read.

Three jobs, all without PyMuPDF (pdf.py hands over words and rules, so everything here is
testable on plain data):

- **Flattened text.** pdf-to-text tools write a table one cell per line after its "Table N."
  caption: header cells first, then each row's cells, long cells wrapped over two lines.
  `flattened_tables` finds such runs of short lines, chooses the column count and the header
  length that explain the most lines (every row starts with its label and holds the same kinds
  of cells in the same order: a number where the first row has a number), and returns `Table`s
  whose `row_spans` are exact offsets of each row's lines in the document text.
- **Headers.** `table_grid` turns a raw grid (from any source) into header + body: a title row
  ("Table 3") moves to the caption, header rows are joined per column ("Yield strength" over
  "(MPa)"), and a merged cell over several columns ("Band gap (eV)" over "PBE | HSE06") prefixes
  each of them. `header_quantity` reads a property and its unit from a header cell ("Eg (eV)",
  "Band gap / eV", "Eg [eV]", "Yield strength, MPa"), with footnote marks stripped and the unit
  checked against the property's dimension.
- **Tables without ruling lines in PDFs.** `layout_table` reads the words below a caption:
  rows from their heights, columns from the gaps that no word of the table's body crosses,
  multi-line cells from lines that start no new row, the header from the lines above the first
  row of values.

A table row becomes one passage (`table_passages`); `row_cells` finds its cells again inside
the row's text, so a value's column (and header) is known from its offset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of, header_units, strip_marks
from schemas.document import ParsedDocument, Table
from schemas.passage import Passage
from schemas.quantity import Quantity
from schemas.vocabulary import load_vocabulary

CELL_SEPARATOR = " | "
# "Table 2. Band gaps", "TABLE II: ...", "Table 1 The aspects ..." are captions; "Table 1 shows ..." is running text.
CAPTION = re.compile(
    r"^[ \t]*(?:Table|TABLE|Tab\.)[ \t]*(\d+|[IVX]+)(?=[ \t]*(?:[.:|\u2013\u2014-]|$|[ \t]+[A-Z(\[]))", re.M
)
_ROMAN = {"I": 1, "V": 5, "X": 10}

# A cell that states a value: a number (sign, range, uncertainty, exponent, a second value in
# brackets, a reference, a footnote mark or a short unit may follow) and no word of four letters.
_VALUE_START = re.compile(r"^[~≈∼<>≤≥±]?\s*[-−–]?\s*\(?\s*(?:\d|\.\d)")
_MISSING = {"–", "—", "-", "−", "n/a", "N/A", "n.a.", "N.A.", "...", "…", "nd", "n.d.", "NA", "—a", "–a"}
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
# Footnote marks after a value or a header: 3.37a, 3.37^a, 3.37^{a}, 3.37*, 3.37†, (2.26)b, Eg (eV)a.
_MARK = r"(?:\^\{?[a-z*†‡§¶#]{1,3}\}?|[a-f](?:,[a-f])*|[*†‡§¶#]{1,3})"
_VALUE_MARK = re.compile(rf"(?<=[\d)])({_MARK})(?=\s|$|\)|,|;)")
_FOOTNOTE_LINE = re.compile(r"^\s*\^?(?:[a-h]\)?|\(\w\)|[*†‡§¶#]{1,2})\s*[A-Z][a-z].{6,}$")
CELL_LINE_CHARS = 34  # longer lines of flattened text are prose (a cell is rarely wrapped wider)


# ---------------------------------------------------------------------------------------------
# Cells and headers


def cell_kind(cell: str) -> str:
    """'N' for a value cell, 'M' for a missing-value mark, 'T' for text."""
    s = cell.strip()
    if s in _MISSING or not s:
        return "M"
    if _VALUE_START.match(s) and not _LONG_WORD.search(s):
        return "N"
    return "T"


def mask_footnote_marks(text: str) -> str:
    """The text with footnote marks right after numbers blanked out (same length, so offsets hold).

    "3.37a" would otherwise read as 3 (a number glued to a word); "3.37^a" and "3.37*" are fine
    either way. Only a mark glued to a number is touched: "2H-MoS2" or "300 K" stay as they are.
    """
    return _VALUE_MARK.sub(lambda m: " " * len(m.group(1)), text)


def fold(text: str) -> str:
    """Letters as plain as they can be (math-italic 𝑬𝒈 -> Eg), spacing collapsed: for matching only."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@cache
def _synonym_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every (property, synonym regex): unlike Vocabulary.mentions, a symbol shared by two
    properties (ρ: density and resistivity) matches both, and the unit decides."""
    out = []
    for prop in load_vocabulary().properties:
        for synonym in prop.synonyms:
            escaped = re.escape(synonym).replace(r"\ ", r"[\s\-]+")
            symbol = len(synonym) <= 4 and not synonym.islower()
            # A symbol may carry a sub/superscript glued on: "Eg" in "EgSOC", "κ" in "κL", "TC" in "TC,bulk".
            tail = r"(?![a-z])" if symbol and len(synonym) > 1 else r"(?![\w])"  # 'S' is no Seebeck in 'SOC'
            out.append((prop.name, re.compile(rf"(?<![\w-]){escaped}{tail}", 0 if symbol else re.IGNORECASE)))
    return out


def header_remainder(text: str, prop: str) -> str:
    """A header without its property's words, units and marks: 'Band gap (eV) Exp.' -> 'Exp.'."""
    out = re.sub(r"\([^()]*\)|\[[^\[\]]*\]|\s/\s*\S+|,\s*\S+$", " ", fold(strip_marks(text)))
    for name, pattern in _synonym_patterns():
        if name == prop:
            out = pattern.sub(" ", out)
    return re.sub(r"\s+", " ", out).strip(" ,;:/")


def header_properties(text: str) -> list[str]:
    """Properties a header names, in vocabulary order, each once."""
    folded = fold(text)
    found: list[str] = []
    for name, pattern in _synonym_patterns():
        if name not in found and pattern.search(folded):
            found.append(name)
    return found


@dataclass(frozen=True)
class HeaderQuantity:
    """What a column (or row) header says its cells are: a property, and the unit as written."""

    property: str
    unit: str | None
    unit_from_caption: bool = False


@cache
def canonical_dimension(prop: str) -> str | None:
    """The dimension of a property's canonical unit (None for a dimensionless property)."""
    canonical = load_vocabulary().get(prop).unit  # type: ignore[union-attr]
    return dimension_of(canonical) if canonical else None


def _fits(prop: str, unit: str | None) -> bool:
    wanted = canonical_dimension(prop)
    if wanted is None:
        return unit is None
    return unit is not None and dimension_of(unit) == wanted


def header_quantity(header: str, caption: str = "", properties: set[str] | None = None) -> HeaderQuantity | None:
    """The property and unit of a header cell, the unit from the caption when the header has none.

    The unit must fit the property's dimension; where a symbol names two properties (ρ), the unit
    chooses. A header with a property but no unit anywhere is kept only for a dimensionless property.
    """
    text = strip_marks(header)
    props = [p for p in header_properties(text) if properties is None or p in properties]
    if not props:
        return None
    for unit in header_units(text):
        for prop in props:
            if _fits(prop, unit):
                return HeaderQuantity(prop, unit)
    if header_units(text):
        return None  # a unit that fits none of the named properties: another quantity (a shift, a ratio)
    caption_units = header_units(caption)
    named_in_caption = set(header_properties(caption))
    for prop in props:
        fitting = [u for u in caption_units if _fits(prop, u)]
        if fitting and (prop in named_in_caption or len(set(map(dimension_of, caption_units))) == 1):
            return HeaderQuantity(prop, fitting[0], unit_from_caption=True)
    for prop in props:
        if _fits(prop, None):
            return HeaderQuantity(prop, None)
    return None


def _title_row(row: list[str | None]) -> bool:
    """A row that only names the table ('Table 3' over empty cells): a caption, not a header."""
    filled = [c for c in row if c and c.strip()]
    return len(filled) == 1 and len(row) > 1 and CAPTION.match(filled[0]) is not None


def _data_row(row: list[str]) -> bool:
    """A body row: some cell after the first states a value."""
    return any(cell_kind(c) == "N" for c in row[1:])


def table_grid(raw: list[list[str | None]], caption: str = "") -> tuple[list[list[str]], str]:
    """A raw grid as header + body rows: (rows with rows[0] the one header row, caption).

    A title row ("Table 3") goes to the caption when there is none. Header rows (the rows above
    the first row of values) are joined per column; a cell left empty by a merged cell above
    several columns (None from the table finder, or '' right of a filled one) takes that cell's
    text as a prefix.
    """
    rows = [list(r) for r in raw if any(c and c.strip() for c in r)]
    while rows and _title_row(rows[0]):
        title = next(c for c in rows[0] if c and c.strip()).strip()
        caption = caption or title
        rows = rows[1:]
    if not rows:
        return [], caption
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    n_head = 0
    while n_head < len(rows) - 1 and not _data_row([c or "" for c in rows[n_head]]):
        n_head += 1
    n_head = max(1, n_head)
    header = [""] * width
    for row in rows[:n_head]:
        group = ""
        spans = [c is None for c in row]
        for j, cell in enumerate(row):
            text = (cell or "").strip()
            if text:
                group = text if j + 1 < width and spans[j + 1] else ""
                header[j] = f"{header[j]} {text}".strip()
            elif spans[j] and group:
                header[j] = f"{header[j]} {group}".strip()
    if n_head > 1:  # a group's text was written once, over its first column: give it to the others
        header = _spread_groups(rows[:n_head], header)
    body = [[_clean(c) for c in r] for r in rows[n_head:]]
    return [[_clean(h) for h in header], *body], caption


def _spread_groups(head_rows: list[list[str | None]], header: list[str]) -> list[str]:
    """'Band gap (eV)' over 'PBE | HSE06' with the second cell empty above: both become 'Band gap (eV) PBE'."""
    top, rest = head_rows[0], head_rows[1:]
    out = list(header)
    for j, cell in enumerate(top):
        if not cell or not cell.strip():
            continue
        k = j + 1
        # None (a cell the finder merged) was given the group's text already; '' is a cell left empty
        while (
            k < len(top) and (nxt := top[k]) is not None and not nxt.strip() and any((r[k] or "").strip() for r in rest)
        ):
            out[k] = f"{cell.strip()} {out[k]}".strip()
            k += 1
    return out


def _clean(cell: str | None) -> str:
    return re.sub(r"\s+", " ", cell or "").strip().replace("|", "/")


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
    is a bracket or a unit on its own."""
    return (
        a.endswith(("-", "/", ",", "(", "–", "‐", "+"))
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
    return Table(
        number=caption_number(caption),
        page=1,
        bbox=(0.0, 0.0, 0.0, 0.0),
        caption=caption,
        rows=[r for r in rows if len(r) == width],
        row_spans=[(lines[i].start, lines[i].end) for i in keep],
        char_start=lines[keep[0]].start,
        char_end=lines[keep[-1]].end,
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


def _spread_flat_group(cells: list[str], n: int) -> list[str] | None:
    """Header cells in print order: first header line, then the sub-headers under one group."""
    for corner in (False, True):
        target = n - 1 if corner else n
        extra = len(cells) - target  # the group cell is replaced by its k = extra + 1 sub-headers
        k = extra + 1
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
            starts = any(current[j] and cell_kind(current[j]) == "N" and cell_kind(t) == "N" for j, t in cells.items())
        if starts or current is None:
            out.append([""] * len(columns))
            current = out[-1]
        for j, text in cells.items():
            current[j] = _join(current[j], text) if current[j] else text
        last_y = line.y1
    return [list[str | None](row) for row in out]


# ---------------------------------------------------------------------------------------------
# Passages


def table_passages(doc: ParsedDocument) -> list[Passage]:
    """One passage per body row of each table, its context the caption and the header row.

    The header line of the context is the header cells joined by ' | ' (whatever the row text
    looks like), so `cell_header` can pair a row's cells with it.
    """
    passages: list[Passage] = []
    for table in doc.tables:
        if len(table.row_spans) < 2 or len(table.rows) != len(table.row_spans):
            continue
        header = CELL_SEPARATOR.join(table.rows[0])
        context = "\n".join(x for x in (table.caption, header) if x)
        for start, end in table.row_spans[1:]:
            passages.append(
                Passage(
                    passage_id=f"{doc.paper_id}:{start}:{end}",
                    paper_id=doc.paper_id,
                    text=doc.text[start:end],
                    context=context,
                    char_start=start,
                    char_end=end,
                    origin="table",
                    page=table.page if doc.pages else None,
                    bbox=table.bbox if doc.pages else None,
                    section=doc.section_at(start),
                    sentence_spans=[(0, end - start)],
                    table_number=table.number,
                )
            )
    return passages


def passage_header(passage: Passage) -> list[str]:
    """The header cells of a table-row passage (the last line of its context)."""
    if passage.origin != "table" or not passage.context:
        return []
    return passage.context.splitlines()[-1].split(CELL_SEPARATOR)


def passage_caption(passage: Passage) -> str:
    """The caption of a table-row passage (the context before its header line)."""
    lines = passage.context.splitlines()
    return " ".join(lines[:-1])


def cell_quantities(passage: Passage) -> list[Quantity]:
    """The quantities of a table-row passage, tagged cell by cell (spans into the passage text).

    Tagging the row as one text would read a missing-value dash between two cells as a range
    ('4.06 / – / 1.48' in flattened text) and a footnote mark glued to a number as a word
    ('3.37a' as 3); cell by cell, with the marks blanked out, each value is its own quantity.
    """
    header = passage_header(passage)
    spans = row_cells(passage.text, len(header)) if header else []
    if not spans:
        return tag_quantities(mask_footnote_marks(passage.text), include_unitless=True)
    found: list[Quantity] = []
    for start, end in spans:
        for q in tag_quantities(mask_footnote_marks(passage.text[start:end]), include_unitless=True):
            found.append(_shifted(q, start, passage.text))
    return found


def _shifted(q: Quantity, offset: int, text: str) -> Quantity:
    def move(span: tuple[int, int] | None) -> tuple[int, int] | None:
        return (span[0] + offset, span[1] + offset) if span else None

    span = move(q.span)
    assert span is not None
    return q.model_copy(
        update={
            "span": span,
            "text": text[span[0] : span[1]],
            "unit_span": move(q.unit_span),
            "value_span": move(q.value_span),
        }
    )


def cell_header(passage: Passage, offset: int) -> str | None:
    """For a table-row passage, the header cell above the cell holding `offset` (passage-relative)."""
    header = passage_header(passage)
    if not header:
        return None
    for (start, end), head in zip(row_cells(passage.text, len(header)), header, strict=False):
        if start <= offset < max(end, start + 1):
            return head
    return None
