"""The paper file and its parsed document: pages, blocks, sections, tables and figures.

All character offsets point into `ParsedDocument.text`, the text that `propmine parse` prints.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BBox = tuple[float, float, float, float]

SectionKind = Literal[
    "title",
    "abstract",
    "introduction",
    "methods",
    "results",
    "discussion",
    "conclusion",
    "acknowledgements",
    "references",
    "appendix",
    "other",
]


class PaperFile(BaseModel):
    """A local file to be read; its sha256 is the paper's identity everywhere."""

    paper_id: str = Field(description="sha256 of the file's bytes")
    source: str = Field(description="The path or URL that was read")
    path: str = Field(description="Local path of the file")
    kind: Literal["pdf", "text"]
    size_bytes: int


class Page(BaseModel):
    number: int = Field(description="1-based page number")
    width: float
    height: float
    char_start: int
    char_end: int


class ScriptSpan(BaseModel):
    """A run of sub- or superscript characters in the document text (kept so a viewer can render it)."""

    kind: Literal["sub", "sup"]
    char_start: int
    char_end: int


class Block(BaseModel):
    """A paragraph-like block of text in reading order."""

    kind: Literal["text", "heading", "caption", "table", "header_footer"] = "text"
    text: str
    page: int
    bbox: BBox
    char_start: int
    char_end: int
    section: SectionKind = "other"


class Section(BaseModel):
    title: str
    kind: SectionKind
    char_start: int
    char_end: int


class Table(BaseModel):
    """A table as a grid of cell texts; the first row is taken as the header."""

    number: int | None = Field(default=None, description="Table number from its caption, if any")
    page: int
    bbox: BBox
    caption: str = ""
    rows: list[list[str]]
    row_spans: list[tuple[int, int]] = Field(
        default=[], description="[start, end) of each row's line in the document text"
    )
    char_start: int = Field(description="Start of the table's text in the document text")
    char_end: int


class Figure(BaseModel):
    number: int | None = Field(default=None, description="Figure number from its caption, if any")
    page: int
    bbox: BBox = Field(description="The figure's region on the page, in PDF points")
    caption: str = ""
    caption_char_start: int | None = None
    caption_char_end: int | None = None
    kind: Literal["raster", "vector"]


class ParsedDocument(BaseModel):
    """What a parser makes of one file."""

    paper_id: str
    source: str
    kind: Literal["pdf", "text"]
    title: str | None = None
    text: str = Field(description="The whole document text in reading order")
    pages: list[Page] = []
    blocks: list[Block] = []
    sections: list[Section] = []
    tables: list[Table] = []
    figures: list[Figure] = []
    scripts: list[ScriptSpan] = []
    warnings: list[str] = []

    def page_at(self, char_offset: int) -> int | None:
        """The 1-based page holding a character offset, or None for plain text."""
        for page in self.pages:
            if page.char_start <= char_offset < page.char_end:
                return page.number
        return None

    def section_at(self, char_offset: int) -> SectionKind:
        """The kind of section holding a character offset ('other' when unknown)."""
        kind: SectionKind = "other"
        for section in self.sections:
            if section.char_start <= char_offset:
                kind = section.kind
        return kind
