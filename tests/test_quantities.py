"""The quantity tagger, unit normalization and sentence segmentation on scientific text."""

from __future__ import annotations

import pytest

from extractors.documents.passages import sentence_spans
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of, to_canonical
from schemas.errors import InputError


def one(text: str):
    found = tag_quantities(text)
    assert len(found) == 1, [q.text for q in found]
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "value_max", "unit", "qualifier"),
    [
        ("The gap is 3.2 eV here.", 3.2, None, "eV", "exact"),
        ("a gap of 3.1–3.4 eV", 3.1, 3.4, "eV", "range"),
        ("a gap of 3.1 to 3.4 eV", 3.1, 3.4, "eV", "range"),
        ("between 3.1 and 3.4 eV", 3.1, 3.4, "eV", "range"),
        ("Eg = 1.67 ± 0.09 eV", 1.67, None, "eV", "exact"),
        ("σ = 1.2 × 10^5 S cm^−1", 1.2e5, None, "S cm^−1", "exact"),
        ("a gap of ~3 eV", 3.0, None, "eV", "approximate"),
        ("a gap of about 3 eV", 3.0, None, "eV", "approximate"),
        ("Tc < 4 K", 4.0, None, "K", "upper_bound"),
        ("Tc above 90 K", 90.0, None, "K", "lower_bound"),
        ("κ = 1.5 W m^-1 K^-1", 1.5, None, "W m^-1 K^-1", "exact"),
        ("melting at 1,455 °C", 1455.0, None, "°C", "exact"),
        ("n = 1.2×\n10^21 cm^-3", 1.2e21, None, "cm^-3", "exact"),
        ("a gap of 3.37 eV as reported", 3.37, None, "eV", "exact"),
        ("(a conductivity of 500 to 1000 S/cm)", 500.0, 1000.0, "S/cm", "range"),
    ],
    ids=[
        "plain",
        "range_dash",
        "range_to",
        "between",
        "uncertainty",
        "scientific",
        "tilde",
        "about",
        "upper_bound",
        "lower_bound",
        "compound_unit",
        "thousands",
        "scientific_across_a_line_break",
        "english_word_after_unit",
        "closing_bracket_after_unit",
    ],
)
def test_tagged_forms(text: str, value: float, value_max: float | None, unit: str, qualifier: str) -> None:
    q = one(text)
    assert q.value == pytest.approx(value)
    assert q.value_max == (pytest.approx(value_max) if value_max is not None else None)
    assert q.unit == unit and q.qualifier == qualifier
    assert text[q.span[0] : q.span[1]] == q.text


def test_uncertainty_is_kept() -> None:
    assert one("Eg = 1.67 ± 0.09 eV").uncertainty == pytest.approx(0.09)


def test_list_shares_its_unit() -> None:
    found = tag_quantities("gaps of 2.3, 2.8 and 3.2 eV were found")
    assert [(q.value, q.unit) for q in found] == [(2.3, "eV"), (2.8, "eV"), (3.2, "eV")]


@pytest.mark.parametrize(
    "text",
    ["as shown in Fig. 3 a", "Table 2 lists", "see Eq. 4", "in 2015 they", "3 samples were"],
    ids=["figure", "table", "equation", "year", "count"],
)
def test_not_quantities(text: str) -> None:
    assert [q for q in tag_quantities(text) if q.unit] == []


def test_si_values() -> None:
    q = one("a conductivity of 1.2 × 10^5 S cm^−1")
    assert q.value_si == pytest.approx(1.2e7)
    assert q.dimension == dimension_of("S/m")


@pytest.mark.parametrize(
    ("value", "unit", "canonical", "expected"),
    [
        (300, "°C", "K", 573.15),
        (2, "GPa", "MPa", 2000),
        (1, "W/mK", "W/(m*K)", 1),
        (5, "mS cm−1", "S/cm", 0.005),
        (10, "Å", "nm", 1.0),
        (250, "mAh g^-1", "mAh/g", 250),
    ],
    ids=["celsius", "pressure", "fused_thermal", "unicode_minus", "angstrom", "capacity"],
)
def test_canonical_conversion(value: float, unit: str, canonical: str, expected: float) -> None:
    assert to_canonical(value, unit, canonical) == pytest.approx(expected)


def test_wrong_dimension_is_an_input_error() -> None:
    with pytest.raises(InputError, match="eV"):
        to_canonical(3.2, "eV", "K")


def test_sentences_hold_on_abbreviations() -> None:
    text = (
        "As shown in Fig. 2 and Eq. 3, the gap (ca. 3.2 eV) agrees with Smith et al. [4], i.e. the anatase value. "
        "The films were annealed at 450 °C. Their gap is 3.21 eV. Next sentence."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "As shown in Fig. 2 and Eq. 3, the gap (ca. 3.2 eV) agrees with Smith et al. [4], i.e. the anatase value.",
        "The films were annealed at 450 °C.",
        "Their gap is 3.21 eV.",
        "Next sentence.",
    ]
