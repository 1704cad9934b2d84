"""Opening files and parsing plain text: bad input gets one clear line."""

from __future__ import annotations

import pytest

from extractors.documents.papers import open_paper, parse_text_file
from extractors.quantities.formulas import normalize_formula
from schemas.errors import InputError


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.pdf", None, "no such file"),
        ("empty.txt", b"", "empty"),
        ("junk.pdf", b"GIF89a not a pdf at all", "not a PDF"),
        ("binary.dat", b"\x00\x01\x02\x03", "neither a PDF nor a text file"),
    ],
    ids=["missing_file", "empty_file", "not_a_pdf", "binary_file"],
)
def test_open_paper_refuses(tmp_path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        open_paper(path)
    assert "\n" not in str(err.value)


def test_folder_is_refused(tmp_path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        open_paper(tmp_path)


def test_text_not_utf8(tmp_path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Température de Curie 300 K".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        parse_text_file(open_paper(path))


def test_text_paper_blocks_and_sections(tmp_path) -> None:
    text = "A study of TiO2\n\nAbstract\n\nWe measured TiO2.\n\n2. Methods\n\nUV-vis spectra were taken.\n\nResults\n\nThe gap is 3.2 eV.\n"
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")
    doc = parse_text_file(open_paper(path))
    assert doc.text == text
    assert [s.kind for s in doc.sections] == ["abstract", "methods", "results"]
    assert all(doc.text[b.char_start : b.char_end] == b.text for b in doc.blocks)
    assert doc.section_at(text.index("3.2 eV")) == "results"
    assert doc.section_at(text.index("UV-vis")) == "methods"


@pytest.mark.parametrize(
    ("material", "formula"),
    [
        ("TiO2", "O2Ti"),
        ("O2Ti", "O2Ti"),
        ("anatase TiO2 films", "O2Ti"),
        ("Ba0.5Sr0.5TiO3", "Ba0.5O3Sr0.5Ti"),
        ("H-MoSe2", "MoSe2"),
        ("Ca(OH)2", "CaH2O2"),
        ("MAPbI3", None),
        ("graphene", None),
        ("In", None),
    ],
    ids=[
        "tio2",
        "reordered",
        "with_words",
        "fractional",
        "phase_prefix",
        "parentheses",
        "organic_abbrev",
        "name",
        "english_word",
    ],
)
def test_normalize_formula(material: str, formula: str | None) -> None:
    assert normalize_formula(material) == formula
