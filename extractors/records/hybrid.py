"""The model and the rules together: the rules' pairs, and what the model adds that the rules can check.

The rules (extractors.records.pairing) are precise where a sentence states a value plainly, and they
read lists, "respectively" and tables; the fine-tuned model reads phrasings the rules do not know. A
model proposal joins the rules' pairs only if it passes the same checks the rules apply to their own:
its material is a recognized mention of the paper (not a variable, a method word or a fragment), and
its value, in its sentence, is not a look-alike of the property (a photon energy, an offset, a
change). Where both name the same value, the rules' pairing of value and material is kept.
"""

from __future__ import annotations

from extractors.documents.passages import sentence_spans
from extractors.quantities.materials import is_material
from extractors.quantities.tagger import tag_quantities
from extractors.records.context import PaperContext
from extractors.records.extractor import PassageProposals, RecordExtractor, RuleExtractor
from extractors.records.grounding import find_quantity
from extractors.records.pairing import value_is_lookalike
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.vocabulary import load_vocabulary


class HybridExtractor:
    """Proposals of the rules, plus the model's proposals that survive the rules' checks."""

    def __init__(self, model: RecordExtractor, rules: RecordExtractor | None = None) -> None:
        self.model = model
        self.rules = rules or RuleExtractor()
        info = model.info
        self.info = ExtractorInfo(
            name=info.name,
            base_model=info.base_model,
            adapter=info.adapter,
            adapter_sha256=info.adapter_sha256,
            prompt_version=f"{info.prompt_version}+{self.rules.info.prompt_version}",
        )

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        by_rules = self.rules.propose(passages, properties, context)
        by_model = self.model.propose(passages, properties, context)
        vocab = load_vocabulary()
        out = []
        for ruled, modelled in zip(by_rules, by_model, strict=True):
            passage = ruled.passage
            merged = PassageProposals(passage, list(ruled.proposals), modelled.errors, modelled.raw_output)
            quantities = tag_quantities(passage.text, include_unitless=passage.origin == "table")
            taken = set()
            for p in ruled.proposals:
                q = find_quantity(p.value, quantities, passage.text)
                taken.add((p.property, q.span if q else p.value))
            for p in modelled.proposals:
                q = find_quantity(p.value, quantities, passage.text)
                if q is None or (p.property, q.span) in taken:
                    continue
                if not is_material(p.material, context.abbreviations if context else None):
                    continue
                if passage.origin != "table" and _lookalike(passage, q.span, p.property, vocab):
                    continue
                taken.add((p.property, q.span))
                merged.proposals.append(Proposal(material=p.material, property=p.property, value=p.value, unit=p.unit))
            out.append(merged)
        return out


def _lookalike(passage: Passage, span: tuple[int, int], prop: str, vocab) -> bool:  # noqa: ANN001
    for s, e in passage.sentence_spans or sentence_spans(passage.text):
        if s <= span[0] < e:
            return value_is_lookalike(passage.text[s:e], (span[0] - s, span[1] - s), prop, vocab)
    return True
