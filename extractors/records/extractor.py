"""The RecordExtractor interface, and the rule-based extractor (a baseline and a stand-in).

An extractor reads candidate passages and proposes records as text spans; grounding, not the
extractor, decides what becomes a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from extractors.documents.passages import column_header, sentence_spans
from extractors.quantities.materials import find_materials
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of
from extractors.records.context import PaperContext
from extractors.records.pairing import sentence_pairs
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.vocabulary import Vocabulary, load_vocabulary


@dataclass
class PassageProposals:
    """What an extractor proposed for one passage, and what went wrong there."""

    passage: Passage
    proposals: list[Proposal] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    raw_output: str | None = None


class RecordExtractor(Protocol):
    """Anything that proposes records for passages: the LLM, the rules, a fake in tests."""

    info: ExtractorInfo

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        """Proposals for each passage; `context` holds the paper's material mentions (None: passages alone)."""
        ...


def unit_fits(unit: str | None, canonical: str) -> bool:
    if not canonical:
        return unit is None or dimension_of(unit) in (None, "dimensionless")
    return unit is not None and dimension_of(unit) == dimension_of(canonical)


class NoExtractor:
    """Proposes nothing: a batch that only parses and stores passages (for labeling, or to measure parsing)."""

    info = ExtractorInfo(name="none")

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        return [PassageProposals(p) for p in passages]


class RuleExtractor:
    """Pairs each value with its property mention and a recognized material (extractors.records.pairing).

    A transparent baseline for evaluation and the stand-in when no model is wanted (`--extractor rules`).
    Table rows take their property and unit from the column header and their material from the row label.
    """

    info = ExtractorInfo(name="rules", prompt_version="rules-v2")

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        vocab = load_vocabulary()
        out = []
        for passage in passages:
            found = PassageProposals(passage)
            if passage.origin == "table":
                found.proposals = _table_row(passage, properties, vocab)
                out.append(found)
                continue
            paper = context or PaperContext.of_text(passage.text, passage.char_start)
            for s, e in passage.sentence_spans or sentence_spans(passage.text):
                offset = passage.char_start + s
                for pair in sentence_pairs(passage.text[s:e], offset, vocab, paper, properties):
                    value = passage.text[s + pair.value.span[0] : s + pair.value.span[1]]
                    inside = passage.char_start <= pair.material.start and pair.material.end <= passage.char_end
                    found.proposals.append(
                        Proposal(
                            material=pair.material.text,
                            property=pair.property,
                            value=value,
                            material_at=None if inside else pair.material.start,
                        )
                    )
            out.append(found)
        return out


def _table_row(passage: Passage, properties: set[str] | None, vocab: Vocabulary) -> list[Proposal]:
    """A table row: each cell under a property's column is that property, the row's formula its material."""
    proposals = []
    materials = find_materials(passage.text)
    if not materials:
        return proposals
    mat = materials[0].text
    for q in tag_quantities(passage.text, include_unitless=True):
        column = column_header(passage, q.span[0])
        if column is None:
            continue
        named = [m[0] for m in vocab.mentions(column) if not properties or m[0] in properties]
        unit = q.unit or _header_unit(column)
        fitting = [name for name in named if unit_fits(unit, vocab.get(name).unit)]  # type: ignore[union-attr]
        if fitting:
            value = passage.text[q.span[0] : q.span[1]]
            proposals.append(Proposal(material=mat, property=fitting[0], value=value, unit=None if q.unit else unit))
    return proposals


def _header_unit(header: str) -> str | None:
    m = re.search(r"\(([^()]{1,12})\)", header)
    if m and dimension_of(m.group(1)) not in (None, "dimensionless"):
        return m.group(1)
    return None
