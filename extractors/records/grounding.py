"""Grounding: a proposed record becomes a fact only if its value, unit and material are in the passage.

This is propmine's guard against its worst failure, a convincing number that is not in the paper.
The value must be a quantity the tagger finds in the passage (same text, or same number and unit);
the material must be found exactly, then case- and spacing-tolerantly; the unit must fit the
property's dimension. Anything else becomes a RejectedRecord with the reason, kept for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.documents.passages import column_header, sentence_spans
from extractors.documents.tables import cell_quantities, header_properties, passage_header, row_cells
from extractors.quantities.formulas import normalize_formula
from extractors.quantities.materials import is_material
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of, header_units, to_canonical
from extractors.records.context import PaperContext
from extractors.records.method import detect_method
from extractors.records.pairing import is_fraction
from extractors.records.table_records import sample_designation
from schemas.errors import InputError
from schemas.passage import Passage
from schemas.quantity import Quantity
from schemas.record import (
    Condition,
    Evidence,
    ExtractorInfo,
    Proposal,
    Record,
    RejectedRecord,
    Spans,
)
from schemas.vocabulary import load_vocabulary

_NUMBER = re.compile(r"[-−–]?\d+(?:[.,]\d+)?")
CONDITION_DIMENSIONS = {
    "[temperature]": "temperature",
    "[mass] / [length] / [time] ** 2": "pressure",
    "[length]": "wavelength",
    "1 / [time]": "frequency",
}


@dataclass
class Grounded:
    """The outcome of grounding one proposal: a record, or the reason it was rejected."""

    record: Record | None
    rejected: RejectedRecord | None


def _squash(text: str) -> str:
    return re.sub(r"[\s\-‐–—_]+", "", text).lower()


def find_material(material: str, text: str) -> tuple[int, int] | None:
    """Span of the material in text: exact, then case-insensitive, then ignoring spaces/hyphens."""
    material = material.strip()
    if not material:
        return None
    at = text.find(material)
    if at >= 0:
        return at, at + len(material)
    m = re.search(re.escape(material), text, re.IGNORECASE)
    if m:
        return m.start(), m.end()
    target = _squash(material)
    if len(target) < 2:
        return None
    # Map positions of the squashed text back to the original to find a tolerant match.
    keep = [i for i, ch in enumerate(text) if not re.match(r"[\s\-‐–—_]", ch)]
    squashed = "".join(text[i] for i in keep).lower()
    at = squashed.find(target)
    if at < 0:
        return None
    return keep[at], keep[at + len(target) - 1] + 1


def _numbers(text: str) -> list[float]:
    return [float(n.replace("−", "-").replace("–", "-").replace(",", ".")) for n in _NUMBER.findall(text)]


def _designation_span(passage: Passage, material: str) -> tuple[int, int] | None:
    """The row label's span where a table row names its material by a specimen number under a header that
    names the material class ("Specimen steel No." | "2" -> "Specimen steel No. 2"; table_records)."""
    header = passage_header(passage)
    if not header or passage.origin != "table":
        return None
    spans = row_cells(passage.text, len(header))
    if not spans:
        return None
    for j, (start, end) in enumerate(spans):
        if sample_designation(header[j], passage.text[start:end]) == material:
            return start, end
    return None


def _row_label_states(passage: Passage, quantities: list[Quantity], prop: str, unit: str) -> bool:
    """Whether a table row's label (its text before its first value) names `prop` with `unit`."""
    if passage.origin != "table" or not quantities:
        return False
    label = passage.text[: min(q.span[0] for q in quantities)]
    return prop in header_properties(label) and unit in header_units(label)


def find_quantity(value_text: str, quantities: list[Quantity], text: str) -> Quantity | None:
    """The tagged quantity a proposal's value text refers to: same text, else same numbers."""
    value_text = value_text.strip()
    for q in quantities:
        if q.text == value_text or text[q.span[0] : q.span[1]] == value_text:
            return q
    wanted = _numbers(value_text)
    if not wanted:
        return None
    for q in quantities:
        got = [q.value] + ([q.value_max] if q.value_max is not None else [])
        if abs(got[0] - wanted[0]) <= 1e-9 * max(1.0, abs(wanted[0])) and (len(wanted) == 1 or got[-1] == wanted[-1]):
            return q
    return None


def _sentence_around(passage: Passage, start: int, end: int) -> tuple[int, int]:
    spans = passage.sentence_spans or sentence_spans(passage.text)
    for s, e in spans:
        if s <= start < e:
            return s, max(e, end)
    return 0, len(passage.text)


_CLAUSE_BREAK = re.compile(r";|,\s*(?:and|while|whereas|but|which)\b|\b(?:while|whereas)\b")


def _conditions(quantities: list[Quantity], value_q: Quantity, sentence: tuple[int, int], text: str) -> list[Condition]:
    """Temperatures, pressures, wavelengths and frequencies of the value's sentence that belong to the value.

    A condition belongs to the value nearest to it: in "the band gap is 3.2 eV and the permittivity is 25
    at 1 kHz" the frequency is the permittivity's, and in "10^5 cm-1 at 350 nm" the wavelength is the
    absorption coefficient's.
    """
    inside = [q for q in quantities if sentence[0] <= q.span[0] < sentence[1]]
    conditions = [q for q in inside if q.unit and CONDITION_DIMENSIONS.get(q.dimension or "") and q is not value_q]
    values = [q for q in inside if q not in conditions]

    def distance(a: Quantity, b: Quantity) -> int:
        return max(a.span[0] - b.span[1], b.span[0] - a.span[1], 0)

    found = []
    for q in conditions:
        between = text[min(q.span[1], value_q.span[1]) : max(q.span[0], value_q.span[0])]
        if min(values, key=lambda v: distance(q, v)) is value_q and not _CLAUSE_BREAK.search(between):
            name = CONDITION_DIMENSIONS[q.dimension or ""]
            found.append(Condition(name=name, value=q.value, unit=q.unit, text=text[q.span[0] : q.span[1]]))
    return found


