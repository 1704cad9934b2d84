"""Passages: the pieces of a document the extractor reads, each with its provenance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from schemas.document import BBox, SectionKind

Origin = Literal["text", "table", "caption", "figure"]


class Passage(BaseModel):
    """A few sentences (or one table row with its header) with offsets into the document text."""

    passage_id: str = Field(description="paper_id:char_start:char_end")
    paper_id: str
    text: str = Field(description="Exactly document_text[char_start:char_end]")
    context: str = Field(
        default="",
        description="Shown to the extractor before the text (a table's caption and header row); never grounded against",
    )
    char_start: int = Field(description="Offset of text[0] in the document text")
    char_end: int
    origin: Origin = "text"
    page: int | None = None
    bbox: BBox | None = None
    section: SectionKind = "other"
    sentence_spans: list[tuple[int, int]] = Field(default=[], description="Sentence offsets within the passage text")
    figure_number: int | None = None
    table_number: int | None = None
