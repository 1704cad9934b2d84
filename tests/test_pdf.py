"""PDF parsing on the generated two-column sample paper, bad PDFs, and the real PDFs of the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.documents.papers import open_paper, parse_document
from extractors.documents.pdf import parse_pdf
from schemas.document import ParsedDocument
from schemas.errors import InputError


@pytest.fixture(scope="module")
def doc(sample_pdf: Path) -> ParsedDocument:
    return parse_document(open_paper(sample_pdf))


def test_reading_order_follows_columns(doc: ParsedDocument) -> None:
    order = [
        "Abstract",
        "1. Introduction",
        "Fig. 1. Tauc plot",
        "2. Experimental methods",
        "3. Results and discussion",
        "3.45 ± 0.05 eV",
        "Table 1. Band gaps",
        "ZnO | 3.37 | 2.00",
        "4. Conclusions",
        "References",
        "[2] D. Roe",
    ]
    positions = [doc.text.find(s) for s in order]
    assert -1 not in positions, [s for s, p in zip(order, positions, strict=True) if p == -1]
    assert positions == sorted(positions)


def test_sub_and_superscripts_survive(doc: ParsedDocument) -> None:
    for written in (
        "anatase TiO2 film",
        "Ba0.5Sr0.5TiO3",
        "1.2 × 10^5 cm^−1",
        "1.5 W m^−1 K^−1",
        "10^−2 mbar",
        "2.5 × 10^−3 Ω cm",
        "SrTiO3(001)",
    ):
        assert written in doc.text, written
    runs = {(s.kind, doc.text[s.char_start : s.char_end]) for s in doc.scripts}
    assert {("sub", "2"), ("sub", "0.5"), ("sup", "5"), ("sup", "−1")} <= runs


def test_title_sections_and_page_furniture(doc: ParsedDocument) -> None:
    assert doc.title == "Optical, dielectric and thermal properties of titanate thin films"  # two lines joined
    assert [s.kind for s in doc.sections] == [
        "title",
        "abstract",
        "introduction",
        "methods",
        "results",
        "conclusion",
        "acknowledgements",
        "references",
    ]
    assert doc.section_at(doc.text.index("time-domain thermoreflectance")) == "methods"
    assert "Journal of Sample Materials" not in doc.text  # the running head repeats on every page
    assert "\n\n1\n\n" not in doc.text and not doc.text.endswith("\n2")  # page numbers
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.page_at(doc.text.index("[2] D. Roe")) == 2


def test_blocks_point_into_the_text(doc: ParsedDocument) -> None:
    assert all(doc.text[b.char_start : b.char_end] == b.text for b in doc.blocks)
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "text", "caption", "table"} <= kinds


def test_table_cells(doc: ParsedDocument) -> None:
    (table,) = doc.tables
    assert table.number == 1 and table.caption.startswith("Table 1.")
    assert table.rows == [
        ["Material", "Band gap (eV)", "Refractive index"],
        ["ZnO", "3.37", "2.00"],
        ["SnO2", "3.60", "2.01"],
        ["SrTiO3", "3.25", "2.41"],
    ]
    assert [doc.text[s:e] for s, e in table.row_spans][1] == "ZnO | 3.37 | 2.00"


def test_figures_vector_and_raster(doc: ParsedDocument) -> None:
    figures = {f.number: f for f in doc.figures}
    assert sorted(figures) == [1, 2]
    assert figures[1].kind == "vector" and figures[2].kind == "raster"
    assert figures[1].caption.startswith("Fig. 1. Tauc plot") and figures[1].page == 1
    x0, y0, x1, y1 = figures[1].bbox
    assert 100 < (x1 - x0) < 300 and 80 < (y1 - y0) < 200  # the plot with its tick labels, not the column
    assert "2.9 3.0 3.1" not in doc.text and "Photon energy" not in doc.text  # tick labels stay with the figure
    assert "Fig. 2 shows the surface" in doc.text  # a mention in running text is not a caption
    assert len([b for b in doc.blocks if b.kind == "caption"]) == 3  # two figures and one table


@pytest.mark.parametrize(
    ("maker", "message"),
    [
        ("make_encrypted", "encrypted"),
        ("make_scanned", "no usable text layer"),
        ("make_empty_pdf", "no usable text layer"),
        ("make_truncated", "truncated or damaged"),
    ],
    ids=["encrypted", "scanned_no_text", "empty_page", "truncated"],
)
def test_bad_pdfs_get_one_line(samples, tmp_path: Path, maker: str, message: str) -> None:
    path = tmp_path / f"{maker}.pdf"
    getattr(samples, maker)(path)
    with pytest.raises(InputError, match=message) as err:
        parse_document(open_paper(path))
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_page_limit(samples, tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    samples.make_long(path, pages=12)
    with pytest.raises(InputError, match="12 pages is over the limit of 10"):
        parse_pdf(path, "id", str(path), max_pages=10)
    assert len(parse_pdf(path, "id", str(path), max_pages=20).pages) == 12


def test_text_sample_matches_pdf_content(samples, tmp_path: Path, doc: ParsedDocument) -> None:
    item = samples.make_text_paper(tmp_path / "paper.txt")
    text_doc = parse_document(open_paper(tmp_path / "paper.txt"))
    assert [s.kind for s in text_doc.sections] == [s.kind for s in doc.sections if s.kind != "title"]
    assert "1.2 × 10^5 cm^-1" in text_doc.text and item["records"]


def test_real_pdfs_parse_or_say_why(corpus: Path) -> None:
    """Every real PDF of the corpus either parses into text or fails with one clear line."""
    pdfs = sorted((corpus / "real-pdfs" / "pdfs").glob("*.pdf"))
    if not pdfs:
        pytest.skip("no real PDFs in the corpus")
    parsed = 0
    for path in pdfs:
        try:
            parsed_doc = parse_document(open_paper(path))
        except InputError as err:
            assert "\n" not in str(err)
            continue
        parsed += 1
        assert len(parsed_doc.text) > 1000
        assert all(parsed_doc.text[b.char_start : b.char_end] == b.text for b in parsed_doc.blocks)
    assert parsed >= len(pdfs) - 3
