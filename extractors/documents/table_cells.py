"""Table cells and headers: what a cell holds, which property and unit a header names, raw grid -> header + body."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from extractors.quantities.units import dimension_of, header_units, strip_marks
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
