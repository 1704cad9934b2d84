"""What a paper says about its materials, read once: every material mention, abbreviations, its subject.

An extractor reads a sentence, but the sentence often names its material only by reference: the
material stands in the sentence before ("Its band gap is 2.1 eV"), in an abbreviation defined earlier
("hexagonal boron nitride (hBN)"), or in the title. `PaperContext` holds the recognized material
mentions of the whole document with their offsets, so that a record's material is always a real
mention of the paper (grounded by its offset), never a word the extractor made up.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace

from extractors.quantities.materials import MaterialMention, abbreviations, find_materials, paper_subject
from schemas.document import ParsedDocument

PREVIOUS_REACH_CHARS = 600
# A material named as a substrate, an electrode or a tool is not what the next sentence is about.
_SUPPORT = re.compile(r"\b(?:on|onto|substrates?|with|by|using|from|electrodes?|contacts?)\s+(?:a |an |the )?$", re.I)
# "the samarium atom", "Sm moments", "the Fe site": a constituent of the material, not the material
_CONSTITUENT = re.compile(
    r"^[\s-]*(?:magnetic\s+|\d?[dfps]\s+)?(?:atoms?|ions?|sites?|moments?|sublattices?|vacanc(?:y|ies)|"
    r"dopants?|impurit(?:y|ies)|spins?|orbitals?|states?|shells?|nucle(?:us|i))\b",
    re.I,
)


@dataclass
class PaperContext:
    """The material mentions of one document (offsets into its text) and its subject."""

    text: str
    mentions: list[MaterialMention] = field(default_factory=list)
    subject: MaterialMention | None = None
    abbreviations: dict[str, str] = field(default_factory=dict)
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, doc: ParsedDocument) -> PaperContext:
        """Read the document's material mentions once (a regex pass: well under a second for a paper)."""
        text = doc.text
        short_forms = abbreviations(text)
        mentions = list(find_materials(text, short_forms))  # a short form defined anywhere counts
        mentions.sort(key=lambda m: m.start)
        abstract = _abstract(doc)
        subjects = paper_subject(doc.title, abstract) if abstract or doc.title else []
        subject = None
        if subjects:  # the subject as it stands in the text, so that its offset grounds it
            first = subjects[0]
            subject = next((m for m in mentions if m.text == first.text), None)
        paragraphs = sorted((b.char_start, b.char_end) for b in doc.blocks) or [(0, len(text))]
        return cls(text, mentions, subject, short_forms, paragraphs, [m.start for m in mentions])

    @classmethod
    def of_text(cls, text: str, offset: int = 0) -> PaperContext:
        """The mentions of one passage alone (no paper around it), offsets shifted to where it starts."""
        short_forms = abbreviations(text)
        mentions = [replace(m, start=m.start + offset, end=m.end + offset) for m in find_materials(text, short_forms)]
        starts = [m.start for m in mentions]
        return cls(" " * offset + text, mentions, None, short_forms, [(offset, offset + len(text))], starts)

    def in_span(self, start: int, end: int) -> list[MaterialMention]:
        """Mentions inside [start, end) of the document text."""
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]

    def mention_at(self, start: int, end: int) -> MaterialMention | None:
        """The recognized mention with exactly this span, if any."""
        return next((m for m in self.in_span(start, end) if (m.start, m.end) == (start, end)), None)

    def before(self, offset: int) -> MaterialMention | None:
        """The last mention before `offset` in the same paragraph, within PREVIOUS_REACH_CHARS."""
        para = next(((s, e) for s, e in self.paragraphs if s <= offset < e), (0, offset))
        start = max(para[0], offset - PREVIOUS_REACH_CHARS)
        found = [
            m
            for m in self.in_span(start, offset)
            if not _SUPPORT.search(self.text[max(0, m.start - 14) : m.start])
            and not _CONSTITUENT.match(self.text[m.end : m.end + 30])
        ]
        return found[-1] if found else None


def _abstract(doc: ParsedDocument) -> str:
    """The abstract's text, or the first 1,500 characters where no section says 'abstract'."""
    for section in doc.sections:
        if section.kind == "abstract":
            return doc.text[section.char_start : section.char_end][:3000]
    return doc.text[:1500]
