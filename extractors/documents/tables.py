"""Tables as first-class input: re-assembled from flattened text, laid out from word positions, and read.

Three jobs, all without PyMuPDF (pdf.py hands over words and rules, so everything here is
testable on plain data):

- **Flattened text.** pdf-to-text tools write a table one cell per line after its "Table N."
  caption: header cells first, then each row's cells, long cells wrapped over two lines.
  `flattened_tables` finds such runs of short lines, chooses the column count and the header
  length that explain the most lines (every row starts with its label and holds the same kinds
  of cells in the same order: a number where the first row has a number), and returns `Table`s
  whose `row_spans` are exact offsets of each row's lines in the document text.
- **Headers.** `table_grid` turns a raw grid (from any source) into header + body: a title row
  ("Table 3") moves to the caption, header rows are joined per column ("Yield strength" over
  "(MPa)"), and a merged cell over several columns ("Band gap (eV)" over "PBE | HSE06") prefixes
  each of them. `header_quantity` reads a property and its unit from a header cell ("Eg (eV)",
  "Band gap / eV", "Eg [eV]", "Yield strength, MPa"), with footnote marks stripped and the unit
  checked against the property's dimension.
- **Tables without ruling lines in PDFs.** `layout_table` reads the words below a caption:
  rows from their heights, columns from the gaps that no word of the table's body crosses,
  multi-line cells from lines that start no new row, the header from the lines above the first
  row of values.

A table row becomes one passage (`table_passages`); `row_cells` finds its cells again inside
the row's text, so a value's column (and header) is known from its offset.

The parts live in `table_cells` (cells, headers, grids), `table_text` (flattened text) and
`table_layout` (PDF word layout); this module makes the passages and re-exports their names.
"""

from __future__ import annotations

from extractors.documents.table_cells import (
    CAPTION,
    CELL_LINE_CHARS,
    CELL_SEPARATOR,
    HeaderQuantity,
    canonical_dimension,
    cell_kind,
    fold,
    header_properties,
    header_quantity,
    header_remainder,
    mask_footnote_marks,
    table_grid,
)
from extractors.documents.table_layout import Word, header_from_words, layout_table
from extractors.documents.table_text import (
    caption_number,
    flattened_tables,
    flattened_tables_with_captions,
    row_cells,
)
from extractors.quantities.tagger import shifted, tag_quantities
from extractors.quantities.units import header_units, strip_marks
from schemas.document import ParsedDocument
from schemas.passage import Passage
from schemas.quantity import Quantity

__all__ = [
    "CAPTION",
    "CELL_LINE_CHARS",
    "CELL_SEPARATOR",
    "HeaderQuantity",
    "Word",
    "canonical_dimension",
    "caption_number",
    "cell_header",
    "cell_kind",
    "cell_quantities",
    "flattened_tables",
    "flattened_tables_with_captions",
    "fold",
    "header_from_words",
    "header_properties",
    "header_quantity",
    "header_remainder",
    "header_units",
    "layout_table",
    "mask_footnote_marks",
    "passage_caption",
    "passage_header",
    "row_cells",
    "strip_marks",
    "table_grid",
    "table_passages",
]

# ---------------------------------------------------------------------------------------------
# Passages


def table_passages(doc: ParsedDocument) -> list[Passage]:
    """One passage per body row of each table, its context the caption and the header row.

    The header line of the context is the header cells joined by ' | ' (whatever the row text
    looks like), so `cell_header` can pair a row's cells with it.
    """
    passages: list[Passage] = []
    for table in doc.tables:
        if len(table.row_spans) < 2 or len(table.rows) != len(table.row_spans):
            continue
        header = CELL_SEPARATOR.join(table.rows[0])
        context = "\n".join(x for x in (table.caption, header) if x)
        for start, end in table.row_spans[1:]:
            passages.append(
                Passage(
                    passage_id=f"{doc.paper_id}:{start}:{end}",
                    paper_id=doc.paper_id,
                    text=doc.text[start:end],
                    context=context,
                    char_start=start,
                    char_end=end,
                    origin="table",
                    page=table.page if doc.pages else None,
                    bbox=table.bbox if doc.pages else None,
                    section=doc.section_at(start),
                    sentence_spans=[(0, end - start)],
                    table_number=table.number,
                )
            )
    return passages


def passage_header(passage: Passage) -> list[str]:
    """The header cells of a table-row passage (the last line of its context)."""
    if passage.origin != "table" or not passage.context:
        return []
    return passage.context.splitlines()[-1].split(CELL_SEPARATOR)


def passage_caption(passage: Passage) -> str:
    """The caption of a table-row passage (the context before its header line)."""
    lines = passage.context.splitlines()
    return " ".join(lines[:-1])


def cell_quantities(passage: Passage) -> list[Quantity]:
    """The quantities of a table-row passage, tagged cell by cell (spans into the passage text).

    Tagging the row as one text would read a missing-value dash between two cells as a range
    ('4.06 / – / 1.48' in flattened text) and a footnote mark glued to a number as a word
    ('3.37a' as 3); cell by cell, with the marks blanked out, each value is its own quantity.
    """
    header = passage_header(passage)
    spans = row_cells(passage.text, len(header)) if header else []
    if not spans:
        return tag_quantities(mask_footnote_marks(passage.text), include_unitless=True)
    found: list[Quantity] = []
    for start, end in spans:
        for q in tag_quantities(mask_footnote_marks(passage.text[start:end]), include_unitless=True):
            found.append(shifted(q, start, passage.text))
    return found


def cell_header(passage: Passage, offset: int) -> str | None:
    """For a table-row passage, the header cell above the cell holding `offset` (passage-relative)."""
    header = passage_header(passage)
    if not header:
        return None
    for (start, end), head in zip(row_cells(passage.text, len(header)), header, strict=False):
        if start <= offset < max(end, start + 1):
            return head
    return None
