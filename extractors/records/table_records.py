"""Records from table rows: the column header gives the property and unit, the row's label the material.

A table states its facts in its layout, which a sentence reader misses: "3.37" means the band gap
of ZnO in eV only because of the header above it and the label left of it. So a table-row
passage is read by rules, not by guessing: each cell under a header that names a vocabulary
property (with a unit that fits the property's dimension, from the header or else the caption)
becomes a proposal for the material in the row's label cell. Grounding then checks the value
in the cell and the unit in the header as for any other proposal.

Where the columns are methods ("PBE", "HSE06", "Exp.") and the caption names the property and
unit ("Calculated energy gaps (in eV)"), the caption's property applies to every value column.
Where the table is transposed (a property per row, a material per column), or its rows are sources
('This work', 'Previous theory') under a caption that names one material, the material stands
outside the row: given the document text, the proposal carries it with its offset (`material_at`),
which grounding checks against the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import periodictable

from extractors.documents.tables import (
    HeaderQuantity,
    canonical_dimension,
    cell_kind,
    header_properties,
    header_quantity,
    header_remainder,
    header_units,
    mask_footnote_marks,
    passage_caption,
    passage_header,
    row_cells,
    strip_marks,
)
from extractors.quantities.formulas import parse_formula
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of
from extractors.records.method import detect_method
from schemas.passage import Passage
from schemas.record import Proposal

# A header that names the label column.
_LABEL_HEADER = re.compile(
    r"^(?:materials?|compounds?|samples?|systems?|alloys?|steels?|compositions?|specimens?(?: steel)?(?: no\.?)?|"
    r"names?|formulae?|formulas?|catalysts?)\s*$",
    re.IGNORECASE,
)
_METHOD_HEADER = re.compile(r"^(?:method|functional|technique|approach|level of theory|xc|source)s?\b", re.IGNORECASE)
# Row labels that are not materials: sources, statistics, methods.
_NOT_MATERIAL = re.compile(
    r"^(?:this work|present work|previous(?: work| theory| studies)?|theory|experiment(?:al)?|exp\.?|expt\.?|calc\.?|"
    r"calculated|measured|average|mean|median|total|min(?:imum)?|max(?:imum)?|std\.?|ref(?:erence)?s?\.?|literature|"
    r"parameters?|property|properties|units?|value|method|sample|none|other|adsorbed|isolated|gas phase|bulk|surface|"
    r"pbe|hse0?6?|lda|gga|gw|g0w0|dft|soc|sd|note)$",
    re.IGNORECASE,
)
# Row labels that say where a value comes from: the material is then the caption's.
_SOURCE = re.compile(
    r"^(?:this work|present work|our work|previous(?: work| theory| studies| calc\.?)?|theory|theoretical|"
    r"experiment(?:al)?|exp\.?|expt\.?|calc\.?|calculated|measured|literature|ref(?:erence)?s?\.?(?: \d+)?|"
    r"pbe|hse0?6?|lda|gga|gw|g0w0|dft|mbj|scan|pbe0)$",
    re.IGNORECASE,
)
_MATERIAL_WORDS = re.compile(
    r"(?:ide|ene|ite|ate|ia|ina|ica|ium|um|ide?s|ates?)\b|\b(?:alloy|steel|glass|diamond|graphite|quartz|sapphire|"
    r"perovskite|spinel|garnet|polymer|ceramic|zeolite|nanotube|fullerene|phosphorus|silicon|germanium|carbon|"
    r"sulfur|iron|copper|nickel|cobalt|zinc|tin|lead|gold|silver|brass|bronze|inconel|hastelloy|zircaloy)\b",
    re.IGNORECASE,
)
MethodHint = str
# Element symbols that are also English words or letters: alone they are not a material.
_PROSE_SYMBOLS = {"I", "In", "As", "At", "No", "He", "Be", "Am", "Es", "S", "P", "B", "O", "N", "H", "V"}


@dataclass
class TableFact:
    """One value of a table row, read by its headers: the proposal, and what the row says besides."""

    proposal: Proposal
    column: str = ""
    method: MethodHint | None = None
    conditions: list[tuple[str, str]] = field(default_factory=list)
    orientation: Literal["rows", "columns"] = "rows"


@cache
def _element_names() -> frozenset[str]:
    return frozenset(el.name.lower() for el in periodictable.elements if el.number > 0)


def looks_like_material(label: str) -> bool:
    """A row label that names a material: a formula (TiO2, 2H-MoS2, Ba0.5Sr0.5TiO3), an alloy or grade
    ('Ti-6Al-4V', 'AISI 316L'), or a name with a material word ('hexagonal boron nitride', 'diamond').

    Not a source, statistic or method ('This work', 'Mean', 'HSE06'), a property, a number, or a
    lone English word that names none of these.
    """
    text = strip_marks(label).strip(" .:;")
    if not text or cell_kind(text) != "T" or _NOT_MATERIAL.match(text) or header_properties(text):
        return False
    for word in re.split(r"[\s,;()/]+", text):
        core = re.sub(r"^(?:[0-9]?[A-Za-zα-ωβ]{1,3}-)", "", word.strip(".:"))  # 2H-, β-, c-, mp-
        counts = parse_formula(core) if core else None
        formula = counts and (len(counts) > 1 or re.search(r"\d", core) or len(core) <= 2 and core[:1].isupper())
        if formula and core not in _PROSE_SYMBOLS:
            return True
        if word.lower() in _element_names():
            return True
        parts = [re.sub(r"^\d+(?:\.\d+)?", "", part) for part in word.split("-")]
        if len(parts) > 1 and all(part and parse_formula(part) for part in parts):
            return True  # an alloy by its elements: Cu-Cr-Zr, Fe-0.2C-1.5Mn, Ti-6Al-4V
    if _MATERIAL_WORDS.search(text):
        return True
    # Grades and trade names: a capitalised token with a digit ('AISI 316L', 'Grade 91', 'AZ31', 'T6').
    return (
        re.search(r"\b[A-Z][A-Za-z]*\s?-?\d", text) is not None
        or re.search(r"\b[A-Z]{2,}\d*[A-Za-z]*\b", text) is not None
    )


# A label column of numbered specimens of a material class: "Specimen steel No.", "Alloy No.", "Sample (glass)"
_DESIGNATION_HEADER = re.compile(
    r"^(?:(?:specimen|sample|test)\s+)?(?:(?:[a-z]+\s+)?(steel|alloy|glass|ceramic|polymer|composite|film|coating|"
    r"weld|casting|sheet|plate|wire))s?\s*(?:no\.?|number|#|id|designation|code)?$",
    re.IGNORECASE,
)
_DESIGNATION_LABEL = re.compile(r"[A-Za-z]{0,3}-?\d{1,4}[A-Za-z]?|[A-Z]{1,3}")


def sample_designation(label_header: str, label: str) -> str | None:
    """The material of a row labelled by a specimen number under a header that names the material class:
    "Specimen steel No." and "2" -> "Specimen steel No. 2"; None where the label is not such a number or the
    header names no material class ("No.", "Sample" alone say nothing of what the sample is)."""
    head = re.sub(r"\s+", " ", strip_marks(label_header)).strip(" .:")
    code = label.strip(" .:")
    if not _DESIGNATION_HEADER.match(head) or not _DESIGNATION_LABEL.fullmatch(code):
        return None
    written = " ".join(strip_marks(label_header).split())
    return f"{written} {code}"


def _label_column(header: list[str]) -> int:
    for j, head in enumerate(header):
        if _LABEL_HEADER.match(strip_marks(head)):
            return j
    return 0


def _method_of(*texts: str) -> MethodHint | None:
    for text in texts:
        method = detect_method(text)
        if method.detail:
            return method.detail
        if method.kind != "unknown":
            return text.strip()
    return None


def _conditions(header: list[str], cells: list[str], skip: set[int]) -> list[tuple[str, str]]:
    """Other columns that state a condition: a header with a temperature or pressure unit and no property."""
    found = []
    for j, head in enumerate(header):
        if j in skip or header_properties(head) or cell_kind(cells[j]) != "N":
            continue
        units = header_units(head)
        if units and dimension_of(units[0]) in ("[temperature]", "[mass] / [length] / [time] ** 2"):
            found.append((strip_marks(head), cells[j].strip()))
    return found


def _value_text(cell: str, quantity: HeaderQuantity) -> tuple[str, bool] | None:
    """The value as written in a cell (footnote marks left out) and whether the header's unit applies
    (False when the cell writes its own unit, which must then fit the property)."""
    masked = mask_footnote_marks(cell)
    found = tag_quantities(masked, include_unitless=True)
    if not found:
        return None
    q = found[0]
    text = cell[q.span[0] : q.span[1]].strip()
    if q.unit is None:
        return text, True
    return (text, False) if q.dimension == canonical_dimension(quantity.property) else None


def _find_before(document: str, before: int, text: str, reach: int = 30_000) -> tuple[int, int] | None:
    """The last place before `before` where `text` is written (line breaks and spaces alike)."""
    words = text.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    lo = max(0, before - reach)
    found = None
    for m in pattern.finditer(document, lo, before):
        found = (m.start(), m.end())
    return found


def _caption_material(caption: str) -> str | None:
    """The one material a caption names ('... of rutile SnO2, as calculated ...'), if exactly one."""
    names = {w.strip(".,;:()") for w in caption.split()}
    found = [w for w in names if w and looks_like_material(w) and parse_formula(re.sub(r"^[a-zA-Z]{1,3}-", "", w))]
    return found[0] if len(found) == 1 else None


def table_facts(passage: Passage, properties: set[str] | None = None, document: str | None = None) -> list[TableFact]:
    """Every value of a table-row passage that its headers (or caption) make a property of a material.

    Args:
        document: the document text; with it, a material that stands outside the row (a transposed
            table's column header, or the caption's one material where the row labels are sources
            such as 'This work') is proposed with `material_at`, its offset in the document.
    """
    header = passage_header(passage)
    if not header:
        return []
    spans = row_cells(passage.text, len(header))
    if not spans:
        return []
    caption = passage_caption(passage)
    cells = [passage.text[s:e] for s, e in spans]
    label_col = _label_column(header)
    label = re.sub(r"\s+", " ", strip_marks(cells[label_col]))  # grounding finds it across a line break
    quantities = {j: header_quantity(header[j], caption, properties) for j in range(len(header)) if j != label_col}
    _spread_group_header(header, quantities)
    columns = {j: q for j, q in quantities.items() if q is not None}
    if not columns and header_quantity(label, caption, properties) is None:
        columns = _caption_columns(header, cells, caption, label_col, properties)
    facts: list[TableFact] = []
    if columns:
        material, material_at = label, None
        designation = sample_designation(header[label_col], label)
        if designation is not None:  # "Specimen steel No." | "2": the material is steel No. 2 of this paper
            material = designation
        elif not looks_like_material(label):
            named = _caption_material(caption) if _SOURCE.match(label) else None
            where = _find_before(document, passage.char_start, named) if document is not None and named else None
            if document is None or where is None:
                return []
            material, material_at = document[where[0] : where[1]], where[0]
        method_col = next((j for j, h in enumerate(header) if _METHOD_HEADER.match(strip_marks(h))), None)
        conditions = _conditions(header, cells, {label_col, *columns})
        for j, quantity in columns.items():
            value = _value_text(cells[j], quantity)
            if value is None:
                continue
            text, header_unit = value
            group_words = header_remainder(header[j], quantity.property)
            method = _method_of(
                group_words, cells[method_col] if method_col is not None else "", caption if len(columns) == 1 else ""
            )
            facts.append(
                TableFact(
                    Proposal(
                        material=material,
                        property=quantity.property,
                        value=text,
                        unit=quantity.unit if header_unit else None,
                        material_at=material_at,
                    ),
                    column=header[j],
                    method=_method_of(label) or label if material_at is not None else method,
                    conditions=conditions,
                )
            )
        return facts
    row_quantity = header_quantity(label, caption, properties)  # a transposed table: a property per row
    if row_quantity is None:
        return []
    for j, head in enumerate(header):
        if j == label_col or not looks_like_material(head):
            continue
        value = _value_text(cells[j], row_quantity)
        if value is None:
            continue
        text, header_unit = value
        name, material_at = strip_marks(head), None
        where = _find_before(document, passage.char_start, name) if document is not None else None
        if document is not None and where is not None:  # the header cell as it is written in the document
            name, material_at = document[where[0] : where[1]], where[0]
        facts.append(
            TableFact(
                Proposal(
                    material=name,
                    property=row_quantity.property,
                    value=text,
                    unit=row_quantity.unit if header_unit else None,
                    material_at=material_at,
                ),
                column=head,
                method=_method_of(caption),
                orientation="columns",
            )
        )
    return facts


def _spread_group_header(header: list[str], quantities: dict[int, HeaderQuantity | None]) -> None:
    """A spanning header over method columns: "Eg (eV) Exp." | "HSE06" | "PBE" (the PDF gives the group's
    name to its first column only). Columns headed by a method alone take the quantity of the group, which
    starts at a column whose header names a quantity and a method."""
    group: HeaderQuantity | None = None
    for j in sorted(quantities):
        head = strip_marks(header[j]).strip()
        if quantities[j] is not None:
            named = quantities[j]
            group = named if _method_of(head) or _SOURCE.search(head.split()[-1] if head else "") else None
        elif (
            group is not None
            and head
            and not re.match(r"refs?\b|reference", head, re.IGNORECASE)
            and (_SOURCE.match(head) or _method_of(head))
        ):
            quantities[j] = group
        else:
            group = None


def _caption_columns(
    header: list[str], cells: list[str], caption: str, label_col: int, properties: set[str] | None
) -> dict[int, HeaderQuantity]:
    """Value columns under headers that name no quantity ('PBE', 'HSE06'), when the caption names one
    property with a unit ('Calculated energy gaps (in eV)')."""
    named = [p for p in header_properties(caption) if properties is None or p in properties]
    if len(named) != 1:
        return {}
    quantity = header_quantity(caption, "", properties)
    if quantity is None or quantity.property != named[0]:
        return {}
    quantity = HeaderQuantity(quantity.property, quantity.unit, unit_from_caption=True)
    return {
        j: quantity
        for j, head in enumerate(header)
        if j != label_col and not header_units(head) and not _METHOD_HEADER.match(head) and cell_kind(cells[j]) == "N"
    }


def table_proposals(
    passage: Passage, properties: set[str] | None = None, *, document: str | None = None
) -> list[Proposal]:
    """Proposals for a table-row passage: property and unit from the column header, material from the row's label.

    Args:
        properties: only these properties (None: any in the vocabulary).
        document: the document text (PaperContext.text); with it, transposed tables (a material per
            column) and tables whose rows are sources ('This work', 'Exp.') under a caption that names
            one material give proposals whose material lies outside the row (`material_at`).
    """
    if passage.origin != "table":
        return []
    return [
        f.proposal
        for f in table_facts(passage, properties, document)
        if f.orientation == "rows" or f.proposal.material_at is not None
    ]
