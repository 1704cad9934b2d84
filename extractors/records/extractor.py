"""The RecordExtractor interface, and the rule-based extractor (a baseline and a stand-in).

An extractor reads candidate passages and proposes records as text spans; grounding, not the
extractor, decides what becomes a fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from extractors.documents.passages import sentence_spans
from extractors.records.context import PaperContext
from extractors.records.pairing import sentence_pairs
from extractors.records.table_records import table_proposals
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

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        """Proposals for each passage; `context` holds the paper's material mentions (None: passages alone)."""
        ...


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
                found.proposals = table_proposals(passage, properties, document=context.text if context else None)
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
