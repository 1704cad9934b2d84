"""The quantity tagger, unit normalization and sentence segmentation on scientific text."""

from __future__ import annotations

import pytest

from extractors.documents.passages import sentence_spans
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of, to_canonical, to_si
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


def units_of(text: str, include_unitless: bool = False) -> list[tuple[str, float, str | None]]:
    return [(q.text, q.value, q.unit) for q in tag_quantities(text, include_unitless=include_unitless)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The steel contains C: 0.05%, Si: 0.40, Mn 1.2, V 0.009, S 0.005% and N 0.005%.",
            [("0.05%", 0.05, "%"), ("0.005%", 0.005, "%"), ("0.005%", 0.005, "%")],
        ),
        ("The composition (wt.%) was 0.12 C, 0.40 V, 0.009 S, 0.005% N, balance Fe.", [("0.005%", 0.005, "%")]),
        (
            "C 0.08%, Si 0.25%, Mn 1.50%, Nb 0.03%, 0.40 V and 0.25 W.",
            [(v, float(v[:-1]), "%") for v in ("0.08%", "0.25%", "1.50%", "0.03%")],
        ),
        ("the Fe–1.2Mn–0.3C–0.5V steel", []),
    ],
    ids=["symbol_before_number", "symbol_after_number_wt_percent", "mixed_list", "alloy_name"],
)
def test_element_symbols_in_a_composition_are_not_units(text: str, expected: list) -> None:
    assert units_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The cell was charged to 0.40 V versus Li/Li+ at 1 mA.", [("0.40 V", 0.4, "V"), ("1 mA", 1.0, "mA")]),
        ("biased at 1.2 V, 3 A and 5 W", [("1.2 V", 1.2, "V"), ("3 A", 3.0, "A"), ("5 W", 5.0, "W")]),
        ("cycled at 25 C and 4.2 V", [("25 C", 25.0, "C"), ("4.2 V", 4.2, "V")]),
    ],
    ids=["voltage_beside_a_formula", "electrical_values", "two_unit_letters"],
)
def test_unit_letters_outside_a_composition_stay_units(text: str, expected: list) -> None:
    assert units_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a 0.25 mm W wire", [("0.25 mm", 0.25, "mm")]),
        ("doped with 0.005% N atoms", [("0.005%", 0.005, "%")]),
        ("expands by 10 ppm K−1 on heating", [("10 ppm K−1", 10.0, "ppm K−1")]),
        ("κ = 0.8 J/kg K here", [("0.8 J/kg K", 0.8, "J/kg K")]),
    ],
    ids=["element_after_length", "element_after_percent", "percent_with_exponent_kept", "denominator_kept"],
)
def test_a_capital_letter_after_a_unit_is_not_part_of_it(text: str, expected: list) -> None:
    assert units_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "^1M. Bode and H. Ohno",
        "J. Doe,2K. Smith and L. Roe",
        "10 V. Tiberkevich, A. N. Slavin, and J.-V. Kim, Phys. Rev. B 78, 092401 (2008).",
        "A.E. Haj-Yahia,1  D. Cahen1",
        "as seen in Figures 3I and 3J",
        "the 13C/12C ratio and 35S-methionine",
        "a 3C-SiC substrate",
        "2D and 3D materials",
        "1 Ma et al. [261]",
    ],
    ids=[
        "superscript_reference",
        "affiliation_mark",
        "reference_list",
        "spaced_affiliation_mark",
        "figure_panels",
        "isotopes",
        "polytype",
        "dimensionality",
        "author_after_number",
    ],
)
def test_marks_and_labels_are_not_quantities(text: str) -> None:
    assert units_of(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dissolved in 1 M HCl at 300K. Then", [("1 M", 1.0, "M"), ("300K", 300.0, "K")]),
        ("the 10K-anomaly", [("10K", 10.0, "K")]),
        ("a dipole of 2.3 D", [("2.3 D", 2.3, "D")]),
    ],
    ids=["molar_and_kelvin_before_a_sentence", "kelvin_adjective", "debye"],
)
def test_look_alike_marks_that_are_quantities(text: str, expected: list) -> None:
    assert units_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imaged at 1 nA and 0.15 V", [(1.0, None, "nA"), (0.15, None, "V")]),
        ("gaps of 1.2 and 1.5 eV", [(1.2, None, "eV"), (1.5, None, "eV")]),
        ("gaps of 1.2 eV and 1.5 eV", [(1.2, None, "eV"), (1.5, None, "eV")]),
        ("between 1.2 and 1.5 eV", [(1.2, 1.5, "eV")]),
        ("between 1.2 eV and 1.5 eV", [(1.2, 1.5, "eV")]),
        ("from 3.1 eV to 3.4 eV", [(3.1, 3.4, "eV")]),
        ("swept from 1 MHz to 0.01 Hz", [(1.0, None, "MHz"), (0.01, None, "Hz")]),
        ("at 800 °C and 0.7 V", [(800.0, None, "°C"), (0.7, None, "V")]),
        ("narrowed from 4.7 to 3.1 eV", [(3.1, 4.7, "eV")]),
    ],
    ids=[
        "two_units",
        "list_one_unit",
        "list_unit_twice",
        "between_range",
        "between_range_unit_twice",
        "from_to_range",
        "two_units_with_to",
        "condition_and_value",
        "a_falling_range_runs_upwards",
    ],
)
def test_conjunctions_and_ranges(text: str, expected: list) -> None:
    assert [(q.value, q.value_max, q.unit) for q in tag_quantities(text)] == expected


