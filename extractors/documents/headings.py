"""Section headings: the kind of section a heading line names ("2. Methods" -> "methods")."""

from __future__ import annotations

import re

from schemas.document import SectionKind

# Headings as they stand alone on a line of a plain-text paper: "2. Methods", "II. RESULTS", "Abstract".
_HEADING_WORDS: dict[str, SectionKind] = {
    "abstract": "abstract",
    "introduction": "introduction",
    "background": "introduction",
    "methods": "methods",
    "method": "methods",
    "methodology": "methods",
    "experimental": "methods",
    "experimental details": "methods",
    "experimental section": "methods",
    "experimental methods": "methods",
    "materials and methods": "methods",
    "computational details": "methods",
    "computational methods": "methods",
    "results": "results",
    "results and discussion": "results",
    "discussion": "discussion",
    "conclusion": "conclusion",
    "conclusions": "conclusion",
    "summary": "conclusion",
    "acknowledgements": "acknowledgements",
    "acknowledgments": "acknowledgements",
    "references": "references",
    "bibliography": "references",
    "appendix": "appendix",
}
_HEADING_RE = re.compile(r"^\s*(?:[0-9]+\.?|[IVX]+\.)?\s*([A-Za-z][A-Za-z ]{2,40}?)\s*:?\s*$")


def heading_kind(line: str) -> SectionKind | None:
    """The section kind a heading line names ("2. Methods" -> "methods"), or None."""
    if "\n" in line.strip():
        return None
    m = _HEADING_RE.match(line)
    return _HEADING_WORDS.get(m.group(1).strip().lower()) if m else None
