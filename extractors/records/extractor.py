"""The RecordExtractor interface, and the rule-based extractor (a baseline and a stand-in).

An extractor reads candidate passages and proposes records as text spans; grounding, not the
extractor, decides what becomes a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from extractors.documents.passages import column_header, sentence_spans
from extractors.quantities.formulas import parse_formula
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.vocabulary import load_vocabulary


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

    def propose(self, passages: list[Passage], properties: set[str] | None = None) -> list[PassageProposals]: ...


_WORD = re.compile(r"[A-Za-z0-9α-ωΑ-Ω()\[\]\-./+]+")


def material_candidates(text: str) -> list[tuple[int, int]]:
    """Spans of formula-like words (TiO2, H-MoSe2, Ba0.5Sr0.5TiO3) in a text."""
    spans = []
    for m in _WORD.finditer(text):
        word = m.group(0).strip(".,;:()[]")
        core = re.sub(r"^(?:[a-zA-Z0-9]{1,3}-)", "", word)
        counts = parse_formula(core)
        if counts and (len(counts) > 1 or re.search(r"\d", core) or core in ("Si", "Ge", "C")):
            start = m.start() + m.group(0).find(word)
            spans.append((start, start + len(word)))
    return spans


def unit_fits(unit: str | None, canonical: str) -> bool:
    if not canonical:
        return unit is None or dimension_of(unit) in (None, "dimensionless")
    return unit is not None and dimension_of(unit) == dimension_of(canonical)


class NoExtractor:
    """Proposes nothing: a batch that only parses and stores passages (for labeling, or to measure parsing)."""

    info = ExtractorInfo(name="none")

    def propose(self, passages: list[Passage], properties: set[str] | None = None) -> list[PassageProposals]:
        return [PassageProposals(p) for p in passages]


class RuleExtractor:
    """Pairs each quantity with the nearest property mention and formula in its sentence.

    A transparent baseline for evaluation and the stand-in when no model is wanted (`--extractor rules`).
    """

    info = ExtractorInfo(name="rules", prompt_version="rules-v1")

    def propose(self, passages: list[Passage], properties: set[str] | None = None) -> list[PassageProposals]:
        vocab = load_vocabulary()
        out = []
        for passage in passages:
            found = PassageProposals(passage)
            text = passage.text
            header = passage.context
            for s, e in passage.sentence_spans or sentence_spans(text):
                sentence = text[s:e]
                mentions = vocab.mentions(sentence) or vocab.mentions(header)
                if properties:
                    mentions = [m for m in mentions if m[0] in properties]
                materials = material_candidates(sentence)
                if not mentions or not materials:
                    continue
                for q in tag_quantities(sentence, include_unitless=bool(header)):
                    column = column_header(passage, s + q.span[0])
                    if column is not None:  # a table cell: the property is its column's
                        mentions = [m for m in vocab.mentions(column) if not properties or m[0] in properties]
                        header = column
                    fitting = [m for m in mentions if unit_fits(q.unit, vocab.get(m[0]).unit)]  # type: ignore[union-attr]
                    unit = None
                    if not fitting and q.unit is None and header:
                        unit = _header_unit(header)
                        fitting = [m for m in mentions if unit and unit_fits(unit, vocab.get(m[0]).unit)]  # type: ignore[union-attr]
                    if not fitting:
                        continue
                    prop = min(fitting, key=lambda m: abs(m[1] - q.span[0]))[0]
                    before = [m for m in materials if m[1] <= q.span[0]] or materials
                    mat = min(before, key=lambda m: abs(m[1] - q.span[0]))
                    found.proposals.append(
                        Proposal(
                            material=sentence[mat[0] : mat[1]],
                            property=prop,
                            value=sentence[q.span[0] : q.span[1]],
                            unit=unit,
                        )
                    )
            out.append(found)
        return out


def _header_unit(header: str) -> str | None:
    m = re.search(r"\(([^()]{1,12})\)", header)
    if m and dimension_of(m.group(1)) not in (None, "dimensionless"):
        return m.group(1)
    return None