def ground_proposal(
    proposal: Proposal, passage: Passage, info: ExtractorInfo, source: str, context: PaperContext | None = None
) -> Grounded:
    """Turn one proposal into a grounded, normalized Record, or a RejectedRecord with the reason.

    The material must be something a material can be (extractors.quantities.materials.is_material: not a
    variable letter, an English word, a method or a space group). A material outside the passage
    (`proposal.material_at`, an offset into the document) is grounded only with the paper's `context`, and
    only if the material is written at that offset.
    """

    def reject(reason: str) -> Grounded:
        return Grounded(
            None,
            RejectedRecord(
                paper_id=passage.paper_id,
                source=source,
                passage_id=passage.passage_id,
                reason=reason,
                proposed=proposal.model_dump(),
                extractor=info,
            ),
        )

    vocab = load_vocabulary()
    prop = vocab.get(proposal.property) or vocab.get(vocab.resolve(proposal.property) or "")
    if prop is None:
        return reject(f"unknown property {proposal.property!r}")
    text = passage.text
    # a table row is tagged cell by cell: "3.37a" is 3.37 with a footnote mark, "4.06 / – / 1.48" three cells
    quantities = cell_quantities(passage) if passage.origin == "table" else tag_quantities(text, include_unitless=True)
    q = find_quantity(proposal.value, quantities, text)
    if q is None:
        return reject(f"value {proposal.value!r} not found in the passage")
    unit = q.unit
    column = column_header(passage, q.span[0])
    if column is not None:
        named = set(header_properties(column))
        if named and prop.name not in named:
            return reject(f"value {proposal.value!r} is in the {column!r} column, not {prop.name}")
        column_unit = next(iter(header_units(column)), None)
        if unit is None and column_unit:
            unit = column_unit
    if unit is None and proposal.unit:
        # A bare table cell takes its unit from the header, which must say it, or, in a transposed table
        # (a property per row), from the row's label: "Eg [eV] | 3.05 | 1.66".
        if proposal.unit not in passage.context and not _row_label_states(
            passage, quantities, prop.name, proposal.unit
        ):
            return reject(f"unit {proposal.unit!r} not found in the passage or its table header")
        unit = proposal.unit
    value_canonical = value_max_canonical = None
    if unit is None and is_fraction(prop.name, q):
        value_canonical = q.value * 100  # a percentage stated as a fraction: "a fill factor of 0.54"
    elif prop.unit:
        if unit is None:
            return reject(f"value {proposal.value!r} has no unit; {prop.name} needs {prop.unit}")
        try:
            value_canonical = to_canonical(q.value, unit, prop.unit)
            if q.value_max is not None:
                value_max_canonical = to_canonical(q.value_max, unit, prop.unit)
        except InputError as err:
            return reject(f"unit {unit!r} does not fit {prop.name}: {err}")
    elif unit is not None and dimension_of(unit) not in (None, "dimensionless"):
        return reject(f"unit {unit!r} does not fit the dimensionless {prop.name}")
    else:
        value_canonical, value_max_canonical = q.value, q.value_max
    off = passage.char_start
    document = context.text if context is not None else None
    mat = find_material(proposal.material, text)
    designated = None
    if mat is not None:
        mat_span = (off + mat[0], off + mat[1])
        material = text[mat[0] : mat[1]]
    elif (
        proposal.material_at is not None
        and document is not None
        and proposal.material
        and (document[proposal.material_at : proposal.material_at + len(proposal.material)] == proposal.material)
    ):
        mat_span = (proposal.material_at, proposal.material_at + len(proposal.material))
        material = proposal.material
    elif (designated := _designation_span(passage, proposal.material)) is not None:
        mat_span, material = (off + designated[0], off + designated[1]), proposal.material
    else:
        return reject(f"material {proposal.material!r} not found in the passage")
    if designated is None and not is_material(material, context.abbreviations if context is not None else None):
        return reject(f"{material!r} is not a material")
    mention = context.mention_at(*mat_span) if context is not None else None
    formula = mention.formula if mention is not None else normalize_formula(material)
    sent = _sentence_around(passage, q.span[0], q.span[1])
    mentions = [m for m in vocab.mentions(text) if m[0] == prop.name]
    prop_span = min(mentions, key=lambda m: abs(m[1] - q.span[0]))[1:] if mentions else None
    sentence_text = text[sent[0] : sent[1]]
    record = Record(
        paper_id=passage.paper_id,
        source=source,
        material=material,
        formula=formula,
        property=prop.name,
        property_text=text[prop_span[0] : prop_span[1]] if prop_span else prop.label,
        value=q.value,
        value_max=q.value_max,
        uncertainty=q.uncertainty,
        qualifier=q.qualifier,
        unit=unit,
        value_canonical=value_canonical,
        value_max_canonical=value_max_canonical,
        unit_canonical=prop.unit or None,
        conditions=_conditions(quantities, q, sent, text),
        method=detect_method(sentence_text, passage.context),
        spans=Spans(
            value=(off + q.span[0], off + q.span[1]),
            material=mat_span,
            property=(off + prop_span[0], off + prop_span[1]) if prop_span else None,
        ),
        evidence=Evidence(
            text=sentence_text,
            char_start=off + sent[0],
            char_end=off + sent[1],
            page=passage.page,
            bbox=passage.bbox,
            origin=passage.origin,
        ),
        extractor=info,
    )
    return Grounded(record.with_id(), None)