def test_a_range_span_includes_between() -> None:
    q = one("a gap between 1.2 and 1.5 eV here")
    assert q.text == "between 1.2 and 1.5 eV" and q.qualifier == "range"


def test_a_word_glued_after_an_exponent_ends_the_unit() -> None:
    q = one("a yield strength of 93kg/mm^2or more")
    assert (q.text, q.unit) == ("93kg/mm^2", "kg/mm^2")
    assert to_canonical(q.value, q.unit, "MPa") == pytest.approx(93 * 9.80665)


@pytest.mark.parametrize(
    ("unit", "mpa"),
    [("kg/mm2", 9.80665), ("kg/mm²", 9.80665), ("kg mm−2", 9.80665), ("kgf/mm2", 9.80665), ("kgf/cm2", 0.0980665)],
    ids=["kg_per_mm2", "superscript", "negative_exponent", "kgf", "kgf_per_cm2"],
)
def test_kilogram_per_area_in_a_stress_is_kilogram_force(unit: str, mpa: float) -> None:
    assert to_canonical(1, unit, "MPa") == pytest.approx(mpa)


def test_kilogram_per_square_metre_stays_a_mass_per_area() -> None:
    assert dimension_of("kg/m2") == dimension_of("g/cm^2") != dimension_of("MPa")


