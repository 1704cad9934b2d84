"""From a path to a ParsedDocument: the file checks, plain-text parsing, and the PDF/text dispatch.

A file is what its bytes are, whatever its name: a PDF named .docx is read as a PDF, a text file
named .docx as text (with a note saying so), and a real Word or OpenDocument file is refused with
a message that names it, since propmine reads PDF and text only.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path
from typing import Literal

from extractors.documents.headings import heading_kind
from extractors.documents.pdf import parse_pdf
from extractors.documents.tables import flattened_tables_with_captions
from schemas.document import Block, PaperFile, ParsedDocument, Section, Table
from schemas.errors import InputError

TEXT_SUFFIXES = {".txt", ".text", ".md"}
# Names of formats propmine does not read: a file so named that holds a PDF or plain text is read as what it holds,
# with a note.
DOCUMENT_SUFFIXES = {".docx", ".doc", ".docm", ".odt", ".rtf", ".pages", ".epub", ".pptx", ".ppt", ".xlsx", ".xls"}
# C0 and C1 control characters other than tab, line feed, carriage return and form feed: a text that holds them
# was decoded with a wrong font map or encoding somewhere (a PDF's "±" extracted as \x02).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_paper(path: str | Path, max_file_mb: float = 200.0, source: str | None = None) -> PaperFile:
    """Check a local file cheaply (exists, size, kind) and identify it by its sha256.

    Raises:
        InputError: missing, a directory, empty, too large, or neither a PDF nor a text file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; name a PDF or text file (or use `propmine batch` for folders)")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p}: the file is empty")
    if size > max_file_mb * 1024 * 1024:
        raise InputError(f"{p}: {size / 2**20:.0f} MB is over the {max_file_mb:.0f} MB limit")
    with p.open("rb") as fh:
        head = fh.read(1024)
    kind: Literal["pdf", "text"]
    if b"%PDF-" in head:
        kind = "pdf"
    elif (office := _office_format(p, head)) is not None:
        raise InputError(f"{p}: {office}; propmine reads PDF and plain text only: save it as PDF (or text) first")
    elif p.suffix.lower() in TEXT_SUFFIXES:
        kind = "text"
    elif p.suffix.lower() == ".pdf":
        raise InputError(f"{p}: not a PDF (no %PDF header): the file is damaged or of another type")
    elif b"\x00" in head:
        raise InputError(f"{p}: neither a PDF nor a text file")
    else:
        kind = "text"
    return PaperFile(paper_id=sha256_file(p), source=source or str(p), path=str(p), kind=kind, size_bytes=size)


def _office_format(path: Path, head: bytes) -> str | None:
    """What office format the bytes are (a Word, OpenDocument, ... file), or None for anything else."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: Word 97-2003, Excel, PowerPoint
        return "an old Microsoft Office document (.doc/.xls/.ppt)"
    if head.startswith(b"{\\rtf"):
        return "an RTF document"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "a damaged ZIP archive"
    if "word/document.xml" in names:
        return "a Word document (.docx)"
    if "ppt/presentation.xml" in names or "xl/workbook.xml" in names:
        return "a PowerPoint or Excel file"
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return "an OpenDocument file (.odt)"
    if mimetype == "application/epub+zip":
        return "an EPUB book"
    return "a ZIP archive (unpack it and name the PDFs or text files inside)"


def read_text_file(path: str | Path) -> str:
    """A text file's characters exactly as stored (a UTF-8 BOM dropped, line ends untouched):
    the text that record spans of a text file point into.

    Raises:
        InputError: the bytes are not UTF-8.
    """
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not UTF-8 text (byte {err.start}); convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from err


def parse_text_file(paper: PaperFile) -> ParsedDocument:
    """A plain UTF-8 text file as a document: paragraphs (blank-line separated) as blocks, and the
    tables that pdf-to-text flattened one cell per line, re-assembled (extractors.documents.tables).

    A table's caption becomes a caption block and its cells a table block, so that no sentence
    passage runs through the cells: each table row is read as a row, once.

    Offsets are into the file's own text, so a span can be checked against the file itself.

    Raises:
        InputError: the bytes are not UTF-8, or there is no text.
    """
    text = read_text_file(paper.path)
    if not text.strip():
        raise InputError(f"{paper.path}: the file holds no text")
    found = flattened_tables_with_captions(text)
    tables = [table for table, _ in found]
    cuts = _table_cuts(found)
    blocks: list[Block] = []
    sections: list[Section] = []
    current = "other"
    for m in re.finditer(r"[^\n](?:.|\n(?!\s*\n))*", text):
        for start, end, kind in _split_block(m.start(), m.end(), cuts):
            block_text = text[start:end]
            if not block_text.strip():
                continue
            heading = heading_kind(block_text) if kind == "text" else None
            if heading:
                current = heading
                sections.append(Section(title=block_text.strip(), kind=heading, char_start=start, char_end=end))
            blocks.append(
                Block(
                    kind="heading" if heading else kind,  # type: ignore[arg-type]
                    text=block_text,
                    page=1,
                    bbox=(0.0, 0.0, 0.0, 0.0),
                    char_start=start,
                    char_end=end,
                    section=current,  # type: ignore[arg-type]
                )
            )
    for i, section in enumerate(sections):
        end = sections[i + 1].char_start if i + 1 < len(sections) else len(text)
        sections[i] = section.model_copy(update={"char_end": end})
    return ParsedDocument(
        paper_id=paper.paper_id,
        source=paper.source,
        kind="text",
        text=text,
        blocks=blocks,
        sections=sections,
        tables=tables,
    )


def _table_cuts(found: list[tuple[Table, tuple[int, int]]]) -> list[tuple[int, int, str]]:
    """The [start, end) ranges of the tables' captions ('caption') and cells ('table'), in order."""
    cuts = sorted([(t.char_start, t.char_end, "table") for t, _ in found] + [(s, e, "caption") for _, (s, e) in found])
    merged: list[tuple[int, int, str]] = []
    for cut in cuts:
        if not merged or cut[0] >= merged[-1][1]:
            merged.append(cut)
    return merged


def _split_block(start: int, end: int, cuts: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A paragraph cut around the tables' captions and cells that fall inside it."""
    pieces: list[tuple[int, int, str]] = []
    at = start
    for cut_start, cut_end, kind in cuts:
        if cut_end <= at or cut_start >= end:
            continue
        if cut_start > at:
            pieces.append((at, cut_start, "text"))
        pieces.append((max(at, cut_start), min(end, cut_end), kind))
        at = min(end, cut_end)
    if at < end:
        pieces.append((at, end, "text"))
    return [(s, e, k) for s, e, k in pieces if e > s]


def parse_document(paper: PaperFile, max_pages: int = 200) -> ParsedDocument:
    """Parse a PDF (PyMuPDF) or a text file into a ParsedDocument.

    The document's `warnings` say what the reader should know: a file whose name says another format,
    characters that failed to decode.
    """
    if paper.kind == "text":
        doc = parse_text_file(paper)
        broken = len(_CONTROL.findall(doc.text))
        if broken:
            doc.warnings.append(
                f"{broken} control character(s) in the text (a wrong encoding or font map where it was made); "
                "no number is read across them"
            )
    else:
        doc = parse_pdf(Path(paper.path), paper_id=paper.paper_id, source=paper.source, max_pages=max_pages)
    suffix = Path(paper.path).suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        what = "a PDF" if paper.kind == "pdf" else "plain text"
        doc.warnings.append(f"named {suffix} but holds {what}: read as {what}")
    return doc