def test_kilogram_force_is_tagged() -> None:
    q = one("a yield strength of 60 kgf/mm² was measured")
    assert q.unit == "kgf/mm²" and q.value_si == pytest.approx(60 * 9.80665e6)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("mobility 2x10^5 cm^2/Vs at", 2e5, "cm^2/Vs"),
        ("mobility 2×10^5 cm2 V−1 s−1", 2e5, "cm2 V−1 s−1"),
        ("mobility 2 × 10⁵ cm² V⁻¹ s⁻¹", 2e5, "cm² V⁻¹ s⁻¹"),
        ("mobility 880 cm2V−1s−1 at", 880, "cm2V−1s−1"),
        ("mobility 190 cm2/(Vs) at", 190, "cm2/(Vs)"),
        ("mobility 1000 cm2/V·s at", 1000, "cm2/V·s"),
    ],
    ids=["caret_and_fused_vs", "negative_exponents", "superscripts", "glued_factors", "bracketed_fused", "dot_product"],
)
def test_mobility_forms(text: str, value: float, unit: str) -> None:
    q = one(text)
    assert (q.value, q.unit) == (pytest.approx(value), unit)
    assert to_canonical(q.value, q.unit, "cm**2/(V*s)") == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value", "unit", "canonical", "expected"),
    [
        ("n = 5x1016 cm-3 here", 5e16, "cm-3", "cm**-3", 5e16),
        ("a TEC of 12.5 × 10–6 K–1", 12.5e-6, "K–1", "1/K", 12.5e-6),
        ("P = 802 mWcm−2 at", 802, "mWcm−2", "mW/cm**2", 802),
        ("an ASR of 3.660 Ωcm2 at", 3.66, "Ωcm2", "ohm*cm**2", 3.66),
        ("σ = 0.054 S cm–1 at", 0.054, "S cm–1", "S/cm", 0.054),
    ],
    ids=["flattened_superscript", "en_dash_exponents", "glued_power_density", "glued_area_resistance", "en_dash_minus"],
)
def test_pdf_text_forms(text: str, value: float, unit: str, canonical: str, expected: float) -> None:
    q = one(text)
    assert (q.value, q.unit) == (pytest.approx(value), unit)
    assert to_canonical(q.value, q.unit, canonical) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "value", "unit", "dimension"),
    [
        ("a contact angle of 69 ± 3°, and", 69, "°", "[angle]"),
        ("The 45° case is", 45, "°", "[angle]"),
        ("heated at 4 °C/min. The", 4, "°C/min", "[temperature] / [time]"),
        ("a 5-year study", 5, "year", "[time]"),
        ("the 10-nm-thick film", 10, "nm", "[length]"),
        ("after two days in", 2, "days", "[time]"),
        ("sputtered at 5 mTorr in", 5, "mTorr", dimension_of("Pa")),
        ("at 0.06 mBar in", 0.06, "mBar", dimension_of("Pa")),
        ("the event ∼56 Ma ago", 56, "Ma", "[time]"),
        ("a latency of <20  ms here", 20, "ms", "[time]"),
        ("a flux of 49wt%PbO was", 49, "wt%", "dimensionless"),
    ],
    ids=[
        "angle_with_uncertainty",
        "angle_before_a_word",
        "heating_rate",
        "hyphenated_time",
        "hyphenated_length",
        "spelled_out_number",
        "millitorr",
        "millibar_capital_b",
        "megayears",
        "two_spaces",
        "percent_glued_to_a_formula",
    ],
)
def test_measeval_forms(text: str, value: float, unit: str, dimension: str) -> None:
    q = one(text)
    assert (q.value, q.unit, q.dimension) == (pytest.approx(value), unit, dimension)


def test_an_angle_is_no_percent() -> None:
    with pytest.raises(InputError, match="angle"):
        to_canonical(25, "°", "percent")


def test_a_temperature_in_a_rate_is_a_difference() -> None:
    assert to_canonical(10, "°C/min", "K/s") == pytest.approx(10 / 60)


def test_every_canonical_unit_of_the_vocabulary_has_a_dimension() -> None:
    """The vocabulary writes units in pint's syntax ('cm**2/(V*s)'): each must read, or its property finds nothing."""
    from schemas.vocabulary import load_vocabulary

    unread = [p.name for p in load_vocabulary().properties if p.unit and dimension_of(p.unit) is None]
    assert unread == []
    assert dimension_of("cm**2/(V*s)") == dimension_of("cm^2/Vs") and dimension_of("g/cm**3") == dimension_of("g cm-3")


def test_bare_numbers_of_a_list_take_its_unit_when_unitless_numbers_are_asked_for_too() -> None:
    """Grounding tags with include_unitless: "3.3, 4.4, and 5.8 eV" must still give three energies there."""
    text = "are estimated to be 3.3, 4.4, and 5.8 eV by the"
    for unitless in (False, True):
        assert [(q.value, q.unit) for q in tag_quantities(text, include_unitless=unitless)] == [
            (3.3, "eV"),
            (4.4, "eV"),
            (5.8, "eV"),
        ]


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        pytest.param(30, "nm", (3e-08, "m"), id="no_float_noise"),
        pytest.param(3.3, "eV", (5.2871828922e-19, "J"), id="energy_in_joules"),
        pytest.param(1.2, "T", (1.2, "T"), id="tesla_not_base_units"),
        pytest.param(2.1, "mS cm-1", (0.21, "S / m"), id="conductivity"),
        pytest.param(300, "°C", (573.15, "K"), id="offset_unit"),
    ],
)
def test_si_values_print_in_named_units_without_noise(value: float, unit: str, expected: tuple[float, str]) -> None:
    assert to_si(value, unit) == expected
